"""The digit pad (mnist_mynet page): MNIST's preprocessing in Python and JS, MyNet in JS against
PyTorch on the exported weights, and the export itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nnbook.book.kernel import widgets
from nnbook.images import area_weights, mnist_like
from nnbook.models import MyNet
from node_js import node_eval

PAD = 112


def strokes(seed: int, n: int) -> list[np.ndarray]:
    """Random pen strokes on a pad, drawn by the pad's own brush (in JS), of varied extent."""
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(n):
        centre, size = rng.uniform(20, 92, 2), rng.uniform(3, 60, 2)
        points = centre + rng.uniform(-1, 1, (int(rng.integers(1, 6)), 2)) * size
        paths.append(np.clip(points, 0, PAD - 1).tolist())
    drawn = node_eval(
        "const pad = load('digit_pad.js');"
        "return data.map(points => { const g = new Float64Array(112 * 112);"
        " pad.paintDisc(g, 112, points[0][0], points[0][1], 4.5);"
        " for (let i = 1; i < points.length; i++) pad.paintLine(g, 112, points[i-1][0],"
        "  points[i-1][1], points[i][0], points[i][1], 4.5);"
        " return Array.from(g); });", paths)
    return [np.array(d).reshape(PAD, PAD) for d in drawn]


def js_mnist_like(drawings: list[np.ndarray]) -> list[np.ndarray]:
    out = node_eval("const pad = load('digit_pad.js');"
                    "return data.map(d => Array.from(pad.mnistLike(d.values, d.h, d.w)));",
                    [{"values": d.ravel().tolist(), "h": d.shape[0], "w": d.shape[1]}
                     for d in drawings])
    return [np.array(image).reshape(28, 28) for image in out]


def test_area_weights_average_over_each_output_span():
    weights = area_weights(5, 2)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(weights @ np.arange(5.0), [0.4 * 0 + 0.4 * 1 + 0.2 * 2,
                                                          0.2 * 2 + 0.4 * 3 + 0.4 * 4])
    np.testing.assert_allclose(area_weights(2, 4) @ np.array([1.0, 3.0]), [1, 1, 3, 3])


def test_a_tall_bar_fills_twenty_rows_centred_by_its_mass():
    drawing = np.zeros((112, 112))
    drawing[10:90, 70:90] = 1.0  # 80 tall, 20 wide, off centre
    digit = mnist_like(drawing)
    rows, cols = np.nonzero(digit)
    assert (rows.min(), rows.max()) == (4, 23)  # 20 rows, centred
    assert cols.max() - cols.min() + 1 == 5  # the aspect ratio kept: 20 * 20 / 80
    np.testing.assert_allclose(digit.sum(), 20 * 5)
    grid = np.indices(digit.shape)
    centre = [(g * digit).sum() / digit.sum() for g in grid]
    assert all(abs(c - 13.5) <= 0.5 for c in centre)


def test_a_blank_drawing_stays_blank():
    assert not mnist_like(np.zeros((112, 112))).any()
    assert not js_mnist_like([np.zeros((112, 112))])[0].any()


def test_js_preprocessing_matches_python():
    drawings = strokes(0, 40)
    lopsided = np.zeros((112, 112))
    lopsided[0:5, 0:112] = 1.0
    lopsided[0:112, 100:112] = 0.05  # a faint tail that still counts in the bounding box
    drawings += [lopsided, np.pad(np.ones((3, 2)), ((50, 59), (7, 103)))]
    for drawing, got in zip(drawings, js_mnist_like(drawings)):
        np.testing.assert_allclose(got, mnist_like(drawing), atol=1e-12)


def synthetic_digits(n: int) -> torch.Tensor:
    """Drawn strokes as MNIST digits, then noise: inputs in [0, 1] of shape (n, 1, 28, 28)."""
    digits = [mnist_like(d) for d in strokes(1, n // 2)]
    noise = np.random.default_rng(2).uniform(0, 1, (n - len(digits), 28, 28))
    return torch.tensor(np.stack(digits + list(noise)), dtype=torch.float32)[:, None]


def scaled_mynet() -> MyNet:
    """A random MyNet with logits as large as a trained one's (a few units, not hundredths): at
    the initial scale any error would hide under the 1e-4 tolerance."""
    torch.manual_seed(0)
    model = MyNet()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(5)
    return model


def test_js_mynet_matches_pytorch_on_the_exported_weights():
    model = scaled_mynet()
    X = synthetic_digits(24)
    payload = widgets.encode_payload({"weights": widgets.exported_weights(model, "float16"),
                                      "images": X.reshape(len(X), -1).double().numpy()})
    logits = node_eval("const pad = load('digit_pad.js'); const d = NNLib.decodePayload(data);"
                       "const out = []; for (let i = 0; i < d.images.shape[0]; i++)"
                       " out.push(pad.myNetLogits(d.weights,"
                       "  d.images.data.subarray(784 * i, 784 * (i + 1))));"
                       "return out;", payload)
    with torch.no_grad():
        want = widgets.rounded_model(model)(X)
    got = torch.tensor(logits, dtype=torch.float64)
    assert got.abs().max() > 1, "the logits are too small for the test to mean much"
    assert torch.equal(got.argmax(dim=1), want.argmax(dim=1))
    torch.testing.assert_close(got, want.double(), atol=1e-4, rtol=0)
    # The rounding is real: the unrounded model's logits differ from the exported ones.
    with torch.no_grad():
        assert (model(X).double() - got).abs().max() > 1e-4


def test_examples_are_right_across_the_classes_then_wrong():
    y = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])
    y_hat = torch.tensor([0, 1, 1, 1, 0, 2, 0, 1])
    assert widgets.pick_examples(y, y_hat, n_right=3, n_wrong=1) == [0, 1, 2, 5]
    assert widgets.pick_examples(y, y_hat, n_right=10, n_wrong=10) == list(range(8))


@pytest.fixture(scope="module")
def pad_bundle():
    torch.manual_seed(0)
    model = MyNet()
    X = torch.tensor(np.random.default_rng(3).integers(0, 256, (300, 28, 28)), dtype=torch.uint8)
    y = torch.arange(300) % 10

    def bundle():
        payload = widgets.digit_pad_payload(model, X, y, [str(k) for k in range(10)])
        return widgets.widget_bundle("digit-pad", payload, b"png", "sentence")
    return model, X, y, bundle


def test_the_digit_pad_export_is_small_and_the_same_every_time(pad_bundle):
    model, _, _, bundle = pad_bundle
    first, second = bundle(), bundle()
    assert widgets.payload_json(first[widgets.MIME]) == widgets.payload_json(second[widgets.MIME])
    size = widgets.bundle_size(first)
    assert size <= widgets.WEIGHTS_LIMIT, size
    data = widgets.decode_payload(first[widgets.MIME]["data"])
    assert {k: v.dtype for k, v in data["weights"].items()} == {
        k: np.float16 for k in model.state_dict()}
    examples = data["examples"]
    assert len(examples["labels"]) == 40
    assert (examples["labels"] != examples["predictions"]).sum() >= 16  # misread ones are there
    with torch.no_grad():
        want = widgets.rounded_model(model)(torch.tensor(examples["images"])[:, None].float() / 255)
    np.testing.assert_array_equal(examples["predictions"], want.argmax(dim=1).numpy())
