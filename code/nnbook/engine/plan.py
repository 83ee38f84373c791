"""How a training run computes on this machine: measured once, stored, reused.

What is fastest depends on the machine, not on a CPU flag: bfloat16 autocast pays on one CPU with
native bfloat16 instructions and gains nothing on another; a second thread halves a convolutional
network's step and makes a 2-4-2 network's step ten times slower. So the engine does what FFTW's
planner and cuDNN's benchmark mode do. For a model, batch size, input shape and device it times a
few optimiser steps of each candidate :class:`Plan` on a copy of the model (warm-up steps not
counted) and keeps the fastest (:func:`choose_plan`). The candidates:

- the thread count: 1, torch's current count, and one between on larger machines (timed first,
  on the default precision and layout);
- float32, or bfloat16 autocast for float32 models on image batches, crossed with channels-last
  or contiguous layout for image batches (4-D inputs);
- ``torch.compile``, tried only for a run long enough that a compile could pay back, and chosen
  only if ``compile time + steps * compiled step < steps * eager step``.

A later candidate replaces an earlier, simpler one only if it is :data:`MARGIN` faster: timing
noise on a busy machine should not flip a plan, and a plan is part of a run's key.

The plan is stored per machine (:func:`nnbook.engine.device.machine_identity`: the CPU's model
and generation, the instructions torch uses and whether bfloat16 is native, the cores and threads,
the GPU's model, the torch version) and problem (:class:`Problem`) as one JSON file under
:func:`nnbook.engine.settings.plan_store_root`, and reused with no timing at all. A damaged file is
reported (the ``nnbook.engine.plan`` logger, :func:`reported_problems`) and measured again; so is
a well-formed entry that names a choice the planner does not offer for the problem (a thread count
outside its range, a precision or layout not among its candidates: :func:`check_entry`), or one
its own timings contradict (a candidate it timed was :data:`MARGIN` faster).

**What a plan was measured under.** An entry records the machine's load when it was measured
(:func:`machine_load`: the load average and the number of CPUs) and the seconds per step of every
candidate. A plan measured on a busy machine (:func:`busy`), or with no record of the load, or one
whose run then trained far slower than its measurement (:func:`note_run_speed`:
:data:`SLOW_FACTOR`), is in doubt: the doubt
is reported, the plan is still used for the rest of the process (a page's runs keep one plan), and
a later process measures it again once the machine is not busy.
``NNBOOK_PLAN=fixed`` turns planning off for reproducible benchmarks (:func:`fixed_plan`);
``NNBOOK_PLAN=measure`` measures again and replaces the stored plan.

This module knows nothing of training: the caller (:func:`nnbook.engine.fit.plan_for`) gives it a
function that makes one optimiser step of a candidate, and a clock, which tests replace.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch

from nnbook.engine import settings, storage

FORMAT = 1  # the layout of a stored plan; bump it when the entry changes
HOWS = ("measured", "stored", "fixed", "requested")
PRECISIONS = ("bfloat16", "float16", "float32", "float64")  # "bfloat16": autocast to it
MARGIN = 0.05  # a later candidate must be this much faster than the best so far
WARMUP_STEPS = 1  # untimed: the first step picks kernels and fills the allocator
MIN_STEPS, MAX_STEPS = 3, 25  # timed steps per candidate: at least 3, more for tiny steps ...
MIN_TIMED_S = 0.02  # ... until they add up to this many seconds
# The least a torch.compile of a training step is taken to cost, in seconds, on a CPU of a few
# cores; a run whose measured eager time cannot repay it is never compiled.
COMPILE_MIN_S = 60.0
COMPILE_BEST_GAIN = 0.25  # the largest share of an eager step a compile is expected to save

# A run whose steps take this many times the planned step is far slower than its plan: measured
# under load, or on another machine's state. Ordinary loop overhead (indexing, the epoch's sums)
# stays well under it; runs shorter than SLOW_CHECK_MIN_S are not judged.
SLOW_FACTOR = 3.0
SLOW_CHECK_MIN_S = 2.0

Clock = Callable[[], float]
Load = Callable[[], tuple[float, int]]  # -> (the 1-minute load average, the number of CPUs)
StepFactory = Callable[["Plan"], Callable[[], None]]  # a candidate -> one optimiser step of it


_report = storage.WarningLog(logging.getLogger(__name__))


def reported_problems() -> list[str]:
    """Every problem with a stored plan met in this process, oldest first (each once)."""
    return list(_report.messages)


@dataclass(frozen=True)
class Plan:
    """How one run computes: precision, memory layout, compilation and threads, and where that
    choice came from (``how``) with the seconds per step of each candidate tried."""

    precision: str = "float32"  # "bfloat16": autocast; else the model's own dtype, never cast
    channels_last: bool = False  # image batches and weights in channels-last layout
    compile: bool = False  # the training step runs a torch.compile of the model
    threads: int = 1  # torch's CPU threads for the run
    how: str = "requested"  # "measured", "stored", "fixed" or "requested" (by the caller)
    requested: tuple[str, ...] = ()  # fields the caller fixed (e.g. TrainConfig.precision)
    batch_size: int = 0  # of the timed steps, for images per second
    seconds_per_step: Mapping[str, float] = field(default_factory=dict, hash=False)  # per label
    compile_seconds: float | None = None  # what compiling cost, where it was tried
    stored_at: str = field(default="", compare=False)  # the plan store's file, if any (not kept)

    def __post_init__(self):
        object.__setattr__(self, "requested", tuple(self.requested))
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {self.precision!r}")
        if self.how not in HOWS:
            raise ValueError(f"how must be one of {HOWS}, not {self.how!r}")
        if not isinstance(self.threads, int) or isinstance(self.threads, bool) or self.threads < 1:
            raise ValueError(f"threads must be a positive integer, not {self.threads!r}")
        if not isinstance(self.channels_last, bool) or not isinstance(self.compile, bool):
            raise ValueError("channels_last and compile must be booleans")

    @property
    def autocast(self) -> bool:
        return self.precision == "bfloat16"

    def key(self) -> dict:
        """What changes a run's result or speed: part of the run key (not how it was chosen)."""
        return {"precision": self.precision, "channels_last": self.channels_last,
                "compile": self.compile, "threads": self.threads}

    def label(self) -> str:
        """The candidate in a few words: ``bfloat16 autocast, channels-last, 2 threads, eager``."""
        precision = "bfloat16 autocast" if self.autocast else self.precision
        if "precision" in self.requested:
            precision += " (requested)"
        layout = "channels-last" if self.channels_last else "contiguous"
        threads = f"{self.threads} thread{'s' if self.threads != 1 else ''}"
        return f"{precision}, {layout}, {threads}, {'compiled' if self.compile else 'eager'}"

    def describe(self) -> str:
        """One line for provenance: the plan and where it came from."""
        source = {"measured": "measured on this machine",
                  "stored": "measured earlier on this machine",
                  "fixed": f"fixed ({settings.PLAN}=fixed)",
                  "requested": "requested by the caller"}[self.how]
        return f"{self.label()}; {source}"

    def measurements(self) -> list[str]:
        """Each candidate tried, with its speed: what the choice was made from."""
        lines = []
        for label, seconds in self.seconds_per_step.items():
            speed = (f"{self.batch_size / seconds:,.0f} images/s" if self.batch_size
                     else f"{seconds * 1e3:.3g} ms/step")
            lines.append(f"{label}: {speed}")
        if self.compile_seconds is not None:
            lines.append(f"compiling took {self.compile_seconds:.1f} s")
        return lines

    def to_dict(self) -> dict:
        d = asdict(self)
        del d["stored_at"]  # where this machine keeps it: no part of a run's record
        d["requested"] = list(self.requested)
        d["seconds_per_step"] = dict(self.seconds_per_step)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Plan:
        """A plan from :meth:`to_dict`'s output; ValueError or TypeError if it is not one."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown plan fields: {sorted(unknown)}")
        plan = cls(**d)
        if not all(isinstance(k, str) and isinstance(v, (int, float))
                   for k, v in plan.seconds_per_step.items()):
            raise ValueError("seconds_per_step must map labels to numbers")
        return plan


def plan_text(run: Any) -> str:
    """The plan of a :class:`~nnbook.engine.fit.History`, a
    :class:`~nnbook.engine.runs.RunRecord` or a dict holding a ``plan``, in one line for
    provenance (``""`` when the run recorded none; a stored plan that does not read back is
    shown as such, never raised from a page's build)."""
    stored = run.get("plan") if isinstance(run, Mapping) else getattr(run, "plan", None)
    if not stored:
        return ""
    try:
        plan = stored if isinstance(stored, Plan) else Plan.from_dict(stored)
    except (TypeError, ValueError):
        return "unreadable plan"
    return plan.describe()


# --- what a plan is for ------------------------------------------------------------------------


def machine_load() -> tuple[float, int]:
    """The 1-minute load average (0 where the system has none) and the number of CPUs."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = 0.0
    return float(load), os.cpu_count() or 1


def busy(load: float, cpus: int) -> bool:
    """Whether other work competed for the CPUs: the load beyond this process's own one runnable
    thread reaches half the CPUs (two busy processes on two cores; nine on sixteen)."""
    return load - 1 >= cpus / 2


@dataclass(frozen=True)
class Problem:
    """What a plan is for: the model's class and parameter shapes, one batch of inputs, the
    device, and what the caller fixed."""

    model: str  # the model class's qualified name
    parameters: str  # a digest of the names, shapes and dtypes of its parameters and buffers
    input_shape: tuple[int, ...]  # one example's shape (no batch dimension)
    dtype: str  # of the inputs
    batch_size: int
    device: str  # "cpu" or "cuda"
    precision: str  # what the caller asked for: "auto", "float32" or "bfloat16"
    optimizer: str
    threads: int  # the most threads the planner may use: torch's count when it planned

    @classmethod
    def of(cls, model: torch.nn.Module, X: torch.Tensor, *, batch_size: int,
           device: torch.device, precision: str = "auto", optimizer: str = "adam") -> Problem:
        cls_ = type(model)
        digest = hashlib.sha256()
        for name, t in (*model.named_parameters(), *model.named_buffers()):
            digest.update(f"{name}{tuple(t.shape)}{t.dtype};".encode())
        return cls(f"{cls_.__module__}.{cls_.__qualname__}", digest.hexdigest(),
                   tuple(X.shape[1:]), str(X.dtype).removeprefix("torch."),
                   min(batch_size, len(X)), device.type, precision, optimizer,
                   torch.get_num_threads())

    def to_dict(self) -> dict:
        return {**asdict(self), "input_shape": list(self.input_shape)}


@dataclass(frozen=True)
class Space:
    """The candidates: the first of each tuple is the default (the fixed plan's choice)."""

    precisions: tuple[str, ...]
    channels_last: tuple[bool, ...]  # the memory layouts to try: channels-last or not
    threads: tuple[int, ...]  # ascending: fewer threads win a tie
    can_compile: bool = True
    requested: tuple[str, ...] = ()


def thread_counts(available: int) -> tuple[int, ...]:
    """The thread counts worth timing: 1, ``available``, and half of it on larger machines."""
    return tuple(sorted({1, max(available // 2, 1), available}))


@contextmanager
def using_threads(threads: int) -> Iterator[None]:
    """Run a block with ``threads`` CPU threads, then restore torch's setting (also on error)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def fixed_plan(space: Space) -> Plan:
    """The plan with planning off: the defaults (float32 or the requested precision,
    channels-last for images), eager, torch's current thread count."""
    return Plan(space.precisions[0], space.channels_last[0], False, torch.get_num_threads(),
                how="fixed", requested=space.requested)


# --- the store -----------------------------------------------------------------------------------


class PlanStore:
    """Stored plans, one JSON file per machine and problem, under ``root`` (default
    :func:`nnbook.engine.settings.plan_store_root`)."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else settings.plan_store_root()

    def path(self, machine: dict, problem: Problem) -> Path:
        blob = json.dumps({"machine": machine, "problem": problem.to_dict()}, sort_keys=True)
        return self.root / f"plan-{hashlib.sha256(blob.encode()).hexdigest()[:32]}.json"

    def load(self, machine: dict, problem: Problem, space: Space | None = None) -> dict | None:
        """The stored entry for ``machine`` and ``problem``, or None when there is none, it is
        damaged, or it names a choice ``space`` does not offer (reported; the caller measures
        again and replaces it)."""
        path = self.path(machine, problem)
        if not path.is_file():
            return None
        try:
            entry = json.loads(path.read_text())
            check_entry(entry, machine, problem, space)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError,
                KeyError, AttributeError) as err:  # unreadable, not JSON, or not a plan
            _report(f"stored plan {path} is unusable ({type(err).__name__}: {err}); the plan is "
                    "measured again and the file replaced")
            return None
        return entry

    def save(self, machine: dict, problem: Problem, entry: dict) -> Path:
        """Write ``entry`` atomically: a temporary file in the same folder, then a rename."""
        path = self.path(machine, problem)
        text = json.dumps({**entry, "format": FORMAT, "machine": machine,
                           "problem": problem.to_dict()}, indent=1, sort_keys=True)
        return storage.write_atomic(path, lambda f: f.write(text.encode()))


def _seconds(value: Any, what: str, *, zero: bool = False) -> float:
    """``value`` if it is a positive number of seconds (or zero, where ``zero``)."""
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not (value >= 0 if zero else value > 0)):
        raise ValueError(f"{what} is not a number of seconds: {value!r}")
    return float(value)


def check_entry(entry: Any, machine: dict, problem: Problem, space: Space | None = None) -> None:
    """Raise ValueError (or TypeError, KeyError) unless ``entry`` is an intact stored plan for
    ``machine`` and ``problem`` whose choice is one of ``space``'s candidates."""
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        raise ValueError(f"not a plan of format {FORMAT}")
    if entry.get("machine") != machine or entry.get("problem") != problem.to_dict():
        raise ValueError("it is the plan of another machine or problem")
    plan = Plan.from_dict(entry["plan"])
    if space is not None:
        offered = {"threads": (plan.threads, space.threads),
                   "precision": (plan.precision, space.precisions),
                   "channels_last": (plan.channels_last, space.channels_last)}
        for name, (value, choices) in offered.items():
            if value not in choices:
                raise ValueError(f"its {name} {value!r} is not one of the planner's candidates "
                                 f"{tuple(choices)!r}")
        if plan.compile or (entry.get("compile") is not None and not space.can_compile):
            raise ValueError("it compiles a run the planner would not compile")
    conditions = entry.get("measured_under")
    if conditions is not None:
        _seconds(conditions["load"], "the load average", zero=True)
        if not isinstance(conditions["cpus"], int) or conditions["cpus"] < 1:
            raise ValueError(f"cpus is not a count of CPUs: {conditions['cpus']!r}")
    slow = entry.get("slow_run")
    if slow is not None:
        _seconds(slow["seconds_per_step"], "the slow run's seconds_per_step")
    _seconds(entry["step_seconds"], "step_seconds")
    for label, seconds in entry["timings"].items():
        _seconds(seconds, f"the time of {label!r}")
    # The planner keeps a candidate only if no other it timed was MARGIN faster: a choice its
    # own timings contradict was not made by it (an edit, or damage), whatever it names.
    chosen, fastest = entry["timings"].get(plan.label()), min(entry["timings"].values(), default=0)
    if chosen is None:
        raise ValueError(f"its choice ({plan.label()}) is not among the candidates it timed")
    if chosen * (1 - MARGIN) > fastest * (1 + 1e-9):
        raise ValueError(f"its choice ({plan.label()}, {chosen * 1e3:.3g} ms a step) is slower "
                         f"than a candidate it timed ({fastest * 1e3:.3g} ms a step)")
    trial = entry.get("compile")
    if trial is not None and not (isinstance(trial, dict) and isinstance(trial.get("failed"), str)):
        _seconds(trial["compile_seconds"], "compile_seconds", zero=True)
        _seconds(trial["step_seconds"], "the compiled step_seconds")


# --- measuring ----------------------------------------------------------------------------------


def time_steps(step: Callable[[], None], clock: Clock, *, warmup: int = WARMUP_STEPS,
               hopeless: float = float("inf")) -> float:
    """The median seconds of one ``step()``, after ``warmup`` untimed ones: at least
    :data:`MIN_STEPS` timed, more for tiny steps, until :data:`MIN_TIMED_S` add up. A candidate
    whose median over those first :data:`MIN_STEPS` steps is slower than ``hopeless`` seconds
    cannot win: it stops there. (One slow step proves nothing: a thread pool waking up, another
    process taking the core for a moment.)"""
    for _ in range(warmup):
        step()
    times: list[float] = []
    while len(times) < MIN_STEPS or (sum(times) < MIN_TIMED_S and len(times) < MAX_STEPS):
        start = clock()
        step()
        times.append(clock() - start)
        if len(times) >= MIN_STEPS and statistics.median(times) > hopeless:
            break
    return statistics.median(times)


def _fastest(timed: list[tuple[Plan, float]]) -> tuple[Plan, float]:
    """The fastest of ``timed`` (in order of preference): a later one wins only by
    :data:`MARGIN`."""
    best = timed[0]
    for candidate in timed[1:]:
        if candidate[1] < best[1] * (1 - MARGIN):
            best = candidate
    return best


def measure_eager(space: Space, make_step: StepFactory, clock: Clock,
                  load: Load = machine_load) -> dict:
    """Time the eager candidates: the thread counts first (on the default precision and layout),
    then precision crossed with layout on the fastest count. Returns a store entry, with the
    machine's load before and after the timing (the higher is kept)."""
    before = load()
    timings: dict[Plan, float] = {}

    def timed(plan: Plan) -> tuple[Plan, float]:
        if plan not in timings:
            # twice as slow as the best so far: a second step would not change the choice
            hopeless = 2 * min(timings.values(), default=float("inf"))
            with using_threads(plan.threads):
                timings[plan] = time_steps(make_step(plan), clock, hopeless=hopeless)
        return plan, timings[plan]

    base = Plan(space.precisions[0], space.channels_last[0], requested=space.requested)
    by_threads = [timed(replace(base, threads=n)) for n in space.threads]
    threads = _fastest(by_threads)[0].threads
    candidates = [replace(base, precision=p, channels_last=layout, threads=threads)
                  for p in space.precisions for layout in space.channels_last]
    best, seconds = _fastest([timed(c) for c in candidates])
    after = load()
    return {"plan": best.to_dict(), "step_seconds": seconds, "compile": None,
            "timings": {plan.label(): t for plan, t in timings.items()},
            "measured_under": {"load": max(before[0], after[0]), "cpus": before[1]}}


def worth_compiling(entry: dict, steps: int, space: Space) -> bool:
    """Whether a compile could pay back in a run of ``steps`` eager steps: only then is it tried
    (a compile costs at least :data:`COMPILE_MIN_S` and saves at most
    :data:`COMPILE_BEST_GAIN` of a step)."""
    eager_run = steps * entry["step_seconds"]
    return (space.can_compile and entry.get("compile") is None
            and eager_run * COMPILE_BEST_GAIN > COMPILE_MIN_S)


@contextmanager
def quiet_compiler() -> Iterator[None]:
    """Keep the compiler's notes (such as inductor's "No CUDA runtime is found" on a CPU
    machine) out of the output of the page that happens to plan a run."""
    names = ("torch.utils.cpp_extension", "torch._inductor", "torch._dynamo")
    loggers = [logging.getLogger(name) for name in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def measure_compile(entry: dict, make_step: StepFactory, clock: Clock) -> dict:
    """Compile the eager plan's step and time it: ``compile_seconds`` is what the first steps
    took beyond their share of the compiled step time."""
    plan = replace(Plan.from_dict(entry["plan"]), compile=True)
    try:
        with using_threads(plan.threads), quiet_compiler():
            step = make_step(plan)
            start = clock()
            for _ in range(1 + WARMUP_STEPS):  # the first call compiles forward and backward
                step()
            first = clock() - start
            seconds = time_steps(step, clock, warmup=0)
    except (RuntimeError, OSError) as err:  # torch._dynamo's errors are RuntimeErrors
        _report(f"torch.compile failed for {plan.label()} ({type(err).__name__}: "
                f"{str(err)[:200]}); the plan stays eager")
        return {"failed": f"{type(err).__name__}: {str(err)[:200]}"}
    return {"compile_seconds": max(first - (1 + WARMUP_STEPS) * seconds, 0.0),
            "step_seconds": seconds}


def plan_from(entry: dict, steps: int, how: str) -> Plan:
    """The plan an entry gives a run of ``steps`` steps: compiled only where the measured
    compile time and step time pay back against the eager step."""
    plan = Plan.from_dict(entry["plan"])
    timings = dict(entry.get("timings", {}))
    trial = entry.get("compile") or {}
    compile_seconds = trial.get("compile_seconds")
    use_compile = False
    if compile_seconds is not None:
        compiled = trial["step_seconds"]
        timings[replace(plan, compile=True).label()] = compiled
        use_compile = compile_seconds + steps * compiled < steps * entry["step_seconds"]
    return replace(plan, compile=use_compile, how=how, seconds_per_step=timings,
                   compile_seconds=compile_seconds)


def doubt(entry: dict) -> str:
    """Why a stored plan may not be this machine's best ('' when nothing says so)."""
    slow = entry.get("slow_run")
    if slow is not None:
        return (f"a run trained at {slow['seconds_per_step'] * 1e3:.3g} ms a step, over "
                f"{SLOW_FACTOR:g} times the {entry['step_seconds'] * 1e3:.3g} ms it was planned at")
    conditions = entry.get("measured_under")
    if conditions is None:  # nothing says it was measured on an idle machine
        return "it holds no record of the load it was measured under"
    if busy(conditions["load"], conditions["cpus"]):
        return (f"it was measured under load (load average {conditions['load']:.2f} on "
                f"{conditions['cpus']} CPUs)")
    return ""


# Plan files this process measured or used: a doubt about one of them waits for a later process,
# so that the runs of one page (one kernel) keep one plan.
_used: set[Path] = set()


def choose_plan(problem: Problem, space: Space, make_step: StepFactory, *, steps: int,
                machine: dict, store: PlanStore | None = None, clock: Clock = time.perf_counter,
                mode: str | None = None, load: Load = machine_load) -> Plan:
    """The plan for ``problem`` on ``machine``: stored, or measured with ``make_step`` on
    ``clock`` and stored. ``mode`` (default ``$NNBOOK_PLAN``): "auto", "fixed" or "measure".
    A stored plan in doubt (:func:`doubt`) is measured again when ``load`` says the machine is
    not busy, unless this process already used it."""
    mode = mode if mode is not None else settings.plan_mode()
    if mode == "fixed":
        return replace(fixed_plan(space), batch_size=problem.batch_size)
    store = store if store is not None else PlanStore()
    path = store.path(machine, problem)
    entry = store.load(machine, problem, space) if mode == "auto" else None
    why = doubt(entry) if entry is not None else ""
    if why and path not in _used:
        if busy(*load()):
            _report(f"stored plan {path} is in doubt ({why}); the machine is busy now, so it is "
                    "kept and measured again on a later run")
        else:
            _report(f"stored plan {path} is in doubt ({why}); it is measured again")
            entry = None
    measured = entry is None
    if entry is None:
        entry = measure_eager(space, make_step, clock, load)
        if busy(entry["measured_under"]["load"], entry["measured_under"]["cpus"]):
            _report(f"the plan for {problem.model}: {doubt(entry)}; it is used, and measured "
                    "again on a later run")
    if worth_compiling(entry, steps, space):
        entry["compile"] = measure_compile(entry, make_step, clock)
        measured = True
    if measured:
        try:
            store.save(machine, problem, entry)
        except storage.StoreNotWritable as err:  # the plan is still good for this process
            _report(f"the plan for {problem.model} is used but not kept: {err}")
    _used.add(path)
    plan = plan_from(entry, steps, "measured" if measured else "stored")
    return replace(plan, batch_size=problem.batch_size, stored_at=str(path))


def note_run_speed(plan: Plan, seconds_per_step: float, run_seconds: float) -> bool:
    """Compare a finished run's seconds per step with what its plan measured; when the run was
    over :data:`SLOW_FACTOR` times slower (and long enough to judge), report it and mark the stored
    plan, which a later process measures again. Returns whether it did."""
    planned = plan.seconds_per_step.get(plan.label())
    if (not plan.stored_at or plan.how not in ("measured", "stored") or not planned
            or run_seconds < SLOW_CHECK_MIN_S or seconds_per_step <= SLOW_FACTOR * planned):
        return False
    path = Path(plan.stored_at)
    try:
        entry = json.loads(path.read_text())
        entry["slow_run"] = {"seconds_per_step": seconds_per_step}
        text = json.dumps(entry, indent=1, sort_keys=True)
        storage.write_atomic(path, lambda f: f.write(text.encode()))
    except (OSError, ValueError) as err:
        _report(f"the plan {path} could not be marked for measuring again ({err})")
    _report(f"a run on the plan {plan.label()} took {seconds_per_step * 1e3:.3g} ms a step, over "
            f"{SLOW_FACTOR:g} times the {planned * 1e3:.3g} ms its plan measured: the plan is "
            "measured again on a later run")
    return True
