"""Many small models of one architecture, trained as one: an ensemble.

Training a network of a handful of units costs little arithmetic and much overhead: every step
is a dozen tiny kernel calls and an optimiser update. Ten seeds of the same network, trained one
after the other, pay that overhead ten times. :func:`fit_ensemble` pays it once: the members'
parameters are stacked into one tensor per parameter (``torch.func.stack_module_state``), one
forward pass computes every member on its own batch (``torch.func.vmap`` over
``torch.func.functional_call``), the members' losses are summed, so that one backward pass gives
each member the gradient of its own loss, and one optimiser updates the stacked tensors. This is
the pattern of PyTorch's model-ensembling tutorial.

Each member trains as :func:`nnbook.engine.fit.fit` would train it alone: the same initial
weights (the model given), the same order of examples (its own generator seeded by its
configuration's seed, as ``fit`` draws it), the same update (Adam and SGD update each number on
its own, so one optimiser over stacked tensors makes each member's update; weight decay too).
What differs is the order of the floating-point operations inside a batched matrix product, so
a member agrees with its single run to rounding, not bit for bit; ``tests/unit/engine/test_ensemble.py``
checks it. The members may differ only in their seeds: a member with another learning rate
belongs to another ensemble. Models that draw random numbers while training (dropout) are
refused, since no member could then draw what its single run draws.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from nnbook.engine.device import get_device
from nnbook.engine.fit import History, LossFn, TrainConfig, make_optimizer
from nnbook.engine.plan import Plan, using_threads


class EnsembleCallback:
    """Something told about an ensemble's progress, after each epoch (and before the first)."""

    def on_epoch_end(self, ensemble: Ensemble, epoch: int) -> None:
        pass


@dataclass
class Ensemble:
    """The stacked state of the members: their parameters and buffers, one tensor each with the
    member first, and an empty copy of the architecture to call them with."""

    base: nn.Module  # on the "meta" device: the architecture, with no numbers of its own
    params: dict[str, torch.Tensor]  # name -> (members, *shape)
    buffers: dict[str, torch.Tensor]

    def __len__(self) -> int:
        return next(iter(self.params.values())).shape[0]

    def outputs(self, X: torch.Tensor, *, shared: bool = False) -> torch.Tensor:
        """Every member's outputs: on its own inputs ``X`` (members, batch, ...), or with
        ``shared`` on the same inputs (batch, ...) for all. Shape (members, batch, ...)."""
        def call(params, buffers, x):
            return functional_call(self.base, (params, buffers), (x,))

        return vmap(call, in_dims=(0, 0, None if shared else 0))(self.params, self.buffers, X)

    def member(self, i: int) -> nn.Module:
        """Member ``i`` as a model of its own (a copy of its numbers, on their device)."""
        model = copy.deepcopy(self.base).to_empty(device=next(iter(self.params.values())).device)
        model.load_state_dict({**{k: v[i].detach().clone() for k, v in self.params.items()},
                               **{k: v[i].clone() for k, v in self.buffers.items()}})
        return model.eval()


def _configs_alike(configs: Sequence[TrainConfig]) -> None:
    first = replace(configs[0], seed=0)
    for config in configs:
        if replace(config, seed=0) != first:
            raise ValueError("the members of an ensemble may differ only in their seed: "
                             f"{config} against {configs[0]}")
    if first.schedule != "constant":
        raise ValueError("an ensemble trains at a constant rate (a schedule counts one run's "
                         f"steps): {configs[0]}")
    if first.precision == "bfloat16" or first.label_smoothing:
        raise ValueError(f"an ensemble computes in the models' own precision, without label "
                         f"smoothing: {configs[0]}")


def fit_ensemble(models: Sequence[nn.Module], X: torch.Tensor, y: torch.Tensor,
                 configs: Sequence[TrainConfig], *, loss_fn: LossFn = F.cross_entropy,
                 X_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None,
                 device: torch.device | None = None, threads: int = 1,
                 callbacks: Sequence[EnsembleCallback] = ()) -> tuple[list[History], Ensemble]:
    """Train ``models`` (one architecture) on ``(X, y)``, member ``i`` with ``configs[i]``, as
    one ensemble (see the module's docstring); returns each member's history, as
    :func:`nnbook.engine.fit.fit` would have returned it, and the trained ensemble.

    The models are not changed: :meth:`Ensemble.member` gives each trained member. ``threads``:
    the CPU threads (one suits the small networks an ensemble is for).
    """
    if not models or len(models) != len(configs):
        raise ValueError(f"give as many configurations as models, not {len(configs)} for "
                         f"{len(models)}")
    _configs_alike(configs)
    for model in models:
        if any(isinstance(m, nn.modules.dropout._DropoutNd) for m in model.modules()):
            raise ValueError("an ensemble cannot train a model with dropout: its members would "
                             "not draw what their own runs draw")
    device = device if device is not None else get_device()
    config = configs[0]
    X, y = X.to(device), y.to(device)
    params, buffers = stack_module_state([m.to(device) for m in models])
    params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    base = copy.deepcopy(models[0]).to("meta")
    ensemble = Ensemble(base, params, {k: v.clone() for k, v in buffers.items()})
    holder = nn.Module()  # make_optimizer takes a module: one holding the stacked parameters
    for i, tensor in enumerate(params.values()):
        holder.register_parameter(f"p{i}", nn.Parameter(tensor, requires_grad=True))
    ensemble.params = dict(zip(params, holder.parameters()))
    optimizer = make_optimizer(holder, config)
    generators = [torch.Generator(device="cpu").manual_seed(c.seed) for c in configs]
    n, size, members = len(X), config.batch_size, len(models)
    dtype = str(next(models[0].parameters()).dtype).removeprefix("torch.")
    plan = Plan(dtype, False, threads=threads, how="requested").to_dict()
    histories = [History(config=asdict(c), device=device.type, precision=dtype, n_train=n,
                         plan=plan) for c in configs]
    member_loss = vmap(loss_fn)
    batch_losses: list[torch.Tensor] = []
    with using_threads(threads):
        for callback in callbacks:
            callback.on_epoch_end(ensemble, 0)
        for epoch in range(1, config.num_epochs + 1):
            start = time.perf_counter()
            order = torch.stack([torch.randperm(n, generator=g) for g in generators]).to(device)
            total = torch.zeros(members, device=device, dtype=torch.float64)
            for i in range(0, n, size):
                idx = order[:, i:i + size]  # (members, batch): each member's own examples
                losses = member_loss(ensemble.outputs(X[idx]), y[idx])  # (members,)
                optimizer.zero_grad(set_to_none=True)
                losses.sum().backward()  # member m's gradient is that of its own loss
                optimizer.step()
                losses = losses.detach()
                total += losses.double() * idx.shape[1]
                batch_losses.append(losses)
            seconds = (time.perf_counter() - start) / members  # each member's share
            epoch_losses = (total / n).tolist()
            test = _evaluate(ensemble, X_test, y_test, loss_fn)
            for m, history in enumerate(histories):
                history.epoch_losses.append(epoch_losses[m])
                history.wall_time += seconds
                history.epoch_times.append(history.wall_time)
                if test is not None:
                    history.test_loss.append(test[0][m])
                    if test[1] is not None:
                        history.test_accuracies.append(test[1][m])
            for callback in callbacks:
                callback.on_epoch_end(ensemble, epoch)
    stacked = torch.stack(batch_losses, dim=1).cpu() if batch_losses else torch.zeros(members, 0)
    for m, history in enumerate(histories):
        history.batch_losses = stacked[m].tolist()
    return histories, ensemble


@torch.no_grad()
def _evaluate(ensemble: Ensemble, X_test: torch.Tensor | None, y_test: torch.Tensor | None,
              loss_fn: LossFn) -> tuple[list[float], list[float] | None] | None:
    """Each member's test loss and, for class labels, accuracy (as fit's evaluate gives them)."""
    if X_test is None or y_test is None:
        return None
    device = next(iter(ensemble.params.values())).device
    X_test, y_test = X_test.to(device), y_test.to(device)
    outputs = ensemble.outputs(X_test, shared=True)  # (members, n_test, ...)
    losses = [float(loss_fn(out, y_test)) for out in outputs]
    if y_test.ndim != 1 or y_test.is_floating_point():
        return losses, None
    accuracy = (outputs.argmax(dim=-1) == y_test).float().mean(dim=1)
    return losses, [float(a) for a in accuracy]
