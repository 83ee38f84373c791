"""The book's one training loop.

Every chapter that trains a model calls :func:`fit` (train now) or
:func:`nnbook.engine.runs.train_cached` (train once, then load the stored run on every rebuild);
none writes its own loop. The loop is made of small steps, :func:`prepare`, :func:`train_epoch`
and :func:`evaluate`, and reports to callbacks (:class:`Callback`): the progress bar is one.

What makes the loop fast, and why:

- The whole data set lives on the device as one tensor, and each epoch slices shuffled minibatches
  out of it. No per-item Python work (decoding a PIL image, ``ToTensor``, collating) sits in the
  loop, which is where a ``DataLoader`` over a torchvision data set spends most of its time on a CPU.
- How a run computes is *planned* for the machine (:mod:`nnbook.engine.plan`, :func:`plan_for`):
  the engine times a few steps of each candidate once, stores the fastest and reuses it. The
  candidates: *channels-last* memory layout for image batches (4-D inputs, ``(N, C, H, W)``),
  which the convolution kernels of oneDNN and cuDNN often prefer; bfloat16 *autocast* for float32
  models on image batches (matrix products and convolutions in bfloat16, with float32 weights,
  losses and optimizer state); ``torch.compile`` for runs long enough to pay back a compile; and
  the number of CPU threads (one, for a network of a handful of units). A model that is not
  float32 (a float64 model on toy data) is never cast. ``TrainConfig(precision=...)`` fixes the
  precision; ``fit(plan=...)`` fixes everything; ``NNBOOK_PLAN=fixed`` turns planning off (for
  reproducible benchmarks); :attr:`History.plan` records what was used.
- ``schedule="onecycle"`` warms the learning rate up and anneals it, which reaches a given accuracy
  in fewer epochs than a constant rate.

Runs are reproducible: the seed fixes shuffling and dropout, so two runs on the CPU with the same
seed and the same initial weights give identical histories. The loop draws its random numbers
inside :func:`torch.random.fork_rng`, so it never reseeds anybody else's global generator.

A progress bar (tqdm) is shown when someone is watching: in a terminal, or in a notebook opened in
a Jupyter server. The book build is quiet. ``NNBOOK_PROGRESS=1`` or ``0`` (or ``progress=``)
overrides the guess.

``fit`` takes whole tensors. Classifiers pass integer labels and get a test accuracy per epoch.
Any other model passes its own targets and ``loss_fn``; for example an autoencoder, with no labels
at all::

    history = fit(model, X, X, TrainConfig(num_epochs=5), loss_fn=F.mse_loss,
                  X_test=X_test, y_test=X_test)
    history.test_loss      # reconstruction error on the test images, per epoch
"""

from __future__ import annotations

import copy
import functools
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace

import torch
import torch.nn.functional as F

from nnbook.engine import settings
from nnbook.engine.device import (bf16_supported, cuda_indices, get_device, machine_identity,
                                  seeded)
from nnbook.engine.plan import (Clock, Plan, PlanStore, Problem, Space, choose_plan,
                                note_run_speed, thread_counts, using_threads)

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
PRECISIONS = ("auto", "float32", "bfloat16")


def steps_per_epoch(n_examples: int, batch_size: int) -> int:
    """The number of batches in one pass over ``n_examples``: the last may be smaller."""
    return -(-n_examples // batch_size)  # ceiling division, exact for any integers


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
    precision: str = "auto"  # "auto": the plan's choice, measured on this machine;
    #                          "float32": never cast; "bfloat16": always autocast
    label_smoothing: float = 0.0  # for class labels: the share of the target spread evenly

    def __post_init__(self):
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', not {self.optimizer!r}")
        if self.schedule not in ("constant", "onecycle"):
            raise ValueError(f"schedule must be 'constant' or 'onecycle', not {self.schedule!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {self.precision!r}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), not {self.label_smoothing}")
        if self.num_epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"num_epochs, batch_size and lr must be positive: {self}")


@dataclass
class History:
    """What a run leaves behind for the page: losses, accuracies, time and where it ran."""

    config: dict
    batch_losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)  # mean training loss per epoch
    test_accuracies: list[float] = field(default_factory=list)  # per epoch, given test labels
    test_loss: list[float] = field(default_factory=list)  # after each epoch, if test targets given
    epoch_times: list[float] = field(default_factory=list)  # training seconds so far, per epoch
    wall_time: float = 0.0  # seconds spent training (evaluation excluded)
    device: str = "cpu"
    precision: str = "float32"  # "bfloat16 autocast", or the model's own dtype ("float32", ...)
    channels_last: bool = False
    n_train: int = 0  # training examples per epoch
    plan: dict = field(default_factory=dict)  # the Plan it ran on (Plan.to_dict()); {} if older

    @property
    def examples_per_second(self) -> float:
        """Training throughput: examples seen per second of training."""
        return self.n_train * len(self.epoch_losses) / self.wall_time if self.wall_time else 0.0

    def seconds_to(self, target_accuracy: float) -> float | None:
        """Training seconds until the test accuracy first reached ``target_accuracy`` (at an
        epoch's end), or None if it never did."""
        for seconds, acc in zip(self.epoch_times, self.test_accuracies):
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


def model_accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of rows of ``X`` whose highest-scoring class under ``model`` is the label."""
    y_hat = predict(model, X).argmax(dim=1).cpu()
    return float((y_hat == y.cpu()).float().mean())


def _is_class_labels(y: torch.Tensor) -> bool:
    return y.ndim == 1 and not y.is_floating_point() and not y.is_complex()


def _model_dtype(model: torch.nn.Module) -> torch.dtype:
    return next(model.parameters()).dtype


def autocast_dtype(model: torch.nn.Module, plan: Plan) -> torch.dtype | None:
    """The dtype ``plan`` autocasts ``model``'s forward pass to, or None for no autocast: only a
    float32 model is ever cast (a float64 model stays exactly float64)."""
    return torch.bfloat16 if plan.autocast and _model_dtype(model) == torch.float32 else None


def plan_space(model: torch.nn.Module, X: torch.Tensor, device: torch.device,
               precision: str = "auto") -> Space:
    """The candidates for ``model`` on ``X``: bfloat16 autocast only for float32 models on image
    batches, where the device computes bfloat16 natively (dense toy networks stay exactly
    float32, and emulated bfloat16, many times slower, is not even timed); the layouts only for
    images; thread counts only on the CPU."""
    own = str(_model_dtype(model)).removeprefix("torch.")
    images = X.ndim == 4
    requested: tuple[str, ...] = ()
    if own != "float32":
        precisions = (own,)
    elif precision != "auto":
        precisions, requested = (precision,), ("precision",)
    elif images and bf16_supported(device):
        precisions = ("float32", "bfloat16")
    else:
        precisions = ("float32",)
    available = torch.get_num_threads()
    threads = thread_counts(available) if device.type == "cpu" else (available,)
    return Space(precisions, (True, False) if images else (False,), threads,
                 requested=requested)


def plan_for(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, config: TrainConfig, *,
             loss_fn: LossFn = F.cross_entropy, device: torch.device | None = None,
             store: PlanStore | None = None, clock: Clock = time.perf_counter,
             mode: str | None = None) -> Plan:
    """The plan for training ``model`` on ``(X, y)`` with ``config`` on ``device``: stored for
    this machine, else measured on copies of the model and one batch of the data
    (:func:`nnbook.engine.plan.choose_plan`; ``mode`` defaults to ``$NNBOOK_PLAN``)."""
    device = device if device is not None else get_device()
    problem = Problem.of(model, X, batch_size=config.batch_size, device=device,
                         precision=config.precision, optimizer=config.optimizer)
    steps = config.num_epochs * steps_per_epoch(len(X), config.batch_size)
    trial_config = replace(config, schedule="constant")  # a schedule counts its steps
    X_batch, y_batch = X[:problem.batch_size], y[:problem.batch_size]

    def make_step(plan: Plan) -> Callable[[], None]:
        state = prepare(copy.deepcopy(model), X_batch, y_batch, trial_config, loss_fn=loss_fn,
                        device=device, plan=plan)

        def step() -> None:
            train_step(state, state.X, state.y)
            if device.type == "cuda":
                torch.cuda.synchronize(device)  # the GPU works after the call returns

        return step

    # Dropout in the timed steps draws from torch's generator: leave the caller's as it was.
    with torch.random.fork_rng(devices=cuda_indices(device)):
        return choose_plan(problem, plan_space(model, X, device, config.precision), make_step,
                           steps=steps, machine=machine_identity(device), store=store, clock=clock,
                           mode=mode)


def wants_progress_bar(progress: bool | None = None) -> bool:
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


class Callback:
    """Something told about the loop's progress: override what you need."""

    def on_batch_end(self, state: TrainState) -> None:
        pass

    def on_epoch_end(self, state: TrainState, history: History) -> None:
        pass

    def on_train_end(self, state: TrainState, history: History) -> None:
        pass


class ProgressBar(Callback):
    """A tqdm bar over every batch of the run, with the loss and accuracy of the last epoch."""

    def __init__(self, total: int):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, unit="batch", leave=False)

    def on_batch_end(self, state: TrainState) -> None:
        self.bar.update()

    def on_epoch_end(self, state: TrainState, history: History) -> None:
        summary = {"loss": f"{history.epoch_losses[-1]:.4f}"}
        if history.test_accuracies:
            summary["test_acc"] = f"{history.test_accuracies[-1]:.2%}"
        self.bar.set_postfix(summary)
        self.bar.set_description(f"epoch {len(history.epoch_losses)}/{state.config.num_epochs}")

    def on_train_end(self, state: TrainState, history: History) -> None:
        self.bar.close()


@dataclass
class TrainState:
    """Everything one run needs between its steps, made by :func:`prepare`."""

    model: torch.nn.Module
    X: torch.Tensor
    y: torch.Tensor
    config: TrainConfig
    loss_fn: LossFn
    device: torch.device
    cast: torch.dtype | None  # autocast dtype, or None
    dtype: torch.dtype  # the model's own dtype: the loss is computed in it
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | None
    generator: torch.Generator  # shuffles the examples
    channels_last: bool
    plan: Plan
    step_model: torch.nn.Module  # what the training step calls: the model, or its compilation
    batch_loss: torch.Tensor | None = None  # the last batch's loss, on the device

    @contextmanager
    def running(self) -> Iterator[None]:
        """The block runs on the plan's thread count; torch's is restored after, also on error."""
        with using_threads(self.plan.threads):
            yield

    @property
    def steps_per_epoch(self) -> int:
        return steps_per_epoch(len(self.X), self.config.batch_size)

    @property
    def precision(self) -> str:
        return "bfloat16 autocast" if self.cast is not None else str(self.dtype).removeprefix(
            "torch.")


def prepare(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, config: TrainConfig, *,
            plan: Plan, loss_fn: LossFn = F.cross_entropy,
            device: torch.device | None = None) -> TrainState:
    """Move the model and the data to the device once, apply ``plan`` for precision, layout and
    compilation, and make the optimizer and the schedule. The plan's thread count applies within
    :meth:`TrainState.running`."""
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    smoothed = training_loss(loss_fn, config)  # checked before any planning
    device = device if device is not None else get_device()
    model.to(device)
    X, y = X.to(device), y.to(device)
    loss_fn = smoothed
    cast = autocast_dtype(model, plan)
    channels_last = plan.channels_last and X.ndim == 4
    if channels_last:
        model.to(memory_format=torch.channels_last)
        X = X.contiguous(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, config)
    scheduler = None
    if config.schedule == "onecycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, epochs=config.num_epochs,
            steps_per_epoch=steps_per_epoch(len(X), config.batch_size))
    return TrainState(model=model, X=X, y=y, config=config, loss_fn=loss_fn, device=device,
                      cast=cast, dtype=_model_dtype(model), optimizer=optimizer,
                      scheduler=scheduler, channels_last=channels_last, plan=plan,
                      step_model=torch.compile(model) if plan.compile else model,
                      generator=torch.Generator(device="cpu").manual_seed(config.seed))


def training_loss(loss_fn: LossFn, config: TrainConfig) -> LossFn:
    """The loss the optimiser minimises: ``loss_fn``, with the configuration's label smoothing
    (which only cross-entropy on class labels has; the test loss stays plain)."""
    if not config.label_smoothing:
        return loss_fn
    if loss_fn is not F.cross_entropy:
        raise ValueError("label_smoothing needs loss_fn=F.cross_entropy (class labels), not "
                         f"{getattr(loss_fn, '__name__', loss_fn)!r}")
    return functools.partial(F.cross_entropy, label_smoothing=config.label_smoothing)


def train_step(state: TrainState, X: torch.Tensor,
               y: torch.Tensor) -> torch.Tensor:
    """One optimiser step on the batch ``(X, y)``; returns its loss (0-d,
    on the device)."""
    # A compiled model is compiled for full batches: the last, smaller one
    # runs eagerly, where a new shape would cost a second compile.
    full = len(X) == state.config.batch_size
    model = state.step_model if full else state.model
    with torch.autocast(state.device.type,
                        dtype=state.cast or torch.bfloat16,
                        enabled=state.cast is not None):
        y_hat = model(X)
    # The loss in the model's precision: a bfloat16 sum loses digits.
    loss = state.loss_fn(y_hat.to(state.dtype), y)
    state.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    state.optimizer.step()
    if state.scheduler is not None:
        state.scheduler.step()
    return loss.detach()


def train_epoch(state: TrainState, callbacks: Sequence[Callback] = ()) -> tuple[float, list]:
    """One pass over the shuffled training data. Returns the mean loss and the batch losses
    (0-d tensors on the device: reading them would wait for the device at every step)."""
    X, y, config = state.X, state.y, state.config
    state.model.train()
    order = torch.randperm(len(X), generator=state.generator).to(state.device)
    total = torch.zeros((), device=state.device, dtype=torch.float64)
    batch_losses = []
    for i in range(0, len(X), config.batch_size):
        idx = order[i:i + config.batch_size]
        state.batch_loss = train_step(state, X[idx], y[idx])
        total += state.batch_loss.double() * len(idx)
        batch_losses.append(state.batch_loss)
        for callback in callbacks:
            callback.on_batch_end(state)
    return float(total) / len(X), batch_losses  # float(): the one sync per epoch


@torch.no_grad()
def evaluate(model: torch.nn.Module, X_test: torch.Tensor, y_test: torch.Tensor,
             loss_fn: LossFn = F.cross_entropy) -> tuple[float, float | None]:
    """The test loss and, when ``y_test`` holds class labels, the test accuracy."""
    outputs = predict(model, X_test)
    targets = y_test.to(outputs.device)
    dtype = next(model.parameters()).dtype
    loss = float(loss_fn(outputs.to(dtype), targets))
    if not _is_class_labels(y_test):
        return loss, None
    return loss, float((outputs.argmax(dim=1) == targets).float().mean())


def fit(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, config: TrainConfig, *,
        loss_fn: LossFn = F.cross_entropy, X_test: torch.Tensor | None = None,
        y_test: torch.Tensor | None = None, device: torch.device | None = None,
        progress: bool | None = None, callbacks: Sequence[Callback] = (),
        plan: Plan | None = None) -> History:
    """Train ``model`` in place on ``(X, y)`` and return its history.

    ``X`` and ``y`` are whole tensors (the data set); they are moved to the device once. The model
    keeps its dtype: a float64 model trains in float64, never autocast. For an autoencoder pass
    ``y = X`` and a reconstruction loss. With test data, the history gets the test loss after each
    epoch, and the test accuracy when ``y_test`` holds class labels. ``plan`` fixes how the run
    computes (default: the plan for this machine, :func:`plan_for`); then :func:`fit_planned`
    trains.
    """
    device = device if device is not None else get_device()
    if plan is None:
        plan = plan_for(model, X.to(device), y.to(device), config, loss_fn=loss_fn,
                        device=device)
    history = fit_planned(model, X, y, config, plan, loss_fn=loss_fn, X_test=X_test,
                          y_test=y_test, device=device, progress=progress, callbacks=callbacks)
    report_run_speed(plan, history)
    return history


def fit_planned(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor, config: TrainConfig,
                plan: Plan, *, loss_fn: LossFn = F.cross_entropy,
                X_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None,
                device: torch.device | None = None, progress: bool | None = None,
                callbacks: Sequence[Callback] = ()) -> History:
    """:func:`fit` on a given ``plan``: the training itself, which a stored run's key holds
    (the plan is part of the key; how it was chosen is not)."""
    state = prepare(model, X, y, config, loss_fn=loss_fn, device=device, plan=plan)
    with state.running():
        return _train(state, X_test, y_test, loss_fn, progress, callbacks)


def report_run_speed(plan: Plan, history: History) -> bool:
    """Tell the planner how fast a finished run trained (:func:`nnbook.engine.plan.note_run_speed`):
    a run far slower than its plan measured says the plan was measured under other conditions."""
    steps = len(history.epoch_losses) * steps_per_epoch(history.n_train,
                                                        history.config["batch_size"])
    return note_run_speed(plan, history.wall_time / steps if steps else 0.0, history.wall_time)


def _train(state: TrainState, X_test: torch.Tensor | None, y_test: torch.Tensor | None,
           loss_fn: LossFn, progress: bool | None, callbacks: Sequence[Callback]) -> History:
    """The epochs of :func:`fit`, with evaluation and callbacks, on a prepared state."""
    model, config = state.model, state.config
    history = History(config=asdict(config), device=state.device.type, precision=state.precision,
                      channels_last=state.channels_last, n_train=len(state.X),
                      plan=state.plan.to_dict())
    callbacks = list(callbacks)
    if wants_progress_bar(progress):
        callbacks.append(ProgressBar(config.num_epochs * state.steps_per_epoch))
    batch_losses = []
    # Dropout and any other randomness inside the model draw from torch's global generator:
    # seed it for this run only, and give it back as it was.
    with seeded(config.seed, state.device):
        for _ in range(config.num_epochs):
            start = time.perf_counter()
            epoch_loss, losses = train_epoch(state, callbacks)
            batch_losses += losses
            history.epoch_losses.append(epoch_loss)
            history.wall_time += time.perf_counter() - start
            history.epoch_times.append(history.wall_time)
            if X_test is not None and y_test is not None:
                test_loss, test_accuracy = evaluate(model, X_test, y_test, loss_fn)
                history.test_loss.append(test_loss)
                if test_accuracy is not None:
                    history.test_accuracies.append(test_accuracy)
            for callback in callbacks:
                callback.on_epoch_end(state, history)
    history.batch_losses = [float(v) for v in batch_losses]
    model.eval()
    for callback in callbacks:
        callback.on_train_end(state, history)
    return history
