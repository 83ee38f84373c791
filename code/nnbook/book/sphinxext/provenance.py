"""Provenance of every executed page, and the book's execution report.

Two hidden cells travel with each page that has code (added in ``source-read``, tagged
``remove-cell``, stripped again from the notebooks readers download):

* a **run recorder**, before the first code cell of pages that use the training cache
  (:mod:`nnbook.engine.runs`): a ``sys.audit`` hook that notes which cache entries the page loads
  and which it writes, that is, which training runs it reused and which it trained;
* a **provenance cell**, at the end: it glues, from inside the kernel that ran the page, the
  device, its name, the precision, the torch version, the git commit, the time, the runs the
  recorder saw and the problems the run store met (damaged entries), as one JSON record.

Because both run in the kernel, a page served from the execution cache keeps the provenance of the
run that really produced its outputs, and its runs' "trained" means trained in the build that
executed it. After a page is parsed (``doctree-read``) the build reads the record back from
myst-nb's glue file, adds myst-nb's execution data (run time), stores it in the environment and
appends a small provenance block to the page; a page executed in this build also has its run
store problems logged, once each, at INFO. The ``nnbook-execution-report`` directive turns the
records of all pages into tables once every page has been read. Whether a page executed in this
build is decided by its kernel's clock (:func:`executed_in_build`), and the training summary
counts a run as trained in this build only when its page did execute.
"""

from __future__ import annotations

import ast
import json
import math
import posixpath
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from nnbook.numbers import readable

logger = logging.getLogger(__name__)

PROVENANCE_MARK = "# nnbook provenance"
RECORDER_MARK = "# nnbook run recorder"
GLUE_KEY = "nnbook_provenance"
HIDDEN_MARKS = (PROVENANCE_MARK, RECORDER_MARK)  # and the fingerprint, see is_hidden_cell

RECORDER_SOURCE = f"""{RECORDER_MARK}: notes which training-cache entries this page loads or writes.
import logging as _logging
import os as _os
import sys as _sys
from nnbook.engine.runs import cache_root as _cache_root

# The run store's and the planner's problems go to the build log (through the provenance
# record), not the page.
for _name in ("nnbook.engine.runs", "nnbook.engine.plan"):
    _logging.getLogger(_name).addHandler(_logging.NullHandler())
    _logging.getLogger(_name).propagate = False

_nnbook_runs = {{}}


def _nnbook_audit(event, args, _root=str(_cache_root()), _runs=_nnbook_runs):
    if event == "open" and not isinstance(args[0], int):
        path = _os.fspath(args[0])
        if path.startswith(_root) and path.endswith(".pt"):
            _runs.setdefault(_os.path.basename(path), "loaded")
    elif event == "os.rename":
        path = _os.fspath(args[1])
        if path.startswith(_root) and path.endswith(".pt"):
            _runs[_os.path.basename(path)] = "trained"


_sys.addaudithook(_nnbook_audit)"""

PROVENANCE_SOURCE = f"""{PROVENANCE_MARK}: what computed this page, read back by the build.
import datetime as _dt
import json as _json
import subprocess as _sp
import sys as _sys

import torch as _torch
from myst_nb import glue as _glue
from nnbook.engine.device import describe as _describe


def _nnbook_git(*args):
    try:
        return _sp.run(["git", *args], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, _sp.SubprocessError):
        return ""


def _nnbook_run_problems():
    # Only a page that trained or used the run store can have met a damaged entry or plan;
    # importing those modules here would put them in every page's fingerprint.
    problems = []
    for name in ("nnbook.engine.runs", "nnbook.engine.plan"):
        problems += getattr(_sys.modules.get(name), "reported_problems", list)()
    return problems


_info = _describe()
_glue({GLUE_KEY!r}, _json.dumps({{
    "device": _info.device,
    "device_name": _info.name,
    "bf16": _info.bf16,
    "dtype": str(_torch.get_default_dtype()).removeprefix("torch."),
    "torch": _info.torch_version,
    "commit": _nnbook_git("rev-parse", "--short=12", "HEAD"),
    "dirty": bool(_nnbook_git("status", "--porcelain", "--untracked-files=no")),
    "executed_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    "runs": dict(sorted(globals().get("_nnbook_runs", {{}}).items())),
    "run_problems": _nnbook_run_problems(),
}}), display=False)"""


def hidden_cell(source: str) -> str:
    return f"```{{code-cell}} ipython3\n:tags: [remove-cell]\n\n{source}\n```\n"


def is_hidden_cell(source: str) -> bool:
    """Whether a cell is one of the build's bookkeeping cells (provenance, recorder,
    fingerprint)."""
    from nnbook.book.sphinxext import FINGERPRINT_MARK

    return source.lstrip().startswith((*HIDDEN_MARKS, FINGERPRINT_MARK))


# --- reading the record back ----------------------------------------------------------------------

def read_record(glue_file: Path) -> dict | None:
    """The record the provenance cell glued, from myst-nb's glue file of an executed page.

    (Read from the glue file, not the executed notebook: myst-nb writes a page served from the
    execution cache without its outputs, but its glue data always comes from the cached run.)
    """
    if not glue_file.is_file():
        return None
    entry = json.loads(glue_file.read_text(encoding="utf-8")).get(GLUE_KEY)
    if not entry:
        return None
    text = entry.get("data", {}).get("text/plain")
    return json.loads(ast.literal_eval(text)) if text else None


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


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "unknown"
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _seconds(value: float | None) -> str:
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


def _env_records(env) -> dict[str, dict]:
    if not hasattr(env, "nnbook_provenance"):
        env.nnbook_provenance = {}
    return env.nnbook_provenance


def on_builder_inited(app: Sphinx) -> None:
    app.env.nnbook_build_started = time.time()
    app.env.nnbook_logged_problems = set()
    _env_records(app.env)


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    """Record how the page was computed and append the provenance block."""
    from myst_nb.sphinx_ import NbMetadataCollector

    env = app.env
    exec_data = NbMetadataCollector.get_exec_data(env, env.docname)
    if not exec_data:
        _env_records(env).pop(env.docname, None)
        return
    glue_file = Path(env.mystnb_config.output_folder, env.docname + ".glue.json")
    record = read_record(glue_file) or {}
    record = {**record, "runtime": exec_data.get("runtime"), "method": exec_data.get("method"),
              "mtime": exec_data.get("mtime"), "succeeded": exec_data.get("succeeded"),
              "run_summaries": summarise_runs(record.get("runs", {}))}
    _env_records(env)[env.docname] = record
    log_run_problems(env, env.docname, record)
    doctree += provenance_node(record)


def log_run_problems(env, docname: str, record: dict) -> None:
    """Name in the build log, once each, the damaged run store entries the page's kernel met.

    Only for a page executed in this build: a page served from the execution cache met them in an
    earlier build, which already said so. At INFO level, because the entry was retrained and
    nothing is wrong with the book (a warning would fail the strict build); never in the page.
    """
    if not executed_in_build(record, getattr(env, "nnbook_build_started", time.time())):
        return
    if not hasattr(env, "nnbook_logged_problems"):
        env.nnbook_logged_problems = set()
    logged = env.nnbook_logged_problems
    for problem in record.get("run_problems", []):
        if problem not in logged:
            logged.add(problem)
            logger.info(f"{docname}: {problem}")


def summarise_runs(runs: dict[str, str]) -> dict[str, dict]:
    """What the report shows of each training run a page used, read from the run cache."""
    from nnbook.engine.runs import cache_root

    summaries = {}
    for filename in runs:
        record = load_run(cache_root() / filename)
        summaries[filename] = run_summary(record) if record is not None else {}
    return summaries


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
        f"executed {_when(executed_at(record))} in {_seconds(record.get('runtime'))}",
    ]
    text = "; ".join(p for p in parts if p) + "."
    para = nodes.paragraph("", "")
    para += nodes.strong("", "Provenance. ")
    para += nodes.Text(text)
    return nodes.container("", para, classes=["nnbook-provenance"])


def on_env_purge_doc(app: Sphinx, env, docname: str) -> None:
    _env_records(env).pop(docname, None)
    getattr(env, "nnbook_report_docs", set()).discard(docname)


def on_env_merge_info(app: Sphinx, env, docnames, other) -> None:
    records = _env_records(env)
    for docname in docnames:
        if docname in getattr(other, "nnbook_provenance", {}):
            records[docname] = other.nnbook_provenance[docname]
    if not hasattr(env, "nnbook_report_docs"):
        env.nnbook_report_docs = set()
    env.nnbook_report_docs |= getattr(other, "nnbook_report_docs", set()) & set(docnames)


# --- the execution report -------------------------------------------------------------------------

class ExecutionReportNode(nodes.General, nodes.Element):
    """Placeholder, replaced by the report's tables once every page has been read."""


class ExecutionReport(SphinxDirective):
    """``{nnbook-execution-report}``: tables of page execution and training runs."""

    def run(self):
        if not hasattr(self.env, "nnbook_report_docs"):
            self.env.nnbook_report_docs = set()
        self.env.nnbook_report_docs.add(self.env.docname)
        return [ExecutionReportNode()]


def on_env_updated(app: Sphinx, env) -> list[str]:
    # The report reflects every page, so it is rewritten on every build.
    return sorted(getattr(env, "nnbook_report_docs", set()))


def _table(headers: list[str], rows: list[list[nodes.Node | str]], classes=()) -> nodes.table:
    table = nodes.table(classes=["colwidths-auto", *classes])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for h in headers:
        row += nodes.entry("", nodes.paragraph("", h))
    head += row
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            para = nodes.paragraph("", "")
            para += cell if isinstance(cell, nodes.Node) else nodes.Text(str(cell))
            row += nodes.entry("", para)
        body += row
    return table


def _page_link(env, fromdoc: str, docname: str) -> nodes.Node:
    title = env.titles.get(docname)
    target = posixpath.relpath(docname, posixpath.dirname(fromdoc))
    ref = pending_xref("", refdoc=fromdoc, reftarget=target, reftype="doc",
                       refdomain="std", refexplicit=True, refwarn=True)
    ref += nodes.inline("", title.astext() if title is not None else docname)
    return ref


def load_run(path: Path):
    """The :class:`nnbook.engine.runs.RunRecord` stored at ``path``, or None when it is gone or
    damaged (the store itself reports a damaged entry, and the page that met it retrained it)."""
    from nnbook.engine.runs import read_record

    return read_record(path)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def run_summary(record) -> dict[str, Any]:
    """The accuracy, test loss, wall time, device, precision and plan of a stored run."""
    from nnbook.engine.plan import plan_text  # imports torch: only when a run is read

    return {"accuracy": _number(record.metrics.get("test_accuracy")),
            "test_loss": _number(record.metrics.get("test_loss")),
            "wall_time": _number(record.wall_time),
            "device": record.device, "precision": record.precision,
            "plan": plan_text(record)}


def reading_order(env, docnames) -> list[str]:
    """``docnames`` in the order of the table of contents (others last, by name)."""
    order: list[str] = []

    def visit(doc: str) -> None:
        if doc in order:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            visit(child)

    visit(env.config.root_doc)
    rank = {doc: i for i, doc in enumerate(order)}
    return sorted(docnames, key=lambda d: (rank.get(d, len(rank)), d))


# What a page did with each training run it used, in this build.
TRAINED = "trained"
LOADED = "loaded from the run cache"
NOT_RUN = "not run: the page came from the execution cache"
_ACTIVITY = (TRAINED, LOADED, NOT_RUN)  # most active first
# The runs table says each state in a word, and what the words mean once, above it: the table
# stays narrow enough for a laptop's screen, with no sideways scroll.
STATE_WORDS = {TRAINED: "trained", LOADED: "loaded", NOT_RUN: "not run"}
STATE_MEANINGS = {"trained": "trained in this build", "loaded": "loaded from the run cache",
                  "not run": "the page came from the execution cache, so its runs were not "
                             "used in this build"}


def run_state(how: str, page_executed: bool) -> str:
    """What this build did with a run that a page's kernel recorded as ``how`` ("trained" or
    "loaded").

    The kernel's note travels with the page's cached outputs: a page served from the execution
    cache says "trained" about a run trained in the build that executed it, not in this one.
    """
    if not page_executed:
        return NOT_RUN
    return TRAINED if how == "trained" else LOADED


def page_totals(records: dict[str, dict], started: float) -> dict[bool, tuple[int, float]]:
    """Pages and their execution time, by whether they executed in this build (True) or came
    from the execution cache (False, their time spent in the build that executed them)."""
    totals = {True: (0, 0.0), False: (0, 0.0)}
    for record in records.values():
        fresh = executed_in_build(record, started)
        count, seconds = totals[fresh]
        totals[fresh] = (count + 1, seconds + (record.get("runtime") or 0.0))
    return totals


def training_totals(records: dict[str, dict], started: float) -> dict[str, tuple[int, float]]:
    """Distinct training runs and their training wall time, by what this build did with them.
    A run that several pages used counts once, in its most active state."""
    best: dict[str, tuple[str, float]] = {}
    for record in records.values():
        fresh = executed_in_build(record, started)
        for filename, how in record.get("runs", {}).items():
            state = run_state(how, fresh)
            wall = record.get("run_summaries", {}).get(filename, {}).get("wall_time") or 0.0
            if filename not in best or _ACTIVITY.index(state) < _ACTIVITY.index(best[filename][0]):
                best[filename] = (state, wall)
    return {state: (sum(1 for s, _ in best.values() if s == state),
                    sum(w for s, w in best.values() if s == state)) for state in _ACTIVITY}


def _runs(count: int) -> str:
    return f"{count} training run{'' if count == 1 else 's'}"


def _setups_list(setups: dict[tuple[str, str, str], int]) -> nodes.Node:
    """The runs table's "Setup" numbers spelled out, once each: the device, the precision and
    the training plan (what the table had repeated, at length, on every row)."""
    items = nodes.enumerated_list(classes=["nnbook-run-setups"])
    for (device, precision, plan), _ in sorted(setups.items(), key=lambda kv: kv[1]):
        items += nodes.list_item("", _text_para(
            f"{device}, precision {precision}" + (f"; plan: {plan}" if plan else "")))
    return items


def _text_para(text: str) -> nodes.paragraph:
    para = nodes.paragraph("", "")
    para += nodes.Text(text)
    return para


def report_tables(env, fromdoc: str) -> list[nodes.Node]:
    from nnbook.engine.runs import cache_root

    records = _env_records(env)
    started = getattr(env, "nnbook_build_started", time.time())
    out: list[nodes.Node] = []

    devices = sorted({(r.get("device_name") or "unknown", precision_text(r), r.get("torch") or "?")
                      for r in records.values()})
    out.append(_text_para("Pages were computed on: " + "; ".join(
        f"{name}, precision {prec}, PyTorch {torch}" for name, prec, torch in devices) + "."
        if devices else "No page was executed."))

    rows = []
    for docname in reading_order(env, records):
        r = records[docname]
        rows.append([_page_link(env, fromdoc, docname), _seconds(r.get("runtime")),
                     "executed in this build" if executed_in_build(r, started)
                     else "from the execution cache",
                     _when(executed_at(r)), commit_text(r),
                     "yes" if r.get("succeeded") else "no"])
    out.append(_table(["Page", "Execution time", "Cache state", "Executed", "Commit", "Succeeded"],
                      rows, classes=["nnbook-exec-table"]))
    pages = page_totals(records, started)
    (fresh, fresh_s), (cached, cached_s) = pages[True], pages[False]
    out.append(_text_para(
        f"{fresh + cached} executed pages: {fresh} executed in this build, in {fresh_s:.1f} s "
        f"({fresh_s / 60:.1f} min); {cached} from the execution cache, whose execution took "
        f"{cached_s:.1f} s in the builds that ran them."))

    run_rows, setups = [], {}  # setups: (device, precision, plan) -> its number
    for docname in reading_order(env, records):
        record = records[docname]
        fresh = executed_in_build(record, started)
        summaries = record.get("run_summaries", {})
        for filename, how in record.get("runs", {}).items():
            summary = summaries.get(filename, {})
            name = filename.rsplit("-", 1)[0]
            acc, wall = summary.get("accuracy"), summary.get("wall_time")
            loss = summary.get("test_loss")
            setup = (summary.get("device") or "unknown device",
                     summary.get("precision") or "unknown precision", summary.get("plan") or "")
            number = setups.setdefault(setup, len(setups) + 1)
            run_rows.append([_page_link(env, fromdoc, docname), name,
                             STATE_WORDS[run_state(how, fresh)],
                             "-" if acc is None else f"{acc:.2%}",
                             "-" if loss is None else readable(loss, 3),
                             "-" if wall is None else f"{wall:.1f} s", str(number)])
    heading = nodes.paragraph("", "")
    heading += nodes.strong("", "Training runs")
    out.append(heading)
    if run_rows:
        totals = training_totals(records, started)
        count = sum(n for n, _ in totals.values())
        wall = sum(w for _, w in totals.values())
        out.append(_text_para(
            f"{_runs(count)} in all, {wall:.0f} s of training: "
            f"{totals[TRAINED][1]:.0f} s trained in this build ({_runs(totals[TRAINED][0])}); "
            f"{totals[LOADED][1]:.0f} s loaded from the run cache ({_runs(totals[LOADED][0])}); "
            f"{totals[NOT_RUN][1]:.0f} s used by pages that came from the execution cache, "
            f"not run in this build ({_runs(totals[NOT_RUN][0])})."))
        out.append(_text_para("This build: " + "; ".join(
            f"{word}, {meaning}" for word, meaning in STATE_MEANINGS.items()) + "."))
        out.append(_table(["Page", "Run", "This build", "Test accuracy", "Test loss",
                           "Training time", "Setup"], run_rows,
                          classes=["nnbook-runs-table"]))
        out.append(_setups_list(setups))
    else:
        out.append(_text_para("No page of this build used the training cache."))
    out.append(_text_para(
        f"Training runs are cached in {cache_root()} (set NNBOOK_CACHE to move it); a run is "
        "redone when its model code, hyperparameters, data, PyTorch version or device type "
        "change."))
    return out


class ExecutionReportTransform(SphinxPostTransform):
    default_priority = 8  # before the references are resolved, like myst-nb's nb-exec-table

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(ExecutionReportNode)):
            node.replace_self(report_tables(self.env, self.env.docname))


# --- downloads ------------------------------------------------------------------------------------

def downloadable_notebook(app: Sphinx, docname: str) -> nbformat.NotebookNode | None:
    """The executed notebook of a page, with its outputs, without the build's bookkeeping cells."""
    from jupyter_cache import get_cache

    config = app.env.mystnb_config
    path = Path(config.output_folder, docname + ".ipynb")
    if not path.is_file():
        return None
    nb = nbformat.read(path, as_version=4)
    # myst-nb writes pages served from the execution cache without outputs; take them from there.
    try:
        _, nb = get_cache(config.execution_cache_path).merge_match_into_notebook(nb)
    except KeyError:
        pass
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and is_hidden_cell(c.source))]
    return nb


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict,
                         doctree) -> None:
    # Runs after sphinx-book-theme (priority 501) copied the executed notebook into _sources.
    source = context.get("ipynb_source")
    if source:
        nb = downloadable_notebook(app, pagename)
        if nb is not None:
            nbformat.write(nb, Path(app.outdir) / "_sources" / source)


def setup(app: Sphinx) -> None:
    app.add_node(ExecutionReportNode)
    app.add_directive("nnbook-execution-report", ExecutionReport)
    app.add_post_transform(ExecutionReportTransform)
    app.connect("builder-inited", on_builder_inited)
    app.connect("doctree-read", on_doctree_read)
    app.connect("env-purge-doc", on_env_purge_doc)
    app.connect("env-merge-info", on_env_merge_info)
    app.connect("env-updated", on_env_updated)
    app.connect("html-page-context", on_html_page_context, priority=900)
