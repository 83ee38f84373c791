"""The execution report and the build log's notes on damaged run store entries, on synthetic
provenance records (nnbook.book.sphinxext.execution_report and .provenance), without building a
book."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from docutils import nodes

from nnbook.book.sphinxext import provenance
from nnbook.book.sphinxext.execution_report import (LOADED, NOT_RUN, TRAINED, report_tables,
                                                    training_totals)
from nnbook.book.sphinxext.provenance import executed_in_build, log_run_problems

STARTED = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)  # when this build started


def record(executed: datetime, runs: dict[str, str], walls: dict[str, float],
           **extra) -> dict:
    """What the provenance collector stores for a page whose kernel last ran at ``executed``."""
    return {"executed_at": executed.isoformat(timespec="seconds"), "runtime": 30.0,
            "succeeded": True, "device_name": "CPU", "dtype": "float32", "torch": "2.x",
            "runs": runs, "run_summaries": {f: {"wall_time": w} for f, w in walls.items()},
            # myst-nb's mtime of a cache hit: the cache entry's time, stored in UTC, read back
            # as local time; in New York (UTC-5) it lands five hours late, after the build began.
            "mtime": (executed + timedelta(hours=5)).timestamp(), **extra}


def cached_page(**extra) -> dict:
    """A page served from the execution cache: its kernel trained a run, an hour before."""
    return record(STARTED - timedelta(hours=1), {"cnn-1.pt": "trained"}, {"cnn-1.pt": 260.0},
                  **extra)


def fresh_page(**extra) -> dict:
    """A page executed in this build: it loaded the cached page's run and trained another."""
    return record(STARTED + timedelta(minutes=2), {"cnn-1.pt": "loaded", "ae-2.pt": "trained"},
                  {"cnn-1.pt": 260.0, "ae-2.pt": 40.0}, **extra)


def fake_env(records: dict[str, dict]) -> SimpleNamespace:
    return SimpleNamespace(nnbook_provenance=records, nnbook_build_started=STARTED.timestamp(),
                           toctree_includes={"index": sorted(records)}, titles={},
                           config=SimpleNamespace(root_doc="index"))


def report_text(env) -> tuple[list[str], str]:
    """The report's page states (third column of its page table) and all its text."""
    out = report_tables(env, "report")
    table = next(n for n in out if "nnbook-exec-table" in n.get("classes", []))
    states = [row[2].astext() for row in table.findall(nodes.row) if row.parent.tagname == "tbody"]
    return states, " ".join(n.astext() for n in out)


def test_which_pages_executed_in_this_build_follows_the_kernels_clock():
    started = STARTED.timestamp()
    assert not executed_in_build(cached_page(), started)  # although its mtime is later
    assert executed_in_build(fresh_page(), started)
    assert executed_in_build({"mtime": started + 1}, started)  # no record: myst-nb's time
    assert not executed_in_build({}, started)


def test_a_book_served_from_the_cache_trained_nothing_in_this_build():
    # The former report listed such pages as cached, then added up the runs their kernels trained
    # in an earlier build as "trained in this build".
    states, text = report_text(fake_env({"a": cached_page(), "b": cached_page()}))
    assert states == ["cached"] * 2
    assert "0 s trained in this build (0 training runs)" in text
    assert ("260 s used by pages that came from the execution cache, not run in this build "
            "(1 training run)") in text
    assert "2 executed pages: 0 executed in this build" in text


def test_a_run_counts_once_in_what_this_build_did_with_it():
    records = {"a": cached_page(), "b": fresh_page()}
    totals = training_totals(records, STARTED.timestamp())
    assert totals == {TRAINED: (1, 40.0), LOADED: (1, 260.0), NOT_RUN: (0, 0.0)}
    states, text = report_text(fake_env(records))
    assert states == ["cached", "this build"]
    assert ("40 s trained in this build (1 training run); 260 s loaded from the run cache "
            "(1 training run)") in text


@pytest.fixture
def build_log(caplog):
    """What the build logs through provenance's Sphinx logger, at INFO and above."""
    caplog.set_level(logging.INFO, logger=provenance.logger.logger.name)
    return caplog


def test_damaged_entries_are_logged_once_at_info_and_only_from_pages_run_now(build_log):
    problem = "run store entry /x/cnn-1.pt is unusable: it does not decode; retrained"
    env = SimpleNamespace(nnbook_build_started=STARTED.timestamp())
    log_run_problems(env, "cached", cached_page(run_problems=["met in an earlier build"]))
    log_run_problems(env, "first", fresh_page(run_problems=[problem]))
    log_run_problems(env, "second", fresh_page(run_problems=[problem]))
    messages = [(r.levelno, r.getMessage()) for r in build_log.records]
    assert messages == [(logging.INFO, f"first: {problem}")]


def test_the_runs_table_is_narrow_and_says_each_long_thing_once():
    # The former table repeated "not run: the page came from the execution cache", the device,
    # the precision and the whole plan on every row: 41 rows, each ~230 px tall, and a sideways
    # scroll at 1280 px to reach the plans.
    plan = "float32, channels-last images, eager, 2 threads, measured 2026-03-02"
    setup = {"device": "CPU (AMD EPYC 7763)", "precision": "float32", "plan": plan}
    pages = {}
    for i in range(3):
        page = cached_page() if i else fresh_page()
        for summary in page["run_summaries"].values():
            summary.update(setup, accuracy=0.9234, test_loss=0.000123)
        pages[f"p{i}"] = page
    out = report_tables(fake_env(pages), "report")
    table = next(n for n in out if "nnbook-runs-table" in n.get("classes", []))
    rows = [[entry.astext() for entry in row.findall(nodes.entry)]
            for row in table.findall(nodes.row)]
    header, body = rows[0], rows[1:]
    assert header == ["Page", "Run", "This build", "Test accuracy", "Test loss",
                      "Training time", "Setup"]
    assert {row[2] for row in body} == {"trained", "loaded", "not run"}
    assert all(len(cell) <= 20 for row in body for cell in row), body
    assert body[0][4] == "1.23 × 10⁻⁴" and {row[6] for row in body} == {"1"}
    text = " ".join(n.astext() for n in out)
    assert text.count(plan) == 1 and text.count("the page came from the execution cache") == 1
    setups = next(n for n in out if "nnbook-run-setups" in n.get("classes", []))
    assert setups.astext() == f"CPU (AMD EPYC 7763), precision float32; plan: {plan}"


def test_the_page_table_says_each_state_in_a_word_and_explains_it_once():
    env = fake_env({"a": cached_page(commit="0d1212383798abc", dirty=True), "b": fresh_page()})
    states, text = report_text(env)
    assert states == ["cached", "this build"]
    assert text.count("came from the execution cache, computed by an earlier build") == 1
    assert "0d12123+" in text
    assert "with uncommitted changes" not in text  # a + after the commit, explained once
    assert "/.cache/" not in text and "/root" not in text  # no folder of the building machine
