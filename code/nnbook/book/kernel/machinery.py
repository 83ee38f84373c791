"""What the chapter "How this book is built" shows of the build's machinery, as tables: the parts
of a training run's key (:mod:`nnbook.engine.runs`) and the candidates its plan was chosen from
(:mod:`nnbook.engine.plan`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

# What each part of a run's key holds (nnbook.engine.runs.train_cached builds them).
KEY_PARTS = {
    "definitions": "where the run's code starts: the model, the loss and what trains",
    "code": "a digest of the nnbook code they can reach, across modules, comments and "
            "docstrings left out",
    "outside_code": "a digest of model code written outside nnbook (none here)",
    "model_fn": "what builds the model",
    "architecture": "its layers, as PyTorch prints them",
    "config": "the hyperparameters",
    "loss_fn": "the loss",
    "data": "a digest of the bytes of the training and test tensors",
    "device": "the type of device",
    "plan": "how each step computes: precision, memory layout, compilation, threads",
}
DIGEST_CHARS = 12  # a digest is shown by its first characters, as git shows a commit


class WholeTable(pd.DataFrame):
    """A table whose cells a page shows whole: pandas cuts every cell at 50 characters when it
    displays a frame ("where the run's code starts: the model, the lo..."), and these cells
    are sentences, already shortened where they should be (:func:`shown`)."""

    @property
    def _constructor(self):
        return WholeTable

    def _repr_html_(self):
        with pd.option_context("display.max_colwidth", None):
            return super()._repr_html_()


def shown(value: Any, width: int = 72) -> str:
    """A key part as a reader reads it: digests shortened, a dict as ``key=value``, the first
    line of a long text."""
    if isinstance(value, Mapping):
        text = ", ".join(f"{k}={v}" for k, v in value.items() if k != "type")
    else:
        text = str(value)
    if len(text) >= 32 and all(c in "0123456789abcdef" for c in text):
        return text[:DIGEST_CHARS] + "…"
    lines = text.splitlines() or [""]
    first = lines[0] + (" …" if len(lines) > 1 else "")
    return first if len(first) <= width else first[:width - 1] + "…"


def key_table(key_parts: Mapping[str, Any]) -> pd.DataFrame:
    """One row per part of a run's key: its name in words (``model_fn`` is "model fn"), its
    value, shortened, and what it holds."""
    rows = [{"part": name.replace("_", " "), "value": shown(value),
             "what it holds": KEY_PARTS.get(name, "")}
            for name, value in key_parts.items()]
    return WholeTable(rows).set_index("part")


def plan_table(plan: Mapping[str, Any]) -> pd.DataFrame:
    """One row per candidate a plan (:meth:`nnbook.engine.plan.Plan.to_dict`) was chosen from,
    fastest first: seconds per training step, images a second, and which one was chosen."""
    from nnbook.engine.plan import Plan  # torch: only when a plan is shown

    chosen = Plan.from_dict(plan)
    rows = [{"candidate": label,
             "ms per step": round(1000 * seconds, 1),
             "images/s": round(chosen.batch_size / seconds) if chosen.batch_size else None,
             "chosen": "yes" if label == chosen.label() else ""}
            for label, seconds in sorted(chosen.seconds_per_step.items(), key=lambda x: x[1])]
    return pd.DataFrame(rows, columns=["candidate", "ms per step", "images/s", "chosen"]
                        ).set_index("candidate")
