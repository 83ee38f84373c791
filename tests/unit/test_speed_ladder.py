"""The training-loops chapter's speed ladder (nnbook.speed_ladder): its rungs taken from the
engine's plan, its schedule against torch's OneCycleLR, its batches, its steps against the
engine's fit, its speeds read from a fake clock, what each rung learns independent of how fast
the clock runs, and a stored result that is served again only on the machine that measured it."""

import dataclasses

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

import nnbook.speed_ladder as speed_ladder
from nnbook.speed_ladder import (AblationConfig, Trainer, Variant, cached_ablation,
                                 images_in_budget, ladder, ladder_for, measure_speeds, one_cycle,
                                 run_ablation)
from nnbook.engine.fit import TrainConfig, fit
from nnbook.engine.tensor_data import TensorData
from nnbook.engine.device import machine_identity, seeded
from nnbook.engine.plan import Plan

LECTURE = TrainConfig(num_epochs=2, batch_size=8, lr=1e-3)
BOOK = TrainConfig(num_epochs=5, batch_size=16, lr=2e-3, schedule="onecycle", label_smoothing=0.1)
# How the book's run computes: every step the ladder has, on one thread.
EVERYTHING = Plan("bfloat16", True, threads=1)


class Tiny(nn.Module):
    """A convolution, batch norm and dropout: everything channels-last and autocast touch."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.norm = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(4 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.norm(self.conv(x))), 4)  # (B, 4, 7, 7)
        return self.fc(self.drop(x.flatten(1)))


class FakeClock:
    """A clock that moves ``tick`` seconds each time it is read."""

    def __init__(self, tick: float):
        self.tick, self.now, self.reads = tick, 0.0, 0

    def __call__(self) -> float:
        value = self.now
        self.now += self.tick
        self.reads += 1
        return value


@pytest.fixture
def ladder_data(make_images):
    X, y = make_images(64, seed=0)
    X_test, y_test = make_images(40, seed=1)
    return TensorDataset(X, y), TensorData(X, y, X_test, y_test)


def test_one_cycle_follows_torchs_one_cycle_schedule():
    steps = 1001
    model = nn.Linear(2, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=steps)
    for step in range(steps - 1):
        lr, beta1 = one_cycle(step / (steps - 1), 0.1)
        group = optimizer.param_groups[0]
        # torch puts the turn at step 0.3 * steps - 1, a fraction 0.0007 earlier than 0.3
        assert lr == pytest.approx(group["lr"], rel=0.01, abs=1e-4), step
        assert beta1 == pytest.approx(group["betas"][0], abs=0.002), step
        optimizer.step()
        scheduler.step()
    assert one_cycle(1.0, 0.1)[0] == pytest.approx(0.1 / 25 / 1e4)


def _changes(a: Variant, b: Variant) -> set[str]:
    return {f.name for f in dataclasses.fields(Variant) if f.name not in ("name", "skip")
            and getattr(a, f.name) != getattr(b, f.name)}


def test_each_rung_that_runs_changes_one_thing_from_the_last_that_ran():
    for channels_last in (True, False):
        for precision in ("bfloat16", "float32"):
            rungs = ladder(LECTURE, BOOK, Plan(precision, channels_last, threads=2))
            ran = [r for r in rungs if not r.skip]
            changed = [_changes(a, b) for a, b in zip(ran, ran[1:])]
            expected = [{"from_loader", "engine_optimizer"}]
            expected += [{"channels_last"}] if channels_last else []
            expected += [{"bf16"}] if precision == "bfloat16" else []
            expected += [{"batch_size", "lr", "one_cycle", "label_smoothing"}]
            assert changed == expected, (channels_last, precision)
            assert [r.name for r in rungs][2:4] == ["channels-last", "bfloat16 autocast"]


def test_the_rungs_follow_the_plan_and_the_last_computes_as_it_does():
    rungs = ladder(LECTURE, BOOK, Plan("float32", False, threads=3))
    assert rungs[2].skip and "contiguous" in rungs[2].skip
    assert rungs[3].skip and "float32" in rungs[3].skip
    last = rungs[-1]
    assert (last.bf16, last.channels_last, last.threads) == (False, False, 3)
    assert all(r.threads == 3 for r in rungs)
    assert (last.batch_size, last.lr, last.one_cycle, last.label_smoothing) == (16, 2e-3, True, 0.1)
    everything = ladder(LECTURE, BOOK, EVERYTHING)
    assert not any(r.skip for r in everything)
    assert (everything[-1].bf16, everything[-1].channels_last) == (True, True)
    assert (everything[0].batch_size, everything[0].lr) == (8, 1e-3)


def test_ladder_for_asks_the_engine_for_the_books_plan(ladder_data, cpu, monkeypatch):
    _, data = ladder_data
    asked = []

    def plan_for(model, X, y, config, *, device):
        asked.append((type(model), config, device))
        return Plan("float32", True, threads=1)

    monkeypatch.setattr(speed_ladder, "plan_for", plan_for)
    rungs = ladder_for(Tiny, data, LECTURE, BOOK, device=cpu)
    assert asked == [(Tiny, BOOK, cpu)]
    assert rungs == ladder(LECTURE, BOOK, Plan("float32", True, threads=1))


def test_the_loader_and_the_tensor_slices_give_the_same_batches(ladder_data, cpu):
    items, data = ladder_data
    loop, whole = ladder(LECTURE, BOOK, EVERYTHING)[:2]
    a = Trainer(loop, Tiny(), items, data, device=cpu, seed=3)
    b = Trainer(whole, Tiny(), items, data, device=cpu, seed=3)
    for _ in range(3 * len(data.X) // loop.batch_size):  # three epochs
        (Xa, ya), (Xb, yb) = next(a.stream), next(b.stream)
        torch.testing.assert_close(Xa, Xb)
        torch.testing.assert_close(ya, yb)


def test_speeds_come_from_the_clock_in_turns(ladder_data, cpu, monkeypatch):
    items, data = ladder_data
    turns = []
    real_train = Trainer.train

    def train(self, **kwargs):
        if kwargs.get("seconds"):
            turns.append((self.variant.name, kwargs["seconds"]))
        return real_train(self, **kwargs)

    monkeypatch.setattr(Trainer, "train", train)
    rungs = ladder(LECTURE, BOOK, EVERYTHING)
    clock = FakeClock(tick=0.25)
    speeds = measure_speeds(Tiny, items, data, rungs,
                            AblationConfig(timing_s=1.0, rounds=2, warmup_steps=1),
                            device=cpu, clock=clock)
    # A turn of 0.5 s reads the clock at its start and after each step: two steps of 0.25 s.
    assert speeds == [2 * r.batch_size / 0.5 for r in rungs]
    assert turns == [(r.name, 0.5) for r in rungs] * 2  # in turns, round after round


def test_the_images_in_the_budget_depend_only_on_the_ratios_of_the_speeds():
    rungs = ladder(LECTURE, BOOK, EVERYTHING)
    speeds = [100.0, 300.0, 330.0, 500.0, 800.0]
    images = images_in_budget(speeds, rungs, 80)  # 0.8 s at the first rung's speed
    assert images == [80, 240, 264, 400, 640]
    assert all(n % r.batch_size == 0 for n, r in zip(images, rungs))
    # A machine twice as busy runs every rung at half the speed: the same images.
    assert images_in_budget([s / 2 for s in speeds], rungs, 80) == images
    skipped = images_in_budget([100.0, 300.0, 0.0, 0.0, 800.0], rungs, 80)
    assert skipped[2:4] == [0, 0]
    with pytest.raises(ValueError, match="first variant"):
        images_in_budget([0.0, 1.0, 1.0, 1.0, 1.0], rungs, 80)


def test_what_each_rung_learns_does_not_depend_on_how_fast_the_clock_runs(ladder_data, cpu):
    items, data = ladder_data
    rungs = ladder(LECTURE, BOOK, Plan("float32", True, threads=1))
    config = AblationConfig(base_images=32, timing_s=1.0, rounds=2, warmup_steps=0)
    idle = run_ablation(Tiny, items, data, rungs, config, device=cpu, clock=FakeClock(0.25))
    busy = run_ablation(Tiny, items, data, rungs, config, device=cpu, clock=FakeClock(0.75))
    assert [(m.images, m.test_accuracy) for m in idle] == [(m.images, m.test_accuracy)
                                                          for m in busy]
    assert idle[0].images == 32 and idle[0].seconds == pytest.approx(32 / idle[0].images_per_second)
    assert busy[0].images_per_second == pytest.approx(idle[0].images_per_second / 3)
    assert not idle[3].ran and idle[3].test_accuracy is None and idle[3].note == rungs[3].skip
    assert [m.precision for m in idle if m.ran] == ["float32"] * 4
    assert [m.channels_last for m in idle] == [False, False, True, True, True]


def test_the_one_cycle_rate_follows_the_images(ladder_data, cpu):
    items, data = ladder_data
    rung = ladder(LECTURE, BOOK, EVERYTHING)[-1]
    with seeded(0, cpu):
        t = Trainer(rung, Tiny(), items, data, device=cpu, horizon=64)
    rates = []
    for _ in range(2):  # two calls: the second goes on where the first stopped
        t.train(images=16)
        rates.append(t.optimizer.param_groups[0]["lr"])
    # The one step of each call ran 0 and 16 images into the 64-image horizon.
    assert rates == [one_cycle(0 / 64, rung.lr)[0], one_cycle(16 / 64, rung.lr)[0]]
    assert t.images == 2 * rung.batch_size
    with pytest.raises(ValueError, match="horizon"):
        Trainer(rung, Tiny(), items, data, device=cpu)


def test_the_first_rung_cannot_be_skipped(ladder_data, cpu):
    items, data = ladder_data
    rungs = ladder(LECTURE, BOOK, EVERYTHING)
    broken = (dataclasses.replace(rungs[0], skip="no"),) + rungs[1:]
    with pytest.raises(ValueError, match="budget"):
        run_ablation(Tiny, items, data, broken, device=cpu, clock=FakeClock(0.25))


def test_the_loader_and_the_tensor_slices_train_alike_in_turns(ladder_data, cpu):
    items, data = ladder_data
    trainers = []
    for variant in ladder(LECTURE, BOOK, EVERYTHING)[:2]:
        with seeded(0, cpu):  # the same initial weights
            model = Tiny()
        trainers.append(Trainer(variant, model, items, data, device=cpu, seed=0))
    for _ in range(3):  # in turns, as the ablation trains them: each keeps its dropout draws
        for trainer in trainers:
            trainer.train(images=len(items))
    a, b = (t.model.state_dict() for t in trainers)
    # Only the optimizer's implementation differs (a loop over tensors, or multi-tensor calls).
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-4, atol=1e-5)


def test_training_in_turns_equals_training_at_once(ladder_data, cpu):
    items, data = ladder_data
    whole = ladder(LECTURE, BOOK, EVERYTHING)[1]

    def fresh() -> Trainer:
        with seeded(0, cpu):
            model = Tiny()
        return Trainer(whole, model, items, data, device=cpu, seed=0)

    at_once, in_turns, other = fresh(), fresh(), fresh()
    at_once.train(images=3 * len(items))
    for _ in range(3):
        in_turns.train(images=len(items))
        other.train(images=len(items))  # another trainer drawing in between
    a, b = at_once.model.state_dict(), in_turns.model.state_dict()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0)


def test_the_stored_ladder_is_served_only_on_the_machine_that_measured_it(ladder_data, cpu, store,
                                                                         monkeypatch):
    import nnbook.engine.runs as runs

    items, data = ladder_data
    rungs = ladder(LECTURE, BOOK, Plan("float32", True, threads=1))
    config = AblationConfig(base_images=16, timing_s=0.5, rounds=1, warmup_steps=0)
    here = machine_identity(cpu)
    first = cached_ablation(Tiny, items, data, rungs, config, device=cpu, store=store,
                            this_machine=here, clock=FakeClock(tick=0.25))
    assert not first.from_cache and first.machine == here

    def refuse(*args, **kwargs):
        raise AssertionError("the ablation ran where it should have been loaded")

    with monkeypatch.context() as patch:
        patch.setattr(runs, "run_training", refuse)
        again = cached_ablation(Tiny, items, data, rungs, config, device=cpu, store=store,
                                this_machine=here, clock=FakeClock(tick=0.25))
    assert again.from_cache and again.results == first.results
    # The same CPU's name, another generation or instruction set: measured again.
    elsewhere = {**here, "capability": "AVX512" if here["capability"] != "AVX512" else "AVX2"}
    other = cached_ablation(Tiny, items, data, rungs, config, device=cpu, store=store,
                            this_machine=elsewhere, clock=FakeClock(tick=0.5))
    assert not other.from_cache
    assert len(list(store.root.glob("ablation-*.pt"))) == 2
    assert other.results[0].images_per_second == first.results[0].images_per_second / 2


def test_every_step_is_the_engines_training_step(ladder_data, cpu, monkeypatch):
    items, data = ladder_data
    steps = []
    real_step = speed_ladder.train_step

    def counted(state, X, y):
        steps.append(len(X))
        return real_step(state, X, y)

    monkeypatch.setattr(speed_ladder, "train_step", counted)
    for variant in ladder(LECTURE, BOOK, EVERYTHING):
        Trainer(variant, Tiny(), items, data, device=cpu, horizon=16).train(images=16)
    assert steps == [8, 8] * 4 + [16]


def test_the_sliced_variant_trains_as_the_engines_fit_does(ladder_data, cpu):
    items, data = ladder_data
    whole = ladder(LECTURE, BOOK, EVERYTHING)[1]  # tensor slices, the engine's optimizer, float32
    by_ladder, by_fit = Tiny(), Tiny()
    by_fit.load_state_dict(by_ladder.state_dict())  # the same initial weights
    Trainer(whole, by_ladder, items, data, device=cpu, seed=0).train(images=len(items))
    fit(by_fit, data.X, data.y, TrainConfig(num_epochs=1, batch_size=whole.batch_size,
                                             lr=whole.lr, seed=0),
        device=cpu, plan=Plan("float32", False, threads=whole.threads),
        progress=False)
    a, b = by_ladder.state_dict(), by_fit.state_dict()
    for name in a:  # the same shuffle, dropout draws and updates: bit for bit
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0)
