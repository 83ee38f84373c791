"""The run store: every cached training run of the book, keyed on everything that can change it.

A run (a classifier, an autoencoder, a GAN, any network worth keeping) is stored under a key that
hashes every input that can change its result:

- the configuration, a typed dataclass (``TrainConfig``, ``GANConfig``, ...);
- the content of the data tensors it trains on: a digest of their bytes, never a label;
- the code: the normalised source (comments and docstrings stripped, :mod:`nnbook.engine.sources`)
  of every ``nnbook`` module in the import closure of the model's module and the training
  function's module, as this process executed it (and, for a model created before its module
  was reloaded, the version it was created from too: :func:`code_parts`), plus the source of a
  model defined outside ``nnbook``;
- the torch version, the device type, and the plan (:mod:`nnbook.engine.plan`: precision,
  memory layout, compilation, threads), which is computed, or read from the plan store, first.

Change any of them and the key changes, so the run is trained again; edit a comment or a
docstring and nothing retrains.

Each entry is one file, ``<root>/<name>-<key>.pt``, holding a typed :class:`RunRecord` (metrics,
wall time, device, precision, history) and its tensors, with a digest of all of it. Loading checks
everything: an entry that does not decode, lacks a field, holds tensors of the wrong shape, fails
its digest, or whose metrics are not what its own evidence gives (:func:`check_evidence`: the test
accuracy and loss recomputed from its stored test outputs and the test labels) is reported once
(:func:`reported_problems`, and the ``nnbook.engine.runs`` logger) and trained again; nothing
crashes. What the digest protects against is accidental damage (a truncated copy, a flipped bit,
an entry of another format): it is stored beside the content it covers, so anyone who can write the
store can edit an entry and recompute it. The evidence check catches an edited metric where the
record holds its evidence; nothing here defends against a writer with access to the store. Entries are written to a temporary file
and renamed into place, so a reader (or a second build running at the same time) sees the old entry
or the new one, never half of one.

The store also keeps a log of the runs this process used (:func:`events`): each entry it loaded,
each run it trained. A page's provenance names them (:mod:`nnbook.book.kernel.provenance_record`).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
import pickle
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from nnbook.engine import settings, sources, storage
from nnbook.engine.definitions import reached_digests, reached_names
from nnbook.engine.device import get_device, seeded
from nnbook.engine.ensemble import EnsembleCallback, fit_ensemble
from nnbook.engine.fit import (History, LossFn, TrainConfig, fit_planned, plan_for, predict,
                               report_run_speed)
from nnbook.engine.plan import Plan
from nnbook.engine.tensor_data import TensorData, tensor_digest

# The modules that make keys (importing nnbook records sources through them): they decide what a
# key holds and never run in training, so no run's key holds their code.
KEY_MACHINERY = {"nnbook.engine.sources", "nnbook.engine.definitions"}
FORMAT = 3  # the layout of a stored entry; bump it when RunRecord changes
logger = logging.getLogger(__name__)
_report = storage.WarningLog(logger)


def cache_root() -> Path:
    """``$NNBOOK_CACHE``, else ``~/.cache/nnbook/runs``."""
    return settings.run_store_root()


def reported_problems() -> list[str]:
    """Every problem with a store entry met in this process, oldest first (each once)."""
    return list(_report.messages)


@dataclass(frozen=True)
class RunEvent:
    """A run this process used: its store entry loaded, or the run trained."""

    entry: str  # the entry's file name, ``<name>-<key>.pt``
    how: str  # "loaded" or "trained"


_events: list[RunEvent] = []


def events() -> list[RunEvent]:
    """The runs this process loaded from a store or trained, oldest first."""
    return list(_events)


# --- what goes into a key -----------------------------------------------------------------------


def source_of(obj: Any) -> str:
    """The source of a class or function defined outside ``nnbook`` and torch (for a model
    instance, of its class and bases), which no module digest covers."""
    cls = obj if inspect.isclass(obj) or inspect.isfunction(obj) else type(obj)
    parts = []
    for klass in (cls.__mro__ if inspect.isclass(cls) else (cls,)):
        module = getattr(klass, "__module__", "") or ""
        if module.split(".")[0] in ("torch", "builtins", sources.PACKAGE):
            continue
        try:
            parts.append(inspect.getsource(klass))
        except (OSError, TypeError):
            parts.append(f"{module}.{getattr(klass, '__qualname__', klass)}")
    return "\n".join(parts)


def _defined(obj: Any) -> Any:
    """What defines ``obj``: a partial's function, a method's function, an instance's class."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    if inspect.ismethod(obj):
        obj = obj.__func__
    return obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)


def _entries(obj: Any) -> list[tuple[str, str]]:
    """The ``nnbook`` definitions ``obj`` runs, as (module, top-level name): a class's or
    function's own, a partial's function and arguments', a method's class, an instance's class.
    A function defined inside another counts as that other (its whole body, the function
    among it); a module-level lambda as its whole module (name "*")."""
    while isinstance(obj, functools.partial):
        return [e for part in (obj.func, *obj.args, *obj.keywords.values())
                for e in _entries(part)]
    if inspect.ismethod(obj):
        obj = obj.__self__
    defined = obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)
    module = getattr(defined, "__module__", None) or ""
    if module.split(".")[0] != sources.PACKAGE:
        return []
    top = getattr(defined, "__qualname__", "").split(".")[0]
    return [(module, top if top.isidentifier() else "*")]


def code_parts(*objs: Any) -> dict[str, str]:
    """The code half of a key: a digest of the ``nnbook`` definitions that ``objs`` (the model's
    factory and class, the loss, the function that trains, ...) can reach, followed through
    every name they use across modules, with what each module runs when imported
    (:mod:`nnbook.engine.definitions`, docstrings left out), and the source of whatever ``objs``
    come from outside ``nnbook``. So a run retrains when code it can run changes, and not when
    an error message in a function it never calls does.

    The digest is of the code this process imported and runs, not of the files on disk: when a
    module was edited after it was imported, the run is keyed (and stored) on the code that
    trains it, which no fresh process with the edited files looks up, and the build log says so.

    When a module was executed again since one of ``objs`` was created from it
    (``importlib.reload``), that object runs its own version's code, and looks up the other
    names it uses in the module as it is now: the key holds both versions (``defined_code``),
    which no fresh process reproduces, so the run is neither served to the new code nor taken
    for the old, and the build log says so.
    """
    entries = sorted({entry for obj in objs for entry in _entries(obj)})
    outside = "\n".join(source_of(o) for o in objs if not _entries(o))
    older = sources.defining_sources(_defined(o) for o in objs)
    modules = sorted({module for module, _ in entries})
    changed = sources.changed_since_import(sources.closure(modules, as_imported=True))
    if changed:
        _report(f"{', '.join(changed)} changed on disk after this process imported "
                f"{'it' if len(changed) == 1 else 'them'}: the run is keyed and stored on the code "
                "as imported, which is what trains it, not on the files; restart the kernel (or "
                "the build) to train the edited code")
    if older:
        _report(f"{', '.join(sorted(older))} {'was' if len(older) == 1 else 'were'} executed "
                "again (reloaded) after the model or loss function of this run was created from "
                "an earlier version: the run is keyed on both versions, which no fresh process "
                "reproduces; create them again from the reloaded module, or restart the kernel")
    uses = [f"import {m} as _m{i}\n_m{i}" if name == "*" else f"from {m} import {name}\n{name}"
            for i, (m, name) in enumerate(entries)]

    def digest(pinned: Mapping[str, str] | None = None) -> str:
        reached = reached_digests(uses, as_imported=True, pinned=pinned, docstrings=False)
        kept = {m: d for m, d in reached.items() if m not in KEY_MACHINERY}
        return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()

    parts = {"definitions": ",".join(f"{m}.{name}" for m, name in entries), "code": digest(),
             "outside_code": hashlib.sha256(outside.encode()).hexdigest()}
    if older:  # only then: every other run keeps its key
        parts["defined_code"] = digest(older)
    return parts


def code_reach(definitions: str) -> dict[str, list[str]]:
    """What a key's code part covers, for a reader: from the ``definitions`` part of a key
    (``module.name`` entries, comma-separated), the definitions reached in each module, where
    there are any (imports and private names left out; the modules that make keys, which no key
    holds, left out too)."""
    uses = []
    for i, entry in enumerate(filter(None, definitions.split(","))):
        module, _, name = entry.rpartition(".")
        uses.append(f"import {module} as _m{i}\n_m{i}" if name == "*"
                    else f"from {module} import {name}\n{name}")
    return {m: names for m, names in reached_names(uses).items()
            if names and m not in KEY_MACHINERY}


def describe_callable(fn: Callable) -> str:
    """A stable name for a model factory or loss function, with a partial's arguments."""
    if isinstance(fn, functools.partial):
        return f"{describe_callable(fn.func)}(*{fn.args!r}, **{sorted(fn.keywords.items())!r})"
    module = getattr(fn, "__module__", "") or type(fn).__module__
    return f"{module}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"


def config_dict(config: Any) -> dict:
    """A configuration as a plain dict, with its type's name: only typed dataclasses are keys."""
    if not is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"a run's configuration must be a dataclass instance, not {type(config)}")
    return {"type": type(config).__qualname__, **asdict(config)}


def run_key(parts: Mapping[str, Any]) -> str:
    """A digest of ``parts`` (plain JSON values) with the store's format and the torch version."""
    blob = json.dumps({"format": FORMAT, "torch": torch.__version__, **parts}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


# --- the record ---------------------------------------------------------------------------------


class EntryError(ValueError):
    """A store entry is unreadable or not what its key promises."""


@dataclass
class RunRecord:
    """One stored run: what it measured, where and how it ran, and its tensors."""

    name: str
    key: str
    metrics: dict[str, float]  # final results, e.g. test_accuracy, test_loss
    wall_time: float  # seconds of training
    device: str  # "cpu" or "cuda"
    precision: str  # "bfloat16 autocast", "float32", "float64", ...
    channels_last: bool
    history: dict  # the run's history, as plain JSON values
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)  # weights, outputs, snapshots
    created: str = ""  # when it was trained, UTC
    plan: dict = field(default_factory=dict)  # the engine's Plan (Plan.to_dict()); {}: none

    def meta(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "tensors"}

    def digest(self) -> str:
        """A digest of every field and every tensor, stored with the record and checked on load."""
        digest = hashlib.sha256(json.dumps(self.meta(), sort_keys=True).encode())
        for name in sorted(self.tensors):
            digest.update(name.encode())
            digest.update(tensor_digest(self.tensors[name]).encode())
        return digest.hexdigest()

    def subset(self, prefix: str) -> dict[str, torch.Tensor]:
        """The tensors stored under ``prefix.`` (for example a model's weights), without it."""
        start = len(prefix) + 1
        return {k[start:]: v for k, v in self.tensors.items() if k.startswith(prefix + ".")}


_FIELD_TYPES = {"name": str, "key": str, "metrics": dict, "wall_time": (int, float), "device": str,
                "precision": str, "channels_last": bool, "history": dict, "created": str,
                "plan": dict}


def decode(blob: Any, key: str) -> RunRecord:
    """A :class:`RunRecord` from what ``torch.load`` returned; :class:`EntryError` if it is not
    a complete, intact record of ``key``."""
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise EntryError(f"not a run record of format {FORMAT}")
    meta, tensors = blob.get("meta"), blob.get("tensors")
    if not isinstance(meta, str) or not isinstance(tensors, dict):
        raise EntryError("the record has no meta or no tensors")
    try:
        meta = json.loads(meta)
    except json.JSONDecodeError as err:
        raise EntryError(f"its metadata is not JSON ({err})") from None
    missing = [name for name in _FIELD_TYPES if name not in meta]
    if missing:
        raise EntryError(f"fields missing: {', '.join(missing)}")
    wrong = [name for name, kind in _FIELD_TYPES.items() if not isinstance(meta[name], kind)]
    if wrong:
        raise EntryError(f"fields of the wrong type: {', '.join(wrong)}")
    if not all(isinstance(v, torch.Tensor) for v in tensors.values()):
        raise EntryError("a stored tensor is not a tensor")
    record = RunRecord(**{k: meta[k] for k in _FIELD_TYPES}, tensors=tensors)
    if record.key != key:
        raise EntryError(f"it holds run {record.key}, not {key}")
    if blob.get("digest") != record.digest():
        raise EntryError("its content does not match the digest stored with it "
                         "(edited or damaged)")
    return record


def read_record(path: Path) -> RunRecord | None:
    """The record in a store entry, whatever its key (for reports), or None if it is not an intact
    record."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        key = json.loads(blob["meta"])["key"]
        return decode(blob, key)
    except (OSError, EOFError, RuntimeError, ValueError, pickle.UnpicklingError, KeyError,
            TypeError, AttributeError, ImportError, IndexError):
        return None


def check_tensors(record: RunRecord, expected: Mapping[str, tuple[tuple[int, ...], torch.dtype]]
                  ) -> None:
    """Raise :class:`EntryError` unless ``record`` holds exactly the ``expected`` tensors (name:
    shape and dtype), for example a fresh model's weights."""
    missing = sorted(set(expected) - set(record.tensors))
    if missing:
        raise EntryError(f"tensors missing: {', '.join(missing[:5])}")
    for name, (shape, dtype) in expected.items():
        t = record.tensors[name]
        if tuple(t.shape) != tuple(shape) or t.dtype != dtype:
            raise EntryError(f"tensor {name} is {tuple(t.shape)} {t.dtype}, expected "
                             f"{tuple(shape)} {dtype}")


def expect_state(model: torch.nn.Module, prefix: str = "weights") -> dict:
    """The shapes and dtypes a stored copy of ``model``'s state must have."""
    return {f"{prefix}.{k}": (tuple(v.shape), v.dtype) for k, v in model.state_dict().items()}


def state_tensors(model: torch.nn.Module, prefix: str = "weights") -> dict[str, torch.Tensor]:
    """``model``'s state as CPU tensors under ``prefix.``, ready to store."""
    return {f"{prefix}.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}


# --- the store ----------------------------------------------------------------------------------


class RunStore:
    """Run records, one file per key, under ``root`` (default :func:`cache_root`)."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else cache_root()

    def path(self, name: str, key: str) -> Path:
        """Where the entry of ``key`` lives: ``<root>/<name>-<key>.pt``, ``name`` kept to letters,
        digits, "-" and "_" (:data:`nnbook.engine.storage.RUN_ENTRY`, by which ``cache prune``
        tells the store's files from others)."""
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
        return self.root / f"{safe}-{key}.pt"

    def load(self, name: str, key: str,
             validate: Callable[[RunRecord], None] | None = None) -> RunRecord | None:
        """The intact record of ``key``, or None (reported) when it is absent or fails a check;
        ``validate`` adds the caller's own checks (it raises :class:`EntryError`)."""
        path = self.path(name, key)
        if self.root.is_dir():
            storage.remove_stale_temporaries(self.root)
        if not path.is_file():
            return None
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, EOFError, RuntimeError, ValueError, pickle.UnpicklingError, KeyError,
                TypeError, AttributeError, ImportError, IndexError) as err:
            # what torch.load raises on a truncated, foreign or unsafe file
            self._bad(path, f"it does not decode ({type(err).__name__})")
            return None
        try:
            record = decode(blob, key)
            if validate is not None:
                validate(record)
        except EntryError as err:
            self._bad(path, str(err))
            return None
        return record

    @staticmethod
    def _bad(path: Path, why: str) -> None:
        _report(f"run store entry {path} is unusable: {why}; the run is trained again and the "
                "entry replaced")

    def save(self, record: RunRecord) -> Path:
        """Write ``record`` atomically (:func:`nnbook.engine.storage.write_atomic`); a folder
        that cannot be written raises :class:`~nnbook.engine.storage.StoreNotWritable`."""
        blob = {"format": FORMAT, "meta": json.dumps(record.meta(), sort_keys=True),
                "tensors": record.tensors, "digest": record.digest()}
        return storage.write_atomic(self.path(record.name, record.key),
                                    lambda f: torch.save(blob, f))

    def get_or_compute(self, name: str, key_parts: Mapping[str, Any],
                       compute: Callable[[str], RunRecord],
                       validate: Callable[[RunRecord], None] | None = None,
                       ) -> tuple[RunRecord, bool]:
        """The stored record for ``key_parts``, or ``compute(key)``'s, stored; noted in
        :func:`events` either way. Returns ``(record, from_cache)``."""
        key = run_key({"name": name, **key_parts})
        entry = self.path(name, key).name
        record = self.load(name, key, validate)
        if record is not None:
            _events.append(RunEvent(entry, "loaded"))
            return record, True
        record = compute(key)
        if validate is not None:
            validate(record)  # a run that fails its own checks is a bug: never store it
        _events.append(RunEvent(entry, "trained"))
        try:
            self.save(record)
        except storage.StoreNotWritable as err:  # the run is shown all the same
            _report(f"run {name} was trained but not kept: {err}")
        return record, False


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- the one way a run is cached ----------------------------------------------------------------


@dataclass
class Trained:
    """What a run's training leaves for the store: its final metrics, its history (plain JSON
    values), its tensors (weights, outputs, snapshots) and its seconds of training."""

    metrics: dict[str, float]
    history: dict
    tensors: dict[str, torch.Tensor]
    wall_time: float
    precision: str | None = None  # where the plan's does not say it ("per variant")


def run_training(train: Callable[[], Trained]) -> Trained:
    """Where every cached run trains: ``train()``. (Tests that must load, never train, guard
    this one function.)"""
    return train()


def requested_plan(precision: str = "float32") -> Plan:
    """The plan of a run the planner does not choose (a GAN, a loop written out by hand): in its own
    precision, contiguous, eager, on torch's threads now, which are part of its key."""
    return Plan(precision, False, threads=torch.get_num_threads(), how="requested")


@dataclass
class Cached:
    """A run from :func:`cached_run`: its record, whether it came from the store, and its key's
    parts (for a page that shows what a key holds)."""

    record: RunRecord
    from_cache: bool
    key_parts: dict


def cached_run(name: str, *, code: Iterable[Any], parts: Mapping[str, Any], plan: Plan,
               device: torch.device, train: Callable[[], Trained],
               check: Callable[[RunRecord], None] | None = None,
               store: RunStore | None = None) -> Cached:
    """The stored run keyed on ``code`` (what trains: :func:`code_parts`), ``parts`` (the
    configuration and digests of the data, as plain JSON values), the device type and ``plan``
    (how each step computes); or ``train()``'s, stored. ``check`` adds the caller's own checks of
    a stored record (it raises :class:`EntryError`; a record that fails is trained again, and a
    freshly trained one that fails is a bug, never stored).

    Every kind of cached run goes through here: the engine's fit (:func:`train_cached`),
    ensembles, GANs, loops written out by hand, measurements such as the speed ladder."""
    store = store if store is not None else RunStore()
    key_parts = {**code_parts(*code), **parts, "device": device.type, "plan": plan.key()}

    def compute(key: str) -> RunRecord:
        trained = run_training(train)
        return RunRecord(name=name, key=key, metrics=trained.metrics,
                         wall_time=trained.wall_time, device=device.type,
                         precision=trained.precision or ("bfloat16 autocast" if plan.autocast
                                                         else plan.precision),
                         channels_last=plan.channels_last, history=trained.history,
                         tensors=trained.tensors, created=now(), plan=plan.to_dict())

    record, from_cache = store.get_or_compute(name, key_parts, compute, check)
    return Cached(record, from_cache, key_parts)


# --- cached runs of the training loop -------------------------------------------------------------


@dataclass
class Run:
    """A finished training run: the trained model (in evaluation mode), its history, and the
    model's outputs on the test inputs (logits for a classifier), on the CPU."""

    model: torch.nn.Module
    history: History
    test_outputs: torch.Tensor | None
    from_cache: bool
    key_parts: dict
    record: RunRecord | None = None

    @property
    def test_predictions(self) -> torch.Tensor:
        """The predicted class of every test example (for a classifier)."""
        if self.test_outputs is None:
            raise ValueError("this run had no test inputs")
        return self.test_outputs.argmax(dim=1)


def _metrics(history: History) -> dict[str, float]:
    metrics = {"train_loss": history.epoch_losses[-1]}
    if history.test_loss:
        metrics["test_loss"] = history.test_loss[-1]
    if history.test_accuracies:
        metrics["test_accuracy"] = history.test_accuracies[-1]
    return metrics


def check_evidence(metrics: Mapping[str, float], outputs: torch.Tensor, y_test: torch.Tensor,
                   loss_fn: LossFn) -> None:
    """Raise :class:`EntryError` unless the stored test metrics are what the record's own test
    outputs give against the test labels (or targets): the accuracy to within one example, the
    loss to a thousandth (the outputs are kept in float32, and computed on the run's threads)."""
    targets = y_test.to(outputs.device)
    if "test_accuracy" in metrics and y_test.ndim == 1 and not y_test.is_floating_point():
        measured = float((outputs.argmax(dim=1) == targets).float().mean())
        if abs(measured - metrics["test_accuracy"]) > 1.5 / len(y_test):
            raise EntryError(f"its test accuracy {metrics['test_accuracy']:.4f} is not what its "
                             f"own test outputs give ({measured:.4f})")
    if "test_loss" in metrics:
        with torch.no_grad():
            loss = float(loss_fn(outputs.to(torch.float64) if outputs.is_floating_point()
                                 else outputs, targets.to(torch.float64)
                                 if targets.is_floating_point() else targets))
        if abs(loss - metrics["test_loss"]) > 1e-3 * max(abs(loss), 1e-3):
            raise EntryError(f"its test loss {metrics['test_loss']:.6g} is not what its own test "
                             f"outputs give ({loss:.6g})")


def train_cached(model_fn: Callable[[], torch.nn.Module], data: TensorData, config: TrainConfig, *,
                 loss_fn: LossFn = torch.nn.functional.cross_entropy, name: str | None = None,
                 device: torch.device | None = None, store: RunStore | None = None,
                 progress: bool | None = None) -> Run:
    """Train ``model_fn()`` on ``data`` with :func:`nnbook.engine.fit.fit`, or load the identical
    run from the run store.

    ``model_fn`` builds a fresh model (a model class, or a function returning one); it is called
    with torch's generators seeded by ``config.seed``, so the initial weights are part of the
    run. ``name`` labels the store entry (default: the model's class name). The module docstring
    says what the key holds.
    """
    if not isinstance(data, TensorData):
        data = TensorData.from_images(data)
    device = device if device is not None else get_device()
    with seeded(config.seed, device):
        model = model_fn()
    name = name or type(model).__name__
    plan = plan_for(model, data.X, data.y, config, loss_fn=loss_fn, device=device)
    parts = {"model_fn": describe_callable(model_fn), "architecture": repr(model),
             "config": config_dict(config), "loss_fn": describe_callable(loss_fn),
             "data": data.checksum}
    expected = expect_state(model)
    n_test = None if data.X_test is None else len(data.X_test)

    def check(record: RunRecord) -> None:
        check_tensors(record, expected)
        outputs = record.tensors.get("test_outputs")
        if (outputs is None) != (n_test is None) or (outputs is not None
                                                      and len(outputs) != n_test):
            raise EntryError(f"its test outputs do not cover the {n_test} test inputs")
        try:
            history = History.from_dict(record.history)
        except TypeError as err:
            raise EntryError(f"its history does not read back ({err})") from None
        if len(history.epoch_losses) != config.num_epochs:
            raise EntryError(f"its history has {len(history.epoch_losses)} epochs, not "
                             f"{config.num_epochs}")
        if record.metrics != _metrics(history):
            raise EntryError("its metrics disagree with its history")
        if outputs is not None and data.y_test is not None:
            check_evidence(record.metrics, outputs, data.y_test, loss_fn)

    def train() -> Trained:
        history = fit_planned(model, data.X, data.y, config, plan, loss_fn=loss_fn,
                              X_test=data.X_test, y_test=data.y_test, device=device,
                              progress=progress)
        report_run_speed(plan, history)
        tensors = state_tensors(model)
        if data.X_test is not None:
            tensors["test_outputs"] = predict(model, data.X_test).float().cpu()
        return Trained(_metrics(history), asdict(history), tensors, history.wall_time)

    cached = cached_run(name, code=(model_fn, model, loss_fn, fit_planned), parts=parts,
                        plan=plan, device=device, train=train, check=check, store=store)
    record, from_cache = cached.record, cached.from_cache
    if from_cache:
        model.load_state_dict(record.subset("weights"))
        model.to(device)
        if plan.channels_last and data.X.ndim == 4:
            model.to(memory_format=torch.channels_last)
    model.eval()
    return Run(model=model, history=History.from_dict(record.history),
               test_outputs=record.tensors.get("test_outputs"), from_cache=from_cache,
               key_parts=cached.key_parts, record=record)


# --- cached ensembles: many small runs trained as one ------------------------------------------

Recorder = Callable[..., dict]  # (ensemble, epoch) -> tensors to keep at that epoch


def train_ensemble_cached(model_fn: Callable[[int], torch.nn.Module], data: TensorData,
                          configs: list[TrainConfig], *, name: str,
                          loss_fn: LossFn = torch.nn.functional.cross_entropy,
                          record: Recorder | None = None, device: torch.device | None = None,
                          store: RunStore | None = None) -> tuple[list[Run], dict]:
    """:func:`nnbook.engine.ensemble.fit_ensemble` over the models ``model_fn(config.seed)``, one
    per configuration, or the identical ensemble from the run store: one entry for all members.

    ``record``, if given, is called with the ensemble and the epoch before training and after
    each epoch, and returns tensors to keep (the frames of a replay, say); they come back stacked
    over the epochs, in the second value returned. Each member comes back as the :class:`Run`
    it would have been on its own (model, history, test outputs).
    """
    device = device if device is not None else get_device()
    models = [model_fn(config.seed) for config in configs]
    dtype = str(next(models[0].parameters()).dtype).removeprefix("torch.")
    plan = Plan(dtype, False, threads=1, how="requested")  # small networks: one thread
    parts = {"model_fn": describe_callable(model_fn), "architecture": repr(models[0]),
             "configs": [config_dict(c) for c in configs], "loss_fn": describe_callable(loss_fn),
             "record": describe_callable(record) if record else None, "data": data.checksum}
    expected = {k: v for i, m in enumerate(models)
                for k, v in expect_state(m, f"m{i}.weights").items()}
    n_test = None if data.X_test is None else len(data.X_test)

    def check(stored: RunRecord) -> None:
        check_tensors(stored, expected)
        members = stored.history.get("members")
        if not isinstance(members, list) or len(members) != len(configs):
            raise EntryError(f"it does not hold {len(configs)} members")
        for i, kept in enumerate(members):
            try:
                history = History.from_dict(kept)
            except TypeError as err:
                raise EntryError(f"member {i}'s history does not read back ({err})") from None
            if len(history.epoch_losses) != configs[i].num_epochs:
                raise EntryError(f"member {i} has {len(history.epoch_losses)} epochs")
            outputs = stored.tensors.get(f"m{i}.test_outputs")
            if (outputs is None) != (n_test is None) or (outputs is not None
                                                          and len(outputs) != n_test):
                raise EntryError(f"member {i}'s test outputs do not cover the test inputs")
            if stored.metrics.get(f"m{i}.test_accuracy") != (history.test_accuracies or [None])[-1]:
                raise EntryError(f"member {i}'s metrics disagree with its history")
            if outputs is not None and data.y_test is not None and history.test_accuracies:
                check_evidence({"test_accuracy": history.test_accuracies[-1]}, outputs,
                               data.y_test, loss_fn)

    def train() -> Trained:
        recorded: dict[str, list[torch.Tensor]] = {}

        class Record(EnsembleCallback):
            def on_epoch_end(self, ensemble, epoch: int) -> None:
                for k, v in record(ensemble, epoch).items():
                    recorded.setdefault(k, []).append(torch.as_tensor(v).detach().cpu())

        histories, ensemble = fit_ensemble(
            models, data.X, data.y, configs, loss_fn=loss_fn, X_test=data.X_test,
            y_test=data.y_test, device=device, threads=plan.threads,
            callbacks=[Record()] if record else ())
        tensors, metrics = {}, {}
        for i, history in enumerate(histories):
            member = ensemble.member(i)
            tensors.update(state_tensors(member, f"m{i}.weights"))
            if data.X_test is not None:
                tensors[f"m{i}.test_outputs"] = predict(member, data.X_test).float().cpu()
            metrics[f"m{i}.test_accuracy"] = (history.test_accuracies or [None])[-1]
        tensors.update({f"recorded.{k}": torch.stack(v) for k, v in recorded.items()})
        return Trained(metrics, {"members": [asdict(h) for h in histories]}, tensors,
                       sum(h.wall_time for h in histories))

    cached = cached_run(name, code=(model_fn, models[0], loss_fn, fit_ensemble,
                                    *([record] if record else [])),
                        parts=parts, plan=plan, device=device, train=train, check=check,
                        store=store)
    stored, runs = cached.record, []
    for i, (model, history) in enumerate(zip(models, stored.history["members"])):
        model.load_state_dict(stored.subset(f"m{i}.weights"))
        runs.append(Run(model=model.to(device).eval(), history=History.from_dict(history),
                        test_outputs=stored.tensors.get(f"m{i}.test_outputs"),
                        from_cache=cached.from_cache, key_parts=cached.key_parts,
                        record=stored))
    return runs, stored.subset("recorded")
