"""Live widgets: the book's own models, exported at build time and run in the page by plain JS.

A page's hidden cell (tagged ``remove-input``) calls :func:`show_widget`::

    show_widget("digit-pad", {"weights": {"fc1.weight": widget_array(w, "float16")}, ...},
                fallback_png=png_bytes, fallback_sentence="On the site, you can draw a digit.",
                label="Draw a digit for MyNet to read")

It returns a :class:`ShownWidget` (``.size``: the bytes the page carries; ``.data``: the payload
decoded), which displays nothing more. The cell's output is one mimebundle:

* ``application/vnd.nnbook.widget+json`` (:data:`MIME`): ``{"kind", "label", "data",
  "fallback"}``, where ``data`` is the payload with every array replaced by ``{"dtype", "shape",
  "base64"}``: the array's bytes, little-endian, C order, base64-encoded. dtypes: float64,
  float32, float16, uint8, int32. Arrays may sit anywhere in the payload (in dicts and lists);
  so may plain JSON values.
  ``fallback`` holds the PNG and the sentence below again, for the PDF (MyST-NB renders each item
  of a bundle on its own); the site's HTML leaves it out.
* ``image/png``: the static figure that stands in for the widget in the PDF and in notebooks.
* ``text/plain``: the one sentence that goes with it.

The weights live in the page's output, so they are cached with the page's execution; executed
again, the page exports the same bytes, since the payload comes from the cached run and the
encoding is deterministic (:func:`payload_json` sorts keys).

:class:`nnbook.book.sphinxext.widget_render.WidgetMimeRenderer` (registered as a
``myst_nb.mime_renderers`` entry point in pyproject.toml) turns the bundle into, on the HTML
builder::

    <div class="nnbook-widget" data-widget="KIND" id="widget-..." role="region" aria-label="LABEL">
      <p class="nnbook-widget-fallback">SENTENCE</p>
      <script type="application/json" class="nnbook-widget-data">{"data":..,"kind":..}</script>
    </div>

and, on the LaTeX builder, the PNG followed by the sentence.

In the browser, ``_static/widgets/nnlib.js`` (loaded, like every ``widgets/*.js`` file, with
``defer`` by the Sphinx extension) finds each ``[data-widget]`` root once the page has loaded,
parses its data, decodes every array into ``{dtype, shape, data}`` (``data`` a Float32Array, or a
Float64Array for float64, Uint8Array, Int32Array) and calls the function that the widget's own file
registered with ``NNLib.register(KIND, function (root, data) {...})``. The root's fallback sentence
is removed before that call. A widget's element that shows its current result carries
``data-widget-output``. A widget's file also exports its pure functions for Node
(``if (typeof module !== "undefined") module.exports = ...``), which the parity tests call.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np


MIME = "application/vnd.nnbook.widget+json"
DTYPES = ("float64", "float32", "float16", "uint8", "int32")


@dataclass(frozen=True)
class WidgetArray:
    """An array to export, with the dtype it is stored as (float16 halves the size of weights)."""

    values: np.ndarray
    dtype: str

    def encode(self) -> dict:
        if self.dtype not in DTYPES:
            raise ValueError(f"a widget array is one of {DTYPES}, not {self.dtype!r}")
        values = np.ascontiguousarray(self.values, dtype=np.dtype(self.dtype).newbyteorder("<"))
        return {"dtype": self.dtype, "shape": list(values.shape),
                "base64": base64.b64encode(values.tobytes()).decode("ascii")}


def as_numpy(values) -> np.ndarray:
    """A NumPy copy of an array or a tensor (detached, on the CPU)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def widget_array(values, dtype: str | None = None) -> WidgetArray:
    """``values`` (an array or a tensor) to export as ``dtype`` (default: its own dtype)."""
    values = as_numpy(values)
    return WidgetArray(values, dtype or values.dtype.name)


def decode_array(encoded: dict) -> np.ndarray:
    """The array :meth:`WidgetArray.encode` encoded (what the page's JS reads)."""
    raw = base64.b64decode(encoded["base64"])
    dtype = np.dtype(encoded["dtype"]).newbyteorder("<")
    return np.frombuffer(raw, dtype=dtype).reshape(encoded["shape"])


def encode_payload(value: Any) -> Any:
    """``value`` as JSON: arrays (WidgetArray, NumPy, tensors) encoded, the rest as it is."""
    if isinstance(value, WidgetArray):
        return value.encode()
    if isinstance(value, np.ndarray) or hasattr(value, "detach"):
        return widget_array(value).encode()
    if isinstance(value, dict):
        return {str(key): encode_payload(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_payload(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def decode_payload(value: Any) -> Any:
    """The payload with every encoded array decoded to NumPy (for tests and checks)."""
    if isinstance(value, dict):
        if set(value) == {"dtype", "shape", "base64"}:
            return decode_array(value)
        return {key: decode_payload(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_payload(item) for item in value]
    return value


def payload_json(bundle: dict) -> str:
    """The widget's JSON as the page stores it: sorted keys, no spaces, so the same payload is
    always the same bytes; ``</`` is escaped so that it cannot close the script element."""
    return json.dumps(bundle, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")


def figure_png(figure) -> bytes:
    """PNG bytes of a matplotlib figure (or bytes, passed through), with no timestamp in it."""
    if isinstance(figure, (bytes, bytearray)):
        return bytes(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight",
                   metadata={"Software": None})
    return buffer.getvalue()


def widget_bundle(kind: str, payload: dict, fallback_png, fallback_sentence: str, *,
                  label: str | None = None) -> dict:
    """The mimebundle :func:`show_widget` displays (see the module docstring)."""
    png = base64.b64encode(figure_png(fallback_png)).decode("ascii")
    return {
        MIME: {"kind": kind, "label": label or fallback_sentence,
               "data": encode_payload(payload),
               "fallback": {"png": png, "sentence": fallback_sentence}},
        "image/png": png,
        "text/plain": fallback_sentence,
    }


@dataclass(frozen=True)
class ShownWidget:
    """A widget :func:`show_widget` displayed: its bundle, for the page to measure or check.
    It displays nothing itself, so a cell that ends with ``show_widget(...)`` shows the widget
    once, not the bundle's text after it."""

    bundle: dict

    @property
    def size(self) -> int:
        """Bytes the widget's data adds to the HTML page."""
        return bundle_size(self.bundle)

    @property
    def data(self) -> dict:
        """The payload as exported, its arrays decoded to NumPy."""
        return decode_payload(self.bundle[MIME]["data"])

    def _ipython_display_(self) -> None:
        pass  # displayed already, by show_widget


def show_widget(kind: str, payload: dict, fallback_png, fallback_sentence: str, *,
                label: str | None = None) -> ShownWidget:
    """Display a live widget in the page: ``kind`` names the JS widget (``data-widget``),
    ``payload`` its data, ``fallback_png`` (PNG bytes or a matplotlib figure) and
    ``fallback_sentence`` stand in for it in the PDF; ``label`` is its accessible name."""
    from IPython.display import display

    bundle = widget_bundle(kind, payload, fallback_png, fallback_sentence, label=label)
    display(bundle, raw=True)
    return ShownWidget(bundle)


def bundle_size(bundle: dict) -> int:
    """Bytes the widget's data adds to the HTML page (its fallback PNG stays out)."""
    return len(payload_json({"kind": bundle[MIME]["kind"], "label": bundle[MIME]["label"],
                             "data": bundle[MIME]["data"]}).encode())


# --- rendering, for myst-nb -------------------------------------------------------------------


# --- the book's widgets -----------------------------------------------------------------------

WEIGHTS_LIMIT = 200_000  # bytes of a page's widget data, as the page stores it (base64)


def rounded_model(model, dtype: str = "float16"):
    """A float32 copy of ``model`` whose weights are rounded to ``dtype``: what the page's JS
    computes with, so that PyTorch can be compared with it."""
    import copy

    import torch

    copy_ = copy.deepcopy(model).float().cpu().eval()
    with torch.no_grad():
        for tensor in copy_.state_dict().values():
            tensor.copy_(tensor.to(getattr(torch, dtype)).float())
    return copy_


def exported_weights(model, dtype: str) -> dict[str, WidgetArray]:
    """Every tensor of ``model``'s state, by name, to export as ``dtype``."""
    return {name: widget_array(tensor.float(), dtype)
            for name, tensor in model.state_dict().items()}


def pick_examples(y, y_hat, *, n_right: int, n_wrong: int):
    """Indices of the first ``n_right`` images read correctly, spread over the classes (one of
    each class in turn), then the first ``n_wrong`` misread ones, in test-set order."""
    import torch

    y, y_hat = torch.as_tensor(y).cpu(), torch.as_tensor(y_hat).cpu()
    right, wrong = (y == y_hat).nonzero().flatten(), (y != y_hat).nonzero().flatten()
    by_class = [right[y[right] == k].tolist() for k in range(int(y.max()) + 1)]
    order = [i for rank in range(max(map(len, by_class))) for group in by_class
             for i in group[rank:rank + 1]]
    return sorted(order[:n_right] + wrong[:n_wrong].tolist())


def digit_pad_payload(model, X_test, y_test, classes, *, n_right: int = 24,
                      n_wrong: int = 16) -> dict:
    """What the digit pad needs: MyNet's weights in float16, and some test images (uint8, as
    MNIST stores them) with labels and the predictions of the rounded weights, some wrong."""
    import torch

    rounded, X_test = rounded_model(model), torch.as_tensor(X_test)
    with torch.no_grad():  # in batches: MyNet's first maps of 10,000 images would take 1 GB
        y_hat = torch.cat([rounded(X_test[i:i + 500].unsqueeze(1).float() / 255).argmax(dim=1)
                           for i in range(0, len(X_test), 500)])
    pick = pick_examples(y_test, y_hat, n_right=n_right, n_wrong=n_wrong)
    return {
        "weights": exported_weights(model, "float16"),
        "classes": [str(name) for name in classes],
        "examples": {"images": widget_array(X_test[pick], "uint8"),
                     "labels": widget_array(torch.as_tensor(y_test)[pick], "uint8"),
                     "predictions": widget_array(y_hat[pick], "uint8")},
        "pad": 112,  # the pad's own resolution: 4 of its cells to an MNIST pixel
        "brush": 4.5,  # the pen's radius in the pad's cells: strokes about as thick as MNIST's
    }


DIGIT_PAD_SENTENCE = ("On the book's website, a pad here lets you draw a digit and watch MyNet "
                      "read it; the figure shows test digits with MyNet's readings.")


def show_digit_pad(model, data) -> ShownWidget:
    """The digit pad for MyNet trained on ``data`` (an ImageData), in a page's hidden cell."""
    from nnbook.images import image_grid

    payload = digit_pad_payload(model, data.X_test, data.y_test, data.classes)
    examples = decode_payload(encode_payload(payload["examples"]))  # NumPy, as exported
    shown = range(min(10, len(examples["labels"])))
    figure = image_grid([examples["images"][i] for i in shown],
                        [f"{examples['labels'][i]} read as {examples['predictions'][i]}"
                         for i in shown], suptitle="Test digits and MyNet's readings")
    return show_widget("digit-pad", payload, figure, DIGIT_PAD_SENTENCE,
                       label="Draw a digit for MyNet to read")


def latent_explorer_payload(model, Z_test, y_test, classes, *, n_codes: int = 3000,
                            margin: float = 0.1) -> dict:
    """What the latent explorer needs: the decoder of an autoencoder with a two-number code, in
    float32 (a few thousand weights), the first ``n_codes`` test codes (float16: dots on the
    plane) with their labels, and the plane's bounds: the codes' 1% to 99% range, widened by
    ``margin`` of it on each side."""
    import torch

    from nnbook.plotting import PALETTE

    Z_test = torch.as_tensor(Z_test).float()
    if Z_test.ndim != 2 or Z_test.shape[1] != 2:
        raise ValueError(f"the latent explorer draws two-number codes, got {tuple(Z_test.shape)}")
    linear, unflatten, up1, up2 = (model.decoder[i] for i in (0, 2, 3, 5))
    lo, hi = torch.quantile(Z_test, 0.01, dim=0), torch.quantile(Z_test, 0.99, dim=0)
    lo, hi = lo - margin * (hi - lo), hi + margin * (hi - lo)

    def layer(module) -> dict:
        return {"weight": widget_array(module.weight.float(), "float32"),
                "bias": widget_array(module.bias.float(), "float32")}

    return {
        "decoder": {"linear": layer(linear), "up1": layer(up1), "up2": layer(up2),
                    "unflatten": list(unflatten.unflattened_size)},
        "codes": widget_array(Z_test[:n_codes], "float16"),
        "labels": widget_array(torch.as_tensor(y_test)[:n_codes], "uint8"),
        "classes": [str(name) for name in classes],
        "colours": list(PALETTE),
        # rounded so that the same codes give the same bytes on any machine's last digit
        "bounds": [round(float(v), 4) for v in (lo[0], hi[0], lo[1], hi[1])],
    }


LATENT_SENTENCE = ("On the book's website, the plane of codes here is live: moving over it shows "
                   "the image decoded from the code under the pointer, and two chosen points "
                   "show the walk between them; the figure shows a lattice of decoded codes.")


def xor_playground_payload(config=None, hidden: int = 4, hidden_sizes=range(1, 9),
                           epochs: int | None = None) -> dict:
    """What the XOR playground needs to retrace the book's runs in JavaScript.

    The training points and labels; for each size H in ``hidden_sizes``, the initial weights of
    ``mlp((2, H, 2), seed=config.seed)`` in float64, where :func:`nnbook.xor.train_xor_network`
    starts; the optimiser's settings as the engine's own optimiser holds them; and the engine's
    order of the examples for the first ``epochs`` epochs (default: all of ``config``'s, which
    defaults to :func:`nnbook.xor.xor_config`), one row per epoch. ``hidden`` and ``config.lr``
    are the playground's first settings. Arrays are NumPy arrays, for :func:`show_widget` to
    export.
    """
    import torch

    from nnbook.engine.fit import make_optimizer
    from nnbook.networks import mlp
    from nnbook.xor import EngineOrder, xor_config, xor_data

    config = config if config is not None else xor_config()
    if config.optimizer != "adam" or config.schedule != "constant":
        raise ValueError("the playground trains with Adam at a constant rate, as the book does")
    epochs = config.num_epochs if epochs is None else epochs
    train, _ = xor_data()
    if len(train.X) > 256:
        raise ValueError("the example order is exported one byte per index: at most 256 points")
    weights = {}
    for size in hidden_sizes:
        first, _, last = mlp((2, size, 2), "sigmoid", seed=config.seed, dtype=torch.float64)
        weights[str(size)] = {"W1": first.weight.detach().numpy(),  # (H, 2)
                              "b1": first.bias.detach().numpy(),
                              "W2": last.weight.detach().numpy(),  # (2, H)
                              "b2": last.bias.detach().numpy()}
    group = make_optimizer(mlp((2, hidden, 2)), config).param_groups[0]  # the engine's settings
    sampler = EngineOrder(len(train.X), config.seed)  # the engine's shuffle, epoch after epoch
    orders = np.array([list(sampler) for _ in range(epochs)], dtype=np.uint8)  # (epochs, n)
    return {
        "X": np.asarray(train.X, dtype=np.float64), "y": np.asarray(train.y, dtype=np.uint8),
        "weights": weights, "orders": orders, "hidden": hidden, "seed": config.seed,
        "lr": config.lr, "weight_decay": group["weight_decay"], "batch_size": config.batch_size,
        "betas": list(group["betas"]), "eps": group["eps"],
    }


def show_latent_explorer(model, Z_test, y_test, classes) -> ShownWidget:
    """The latent explorer for an autoencoder with a two-number code, in a page's hidden cell."""
    import torch

    from nnbook.autoencoders import code_lattice, decode
    from nnbook.images import image_grid

    payload = latent_explorer_payload(model, Z_test, y_test, classes)
    _, _, lattice = code_lattice(torch.as_tensor(Z_test), n=6)
    figure = image_grid(list(decode(model, lattice)), ncols=6, size=0.9, value_range=(0, 1),
                        suptitle="Images decoded from a 6 x 6 lattice of codes")
    return show_widget("latent-explorer", payload, figure, LATENT_SENTENCE,
                       label="Latent explorer: decode any two-number code")
