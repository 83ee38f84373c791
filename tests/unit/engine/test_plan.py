"""The planner: it keeps the fastest candidate by the clock it is given, stores the plan per
machine and problem and reuses it without timing, measures again elsewhere, compiles only where
a compile pays back, stays off under NNBOOK_PLAN=fixed, and survives a damaged plan file; and
the training loop applies the plan it gets."""

import json
import logging

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnbook.engine import device
from nnbook.engine import plan as planning
from nnbook.engine.fit import Callback, TrainConfig, fit, plan_for, prepare
from nnbook.engine.plan import Plan, PlanStore, Problem, Space, choose_plan, plan_text
from nnbook.networks import mlp

CPU = torch.device("cpu")
MACHINE = {"device": "CPU (Test CPU, 2 cores)", "torch": "2.14.1"}
PROBLEM = Problem("tests.Net", "digest", (1, 28, 28), "float32", 64, "cpu", "auto", "adam", 2)
IMAGES = Space(("float32", "bfloat16"), (True, False), (1, 2))


class FakeClock:
    """Seconds that pass only when a fake step says so."""

    def __init__(self):
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


class Steps:
    """A step factory whose steps advance the clock by ``cost(plan)``, plus ``compile_s`` on a
    compiled candidate's first step; it records the candidates it made."""

    def __init__(self, clock: FakeClock, cost, compile_s: float = 0.0):
        self.clock, self.cost, self.compile_s = clock, cost, compile_s
        self.made: list[Plan] = []

    def __call__(self, plan: Plan):
        self.made.append(plan)
        first = [plan.compile]

        def step():
            self.clock.now += self.cost(plan) + (self.compile_s if first[0] else 0.0)
            first[0] = False

        return step


def refuse(*args):
    raise AssertionError("the planner timed something where it should not have")


def two_threads_and_bf16_contiguous_fastest(plan: Plan) -> float:
    cost = 1.0 * (0.5 if plan.threads == 2 else 1.0)
    return cost * (0.8 if plan.precision == "bfloat16" and not plan.channels_last else 1.0)


def choose(store, cost=two_threads_and_bf16_contiguous_fastest, *, steps=100, machine=MACHINE,
           problem=PROBLEM, space=IMAGES, compile_s=0.0, mode="auto"):
    clock = FakeClock()
    steps_made = Steps(clock, cost, compile_s)
    plan = choose_plan(problem, space, steps_made, steps=steps, machine=machine, store=store,
                       clock=clock, mode=mode)
    return plan, steps_made, clock


@pytest.fixture
def plans(tmp_path) -> PlanStore:
    return PlanStore(tmp_path / "plans")


def test_using_threads_restores():
    before = torch.get_num_threads()
    with planning.using_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_the_fastest_candidate_is_chosen(plans):
    plan, steps, _ = choose(plans)
    assert plan.key() == {"precision": "bfloat16", "channels_last": False, "compile": False,
                          "threads": 2}
    assert plan.how == "measured" and plan.batch_size == 64
    fastest = plan.seconds_per_step["bfloat16 autocast, contiguous, 2 threads, eager"]
    assert fastest == pytest.approx(0.4)
    assert plan.seconds_per_step["float32, channels-last, 1 thread, eager"] == 1.0
    assert "bfloat16 autocast, contiguous, 2 threads, eager: 160 images/s" in plan.measurements()
    # threads first on the default precision and layout, then precision x layout: five trials
    assert len(steps.made) == 5 and not any(p.compile for p in steps.made)
    assert plan.describe() == ("bfloat16 autocast, contiguous, 2 threads, eager; "
                               "measured on this machine")


def test_noise_does_not_flip_a_plan_and_ties_keep_fewer_threads(plans):
    plan, _, _ = choose(plans, lambda p: 0.99 if p.precision == "bfloat16" else 1.0)
    assert plan.key() == {"precision": "float32", "channels_last": True, "compile": False,
                          "threads": 1}


def test_the_plan_is_stored_and_reused_without_timing(plans):
    measured, _, _ = choose(plans)
    stored = choose_plan(PROBLEM, IMAGES, refuse, steps=100, machine=MACHINE, store=plans,
                         clock=refuse)
    assert stored.how == "stored" and stored.key() == measured.key()
    assert stored.seconds_per_step == measured.seconds_per_step
    assert "measured earlier on this machine" in stored.describe()
    assert len(list(plans.root.glob("*.json"))) == 1


@pytest.mark.parametrize("other", [dict(machine={**MACHINE, "device": "CPU (Other, 8 cores)"}),
                                   dict(machine={**MACHINE, "torch": "2.15.0"}),
                                   dict(problem=Problem(*[*vars(PROBLEM).values()][:4], 128,
                                                        "cpu", "auto", "adam", 2))])
def test_another_machine_torch_or_problem_measures_again(plans, other):
    choose(plans)
    plan, steps, _ = choose(plans, **other)
    assert plan.how == "measured" and steps.made
    assert len(list(plans.root.glob("*.json"))) == 2


def test_a_plan_measured_on_another_kind_of_cpu_is_measured_again(plans, monkeypatch):
    """A store copied from a machine whose CPU has the same name but another capability (a Zen 4
    with AVX-512 against a Zen 3, or the same CPU under ATEN_CPU_CAPABILITY=avx2) is not used."""
    here = device.machine_identity(CPU)
    choose(plans, machine=here)
    elsewhere = {**here, "capability": "AVX512" if here["capability"] != "AVX512" else "AVX2"}
    # The other machine's plan, stored under its own identity: copied into this store.
    plan, steps, _ = choose(plans, machine=elsewhere)
    assert plan.how == "measured" and steps.made
    plan, steps, _ = choose(plans, machine=here)
    assert plan.how == "stored" and not steps.made


def test_measure_mode_measures_again(plans):
    choose(plans)
    plan, steps, _ = choose(plans, lambda p: 1.0, mode="measure")
    assert plan.how == "measured" and steps.made and plan.threads == 1  # the new measurement


def test_fixed_plan_times_nothing(monkeypatch, plans):
    monkeypatch.setenv("NNBOOK_PLAN", "fixed")
    plan = choose_plan(PROBLEM, IMAGES, refuse, steps=10**6, machine=MACHINE, store=plans,
                       clock=refuse)
    assert plan.how == "fixed" and plan.key() == {
        "precision": "float32", "channels_last": True, "compile": False,
        "threads": torch.get_num_threads()}
    assert not plans.root.exists()
    X, y = torch.randn(8, 2, dtype=torch.float64), torch.zeros(8, dtype=torch.long)
    dense = plan_for(mlp((2, 3, 2), "sigmoid", dtype=torch.float64), X, y, TrainConfig(),
                     device=CPU, store=plans, clock=refuse)
    assert dense.key()["precision"] == "float64" and not dense.channels_last
    assert "fixed (NNBOOK_PLAN=fixed)" in dense.describe()


def test_a_bad_plan_setting_names_the_allowed_values(monkeypatch, plans):
    monkeypatch.setenv("NNBOOK_PLAN", "fastest")
    with pytest.raises(ValueError, match=r"\$NNBOOK_PLAN is 'fastest'.*auto, fixed, measure"):
        choose_plan(PROBLEM, IMAGES, refuse, steps=1, machine=MACHINE, store=plans, clock=refuse)


def edited(change):
    """A damage that edits the stored entry's JSON with ``change(entry)``."""
    def damage(text):
        entry = json.loads(text)
        change(entry)
        return json.dumps(entry)
    return damage


@pytest.mark.parametrize("damage", [
    lambda text: text[: len(text) // 2],  # cut short
    edited(lambda entry: entry["plan"].update(threads=-2)),  # not a plan
    edited(lambda entry: entry.update(step_seconds="fast")),
    edited(lambda entry: entry.update(timings=[1])),
    lambda text: json.dumps([1, 2, 3]),
])
def test_a_damaged_plan_file_is_reported_once_and_measured_again(plans, caplog, damage):
    choose(plans)
    (path,) = plans.root.glob("*.json")
    good = path.read_text()
    (plans.root / "notes.txt").write_text("the reader's")
    with caplog.at_level(logging.WARNING, logger="nnbook.engine.plan"):
        for _ in range(2):  # the same damage twice: one report
            path.write_text(damage(good))
            plan, steps, _ = choose(plans)
            assert plan.how == "measured" and steps.made
    reports = [r for r in caplog.records if r.name == "nnbook.engine.plan"]
    assert len(reports) == 1 and str(path) in reports[0].getMessage()
    assert reports[0].getMessage() in planning.reported_problems()
    assert json.loads(path.read_text())["plan"] == json.loads(good)["plan"]  # replaced
    assert (plans.root / "notes.txt").read_text() == "the reader's"


def compiled_twice_as_fast(plan: Plan) -> float:
    return 0.5 if plan.compile else 1.0


def test_compile_is_never_tried_for_a_short_run(plans):
    # 20 eager seconds could save at most 6 s: less than any compile costs
    plan, steps, _ = choose(plans, compiled_twice_as_fast, steps=20, space=Space(
        ("float32",), (False,), (1,)))
    assert not plan.compile and plan.compile_seconds is None
    assert not any(p.compile for p in steps.made)


def test_compile_is_chosen_only_where_it_pays_back(plans):
    space = Space(("float32",), (False,), (1,))
    # 400 eager seconds: worth trying; 250 s of compiling + 200 s of steps does not pay back
    plan, steps, _ = choose(plans, compiled_twice_as_fast, steps=400, space=space,
                            compile_s=250.0)
    assert [p.compile for p in steps.made] == [False, True]
    assert not plan.compile and plan.compile_seconds == pytest.approx(250.0)
    assert plan.seconds_per_step["float32, contiguous, 1 thread, compiled"] == 0.5
    # 1000 steps: 250 + 500 s beats 1000 s, from the stored measurements, with no timing
    long = choose_plan(PROBLEM, space, refuse, steps=1000, machine=MACHINE, store=plans,
                       clock=refuse)
    assert long.compile and long.how == "stored"
    assert long.describe().startswith("float32, contiguous, 1 thread, compiled")


def test_a_failed_compile_leaves_the_plan_eager(plans, caplog):
    def make_step(plan):
        if plan.compile:
            raise RuntimeError("no C compiler")
        return lambda: None

    clock = FakeClock()
    clock_step = Steps(clock, lambda p: 1.0)

    def steps(plan):
        make_step(plan)
        return clock_step(plan)

    with caplog.at_level(logging.WARNING, logger="nnbook.engine.plan"):
        plan = choose_plan(PROBLEM, Space(("float32",), (False,), (1,)), steps, steps=10**4,
                           machine=MACHINE, store=plans, clock=clock)
    assert not plan.compile and "no C compiler" in caplog.text
    again = choose_plan(PROBLEM, Space(("float32",), (False,), (1,)), refuse, steps=10**4,
                        machine=MACHINE, store=plans, clock=refuse)
    assert not again.compile  # the failure is stored: not tried again


def threads_clock(cost_by_threads: dict[int, float]):
    """A clock that advances, at every read, by the cost of torch's current thread count: a step
    timed between two reads takes that long."""
    state = {"now": 0.0}

    def clock():
        state["now"] += cost_by_threads[torch.get_num_threads()]
        return state["now"]

    return clock


@pytest.mark.parametrize("costs, expected", [({1: 0.001, 2: 0.01}, 1), ({1: 0.01, 2: 0.001}, 2)])
def test_a_tiny_network_gets_the_threads_the_clock_says(plans, costs, expected):
    X = torch.randn(100, 2, dtype=torch.float64)
    y = (X[:, 0] * X[:, 1] > 0).long()
    model = mlp((2, 4, 2), "sigmoid", seed=0, dtype=torch.float64)
    before = [p.detach().clone() for p in model.parameters()]
    torch.manual_seed(5)
    expected_draw = torch.rand(2)
    torch.manual_seed(5)
    with planning.using_threads(2):
        plan = plan_for(model, X, y, TrainConfig(batch_size=10), device=CPU, store=plans,
                        clock=threads_clock(costs))
        assert torch.get_num_threads() == 2
    assert plan.threads == expected and plan.precision == "float64" and not plan.channels_last
    assert torch.equal(torch.rand(2), expected_draw)  # the caller's generator is untouched
    for p, b in zip(model.parameters(), before):  # the trials trained copies
        torch.testing.assert_close(p, b, rtol=0, atol=0)


class Recorder(nn.Module):
    """A small CNN that records, inside forward, what the loop set up for it."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 7 * 7, 10)
        self.seen: list[tuple] = []

    def forward(self, x):
        self.seen.append((torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"),
                          torch.get_num_threads()))
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 4)  # (B, 4, 7, 7)
        return self.fc(x.flatten(1))


def test_fit_applies_the_plan_and_restores_the_threads(images):
    model = Recorder()
    plan = Plan("bfloat16", True, threads=1)
    before = torch.get_num_threads()
    with planning.using_threads(2):
        history = fit(model, images.X[:64], images.y[:64], TrainConfig(num_epochs=1,
                      batch_size=32), device=CPU, plan=plan, progress=False)
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == before
    assert model.seen[:2] == [(True, torch.bfloat16, 1)] * 2  # the training steps
    assert model.conv2.weight.is_contiguous(memory_format=torch.channels_last)
    assert not model.conv2.weight.is_contiguous()
    assert history.plan == plan.to_dict() and history.precision == "bfloat16 autocast"
    assert history.channels_last and plan_text(history) == plan.describe()

    other = Recorder()
    fit(other, images.X[:64], images.y[:64], TrainConfig(num_epochs=1, batch_size=32),
        device=CPU, plan=Plan("float32", False, threads=2), progress=False)
    assert other.seen[0][0] is False and other.seen[0][2] == 2
    assert other.conv2.weight.is_contiguous()


def test_the_threads_are_restored_when_the_run_fails(images):
    class Boom(Exception):
        pass

    class Fail(Callback):
        def on_batch_end(self, state):
            assert torch.get_num_threads() == 1
            raise Boom

    with planning.using_threads(2):
        with pytest.raises(Boom):
            fit(Recorder(), images.X[:64], images.y[:64], TrainConfig(num_epochs=1),
                device=CPU, plan=Plan(threads=1), callbacks=[Fail()], progress=False)
        assert torch.get_num_threads() == 2


def test_prepare_compiles_the_training_step_where_the_plan_says(images):
    model = Recorder()
    state = prepare(model, images.X[:64], images.y[:64], TrainConfig(batch_size=32),
                    device=CPU, plan=Plan(compile=True))
    assert state.step_model is not model and state.step_model._orig_mod is model
    eager = prepare(Recorder(), images.X[:64], images.y[:64], TrainConfig(), device=CPU,
                    plan=Plan())
    assert eager.step_model is eager.model


def test_plan_text_reads_histories_records_and_dicts():
    plan = Plan("float32", True, threads=2, how="stored")
    assert plan_text({"plan": plan.to_dict()}) == ("float32, channels-last, 2 threads, eager; "
                                                   "measured earlier on this machine")
    assert plan_text({"plan": {}}) == "" and plan_text(object()) == ""
    assert plan_text({"plan": {"precision": "int8"}}) == "unreadable plan"  # never a crash
    assert Plan.from_dict(plan.to_dict()) == plan
    with pytest.raises(ValueError, match="precision"):
        Plan(precision="int8")


def test_the_planner_measures_a_real_model_on_the_cpu(plans, images):
    # No fake clock: the plan must be a valid one, and the run must take it.
    model = Recorder()
    config = TrainConfig(num_epochs=1, batch_size=32)
    plan = plan_for(model, images.X[:96], images.y[:96], config, device=CPU, store=plans)
    assert plan.how == "measured" and not plan.compile
    assert plan.threads in planning.thread_counts(torch.get_num_threads())
    assert plan.precision in ("float32", "bfloat16")
    assert plan.seconds_per_step and all(t > 0 for t in plan.seconds_per_step.values())
    assert plan.label() in plan.seconds_per_step
    history = fit(model, images.X[:96], images.y[:96], config, device=CPU, progress=False,
                  plan=plan)
    assert history.plan["precision"] == plan.precision
    again = plan_for(model, images.X[:96], images.y[:96], config, device=CPU, store=plans)
    assert again.how == "stored" and again.key() == plan.key()


def test_the_compilers_notes_stay_out_of_a_pages_output_while_compiling():
    from nnbook.engine.plan import quiet_compiler

    inductor = logging.getLogger("torch.utils.cpp_extension")
    before = inductor.level
    with quiet_compiler():
        assert not inductor.isEnabledFor(logging.WARNING)
    assert inductor.level == before


def test_one_slow_step_does_not_make_a_candidate_hopeless(plans):
    """The second thread's first timed step is slow (its pool wakes up, another process takes the
    core a moment), its later steps twice as fast as one thread's: it is timed over enough steps
    to win."""
    clock = FakeClock()
    timed = {}

    def make_step(plan: Plan):
        calls = [0]

        def step():
            calls[0] += 1
            timed[plan.threads] = calls[0]
            slow_start = plan.threads == 2 and calls[0] == 2  # the first timed step
            clock.now += 5.0 if slow_start else (0.5 if plan.threads == 2 else 1.0)

        return step

    space = Space(("float32",), (False,), (1, 2))
    plan = choose_plan(PROBLEM, space, make_step, steps=10, machine=MACHINE, store=plans,
                       clock=clock, mode="auto")
    assert plan.threads == 2
    assert timed[2] >= 1 + planning.MIN_STEPS  # warm-up and at least MIN_STEPS timed


def test_a_hopeless_candidate_still_stops_early(plans):
    clock = FakeClock()
    calls = {1: 0, 2: 0}

    def make_step(plan: Plan):
        def step():
            calls[plan.threads] += 1
            clock.now += 1.0 if plan.threads == 1 else 10.0

        return step

    space = Space(("float32",), (False,), (1, 2))
    plan = choose_plan(PROBLEM, space, make_step, steps=10, machine=MACHINE, store=plans,
                       clock=clock, mode="auto")
    assert plan.threads == 1
    assert calls[2] == 1 + planning.MIN_STEPS  # a warm-up step and the minimum, no more
