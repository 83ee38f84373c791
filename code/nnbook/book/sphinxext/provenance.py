"""Provenance: how each executed page was computed, in a line under the page.

Hidden cells travel with each page that has code (added with the fingerprint in
``source-read``, :mod:`nnbook.book.sphinxext.fingerprints`; tagged ``remove-cell``; stripped from
the notebooks readers download, :mod:`nnbook.book.sphinxext.downloads`). Each is one import and
one call of :mod:`nnbook.book.kernel.provenance_record` in the page's kernel: ``start()`` before the
first code cell of a page that trains, and ``glue_record()`` after the last, which glues the
record.

After a page is parsed (``doctree-read``), :class:`ProvenanceCollector` reads the record back from
myst-nb's glue file, adds myst-nb's execution data (run time) and a summary of each training run
the page used (read from the run store) and keeps it in the environment, where the execution
report (:mod:`nnbook.book.sphinxext.execution_report`) finds every page's; a page executed in
this build also has its run store problems logged, once each, at INFO. Then the provenance block
is appended to the page: a line on the machine, the code and the page's execution, and the
training runs the page shows, each with how long it trained, when, and whether the execution
trained it or loaded it (a loaded run's training time is not in the page's execution time). Whether a page executed in this build is decided by its kernel's clock
(:func:`executed_in_build`).
"""

from __future__ import annotations

import math
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment.collectors import EnvironmentCollector
from sphinx.util import logging

from nnbook.book.kernel.provenance_record import read_record

logger = logging.getLogger(__name__)

PROVENANCE_MARK = "# nnbook provenance"
START_SOURCE = f"""{PROVENANCE_MARK}: the engine's problems go to the build log, not the page.
import nnbook.book.kernel.provenance_record as _nnbook_provenance
_nnbook_provenance.start()"""
RECORD_SOURCE = f"""{PROVENANCE_MARK}: what computed this page, read back by the build.
import nnbook.book.kernel.provenance_record as _nnbook_provenance
_nnbook_provenance.glue_record()"""


def hidden_cell(source: str) -> str:
    """A MyST code cell the reader never sees."""
    return f"```{{code-cell}} ipython3\n:tags: [remove-cell]\n\n{source}\n```\n"


def add_cells(text: str, first_code_line: int, trains: bool) -> tuple[str, list[str]]:
    """``text`` with the provenance cells added (the start cell before the code cell whose fence
    is on line ``first_code_line``, for a page that ``trains``; the record cell at the end), and
    the sources of the cells added."""
    added = [RECORD_SOURCE]
    if trains:
        added.insert(0, START_SOURCE)
        lines = text.splitlines(keepends=True)
        before, after = lines[: first_code_line - 1], lines[first_code_line - 1:]
        text = "".join(before) + hidden_cell(START_SOURCE) + "\n" + "".join(after)
    return text.rstrip("\n") + "\n\n" + hidden_cell(RECORD_SOURCE), added


# --- the record, read back --------------------------------------------------------------------


def precision_text(record: dict) -> str:
    """The page's default dtype. How each training run computed (bfloat16 autocast or not,
    layout, threads) is its plan, measured on the machine, not guessed from a CPU flag."""
    return record.get("dtype", "float32")


def plans_text(record: dict) -> str:
    """The distinct plans of the training runs a page used, for its provenance line."""
    plans = sorted({s["plan"] for s in record.get("run_summaries", {}).values() if s.get("plan")})
    return "; ".join(plans)


def commit_text(record: dict) -> str:
    commit = record.get("commit") or "unknown"
    return commit + (" with uncommitted changes" if record.get("dirty") else "")


def when_text(timestamp: float | None) -> str:
    if not timestamp:
        return "unknown"
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def seconds_text(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f} s"


def executed_at(record: dict) -> float | None:
    """When the page last really executed, as a POSIX time.

    This is the provenance cell's own clock, in UTC. myst-nb's ``mtime`` is no substitute: for a
    page served from the execution cache it is the time jupyter-cache stored the notebook, which
    SQLite gives back without its time zone and ``timestamp()`` then reads as local time, so it is
    hours off outside UTC. It is used only for a page that has no record, which the cache never
    serves (a page whose provenance cell did not run failed, and failures are not cached), so
    there it is ``datetime.now()``: right.
    """
    text = record.get("executed_at")
    if text:
        return datetime.fromisoformat(text).timestamp()
    return record.get("mtime")


def executed_in_build(record: dict, started: float) -> bool:
    """Whether the page executed in the build that started at ``started``, rather than being
    served from the execution cache. myst-nb's ``method`` cannot tell: it is the execution mode
    (``cache``) for both."""
    when = executed_at(record)
    return when is not None and when >= math.floor(started)  # executed_at is whole seconds


def build_started(env) -> float:
    """When this build started (set when the builder starts)."""
    return getattr(env, "nnbook_build_started", time.time())


def load_run(path: Path):
    """The :class:`nnbook.engine.runs.RunRecord` stored at ``path``, or None when it is gone or
    damaged (the store itself reports a damaged entry, and the page that met it retrained it)."""
    from nnbook.engine.runs import read_record as read_run

    return read_run(path)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def run_summary(record) -> dict[str, Any]:
    """The name, accuracy, test loss, wall time, device, precision and plan of a stored run, and
    when it was trained."""
    from nnbook.engine.plan import plan_text  # imports torch: only when a run is read

    return {"name": record.name,
            "accuracy": _number(record.metrics.get("test_accuracy")),
            "test_loss": _number(record.metrics.get("test_loss")),
            "wall_time": _number(record.wall_time),
            "device": record.device, "precision": record.precision,
            "plan": plan_text(record), "trained_at": record.created or None}


def summarise_runs(runs: dict[str, str]) -> dict[str, dict]:
    """What the report shows of each training run a page used, read from the run store."""
    from nnbook.engine.runs import cache_root

    summaries = {}
    for filename in runs:
        record = load_run(cache_root() / filename)
        summaries[filename] = run_summary(record) if record is not None else {}
    return summaries


def log_run_problems(env, docname: str, record: dict) -> None:
    """Name in the build log, once each, the damaged run store entries the page's kernel met.

    Only for a page executed in this build: a page served from the execution cache met them in an
    earlier build, which already said so. At INFO level, because the entry was retrained and
    nothing is wrong with the book (a warning would fail the strict build); never in the page.
    """
    if not executed_in_build(record, build_started(env)):
        return
    if not hasattr(env, "nnbook_logged_problems"):
        env.nnbook_logged_problems = set()
    logged = env.nnbook_logged_problems
    for problem in record.get("run_problems", []):
        if problem not in logged:
            logged.add(problem)
            logger.info(f"{docname}: {problem}")


def records(env) -> dict[str, dict]:
    """Every executed page's record, by docname (kept by :class:`ProvenanceCollector`)."""
    if not hasattr(env, "nnbook_provenance"):
        env.nnbook_provenance = {}
    return env.nnbook_provenance


class ProvenanceCollector(EnvironmentCollector):
    """Keeps each executed page's record in the environment, and merges what parallel readers
    collected."""

    def clear_doc(self, app: Sphinx, env, docname: str) -> None:
        records(env).pop(docname, None)

    def merge_other(self, app: Sphinx, env, docnames: set[str], other) -> None:
        theirs = records(other)
        records(env).update({doc: theirs[doc] for doc in docnames if doc in theirs})

    def process_doc(self, app: Sphinx, doctree: nodes.document) -> None:
        from myst_nb.sphinx_ import NbMetadataCollector

        env = app.env
        exec_data = NbMetadataCollector.get_exec_data(env, env.docname)
        if not exec_data:
            records(env).pop(env.docname, None)
            return
        glue_file = Path(env.mystnb_config.output_folder, env.docname + ".glue.json")
        record = read_record(glue_file) or {}
        record = {**record, "runtime": exec_data.get("runtime"),
                  "method": exec_data.get("method"), "mtime": exec_data.get("mtime"),
                  "succeeded": exec_data.get("succeeded"),
                  "run_summaries": summarise_runs(record.get("runs", {}))}
        records(env)[env.docname] = record
        log_run_problems(env, env.docname, record)


# --- the line under the page ------------------------------------------------------------------

LISTED_RUNS = 4  # a page that shows more training runs has them counted, not listed


def run_name(entry: str, summary: dict) -> str:
    """A run's name: the stored record's, else its entry's (``<name>-<32 hex digits>.pt``)."""
    return summary.get("name") or re.sub(r"-[0-9a-f]{32}$", "", entry.removesuffix(".pt"))


def iso_when_text(text: str | None) -> str:
    """An ISO time (a run's ``created``) as :func:`when_text` writes it."""
    try:
        return when_text(datetime.fromisoformat(text).timestamp()) if text else "unknown"
    except ValueError:
        return "unknown"


def run_line(entry: str, how: str, summary: dict) -> str:
    """One training run a page shows: which (its name and test accuracy), how long it trained
    and when, and whether the page's execution trained it or loaded it, trained earlier. Its
    training time is not part of the page's execution time when it was loaded."""
    accuracy = summary.get("accuracy")
    name = run_name(entry, summary) + (
        f" (test accuracy {accuracy:.1%})" if accuracy is not None else "")
    wall = summary.get("wall_time")
    trained_for = f" for {wall:.0f} s" if wall is not None else ""
    if how == "trained":
        return f"{name}: trained{trained_for} while the page executed"
    return (f"{name}: trained{trained_for} on {iso_when_text(summary.get('trained_at'))}, "
            f"loaded when the page executed")


def runs_node(record: dict) -> nodes.Element | None:
    """The training runs a page shows, each with how long it trained, when, and whether it was
    loaded; counted in one sentence when there are more than :data:`LISTED_RUNS`."""
    runs = record.get("runs", {})
    if not runs:
        return None
    summaries = record.get("run_summaries", {})
    if len(runs) <= LISTED_RUNS:
        items = nodes.bullet_list("")
        for entry, how in runs.items():
            items += nodes.list_item("", nodes.paragraph(
                "", run_line(entry, how, summaries.get(entry, {}))))
        intro = nodes.paragraph("", "Training runs this page shows:")
        return nodes.container("", intro, items, classes=["nnbook-provenance-runs"])
    walls = [summaries.get(e, {}).get("wall_time") or 0.0 for e in runs]
    trained = sum(how == "trained" for how in runs.values())
    loaded = len(runs) - trained
    names = sorted({run_name(e, summaries.get(e, {})) for e in runs})
    whens = sorted(w for w in (summaries.get(e, {}).get("trained_at") for e, how in runs.items()
                               if how != "trained") if w)
    parts = [f"{trained} trained while the page executed"] if trained else []
    if loaded:
        span = (f", trained between {iso_when_text(whens[0])} and {iso_when_text(whens[-1])}"
                if whens else "")
        parts.append(f"{loaded} loaded when the page executed{span}")
    text = (f"This page shows {len(runs)} training runs ({', '.join(names)}), "
            f"{sum(walls):.0f} s of training in all: {'; '.join(parts)}.")
    return nodes.container("", nodes.paragraph("", text), classes=["nnbook-provenance-runs"])


def provenance_node(record: dict) -> nodes.Element:
    device = record.get("device_name") or "an unknown device"
    trained_in = sorted({s["precision"] for s in record.get("run_summaries", {}).values()
                         if s.get("precision")})
    plans = plans_text(record)
    parts = [
        f"Computed on {device}",
        f"precision {precision_text(record)}" if record.get("dtype") else None,
        f"training plan {plans}" if plans else
        (f"training runs in {', '.join(trained_in)}" if trained_in else None),
        f"PyTorch {record['torch']}" if record.get("torch") else None,
        f"commit {commit_text(record)}",
        f"executed {when_text(executed_at(record))} in {seconds_text(record.get('runtime'))}",
    ]
    text = "; ".join(p for p in parts if p) + "."
    para = nodes.paragraph("", "")
    para += nodes.strong("", "Provenance. ")
    para += nodes.Text(text)
    block = nodes.container("", para, classes=["nnbook-provenance"])
    runs = runs_node(record)
    if runs is not None:
        block += runs
    return block


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    """Append the provenance line to an executed page (after the collector read its record)."""
    record = records(app.env).get(app.env.docname)
    if record is not None:
        doctree += provenance_node(record)


def on_builder_inited(app: Sphinx) -> None:
    app.env.nnbook_build_started = time.time()
    app.env.nnbook_logged_problems = set()


def setup(app: Sphinx) -> None:
    app.add_env_collector(ProvenanceCollector)
    app.connect("builder-inited", on_builder_inited)
    app.connect("doctree-read", on_doctree_read, priority=600)  # after the collector's
