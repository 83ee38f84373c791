"""nnlib.js's scalar and training operations against PyTorch in float64: the sigmoid, softmax and
log-softmax every widget reads its network with, and the Adam step the XOR playground trains by.
(Its convolutions are checked in test_widgets.py.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nnbook.book.kernel import widgets
from node_js import node_eval


def float64(*shape: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return scale * torch.randn(*shape, generator=generator, dtype=torch.float64)


def test_sigmoid_of_a_number_and_of_a_tensor_is_torchs():
    x = torch.cat([torch.linspace(-40, 40, 161, dtype=torch.float64), float64(50, seed=0)])
    got = node_eval("var t = NNLib.tensor([data.length], Float64Array.from(data));"
                    "return {each: data.map(function (v) { return NNLib.sigmoid(v); }),"
                    " tensor: Array.from(NNLib.sigmoid(t).data)};", x.tolist())
    want = torch.sigmoid(x)
    torch.testing.assert_close(torch.tensor(got["each"], dtype=torch.float64), want,
                               rtol=1e-15, atol=1e-300)
    assert got["each"] == got["tensor"]  # one function for both


@pytest.mark.parametrize("shift", [0.0, 1000.0, -1000.0])  # far logits: no overflow, no nan
def test_softmax_and_log_softmax_are_torchs(shift):
    logits = float64(6, 2, seed=1, scale=5.0) + shift  # six rows of two scores, as the XOR net's
    wide = float64(3, 10, seed=2, scale=5.0) + shift  # and rows of ten, as MyNet's
    got = node_eval(
        "function both(rows) { return rows.map(function (row) {"
        " return {log: NNLib.logSoftmax(row), p: NNLib.softmax(row),"
        " fromTensor: NNLib.logSoftmax(NNLib.tensor([row.length], Float64Array.from(row)))};"
        " }); }"
        "return {two: both(data.two), ten: both(data.ten)};",
        {"two": logits.tolist(), "ten": wide.tolist()})
    for key, x in (("two", logits), ("ten", wide)):
        rows = got[key]
        log_p = torch.tensor([row["log"] for row in rows], dtype=torch.float64)
        # within a few units in the last place of the logits, which the shift makes coarse
        torch.testing.assert_close(log_p, torch.log_softmax(x, dim=1), rtol=0,
                                   atol=1e-14 * (1 + abs(shift)))
        p = torch.tensor([row["p"] for row in rows], dtype=torch.float64)
        torch.testing.assert_close(p, torch.softmax(x, dim=1), rtol=1e-14, atol=1e-300)
        assert all(row["fromTensor"] == row["log"] for row in rows)


def test_adam_steps_are_torchs_with_weight_decay():
    params = {"weight": float64(3, 4, seed=3), "bias": float64(5, seed=4)}
    steps = 30
    grads = [{name: float64(*p.shape, seed=10 + s) for name, p in params.items()}
             for s in range(steps)]
    settings = {"lr": 0.05, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-2}
    trained = {name: p.clone().requires_grad_() for name, p in params.items()}
    # the multi-tensor path, which the engine takes on a CPU and nnlib follows
    optimizer = torch.optim.Adam(trained.values(), lr=settings["lr"],
                                 betas=tuple(settings["betas"]), eps=settings["eps"],
                                 weight_decay=settings["weight_decay"], foreach=True)
    for grad in grads:
        for name, p in trained.items():
            p.grad = grad[name].clone()
        optimizer.step()
    payload = widgets.encode_payload({"params": params, "grads": grads, "settings": settings})
    got = node_eval(
        "var d = NNLib.decodePayload(data), p = {};"
        "Object.keys(d.params).forEach(function (k) {"
        " p[k] = Float64Array.from(d.params[k].data); });"
        "var state = NNLib.adamState(p);"
        "d.grads.forEach(function (g) {"
        " var named = {}; Object.keys(g).forEach(function (k) { named[k] = g[k].data; });"
        " NNLib.adamStep(p, named, state, d.settings); });"
        "var out = {t: state.t};"
        "Object.keys(p).forEach(function (k) { out[k] = Array.from(p[k]); });"
        "return out;", payload)
    assert got["t"] == steps
    for name, p in trained.items():
        js = torch.tensor(got[name], dtype=torch.float64).reshape(p.shape)
        torch.testing.assert_close(js, p.detach(), rtol=1e-13, atol=1e-14)
        # the steps moved the weights far more than the tolerance
        assert (js - params[name]).abs().max() > 0.1
    np.testing.assert_array_equal(params["bias"].numpy(),
                                  widgets.decode_payload(payload)["params"]["bias"])
