"""The training-loops chapter's speed ladder: from the lecture's training loop to the book's
engine, one step at a time, measured here.

The same network and data, trained by a ladder of :class:`Variant` s, each adding one thing to
the one before (:func:`ladder`):

1. the lecture's loop: a ``DataLoader`` over a data set that makes one example at a time
   (torchvision's ``FashionMNIST`` with ``ToTensor``: a PIL image per example), float32, Adam;
2. the whole data set as one tensor, each batch a slice of it, and the engine's multi-tensor
   Adam update (:func:`nnbook.engine.fit.make_optimizer`);
3. channels-last memory layout for the images and the model;
4. bfloat16 autocast, where torch's autocast supports it on the device (every CPU, and GPUs
   with bfloat16: :func:`nnbook.engine.device.autocast_bf16`); elsewhere this step is skipped,
   and says so. Whether it pays is what the rung measures (the engine's planner, which decides
   for the book's runs, measures the same thing: :mod:`nnbook.engine.plan`);
5. the book's larger batch and its one-cycle schedule.

Each variant trains from the same initial weights, on the same shuffled order of examples, for
the same budget of seconds (:class:`AblationConfig`), and is then tested on the whole test set:
what it measures is images per second, and test accuracy after the same training time. The
variants take turns, a slice of the budget at a time, so that the machine's load, which moves
from minute to minute on a shared machine, weighs on all of them alike. Because
the number of steps a budget allows is not known in advance, the one-cycle schedule runs over
time (:func:`one_cycle`): at a fraction ``f`` of the budget, the rate is the rate torch's
``OneCycleLR`` has at a fraction ``f`` of its steps. Every variant's update is the engine's own
training step (:func:`nnbook.engine.fit.train_step`) on a plan that fixes the variant's precision
and layout; what differs is where its batches come from, its optimizer, and its schedule.

What is fastest depends on the machine, so :func:`cached_ablation` keys its stored result on the
machine (:func:`machine`): the device's name, the CPU's name and cores, torch's threads and
version. The clock is an argument, so that tests can run the ladder on a fake one.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields, replace

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from nnbook.engine.device import autocast_bf16, cuda_indices, device_name, get_device, seeded
from nnbook.engine.fit import TrainConfig, evaluate, prepare, train_step
from nnbook.engine.plan import Plan
from nnbook.engine.runs import (EntryError, RunRecord, RunStore, code_parts, config_dict,
                                describe_callable, now)
from nnbook.engine.tensor_data import TensorData, dataset_digest

Clock = Callable[[], float]


@dataclass(frozen=True)
class Variant:
    """One rung of the ladder: how batches are made, and what a training step runs."""

    name: str  # what this rung adds to the one before, for tables and charts
    batch_size: int
    lr: float  # the constant rate, or the peak rate of the one-cycle schedule
    from_loader: bool = True  # DataLoader over one-example-at-a-time items; else tensor slices
    engine_optimizer: bool = False  # the engine's multi-tensor Adam; else torch's default Adam
    channels_last: bool = False
    bf16: bool = False  # bfloat16 autocast (dropped where the device lacks it natively)
    one_cycle: bool = False  # the rate follows one cycle over the time budget


def ladder(lecture: TrainConfig, book: TrainConfig) -> tuple[Variant, ...]:
    """The five rungs from the lecture's settings to the book's, one change at a time."""
    loop = Variant("the lecture's loop", lecture.batch_size, lecture.lr)
    whole = replace(loop, name="one tensor, sliced", from_loader=False, engine_optimizer=True)
    layout = replace(whole, name="channels-last", channels_last=True)
    half = replace(layout, name="bfloat16 autocast", bf16=True)
    book_batch = replace(half, name=f"batch {book.batch_size}, one-cycle",
                         batch_size=book.batch_size, lr=book.lr,
                         one_cycle=book.schedule == "onecycle")
    return loop, whole, layout, half, book_batch


@dataclass(frozen=True)
class AblationConfig:
    """How long each variant trains, and what makes the ladder reproducible."""

    budget_s: float = 6.0  # seconds of training per variant (five of them: half a minute)
    rounds: int = 5  # the variants take turns, budget_s / rounds at a time
    seed: int = 0  # initial weights, order of examples, dropout
    warmup_steps: int = 3  # untimed steps on a throwaway model: first calls pick kernels

    def __post_init__(self):
        if self.budget_s <= 0 or self.rounds < 1 or self.warmup_steps < 0:
            raise ValueError("budget_s and rounds must be positive and warmup_steps not "
                             f"negative: {self}")


@dataclass(frozen=True)
class Measured:
    """What one variant did in its budget: its speed, and its test accuracy afterwards."""

    name: str
    ran: bool  # False: skipped (``note`` says why)
    images: int  # training images processed within the budget
    seconds: float  # training time measured by the clock
    images_per_second: float
    test_accuracy: float | None  # on the whole test set, after training; None if skipped
    batch_size: int
    precision: str  # "float32" or "bfloat16 autocast"
    channels_last: bool
    note: str = ""

    @classmethod
    def skipped(cls, variant: Variant, why: str) -> Measured:
        return cls(variant.name, False, 0, 0.0, 0.0, None, variant.batch_size, "",
                   variant.channels_last, why)


# --- the schedule --------------------------------------------------------------------------------


def one_cycle(fraction: float, peak_lr: float, *, pct_start: float = 0.3,
              div_factor: float = 25.0, final_div_factor: float = 1e4,
              ) -> tuple[float, float]:
    """The learning rate and Adam's first beta at ``fraction`` of a one-cycle run.

    The same curve as torch's ``OneCycleLR`` with its defaults, as a function of the fraction of
    the run instead of a step count: the rate rises from ``peak_lr / div_factor`` to ``peak_lr``
    over the first ``pct_start`` (a cosine), then falls to ``peak_lr / div_factor /
    final_div_factor``; beta1 falls from 0.95 to 0.85 and rises back.
    """
    fraction = min(max(fraction, 0.0), 1.0)
    start_lr, end_lr = peak_lr / div_factor, peak_lr / div_factor / final_div_factor

    def cosine(begin: float, end: float, pct: float) -> float:
        return end + (begin - end) / 2 * (1 + math.cos(math.pi * pct))

    if fraction <= pct_start:
        pct = fraction / pct_start
        return cosine(start_lr, peak_lr, pct), cosine(0.95, 0.85, pct)
    pct = (fraction - pct_start) / (1 - pct_start)
    return cosine(peak_lr, end_lr, pct), cosine(0.85, 0.95, pct)


# --- training one variant ------------------------------------------------------------------------


def _sync(device: torch.device) -> None:
    """Wait for the device: a GPU runs queued work after the Python call returns."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _rng_state(device: torch.device) -> tuple:
    """torch's global random state (the CPU's, and the GPU's on CUDA): what dropout draws on."""
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return torch.get_rng_state(), cuda


def _set_rng_state(state: tuple, device: torch.device) -> None:
    cpu, cuda = state
    torch.set_rng_state(cpu)
    if cuda is not None:
        torch.cuda.set_rng_state(cuda, device)


class Trainer:
    """One variant's model, optimizer and endless stream of batches, ready to train a while,
    and again later: it keeps count of the images and seconds it has trained.

    Each epoch visits the examples in a new order drawn from ``seed``; the loader-based and the
    tensor-based variants draw the same orders, so they see the same batches. Dropout draws on a
    random state of the trainer's own, seeded by ``seed`` too, so that trainers taking turns do
    not change each other's draws. A one-cycle schedule spans ``horizon_s`` seconds of training.
    """

    def __init__(self, variant: Variant, model: nn.Module, items: Dataset, data: TensorData,
                 *, device: torch.device, seed: int = 0, horizon_s: float | None = None):
        if variant.one_cycle and not horizon_s:
            raise ValueError(f"{variant.name}: a one-cycle schedule needs horizon_s, the "
                             "seconds of training it spans")
        self.variant, self.device, self.horizon_s = variant, device, horizon_s
        self.images, self.seconds = 0, 0.0  # trained so far
        with seeded(seed, device):
            self.rng = _rng_state(device)
        self.items = items
        # The engine's state for this variant: the model and the whole data set on the device,
        # in the variant's layout, with the engine's optimizer; the plan fixes what the engine
        # would otherwise measure. The schedule is the variant's own (see step).
        plan = Plan("bfloat16" if variant.bf16 else "float32", variant.channels_last,
                    threads=torch.get_num_threads())
        self.state = prepare(model, data.X, data.y,
                             TrainConfig(batch_size=variant.batch_size, lr=variant.lr),
                             device=device, plan=plan)
        if variant.channels_last:  # also where the data are not images, as a loader's are
            self.model.to(memory_format=torch.channels_last)
        if not variant.engine_optimizer:  # the lecture's: torch's default implementation
            self.state.optimizer = torch.optim.Adam(self.model.parameters(), lr=variant.lr)
        self.generator = torch.Generator().manual_seed(seed)
        self.stream = self.batches()

    @property
    def model(self) -> nn.Module:
        return self.state.model

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self.state.optimizer

    def __len__(self) -> int:
        """The number of training examples."""
        return len(self.items) if self.variant.from_loader else len(self.state.X)

    def batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches on the device, epoch after epoch, without end."""
        size = self.variant.batch_size
        while True:
            order = torch.randperm(len(self), generator=self.generator)
            if self.variant.from_loader:
                # The lecture's loader, in the shared order. A generator
                # of its own keeps it off torch's global one (dropout's).
                loader = DataLoader(self.items, batch_size=size,
                                    sampler=order.tolist(),
                                    generator=torch.Generator())
                for X, y in loader:  # each example made alone, then stacked
                    if self.variant.channels_last:
                        X = X.contiguous(memory_format=torch.channels_last)
                    yield X.to(self.device), y.to(self.device)
                continue
            order = order.to(self.device)
            for i in range(0, len(order), size):
                idx = order[i:i + size]  # a slice: no per-item work
                yield self.state.X[idx], self.state.y[idx]

    def step(self, X: torch.Tensor, y: torch.Tensor,
             fraction: float) -> torch.Tensor:
        """One update on the batch ``(X, y)``, ``fraction`` into the run:
        the engine's step, at the rate of the variant's schedule there."""
        if self.variant.one_cycle:  # the rate for this point of the run
            lr, beta1 = one_cycle(fraction, self.variant.lr)
            for group in self.optimizer.param_groups:
                group["lr"], group["betas"] = lr, (beta1, group["betas"][1])
        self.model.train()
        return train_step(self.state, X, y)

    def train(self, *, seconds: float | None = None, images: int | None = None,
              clock: Clock = time.perf_counter) -> tuple[int, float]:
        """Train ``seconds`` more on ``clock``, or ``images`` more examples (whichever comes
        first, when both are given); return the images and seconds of this call. Making a batch
        is part of the time: that is where a loader spends it."""
        if seconds is None and images is None:
            raise ValueError("give seconds, images or both")
        seen, elapsed = 0, 0.0
        with torch.random.fork_rng(devices=cuda_indices(self.device)):
            _set_rng_state(self.rng, self.device)
            _sync(self.device)
            start = clock()
            for X, y in self.stream:
                done = self.seconds + elapsed
                self.step(X, y, done / self.horizon_s if self.horizon_s else 0.0)
                seen += len(X)
                _sync(self.device)
                elapsed = clock() - start
                if ((seconds is not None and elapsed >= seconds)
                        or (images is not None and seen >= images)):
                    break
            self.rng = _rng_state(self.device)
        self.images += seen
        self.seconds += elapsed
        return seen, elapsed

    def measured(self, X_test: torch.Tensor, y_test: torch.Tensor) -> Measured:
        """What this trainer has done so far, with its model's accuracy on the test set."""
        _, accuracy = evaluate(self.model, X_test, y_test)
        v = self.variant
        return Measured(v.name, True, self.images, self.seconds,
                        self.images / self.seconds if self.seconds else 0.0, accuracy,
                        v.batch_size, "bfloat16 autocast" if v.bf16 else "float32",
                        v.channels_last)


NO_BF16 = "skipped: autocast does not support bfloat16 on this device"


def run_ablation(model_fn: Callable[[], nn.Module], items: Dataset, data: TensorData,
                 variants: Sequence[Variant], config: AblationConfig = AblationConfig(), *,
                 device: torch.device | None = None, bf16: bool | None = None,
                 clock: Clock = time.perf_counter) -> list[Measured]:
    """Every variant trained for the budget and then tested (see the module's docstring).

    The variants take turns: ``config.rounds`` rounds, each giving every variant an equal slice
    of them alike instead of one. ``bf16`` says whether autocast supports bfloat16 on the device
    (default: it is asked). Where it does not, the variant that introduces bfloat16 is skipped,
    and the later ones train without it, as the engine does.
    """
    device = device if device is not None else get_device()
    bf16 = autocast_bf16(device) if bf16 is None else bf16
    if data.X_test is None or data.y_test is None:
        raise ValueError("the ablation tests every variant: give data with test tensors")
    trainers: dict[int, Trainer] = {}
    results: list[Measured | None] = []
    for i, variant in enumerate(variants):
        introduces_bf16 = variant.bf16 and (i == 0 or not variants[i - 1].bf16)
        if introduces_bf16 and not bf16:
            results.append(Measured.skipped(variant, NO_BF16))
            continue
        variant = replace(variant, bf16=variant.bf16 and bf16)
        trainers[i] = trainer(variant, model_fn, items, data, config, device=device)
        results.append(None)
    for _ in range(config.rounds):
        for t in trainers.values():
            t.train(seconds=config.budget_s / config.rounds, clock=clock)
    for i, t in trainers.items():
        results[i] = t.measured(data.X_test, data.y_test)
    return results


def trainer(variant: Variant, model_fn: Callable[[], nn.Module], items: Dataset,
            data: TensorData, config: AblationConfig, *, device: torch.device) -> Trainer:
    """A trainer of ``variant`` for ``config``'s budget, from ``model_fn()``'s weights under
    ``config.seed``, after a few untimed steps of a throwaway copy (first calls pick kernels)."""
    def make() -> Trainer:
        with seeded(config.seed, device):
            model = model_fn()  # the same initial weights for every variant
        return Trainer(variant, model, items, data, device=device, seed=config.seed,
                       horizon_s=config.budget_s)

    if config.warmup_steps:
        make().train(images=config.warmup_steps * variant.batch_size)
    return make()


# --- the cached ablation -------------------------------------------------------------------------


def machine(device: torch.device) -> dict:
    """What the measurements depend on beyond the code and the data: this machine."""
    cpu = torch.device("cpu")
    return {"device": device.type, "name": device_name(device), "cpu": device_name(cpu),
            "cores": os.cpu_count(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "bf16": autocast_bf16(device)}


@dataclass
class Ablation:
    """The measured ladder, where it was measured, and whether it came from the run store."""

    results: list[Measured]
    config: AblationConfig
    machine: dict
    from_cache: bool

    def by_name(self, name: str) -> Measured:
        return next(m for m in self.results if m.name == name)


def cached_ablation(model_fn: Callable[[], nn.Module], items: Dataset, data: TensorData,
                    variants: Sequence[Variant], config: AblationConfig = AblationConfig(), *,
                    device: torch.device | None = None, store: RunStore | None = None,
                    this_machine: dict | None = None, bf16: bool | None = None,
                    clock: Clock = time.perf_counter) -> Ablation:
    """:func:`run_ablation`, or its stored result for this machine, code, data and ladder.

    ``this_machine`` (default :func:`machine`) is part of the key: a measurement is never shown
    for a machine it was not made on.
    """
    device = device if device is not None else get_device()
    store = store if store is not None else RunStore()
    this_machine = this_machine if this_machine is not None else machine(device)
    bf16 = this_machine["bf16"] if bf16 is None else bf16
    key_parts = {**code_parts(model_fn, training_module=__name__),
                 "model_fn": describe_callable(model_fn), "config": config_dict(config),
                 "variants": [config_dict(v) for v in variants], "items": dataset_digest(items),
                 "data": data.checksum, "machine": this_machine, "device": device.type,
                 "bf16": bf16, "precision": "per variant", "channels_last": "per variant"}
    names = [v.name for v in variants]

    def validate(record: RunRecord) -> None:
        stored = record.history.get("results")
        if not isinstance(stored, list) or [r.get("name") for r in stored] != names:
            raise EntryError(f"it does not hold the variants {names}")
        try:
            [Measured(**r) for r in stored]
        except TypeError as err:
            raise EntryError(f"its results do not read back ({err})") from None

    def compute(key: str) -> RunRecord:
        results = run_ablation(model_fn, items, data, variants, config, device=device,
                               bf16=bf16, clock=clock)
        metrics = {f"{i}_images_per_second": m.images_per_second for i, m in enumerate(results)}
        return RunRecord(name="ablation", key=key, metrics=metrics,
                         wall_time=sum(m.seconds for m in results), device=device.type,
                         precision="per variant", channels_last=False,
                         history={"results": [asdict(m) for m in results],
                                  "machine": this_machine},
                         tensors={}, created=now())

    record, from_cache = store.get_or_compute("ablation", key_parts, compute, validate)
    known = {f.name for f in fields(Measured)}
    results = [Measured(**{k: v for k, v in r.items() if k in known})
               for r in record.history["results"]]
    return Ablation(results, config, this_machine, from_cache)
