"""The execution report: ``{nnbook-execution-report}`` turns every executed page's provenance
record (:mod:`nnbook.book.sphinxext.provenance`) into tables of what each page and each training
run cost, once every page has been read; the page that holds it is written on every build.

The training summary counts a run as trained in this build only when its page executed in this
build (:func:`~nnbook.book.sphinxext.provenance.executed_in_build`).
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

from nnbook.book.sphinxext.provenance import (build_started, executed_at,
                                              executed_in_build, precision_text, seconds_text,
                                              when_text)
from nnbook.book.sphinxext.provenance import records as page_records
from nnbook.book.sphinxext.whole_book import note_page, page_link, table
from nnbook.notation import readable


class ExecutionReportNode(nodes.General, nodes.Element):
    """Placeholder, replaced by the report's tables once every page has been read."""


class ExecutionReport(SphinxDirective):
    """``{nnbook-execution-report}``: tables of page execution and training runs."""

    def run(self):
        note_page(self.env)
        return [ExecutionReportNode()]


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


# A page's state in this build, in a word, explained once above the table.
PAGE_STATES = {True: "this build", False: "cached"}
PAGE_MEANINGS = {"this build": "executed by this build",
                 "cached": "its outputs came from the execution cache, computed by an earlier build"}


def short_when(timestamp: float | None) -> str:
    """An execution time as month, day and UTC hour: ``12-04 23:07``."""
    text = when_text(timestamp)
    return text if text == "unknown" else text[5:16]


def report_tables(env, fromdoc: str) -> list[nodes.Node]:
    records = page_records(env)
    started = build_started(env)
    out: list[nodes.Node] = []

    devices = sorted({(r.get("device_name") or "unknown", precision_text(r), r.get("torch") or "?")
                      for r in records.values()})
    out.append(_text_para("Pages were computed on: " + "; ".join(
        f"{name}, precision {prec}, PyTorch {torch}" for name, prec, torch in devices) + "."
        if devices else "No page was executed."))

    rows = []
    for docname in reading_order(env, records):
        r = records[docname]
        commit = (r.get("commit") or "unknown")[:7] + ("+" if r.get("dirty") else "")
        rows.append([page_link(env, fromdoc, docname), seconds_text(r.get("runtime")),
                     PAGE_STATES[executed_in_build(r, started)],
                     short_when(executed_at(r)), commit,
                     "yes" if r.get("succeeded") else "no"])
    out.append(_text_para(
        "Ran: " + "; ".join(f"{word}, {meaning}" for word, meaning in PAGE_MEANINGS.items())
        + ". Executed: the time in UTC. Commit: the commit the page was executed from, with a + "
        "when the working tree had uncommitted changes."))
    out.append(table(["Page", "Time", "Ran", "Executed", "Commit", "Succeeded"],
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
            run_rows.append([page_link(env, fromdoc, docname), name,
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
        out.append(table(["Page", "Run", "This build", "Test accuracy", "Test loss",
                           "Training time", "Setup"], run_rows,
                          classes=["nnbook-runs-table"]))
        out.append(_setups_list(setups))
    else:
        out.append(_text_para("No page of this build used the training cache."))
    out.append(_text_para(
        "Training runs are kept in the run store (NNBOOK_CACHE sets its folder); a run is "
        "redone when its model code, hyperparameters, data, PyTorch version or device type "
        "change."))
    return out


class ExecutionReportTransform(SphinxPostTransform):
    default_priority = 8  # before the references are resolved, like myst-nb's nb-exec-table

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(ExecutionReportNode)):
            node.replace_self(report_tables(self.env, self.env.docname))


def setup(app: Sphinx) -> None:
    app.setup_extension("nnbook.book.sphinxext.whole_book")
    app.add_node(ExecutionReportNode)
    app.add_directive("nnbook-execution-report", ExecutionReport)
    app.add_post_transform(ExecutionReportTransform)
