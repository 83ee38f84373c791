"""The training-loops chapter's speed ladder: from the lecture's training loop to the book's
engine, one step at a time, measured here.

The same network and data, trained by a ladder of :class:`Variant` s, each adding one thing to
the one before (:func:`ladder`):

1. the lecture's loop: a ``DataLoader`` over a data set that makes one example at a time
   (torchvision's ``FashionMNIST`` with ``ToTensor``: a PIL image per example), float32, Adam;
2. the whole data set as one tensor, each batch a slice of it, and the engine's multi-tensor
   Adam update (:func:`nnbook.engine.fit.make_optimizer`);
3. channels-last memory layout, and
4. bfloat16 autocast, each where the engine's planner chose it for the book's run on this
   machine (:mod:`nnbook.engine.plan`); where the plan does without it, the rung is skipped and
   says so;
5. the book's recipe: its larger batch, one-cycle schedule and label smoothing, computed exactly
   as the plan computes the book's run (precision, layout, threads).

**What is measured, and why it does not move with the machine's load.** Two things, apart. Each
rung's *speed*: throwaway copies train in turns, a slice of a few seconds at a time
(:func:`measure_speeds`), so that the machine's load weighs on all of them alike; the images per
second are the median of the turns. And what each rung *learns* in the same time: the budget is
the time the first rung takes for :attr:`AblationConfig.base_images` images at its measured
speed, and every rung then trains, from the same initial weights and on the same shuffled order
of examples, on the number of images its own speed fits into that time (whole batches), and is
tested on the whole test set. Only the ratios of the speeds decide the images, and a busy
machine slows every rung alike, so what each network learns is the same arithmetic on a loaded
machine as on an idle one; the training itself is not timed. A one-cycle schedule spans the
rung's images: at a fraction ``f`` of them, the rate is the rate torch's ``OneCycleLR`` has at a
fraction ``f`` of its steps (:func:`one_cycle`). Every update is the engine's own training step
(:func:`nnbook.engine.fit.train_step`) on a plan that fixes the rung's precision and layout.

What is fastest depends on the machine, so :func:`cached_ablation` keys its stored result on the
machine (:func:`nnbook.engine.device.machine_identity`). The clock is an argument, so that tests
can run the ladder on a fake one.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields, replace

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from nnbook.engine.device import cuda_indices, get_device, machine_identity, seeded
from nnbook.engine.fit import TrainConfig, evaluate, plan_for, prepare, train_step
from nnbook.engine.plan import Plan
from nnbook.engine.runs import (EntryError, RunRecord, RunStore, Trained, cached_run,
                                config_dict, describe_callable)
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
    bf16: bool = False  # bfloat16 autocast
    one_cycle: bool = False  # the rate follows one cycle over the rung's images
    label_smoothing: float = 0.0  # the share of each target spread over the other classes
    threads: int = 0  # CPU threads it computes on; 0: torch's
    skip: str = ""  # why the rung does not run on this machine; "" where it runs


def ladder(lecture: TrainConfig, book: TrainConfig, plan: Plan) -> tuple[Variant, ...]:
    """The five rungs from the lecture's settings to the book's, one change at a time.

    ``plan`` is how the book's run computes on this machine (:func:`nnbook.engine.fit.plan_for`
    for ``book``): the layout and precision rungs run only where it chose them, the last rung
    computes as it does, and every rung on its threads. Each rung that runs changes one thing
    from the last one that ran."""
    loop = Variant("a DataLoader loop", lecture.batch_size, lecture.lr, threads=plan.threads)
    whole = replace(loop, name="one tensor, sliced", from_loader=False, engine_optimizer=True)
    layout = replace(whole, name="channels-last", channels_last=True,
                     skip="" if plan.channels_last else "the engine keeps the contiguous layout here")
    before_half = layout if plan.channels_last else whole
    half = replace(before_half, name="bfloat16 autocast", bf16=True,
                   skip="" if plan.autocast else "the engine keeps float32 here")
    recipe = replace(half if plan.autocast else before_half,
                     name=f"batch {book.batch_size}, one-cycle", batch_size=book.batch_size,
                     lr=book.lr, one_cycle=book.schedule == "onecycle",
                     label_smoothing=book.label_smoothing, skip="")
    return loop, whole, layout, half, recipe


def ladder_for(model_fn: Callable[[], nn.Module], data: TensorData, lecture: TrainConfig,
               book: TrainConfig, *, device: torch.device | None = None
               ) -> tuple[Variant, ...]:
    """:func:`ladder` on this machine: with the plan the engine computes ``book``'s run of
    ``model_fn()`` on ``data`` with (measured once, then stored, as for the run itself)."""
    device = device if device is not None else get_device()
    with seeded(book.seed, device):  # as the run makes its model; torch's generator is left alone
        model = model_fn()
    return ladder(lecture, book, plan_for(model, data.X, data.y, book, device=device))


@dataclass(frozen=True)
class AblationConfig:
    """How the ladder measures: the images that set the budget, the timing, the seed."""

    base_images: int = 12_800  # the first rung's training: its time is every rung's budget
    timing_s: float = 1.5  # seconds of timed training per rung, for its speed
    rounds: int = 3  # the rungs take turns while timed, timing_s / rounds at a time
    seed: int = 0  # initial weights, order of examples, dropout
    warmup_steps: int = 3  # untimed steps before timing: first calls pick kernels

    def __post_init__(self):
        if (self.base_images < 1 or self.timing_s <= 0 or self.rounds < 1
                or self.warmup_steps < 0):
            raise ValueError("base_images, timing_s and rounds must be positive and "
                             f"warmup_steps not negative: {self}")


@dataclass(frozen=True)
class Measured:
    """What one rung did: its speed, the images that speed fits into the budget, and its test
    accuracy after training on them."""

    name: str
    ran: bool  # False: skipped (``note`` says why)
    images: int  # training images: what its speed fits into the budget, in whole batches
    seconds: float  # how long those images take at its measured speed
    images_per_second: float  # measured, in turns with the other rungs
    test_accuracy: float | None  # on the whole test set, after training; None if skipped
    batch_size: int
    precision: str  # "float32" or "bfloat16 autocast"
    channels_last: bool
    note: str = ""

    @classmethod
    def skipped(cls, variant: Variant) -> Measured:
        return cls(variant.name, False, 0, 0.0, 0.0, None, variant.batch_size, "",
                   variant.channels_last, variant.skip)


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
    not change each other's draws. A one-cycle schedule spans ``horizon`` training images.
    """

    def __init__(self, variant: Variant, model: nn.Module, items: Dataset, data: TensorData,
                 *, device: torch.device, seed: int = 0, horizon: int | None = None):
        if variant.one_cycle and not horizon:
            raise ValueError(f"{variant.name}: a one-cycle schedule needs horizon, the "
                             "training images it spans")
        self.variant, self.device, self.horizon = variant, device, horizon
        self.images, self.seconds = 0, 0.0  # trained so far
        with seeded(seed, device):
            self.rng = _rng_state(device)
        self.items = items
        # The engine's state for this variant: the model and the whole data set on the device,
        # in the variant's layout, with the engine's optimizer; the plan fixes what the engine
        # would otherwise measure. The schedule is the variant's own (see step).
        plan = Plan("bfloat16" if variant.bf16 else "float32", variant.channels_last,
                    threads=variant.threads or torch.get_num_threads())
        config = TrainConfig(batch_size=variant.batch_size, lr=variant.lr,
                             label_smoothing=variant.label_smoothing)
        self.state = prepare(model, data.X, data.y, config, device=device, plan=plan)
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
                # A DataLoader, in the shared order. A generator of its
                # own keeps it off torch's global one (dropout's).
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

    def train(self, *, images: int | None = None, seconds: float | None = None,
              clock: Clock = time.perf_counter) -> tuple[int, float]:
        """Train on ``images`` more examples, or for ``seconds`` more on ``clock`` (whichever
        comes first, when both are given); return the images and seconds of this call. Making a
        batch is part of the time: that is where a loader spends it."""
        if seconds is None and images is None:
            raise ValueError("give images, seconds or both")
        seen, elapsed = 0, 0.0
        with torch.random.fork_rng(devices=cuda_indices(self.device)), self.state.running():
            _set_rng_state(self.rng, self.device)
            _sync(self.device)
            start = clock()
            for X, y in self.stream:
                done = self.images + seen
                self.step(X, y, done / self.horizon if self.horizon else 0.0)
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

    def accuracy(self, X_test: torch.Tensor, y_test: torch.Tensor) -> float:
        """Its model's accuracy on the test set, computed on the trainer's threads."""
        with self.state.running():
            return evaluate(self.model, X_test, y_test)[1]


def _make_trainer(variant: Variant, model_fn: Callable[[], nn.Module], items: Dataset,
                  data: TensorData, config: AblationConfig, *, device: torch.device,
                  horizon: int | None = None) -> Trainer:
    """A trainer of ``variant`` from ``model_fn()``'s weights under ``config.seed``: every rung
    starts from the same network."""
    with seeded(config.seed, device):
        model = model_fn()
    return Trainer(variant, model, items, data, device=device, seed=config.seed,
                   horizon=horizon)


def measure_speeds(model_fn: Callable[[], nn.Module], items: Dataset, data: TensorData,
                   variants: Sequence[Variant], config: AblationConfig = AblationConfig(), *,
                   device: torch.device, clock: Clock = time.perf_counter) -> list[float]:
    """The training images per second of each variant (0 for a skipped one), timed on
    throwaway copies after ``config.warmup_steps`` untimed steps each. The variants take turns,
    ``config.rounds`` of them, each ``config.timing_s / config.rounds`` seconds long, so that a
    change in the machine's load weighs on all alike; a variant's speed is its median turn."""
    trainers: dict[int, Trainer] = {}
    for i, variant in enumerate(variants):
        if variant.skip:
            continue
        t = _make_trainer(variant, model_fn, items, data, config, device=device,
                          horizon=config.base_images)
        if config.warmup_steps:
            t.train(images=config.warmup_steps * variant.batch_size)
        trainers[i] = t
    turns: dict[int, list[float]] = {i: [] for i in trainers}
    for _ in range(config.rounds):
        for i, t in trainers.items():
            seen, elapsed = t.train(seconds=config.timing_s / config.rounds, clock=clock)
            turns[i].append(seen / elapsed if elapsed > 0 else math.inf)
    return [statistics.median(turns[i]) if i in turns else 0.0 for i in range(len(variants))]


def images_in_budget(speeds: Sequence[float], variants: Sequence[Variant],
                     base_images: int) -> list[int]:
    """The training images of each variant: what its speed fits, in whole batches (at least
    one), into the time the first variant takes for ``base_images`` at its speed (0 for a
    skipped variant). Only the ratios of the speeds count."""
    if not speeds or speeds[0] <= 0:
        raise ValueError("the first variant must run: its time is the budget")
    budget_s = base_images / speeds[0]
    images = []
    for speed, variant in zip(speeds, variants):
        batches = max(1, round(budget_s * speed / variant.batch_size)) if speed > 0 else 0
        images.append(batches * variant.batch_size)
    return images


def run_ablation(model_fn: Callable[[], nn.Module], items: Dataset, data: TensorData,
                 variants: Sequence[Variant], config: AblationConfig = AblationConfig(), *,
                 device: torch.device | None = None,
                 clock: Clock = time.perf_counter) -> list[Measured]:
    """Every variant's speed, then each trained on the images its speed fits into the budget and
    tested (see the module's docstring). A variant with a ``skip`` reason is skipped."""
    device = device if device is not None else get_device()
    if data.X_test is None or data.y_test is None:
        raise ValueError("the ablation tests every variant: give data with test tensors")
    if variants[0].skip:
        raise ValueError(f"the first variant sets the budget and cannot be skipped: {variants[0]}")
    speeds = measure_speeds(model_fn, items, data, variants, config, device=device, clock=clock)
    images = images_in_budget(speeds, variants, config.base_images)
    results = []
    for variant, speed, n in zip(variants, speeds, images):
        if variant.skip:
            results.append(Measured.skipped(variant))
            continue
        t = _make_trainer(variant, model_fn, items, data, config, device=device, horizon=n)
        t.train(images=n)
        results.append(Measured(
            variant.name, True, n, n / speed, speed, t.accuracy(data.X_test, data.y_test),
            variant.batch_size, "bfloat16 autocast" if variant.bf16 else "float32",
            variant.channels_last))
    return results


# --- the cached ablation -------------------------------------------------------------------------


@dataclass
class Ablation:
    """The measured ladder, where it was measured, and whether it came from the run store."""

    results: list[Measured]
    config: AblationConfig
    machine: dict
    from_cache: bool

    @property
    def budget_s(self) -> float:
        """The training time every rung was given: the first rung's time for its images."""
        return self.results[0].seconds

    def by_name(self, name: str) -> Measured:
        return next(m for m in self.results if m.name == name)


def cached_ablation(model_fn: Callable[[], nn.Module], items: Dataset, data: TensorData,
                    variants: Sequence[Variant], config: AblationConfig = AblationConfig(), *,
                    device: torch.device | None = None, store: RunStore | None = None,
                    this_machine: dict | None = None,
                    clock: Clock = time.perf_counter) -> Ablation:
    """:func:`run_ablation`, or its stored result for this machine, code, data and ladder.

    ``this_machine`` (default :func:`nnbook.engine.device.machine_identity`) is part of the key:
    a measurement is never shown for a machine it was not made on.
    """
    device = device if device is not None else get_device()
    this_machine = this_machine if this_machine is not None else machine_identity(device)
    parts = {"model_fn": describe_callable(model_fn), "config": config_dict(config),
             "variants": [config_dict(v) for v in variants], "items": dataset_digest(items),
             "data": data.checksum, "machine": this_machine}
    names = [v.name for v in variants]

    def check(record: RunRecord) -> None:
        stored = record.history.get("results")
        if not isinstance(stored, list) or [r.get("name") for r in stored] != names:
            raise EntryError(f"it does not hold the variants {names}")
        try:
            [Measured(**r) for r in stored]
        except TypeError as err:
            raise EntryError(f"its results do not read back ({err})") from None

    def train() -> Trained:
        results = run_ablation(model_fn, items, data, variants, config, device=device,
                               clock=clock)
        metrics = {f"{i}_images_per_second": m.images_per_second for i, m in enumerate(results)}
        return Trained(metrics, {"results": [asdict(m) for m in results],
                                 "machine": this_machine}, {},
                       sum(m.seconds for m in results), precision="per variant")

    threads = variants[-1].threads or torch.get_num_threads()
    cached = cached_run("ablation", code=(model_fn, run_ablation), parts=parts,
                        plan=Plan("float32", variants[-1].channels_last, threads=threads,
                                  how="requested"),
                        device=device, train=train, check=check, store=store)
    known = {f.name for f in fields(Measured)}
    results = [Measured(**{k: v for k, v in r.items() if k in known})
               for r in cached.record.history["results"]]
    return Ablation(results, config, this_machine, cached.from_cache)
