"""The latent explorer (autoencoders page): the decoder in JS against PyTorch on the exported
weights, and the export itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nnbook.autoencoders import ConvAutoencoder
from nnbook.book.kernel import widgets
from node_js import node_eval


@pytest.fixture(scope="module")
def model() -> ConvAutoencoder:
    """A random autoencoder whose decoded pixels spread over [0, 1], as a trained one's do (at
    the initial scale they all sit near 0.5, where any error would look small)."""
    torch.manual_seed(0)
    model = ConvAutoencoder(2)
    with torch.no_grad():
        for parameter in model.decoder.parameters():
            parameter.mul_(3)
    return model.eval()


@pytest.fixture(scope="module")
def codes() -> torch.Tensor:
    return torch.tensor(np.random.default_rng(0).normal(0, 3, (400, 2)), dtype=torch.float32)


def js_decode(payload: dict, Z: torch.Tensor) -> torch.Tensor:
    encoded = widgets.encode_payload({"payload": payload, "Z": Z.double().numpy()})
    out = node_eval("const le = load('latent_explorer.js'); const d = NNLib.decodePayload(data);"
                    "const out = []; for (let i = 0; i < d.Z.shape[0]; i++)"
                    " out.push(le.decode(d.payload.decoder, [d.Z.data[2*i], d.Z.data[2*i+1]]));"
                    "return out;", encoded)
    return torch.tensor(out, dtype=torch.float64).reshape(-1, 1, 28, 28)


def test_js_decoder_matches_pytorch_on_the_exported_weights(model, codes):
    payload = widgets.latent_explorer_payload(model, codes, torch.zeros(400, dtype=torch.long),
                                              ["a"])
    Z = codes[:150]
    with torch.no_grad():
        want = model.decode(Z).double()
    assert want.std() > 0.1, "the decoded pixels are too uniform for the test to mean much"
    got = js_decode(payload, Z)
    assert (got - want).abs().max() <= 1 / 255
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)  # float32 weights: far closer


def test_the_walk_starts_and_ends_at_the_chosen_codes():
    walk = node_eval("return load('latent_explorer.js').walk(data[0], data[1]);",
                     [[0.1, -2.0], [3.3, 0.7]])
    assert len(walk) == 8
    assert walk[0] == [0.1, -2.0] and walk[-1] == [3.3, 0.7]
    np.testing.assert_allclose(np.diff(np.array(walk), axis=0), [[3.2 / 7, 2.7 / 7]] * 7)


def test_the_latent_export_is_small_and_the_same_every_time(model, codes):
    labels = torch.arange(400) % 10

    def bundle():
        payload = widgets.latent_explorer_payload(model, codes, labels, list("abcdefghij"),
                                                  n_codes=300)
        return widgets.widget_bundle("latent-explorer", payload, b"png", "sentence")

    first, second = bundle(), bundle()
    assert widgets.payload_json(first[widgets.MIME]) == widgets.payload_json(second[widgets.MIME])
    assert widgets.bundle_size(first) <= widgets.WEIGHTS_LIMIT
    data = widgets.decode_payload(first[widgets.MIME]["data"])
    assert data["codes"].shape == (300, 2) and list(data["labels"]) == list(labels[:300])
    z1_lo, z1_hi, z2_lo, z2_hi = data["bounds"]
    inside = ((codes[:, 0] > z1_lo) & (codes[:, 0] < z1_hi) & (codes[:, 1] > z2_lo)
              & (codes[:, 1] < z2_hi)).float().mean()
    assert inside > 0.97  # the plane shows the bulk of the codes


def test_only_two_number_codes_are_explored(model):
    with pytest.raises(ValueError, match="two-number"):
        widgets.latent_explorer_payload(model, torch.zeros(5, 3), torch.zeros(5), ["a"])
