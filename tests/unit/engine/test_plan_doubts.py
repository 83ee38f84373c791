"""Plans that must not be trusted: a well-formed entry naming a choice
the planner does not offer is measured again; a plan measured under load, or whose run trained far
slower than it measured, is reported and measured again by a later process once the machine is
idle; all on a fake clock and a fake load."""

from __future__ import annotations

import json

import pytest

from nnbook.engine import plan as planning
from nnbook.engine.plan import Plan, PlanStore, choose_plan, note_run_speed
from test_plan import IMAGES, MACHINE, PROBLEM, FakeClock, Steps

IDLE = lambda: (0.2, 2)  # noqa: E731  (load average, CPUs)
BUSY = lambda: (3.1, 2)  # noqa: E731  two busy processes besides this one, on two cores


@pytest.fixture
def plans(tmp_path) -> PlanStore:
    return PlanStore(tmp_path / "plans")


@pytest.fixture
def later_process(monkeypatch):
    """Call it to stand for a later process: one that has used no plan yet."""
    return lambda: monkeypatch.setattr(planning, "_used", set())


def measure(plans, load=IDLE, cost=lambda p: 0.001):
    clock = FakeClock()
    steps = Steps(clock, cost)
    plan = choose_plan(PROBLEM, IMAGES, steps, steps=100, machine=MACHINE, store=plans,
                       clock=clock, load=load)
    return plan, steps


def stored(plans) -> tuple[dict, object]:
    path = plans.path(MACHINE, PROBLEM)
    return json.loads(path.read_text()), path


@pytest.mark.parametrize("change, why", [
    ({"threads": 10000}, "threads 10000 is not one of the planner's candidates (1, 2)"),
    ({"precision": "float16"}, "precision 'float16' is not one of"),
    ({"precision": "float64"}, "precision 'float64' is not one of"),
    ({"compile": True}, "compiles a run the planner would not compile"),
])
def test_a_plan_the_planner_would_not_offer_is_measured_again(plans, later_process, change, why):
    measure(plans)
    entry, path = stored(plans)
    entry["plan"].update(change)
    path.write_text(json.dumps(entry))
    later_process()
    plan, steps = measure(plans)
    assert plan.how == "measured" and steps.made
    assert plan.threads in IMAGES.threads and plan.precision in IMAGES.precisions
    assert any(why in p for p in planning.reported_problems())


def test_a_plan_records_the_load_it_was_measured_under(plans):
    measure(plans, load=BUSY)
    entry, _ = stored(plans)
    assert entry["measured_under"] == {"load": 3.1, "cpus": 2}
    assert set(entry["timings"]) and all(t > 0 for t in entry["timings"].values())
    assert any("it was measured under load" in p for p in planning.reported_problems())


def test_a_plan_measured_under_load_is_measured_again_when_the_machine_is_idle(plans,
                                                                             later_process):
    first, _ = measure(plans, load=BUSY)
    # the same process keeps it: one page's runs keep one plan
    again, steps = measure(plans, load=IDLE)
    assert again.how == "stored" and not steps.made
    later_process()  # a later build on a machine still busy: kept, and said so
    kept, steps = measure(plans, load=BUSY)
    assert kept.how == "stored" and not steps.made
    assert any("the machine is busy now, so it is kept" in p for p in planning.reported_problems())
    later_process()  # a later build on an idle machine: measured again, and no longer in doubt
    remeasured, steps = measure(plans, load=IDLE)
    assert remeasured.how == "measured" and steps.made
    assert stored(plans)[0]["measured_under"]["load"] == 0.2
    later_process()
    assert measure(plans, load=IDLE)[0].how == "stored"


def test_a_run_far_slower_than_its_plan_sends_the_plan_back_to_be_measured(plans, later_process):
    plan, _ = measure(plans)  # 1 ms a step, measured on an idle machine
    assert plan.stored_at and plan.seconds_per_step[plan.label()] == pytest.approx(0.001)
    assert not note_run_speed(plan, 0.002, run_seconds=60.0)  # loop overhead: fine
    assert not note_run_speed(plan, 0.010, run_seconds=0.5)  # too short to judge
    assert note_run_speed(plan, 0.010, run_seconds=60.0)  # ten times slower
    assert stored(plans)[0]["slow_run"] == {"seconds_per_step": 0.010}
    assert any("over 3 times the 1 ms its plan measured" in p
               for p in planning.reported_problems())
    assert measure(plans)[0].how == "stored"  # not within the process that trained it
    later_process()
    again, steps = measure(plans)
    assert again.how == "measured" and steps.made and "slow_run" not in stored(plans)[0]


def test_a_fixed_or_requested_plan_is_never_judged(plans):
    assert not note_run_speed(Plan(how="fixed", seconds_per_step={"x": 1e-3}), 1.0, 60.0)
    assert not note_run_speed(Plan(), 1.0, 60.0)


def test_the_plan_file_is_not_part_of_a_runs_record(plans):
    plan, _ = measure(plans)
    assert "stored_at" not in plan.to_dict()
    assert Plan.from_dict(plan.to_dict()).key() == plan.key()


def test_busy_means_other_work_on_half_the_cpus():
    assert not planning.busy(1.0, 2) and planning.busy(2.0, 2) and planning.busy(3.1, 2)
    assert not planning.busy(8.0, 16) and planning.busy(9.0, 16)


def test_a_choice_its_own_timings_contradict_is_measured_again(plans, later_process):
    # The chosen candidate stored as a hundred times slower than another it timed: no choice the
    # planner makes, and it was accepted as one.
    measure(plans)
    entry, path = stored(plans)
    chosen = Plan.from_dict(entry["plan"]).label()
    other = next(label for label in entry["timings"] if label != chosen)
    entry["timings"][other] = entry["timings"][chosen] / 100
    path.write_text(json.dumps(entry))
    later_process()
    plan, steps = measure(plans)
    assert plan.how == "measured" and steps.made
    assert any(f"its choice ({chosen}, 1 ms a step) is slower than a candidate it timed" in p
               for p in planning.reported_problems())


def test_a_choice_within_the_planners_margin_is_kept(plans, later_process):
    # A candidate timed a little faster, by less than MARGIN, never replaces the one chosen.
    measure(plans)
    entry, path = stored(plans)
    chosen = Plan.from_dict(entry["plan"]).label()
    other = next(label for label in entry["timings"] if label != chosen)
    entry["timings"][other] = entry["timings"][chosen] * (1 - planning.MARGIN / 2)
    path.write_text(json.dumps(entry))
    later_process()
    plan, steps = measure(plans)
    assert plan.how == "stored" and not steps.made


def test_a_plan_without_the_conditions_it_was_measured_under_is_in_doubt(plans, later_process):
    measure(plans)
    entry, path = stored(plans)
    del entry["measured_under"]  # nothing says the machine was idle
    path.write_text(json.dumps(entry))
    later_process()
    plan, steps = measure(plans, load=IDLE)
    assert plan.how == "measured" and steps.made
    assert any("no record of the load it was measured under" in p
               for p in planning.reported_problems())
    assert stored(plans)[0]["measured_under"] == {"load": 0.2, "cpus": 2}
