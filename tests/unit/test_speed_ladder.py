"""The training-loops chapter's speed ladder (nnbook.speed_ladder): its schedule against torch's
OneCycleLR, its batches, its steps against the engine's fit, its speeds read from a fake clock,
the skipped bfloat16 step, and a stored result that is served again only on the machine that
measured it."""

import dataclasses

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

import nnbook.speed_ladder as speed_ladder
from nnbook.speed_ladder import (AblationConfig, Trainer, Variant, cached_ablation,
                                    ladder, machine, one_cycle, run_ablation)
from nnbook.engine.fit import TrainConfig, fit
from nnbook.engine.tensor_data import TensorData
from nnbook.engine.device import seeded
from nnbook.engine.plan import Plan

LECTURE = TrainConfig(num_epochs=2, batch_size=8, lr=1e-3)
BOOK = TrainConfig(num_epochs=5, batch_size=16, lr=2e-3, schedule="onecycle")


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


def test_each_rung_of_the_ladder_changes_one_thing():
    rungs = ladder(LECTURE, BOOK)
    changed = [{f.name for f in dataclasses.fields(Variant) if f.name != "name"
                and getattr(a, f.name) != getattr(b, f.name)} for a, b in zip(rungs, rungs[1:])]
    assert changed == [{"from_loader", "engine_optimizer"}, {"channels_last"}, {"bf16"},
                       {"batch_size", "lr", "one_cycle"}]
    assert (rungs[0].batch_size, rungs[0].lr) == (8, 1e-3)
    assert (rungs[-1].batch_size, rungs[-1].lr, rungs[-1].one_cycle) == (16, 2e-3, True)


def test_the_loader_and_the_tensor_slices_give_the_same_batches(ladder_data, cpu):
    items, data = ladder_data
    loop, whole = ladder(LECTURE, BOOK)[:2]
    a = Trainer(loop, Tiny(), items, data, device=cpu, seed=3)
    b = Trainer(whole, Tiny(), items, data, device=cpu, seed=3)
    for _ in range(3 * len(data.X) // loop.batch_size):  # three epochs
        (Xa, ya), (Xb, yb) = next(a.stream), next(b.stream)
        torch.testing.assert_close(Xa, Xb)
        torch.testing.assert_close(ya, yb)


def test_images_per_second_come_from_the_clock(ladder_data, cpu):
    items, data = ladder_data
    clock = FakeClock(tick=0.25)
    results = run_ablation(Tiny, items, data, ladder(LECTURE, BOOK),
                           AblationConfig(budget_s=1.0, rounds=2, warmup_steps=1), device=cpu,
                           bf16=True, clock=clock)
    # Two turns of 0.5 s each: a turn reads the clock at its start and after every step, so two
    # steps end it. Four steps in all, in 1 s.
    assert clock.reads == 5 * 2 * 3
    for result, batch_size in zip(results, (8, 8, 8, 8, 16)):
        assert result.ran and result.seconds == 1.0
        assert result.images == 4 * batch_size
        assert result.images_per_second == 4 * batch_size / 1.0
        assert 0.0 <= result.test_accuracy <= 1.0
    assert [r.precision for r in results] == ["float32"] * 3 + ["bfloat16 autocast"] * 2
    assert [r.channels_last for r in results] == [False, False, True, True, True]


def test_the_variants_take_turns(ladder_data, cpu, monkeypatch):
    items, data = ladder_data
    turns = []
    real_train = Trainer.train

    def train(self, **kwargs):
        turns.append((self.variant.name, kwargs.get("seconds")))
        return real_train(self, **kwargs)

    monkeypatch.setattr(Trainer, "train", train)
    rungs = ladder(LECTURE, BOOK)[:3]
    run_ablation(Tiny, items, data, rungs, AblationConfig(budget_s=1.0, rounds=3, warmup_steps=0),
                 device=cpu, bf16=False, clock=FakeClock(tick=0.25))
    assert turns == [(v.name, pytest.approx(1 / 3)) for v in rungs] * 3


def test_the_one_cycle_rate_follows_the_training_time(ladder_data, cpu):
    items, data = ladder_data
    rung = ladder(LECTURE, BOOK)[-1]
    with seeded(0, cpu):
        t = Trainer(rung, Tiny(), items, data, device=cpu, horizon_s=2.0)
    rates = []
    for _ in range(2):  # two calls: the second goes on where the first stopped
        t.train(seconds=0.5, clock=FakeClock(tick=0.25))
        rates.append(t.optimizer.param_groups[0]["lr"])
    # The last step of each call ran 0.25 s and 0.75 s into the 2 s horizon.
    assert rates == [one_cycle(0.25 / 2.0, rung.lr)[0], one_cycle(0.75 / 2.0, rung.lr)[0]]
    assert t.seconds == 1.0 and t.images == 4 * rung.batch_size
    with pytest.raises(ValueError, match="horizon_s"):
        Trainer(rung, Tiny(), items, data, device=cpu)


def test_the_bf16_step_is_skipped_where_the_device_lacks_it(ladder_data, cpu):
    items, data = ladder_data
    results = run_ablation(Tiny, items, data, ladder(LECTURE, BOOK),
                           AblationConfig(budget_s=1.0, warmup_steps=0), device=cpu,
                           bf16=False, clock=FakeClock(tick=0.5))
    skipped = results[3]
    assert not skipped.ran and skipped.test_accuracy is None and skipped.images == 0
    assert "bfloat16" in skipped.note
    assert results[4].ran and results[4].precision == "float32"  # the engine's choice there
    assert all(r.ran for r in results[:3])


def test_the_loader_and_the_tensor_slices_train_alike_in_turns(ladder_data, cpu):
    items, data = ladder_data
    trainers = []
    for variant in ladder(LECTURE, BOOK)[:2]:
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
    whole = ladder(LECTURE, BOOK)[1]

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


def test_a_measurement_is_reproducible(ladder_data, cpu):
    items, data = ladder_data
    config = AblationConfig(budget_s=1.0, rounds=2, warmup_steps=1)
    runs = [run_ablation(Tiny, items, data, ladder(LECTURE, BOOK), config, device=cpu,
                         bf16=False, clock=FakeClock(tick=0.25)) for _ in range(2)]
    assert runs[0] == runs[1]


def test_the_stored_ladder_is_served_only_on_the_machine_that_measured_it(ladder_data, cpu, store,
                                                                         monkeypatch):
    items, data = ladder_data
    rungs = ladder(LECTURE, BOOK)
    config = AblationConfig(budget_s=1.0, rounds=1, warmup_steps=0)
    here = {**machine(cpu), "name": "CPU (Test Machine A, 2 cores)"}
    first = cached_ablation(Tiny, items, data, rungs, config, device=cpu, store=store,
                            this_machine=here, clock=FakeClock(tick=0.25))
    assert not first.from_cache

    def refuse(*args, **kwargs):
        raise AssertionError("the ablation ran where it should have been loaded")

    with monkeypatch.context() as patch:
        patch.setattr(speed_ladder, "run_ablation", refuse)
        again = cached_ablation(Tiny, items, data, rungs, config, device=cpu, store=store,
                                this_machine=here, clock=FakeClock(tick=0.25))
    assert again.from_cache and again.results == first.results
    elsewhere = {**here, "name": "CPU (Test Machine B, 2 cores)"}
    other = cached_ablation(Tiny, items, data, rungs, config, device=cpu, store=store,
                            this_machine=elsewhere, clock=FakeClock(tick=0.5))
    assert not other.from_cache
    assert len(list(store.root.glob("ablation-*.pt"))) == 2
    assert other.results[0].images == 2 * 8  # measured again, on its own clock


def test_the_machine_holds_what_the_speed_depends_on(cpu):
    here = machine(cpu)
    assert here["threads"] == torch.get_num_threads() and here["torch"] == torch.__version__
    assert here["name"].startswith("CPU (") and here["cores"] >= 1


def test_every_step_is_the_engines_training_step(ladder_data, cpu, monkeypatch):
    items, data = ladder_data
    steps = []
    real_step = speed_ladder.train_step

    def counted(state, X, y):
        steps.append(len(X))
        return real_step(state, X, y)

    monkeypatch.setattr(speed_ladder, "train_step", counted)
    for variant in ladder(LECTURE, BOOK):
        Trainer(variant, Tiny(), items, data, device=cpu, horizon_s=1.0).train(images=16)
    assert steps == [8, 8] * 4 + [16]


def test_the_sliced_variant_trains_as_the_engines_fit_does(ladder_data, cpu):
    items, data = ladder_data
    whole = ladder(LECTURE, BOOK)[1]  # tensor slices, the engine's optimizer, float32
    by_ladder, by_fit = Tiny(), Tiny()
    by_fit.load_state_dict(by_ladder.state_dict())  # the same initial weights
    Trainer(whole, by_ladder, items, data, device=cpu, seed=0).train(images=len(items))
    fit(by_fit, data.X, data.y, TrainConfig(num_epochs=1, batch_size=whole.batch_size,
                                             lr=whole.lr, seed=0),
        device=cpu, plan=Plan("float32", False, threads=torch.get_num_threads()),
        progress=False)
    a, b = by_ladder.state_dict(), by_fit.state_dict()
    for name in a:  # the same shuffle, dropout draws and updates: bit for bit
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0)
