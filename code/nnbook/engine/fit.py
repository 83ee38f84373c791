"""The book's one training loop, and a cache of finished runs.

Every chapter that trains a model calls :func:`fit` (train now) or :func:`train_cached` (train
once, then load the stored run on every rebuild); none writes its own loop.

What makes the loop fast, and why:

- The whole data set lives on the device as one tensor, and each epoch slices shuffled minibatches
  out of it. No per-item Python work (decoding a PIL image, ``ToTensor``, collating) sits in the
  loop, which is where a ``DataLoader`` over a torchvision data set spends most of its time on a CPU.
- Image batches (4-D inputs, ``(N, C, H, W)``) run in *channels-last* memory layout, which the
  convolution kernels of oneDNN (CPU) and cuDNN (GPU) prefer.
- Where the hardware computes bfloat16 natively (a CUDA GPU, or a CPU with AVX-512 BF16 or AMX:
  :func:`nnbook.engine.device.bf16_supported`), float32 models on image batches run their forward pass
  under bfloat16 *autocast*: matrix products and convolutions in bfloat16, with float32 weights,
  losses and optimizer state. Elsewhere, and for any model that is not float32 (a float64 model on
  toy data stays exactly float64), nothing is cast. ``TrainConfig(precision=...)`` overrides this;
  :attr:`History.precision` records what was used.
- ``schedule="onecycle"`` warms the learning rate up and anneals it, which reaches a given accuracy
  in fewer epochs than a constant rate.

Runs are reproducible: the seed fixes shuffling and dropout (and, in :func:`train_cached`, the
initial weights), so two runs on the CPU with the same seed give identical histories.

A progress bar (tqdm) is shown when someone is watching: in a terminal, or in a notebook opened in
a Jupyter server. The book build is quiet. ``NNBOOK_PROGRESS=1`` or ``0`` (or ``progress=``)
overrides the guess.

Cached runs
-----------

``train_cached(model_fn, data, config, loss_fn=..., name=...)`` returns a :class:`Run`: the trained
model, its :class:`History`, the model's outputs on the test inputs, and whether it came from the
cache. The cache (:class:`nnbook.engine.runs.RunCache`, ``$NNBOOK_CACHE`` or ``~/.cache/nnbook/runs``)
keys a run by everything that determines its result: the source of the model's class (and of
``model_fn`` when that is a function), the model's printed architecture, the hyperparameters, the
loss function, the data's checksum, the source of this module, the torch version, the device type
and the precision. A rebuild with nothing changed trains nothing; a change to any of these trains
again. Writes are atomic; an unreadable entry is reported (``CorruptEntryWarning``) and retrained.

``data`` is a :class:`TensorData` (``X, y`` and optional ``X_test, y_test``) or an
:class:`nnbook.engine.data.ImageData` (converted by :meth:`TensorData.from_images`). Classifiers
pass integer labels and get a test accuracy per epoch. Any other model passes its own targets and
``loss_fn``; for example an autoencoder, with no labels at all::

    data = TensorData(X=images, y=images, X_test=test_images, y_test=test_images)
    run = train_cached(Autoencoder, data, TrainConfig(num_epochs=5), loss_fn=F.mse_loss,
                       name="autoencoder")
    run.history.test_loss      # reconstruction error on the test images, per epoch
    run.test_outputs           # the reconstructions of X_test, on the CPU

(with ``y_test=None`` no test loss is computed, but ``test_outputs`` still holds the model's
outputs on ``X_test``).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from nnbook.engine import settings
from nnbook.engine.device import bf16_supported, get_device
from nnbook.engine.runs import RunCache, source_of

if TYPE_CHECKING:
    from nnbook.engine.data import ImageData

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one run. Everything that changes the result belongs here."""

    num_epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3  # the constant rate, or the peak rate of the one-cycle schedule
    optimizer: str = "adam"  # "adam" or "sgd"
    weight_decay: float = 0.0  # L2 penalty, as the optimizer's weight_decay
    schedule: str = "constant"  # "constant" or "onecycle" (warm up, then anneal)
    seed: int = 0  # seeds shuffling and dropout (and the initial weights in train_cached)
    precision: str = "auto"  # "auto": bfloat16 autocast for float32 image models where fast;
    #                          "float32": never cast; "bfloat16": always autocast

    def __post_init__(self):
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', not {self.optimizer!r}")
        if self.schedule not in ("constant", "onecycle"):
            raise ValueError(f"schedule must be 'constant' or 'onecycle', not {self.schedule!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {self.precision!r}")
        if self.num_epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"num_epochs, batch_size and lr must be positive: {self}")


@dataclass
class History:
    """What a run leaves behind for the page: losses, accuracies, time and where it ran."""

    config: dict
    batch_losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)  # mean training loss per epoch
    test_accuracy: list[float] = field(default_factory=list)  # after each epoch, if test labels given
    test_loss: list[float] = field(default_factory=list)  # after each epoch, if test targets given
    epoch_times: list[float] = field(default_factory=list)  # training seconds so far, per epoch
    wall_time: float = 0.0  # seconds spent training (evaluation excluded)
    device: str = "cpu"
    precision: str = "float32"  # "bfloat16 autocast", or the model's own dtype ("float32", ...)
    channels_last: bool = False
    n_train: int = 0  # training examples per epoch

    @property
    def examples_per_second(self) -> float:
        """Training throughput: examples seen per second of training."""
        return self.n_train * len(self.epoch_losses) / self.wall_time if self.wall_time else 0.0

    def seconds_to(self, target_accuracy: float) -> float | None:
        """Training seconds until the test accuracy first reached ``target_accuracy`` (at an
        epoch's end), or None if it never did."""
        for seconds, acc in zip(self.epoch_times, self.test_accuracy):
            if acc >= target_accuracy:
                return seconds
        return None

    @classmethod
    def from_dict(cls, d: dict) -> History:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    # Update all parameters in a few multi-tensor calls, never one Python call per tensor: on a
    # GPU the fused kernel is fastest; on a CPU the "foreach" path is (about 2.5 times faster than
    # the fused kernel for FashionCNN's Adam step, which would otherwise cost a seventh of a step).
    on_cuda = bool(params) and params[0].device.type == "cuda"
    speed = dict(fused=True) if on_cuda else dict(foreach=True)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay, **speed)
    return torch.optim.SGD(params, lr=config.lr, weight_decay=config.weight_decay, **speed)


def _model_device(model: torch.nn.Module) -> torch.device:
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


@torch.no_grad()
def predict(model: torch.nn.Module, X: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The model's outputs for every row of ``X``, in evaluation mode, batch by batch."""
    was_training = model.training
    model.eval()
    device = _model_device(model)
    outputs = [model(X[i:i + batch_size].to(device)) for i in range(0, len(X), batch_size)]
    model.train(was_training)
    return torch.cat(outputs)


def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of rows whose highest-scoring class is the label."""
    y_hat = predict(model, X).argmax(dim=1).cpu()
    return float((y_hat == y.cpu()).float().mean())


def _is_class_labels(y: torch.Tensor) -> bool:
    return y.ndim == 1 and not y.is_floating_point() and not y.is_complex()


def autocast_dtype(model: torch.nn.Module, X: torch.Tensor, device: torch.device,
                   precision: str = "auto") -> torch.dtype | None:
    """The dtype to autocast the forward pass to, or None for no autocast.

    ``"auto"`` casts only where it is safe and pays: a float32 model, image batches (4-D), and a
    device that computes bfloat16 natively. A float64 model is never cast.
    """
    model_dtype = next(model.parameters()).dtype
    if precision == "float32" or model_dtype != torch.float32:
        return None
    if precision == "bfloat16":
        return torch.bfloat16
    return torch.bfloat16 if X.ndim == 4 and bf16_supported(device) else None


def show_progress(progress: bool | None = None) -> bool:
    """Whether to draw a progress bar: ``progress`` if given, else ``$NNBOOK_PROGRESS``, else
    whether a person is watching (a terminal, or a kernel started by a Jupyter server). The book
    build runs its kernels through nbclient, which is neither, so it stays quiet."""
    if progress is not None:
        return progress
    forced = settings.progress_override()
    if forced is not None:
        return forced
    isatty = getattr(sys.stderr, "isatty", lambda: False)
    return bool(isatty()) or settings.in_jupyter_server()


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="batch", leave=False)


def fit(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, config: TrainConfig, *,
        loss_fn: LossFn = F.cross_entropy, X_test: torch.Tensor | None = None,
        y_test: torch.Tensor | None = None, device: torch.device | None = None,
        progress: bool | None = None) -> History:
    """Train ``model`` in place on ``(X, y)`` and return its history.

    ``X`` and ``y`` are whole tensors (the data set); they are moved to the device once. The model
    keeps its dtype: a float64 model trains in float64, never autocast. For an autoencoder pass
    ``y = X`` and a reconstruction loss. With test data, the history gets the test loss after each
    epoch, and the test accuracy when ``y_test`` holds class labels.
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    device = device if device is not None else get_device()
    model.to(device)
    X, y = X.to(device), y.to(device)
    cast = autocast_dtype(model, X, device, config.precision)
    channels_last = X.ndim == 4
    if channels_last:
        model.to(memory_format=torch.channels_last)
        X = X.contiguous(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, config)
    steps_per_epoch = -(-len(X) // config.batch_size)
    scheduler = None
    if config.schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, epochs=config.num_epochs, steps_per_epoch=steps_per_epoch)
    dtype = next(model.parameters()).dtype
    precision = "bfloat16 autocast" if cast is not None else str(dtype).removeprefix("torch.")
    history = History(config=asdict(config), device=device.type, precision=precision,
                      channels_last=channels_last, n_train=len(X))
    generator = torch.Generator(device="cpu").manual_seed(config.seed)
    torch.manual_seed(config.seed)  # dropout and other in-model randomness
    bar = _progress_bar(config.num_epochs * steps_per_epoch, show_progress(progress))
    model.train()
    for epoch in range(config.num_epochs):
        start = time.perf_counter()
        order = torch.randperm(len(X), generator=generator).to(device)
        total = torch.zeros((), device=device, dtype=torch.float64)
        for i in range(0, len(X), config.batch_size):
            idx = order[i:i + config.batch_size]
            with torch.autocast(device.type, dtype=cast or torch.bfloat16, enabled=cast is not None):
                y_hat = model(X[idx])
            # The loss in the model's precision: a bfloat16 sum over a batch loses digits.
            loss = loss_fn(y_hat.to(dtype), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.detach().double() * len(idx)
            history.batch_losses.append(loss.detach())  # kept on the device: no sync per step
            if bar is not None:
                bar.update()
        history.epoch_losses.append(float(total) / len(X))  # the one sync per epoch
        history.wall_time += time.perf_counter() - start
        history.epoch_times.append(history.wall_time)
        if X_test is not None and y_test is not None:
            outputs = predict(model, X_test)
            targets = y_test.to(outputs.device)
            history.test_loss.append(float(loss_fn(outputs.to(dtype), targets)))
            if _is_class_labels(y_test):
                history.test_accuracy.append(float((outputs.argmax(dim=1) == targets).float().mean()))
        if bar is not None:
            summary = {"loss": f"{history.epoch_losses[-1]:.4f}"}
            if history.test_accuracy:
                summary["test_acc"] = f"{history.test_accuracy[-1]:.2%}"
            bar.set_postfix(summary)
            bar.set_description(f"epoch {epoch + 1}/{config.num_epochs}")
    if bar is not None:
        bar.close()
    history.batch_losses = [float(v) for v in history.batch_losses]
    model.eval()
    return history


# --- Cached runs -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TensorData:
    """Training (and optionally test) tensors, with a checksum that identifies their content."""

    X: torch.Tensor
    y: torch.Tensor
    X_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None
    checksum: str = ""  # computed from the tensors when left empty

    def __post_init__(self):
        if not self.checksum:
            digest = hashlib.sha256()
            for t in (self.X, self.y, self.X_test, self.y_test):
                if t is None:
                    digest.update(b"none")
                    continue
                t = t.detach().cpu().contiguous()
                digest.update(f"{tuple(t.shape)}{t.dtype}".encode())
                digest.update(t.view(-1).view(torch.uint8).numpy().tobytes())
            object.__setattr__(self, "checksum", digest.hexdigest()[:32])

    @classmethod
    def from_images(cls, data: ImageData, *, n_train: int | None = None,
                    n_test: int | None = None) -> TensorData:
        """Float images in [0, 1] of shape ``(N, 1, 28, 28)`` and integer labels, optionally only
        the first ``n_train`` / ``n_test`` of each split. The checksum is the data set's own,
        plus the slice taken."""
        def images(X):  # (N, 28, 28) uint8 -> (N, 1, 28, 28) float32 in [0, 1]
            return X.unsqueeze(1).float().div_(255)

        X, y = data.X_train[:n_train], data.y_train[:n_train]
        X_test, y_test = data.X_test[:n_test], data.y_test[:n_test]
        return cls(images(X), y, images(X_test), y_test,
                   checksum=f"{data.checksum}:{len(X)}:{len(X_test)}")


@dataclass
class Run:
    """A finished training run: the trained model (in evaluation mode), its history, and the
    model's outputs on the test inputs (logits for a classifier), on the CPU."""

    model: torch.nn.Module
    history: History
    test_outputs: torch.Tensor | None
    from_cache: bool
    key_parts: dict

    @property
    def test_predictions(self) -> torch.Tensor:
        """The predicted class of every test example (for a classifier)."""
        if self.test_outputs is None:
            raise ValueError("this run had no test inputs")
        return self.test_outputs.argmax(dim=1)


def _describe_fn(fn: Callable) -> str:
    """A stable description of a loss function or model factory: its qualified name, and its
    source where it has one outside torch (a lambda, a function of this book, a model class)."""
    if isinstance(fn, functools.partial):
        return repr(fn)
    name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"
    try:
        return f"{name}\n{source_of(fn)}"
    except (OSError, TypeError):
        return name


def _engine_source() -> str:
    return inspect.getsource(sys.modules[__name__])


def train_cached(model_fn: Callable[[], torch.nn.Module], data: TensorData | ImageData,
                 config: TrainConfig, *, loss_fn: LossFn = F.cross_entropy, name: str | None = None,
                 device: torch.device | None = None, cache: RunCache | None = None,
                 progress: bool | None = None) -> Run:
    """Train ``model_fn()`` on ``data`` with :func:`fit`, or load the identical run from the cache.

    ``model_fn`` builds a fresh model (a model class, or a function returning a model); it is
    called after seeding with ``config.seed``, so the initial weights are part of the run. ``name``
    labels the cache file (default: the model's class name). See the module docstring for what
    the cache key holds.
    """
    if not isinstance(data, TensorData):
        data = TensorData.from_images(data)
    device = device if device is not None else get_device()
    cache = cache if cache is not None else RunCache()
    torch.manual_seed(config.seed)
    model = model_fn()
    name = name or type(model).__name__
    cast = autocast_dtype(model, data.X, device, config.precision)
    key_parts = {
        "model_source": source_of(model),
        "model_fn": _describe_fn(model_fn),
        "architecture": repr(model),
        "config": asdict(config),
        "loss_fn": _describe_fn(loss_fn),
        "data": data.checksum,
        "engine": hashlib.sha256(_engine_source().encode()).hexdigest(),
        "device": device.type,
        "precision": str(cast),
    }

    def compute() -> dict:
        history = fit(model, data.X, data.y, config, loss_fn=loss_fn, X_test=data.X_test,
                      y_test=data.y_test, device=device, progress=progress)
        outputs = None if data.X_test is None else predict(model, data.X_test).float().cpu()
        weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        return {"weights": weights, "history": asdict(history), "test_outputs": outputs}

    payload, from_cache = cache.get_or_compute(name, key_parts, compute)
    if from_cache:
        model.load_state_dict(payload["weights"])
        model.to(device)
        if data.X.ndim == 4:
            model.to(memory_format=torch.channels_last)
    model.eval()
    return Run(model=model, history=History.from_dict(payload["history"]),
               test_outputs=payload["test_outputs"], from_cache=from_cache, key_parts=key_parts)
