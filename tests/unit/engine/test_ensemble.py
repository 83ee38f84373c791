"""Many small models trained as one (nnbook.engine.ensemble): each member trains as its own run
would, to rounding; the members may differ only in their seed; dropout is refused."""

from functools import partial

import pytest
import torch
from torch import nn

from nnbook.engine.ensemble import EnsembleCallback, fit_ensemble
from nnbook.engine.fit import TrainConfig, fit, predict
from nnbook.engine.plan import Plan
from nnbook.networks import mlp
from nnbook.toy_data import blobs

CPU = torch.device("cpu")


def xor(n_per_blob: int, seed: int):
    data = blobs("xor", n_per_blob, seed=seed)
    return torch.as_tensor(data.X), torch.as_tensor(data.y)


@pytest.fixture(scope="module")
def data():
    return (*xor(15, 42), *xor(25, 7))


def config(seed: int, **changes) -> TrainConfig:
    return TrainConfig(**{"num_epochs": 12, "batch_size": 10, "lr": 0.05, "weight_decay": 1e-4,
                          "seed": seed, **changes})


NETWORK = partial(mlp, (2, 4, 2), "sigmoid", dtype=torch.float64)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_each_member_trains_as_its_own_run_would(data, optimizer):
    X, y, X_test, y_test = data
    seeds = [0, 3, 7]
    configs = [config(s, optimizer=optimizer) for s in seeds]
    histories, ensemble = fit_ensemble([NETWORK(seed=s) for s in seeds], X, y, configs,
                                       X_test=X_test, y_test=y_test, device=CPU)
    for i, seed in enumerate(seeds):
        alone = NETWORK(seed=seed)
        single = fit(alone, X, y, configs[i], X_test=X_test, y_test=y_test, device=CPU,
                     plan=Plan("float64", threads=1), progress=False)
        member = ensemble.member(i)
        for a, b in zip(alone.state_dict().values(), member.state_dict().values()):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(torch.tensor(histories[i].epoch_losses),
                                   torch.tensor(single.epoch_losses), rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(torch.tensor(histories[i].batch_losses),
                                   torch.tensor(single.batch_losses), rtol=1e-10, atol=1e-12)
        assert histories[i].test_accuracies == single.test_accuracies
        torch.testing.assert_close(predict(member, X_test), predict(alone, X_test))
        assert histories[i].config["seed"] == seed and histories[i].precision == "float64"
    # Different seeds: different runs (a member is not a copy of another).
    assert histories[0].epoch_losses != histories[1].epoch_losses


def test_the_members_may_differ_only_in_their_seed(data):
    X, y, *_ = data
    with pytest.raises(ValueError, match="only in their seed"):
        fit_ensemble([NETWORK(seed=0), NETWORK(seed=1)], X, y,
                     [config(0), config(1, lr=0.5)], device=CPU)
    with pytest.raises(ValueError, match="constant rate"):
        fit_ensemble([NETWORK(seed=0)], X, y, [config(0, schedule="onecycle")], device=CPU)
    with pytest.raises(ValueError, match="as many"):
        fit_ensemble([NETWORK(seed=0)], X, y, [config(0), config(1)], device=CPU)


def test_a_model_with_dropout_is_refused(data):
    X, y, *_ = data
    model = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.5), nn.Linear(4, 2)).double()
    with pytest.raises(ValueError, match="dropout"):
        fit_ensemble([model], X, y, [config(0)], device=CPU)


def test_callbacks_see_every_epoch_and_the_start(data):
    X, y, *_ = data
    seen = []

    class Watch(EnsembleCallback):
        def on_epoch_end(self, ensemble, epoch):
            seen.append((epoch, float(ensemble.member(1)[0].weight.detach().sum())))

    fit_ensemble([NETWORK(seed=0), NETWORK(seed=1)], X, y, [config(0, num_epochs=3),
                                                          config(1, num_epochs=3)],
                 device=CPU, callbacks=[Watch()])
    assert [epoch for epoch, _ in seen] == [0, 1, 2, 3]
    assert seen[0][1] == pytest.approx(float(NETWORK(seed=1)[0].weight.detach().sum()))
    assert len({w for _, w in seen}) == 4  # the member moves every epoch
