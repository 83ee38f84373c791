"""The live widgets' export (nnbook.book.kernel.widgets) and the JS that reads it (nnlib.js)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from nnbook.book.kernel import widgets
from nnbook.book.sphinxext.widget_render import widget_html
from node_js import node_eval


def test_arrays_round_trip_through_the_payload_in_every_dtype():
    rng = np.random.default_rng(0)
    arrays = {"f64": rng.normal(size=(3, 4)), "f32": rng.normal(size=5).astype(np.float32),
              "u8": rng.integers(0, 256, size=(2, 7)).astype(np.uint8),
              "i32": np.array([-3, 0, 2**31 - 1], dtype=np.int32)}
    payload = widgets.encode_payload({**arrays, "nested": [{"t": torch.arange(3.0)}], "n": 3})
    back = widgets.decode_payload(json.loads(json.dumps(payload)))
    for name, values in arrays.items():
        np.testing.assert_array_equal(back[name], values)
        assert back[name].dtype == values.dtype
    np.testing.assert_array_equal(back["nested"][0]["t"], [0.0, 1.0, 2.0])
    assert back["n"] == 3


def test_float16_storage_rounds_to_the_nearest_half():
    values = np.array([0.1, -2.5e-6, 65504.0, 1 / 3], dtype=np.float32)
    encoded = widgets.widget_array(values, "float16").encode()
    np.testing.assert_array_equal(widgets.decode_array(encoded),
                                  values.astype(np.float16))
    assert len(encoded["base64"]) == len(widgets.widget_array(values[:2], "float32")
                                         .encode()["base64"])  # 8 bytes either way


def test_an_unknown_dtype_is_refused():
    with pytest.raises(ValueError, match="bool"):
        widgets.widget_array(np.array([True]), "bool").encode()


def test_node_decodes_what_python_encodes():
    rng = np.random.default_rng(1)
    arrays = {"half": rng.normal(size=(4, 3)).astype(np.float16),
              "tiny": np.array([6e-8, -6e-8, 0.0, -0.0, np.inf], dtype=np.float16),
              "single": rng.normal(size=6).astype(np.float32), "double": rng.normal(size=(2, 2)),
              "bytes": np.arange(0, 256, 17, dtype=np.uint8)}
    payload = widgets.encode_payload(arrays)
    decoded = node_eval("const d = NNLib.decodePayload(data); const out = {};"
                        "for (const k in d) out[k] = {shape: d[k].shape, values:"
                        " Array.from(d[k].data, v => v === Infinity ? 'inf' : v)};"
                        "return out;", payload)
    for name, values in arrays.items():
        assert decoded[name]["shape"] == list(values.shape)
        got = np.array([np.inf if v == "inf" else v for v in decoded[name]["values"]])
        np.testing.assert_array_equal(got, values.astype(np.float64).ravel())


def test_the_same_payload_is_always_the_same_bytes():
    def bundle():
        torch.manual_seed(0)
        weights = torch.nn.Linear(3, 2)
        return widgets.widget_bundle("demo", {"w": widgets.widget_array(weights.weight, "float16"),
                                              "b": weights.bias, "classes": ["a", "b"]},
                                     b"\x89PNG fake", "A demo.")

    first, second = bundle(), bundle()
    assert widgets.payload_json(first[widgets.MIME]) == widgets.payload_json(second[widgets.MIME])
    assert first["text/plain"] == "A demo." and first["image/png"]


def test_the_site_html_holds_the_data_but_not_the_fallback_png():
    bundle = widgets.widget_bundle("digit-pad", {"x": np.zeros(2, np.float32)}, b"PNGBYTES",
                                   "On the site, draw </script> a digit.", label='A "pad"')
    page = widget_html(bundle[widgets.MIME], "widget-1")
    assert 'data-widget="digit-pad"' in page and 'aria-label="A &quot;pad&quot;"' in page
    assert bundle["image/png"] not in page
    script = page.split('class="nnbook-widget-data">')[1].split("</script>")[0]
    assert json.loads(script.replace("<\\/", "</"))["data"]["x"]["dtype"] == "float32"
    assert page.count("</script>") == 1  # the sentence cannot close the data's script
    assert widgets.bundle_size(bundle) < len(page)


@pytest.mark.parametrize("stride,padding,output_padding", [(1, 0, 0), (2, 1, 1), (2, 0, 0)])
def test_nnlib_convolutions_match_torch(stride, padding, output_padding):
    torch.manual_seed(0)
    x = torch.randn(3, 7, 7)
    w, b = torch.randn(4, 3, 3, 3), torch.randn(4)
    wt, bt = torch.randn(3, 5, 3, 3), torch.randn(5)
    payload = widgets.encode_payload({"x": x, "w": w, "b": b, "wt": wt, "bt": bt})
    got = node_eval(
        "const d = NNLib.decodePayload(data);"
        f"const c = NNLib.conv2d(d.x, d.w, d.b, {stride}, {padding});"
        f"const t = NNLib.convTranspose2d(d.x, d.wt, d.bt, {stride}, {padding}, {output_padding});"
        "const p = NNLib.maxPool2d(c, 2);"
        "return {c: [c.shape, Array.from(c.data)], t: [t.shape, Array.from(t.data)],"
        " p: [p.shape, Array.from(p.data)]};", payload)
    want_c = F.conv2d(x[None], w, b, stride=stride, padding=padding)[0]
    want_t = F.conv_transpose2d(x[None], wt, bt, stride=stride, padding=padding,
                                output_padding=output_padding)[0]
    for key, want in (("c", want_c), ("t", want_t), ("p", F.max_pool2d(want_c[None], 2)[0])):
        shape, values = got[key]
        assert shape == list(want.shape)
        torch.testing.assert_close(torch.tensor(values).reshape(shape).float(), want,
                                   atol=1e-5, rtol=1e-5)
