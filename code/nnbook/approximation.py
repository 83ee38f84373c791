"""Universal approximation, shown rather than asserted, and why depth can beat width.

Part one fits one-hidden-layer sigmoid networks of growing width to a fixed continuous function on
a bounded interval and measures the worst-case error: it falls as the width grows, as the
universal approximation theorem says it can.

Part two builds, with weights written by hand, a deep narrow ReLU network and a shallow wide one
that compute the same sawtooth exactly. The deep one needs parameters in proportion to its depth
k; the shallow one needs about 2^k units, because each ReLU unit of a single hidden layer adds at
most one kink to a function of one variable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from nnbook.networks import mlp, n_mlp_parameters
from nnbook.engine.fit import TrainConfig, fit, predict

INTERVAL = (-2.0, 2.0)


def target(x: np.ndarray) -> np.ndarray:
    """The function to approximate: smooth, with a few bumps of different sizes on INTERVAL."""
    x = np.asarray(x, dtype=np.float64)
    return np.sin(2.0 * x) + 0.5 * np.cos(5.0 * x) * np.exp(-0.5 * x ** 2)


@dataclass(frozen=True)
class ApproxConfig:
    """How each network is fitted: full-batch Adam on the squared error, in float64."""

    num_points: int = 200  # evenly spaced training inputs on the interval
    num_epochs: int = 1500  # one full-batch step per epoch
    lr: float = 0.05  # the peak of the one-cycle schedule, which anneals to a fine final fit
    schedule: str = "onecycle"
    seed: int = 0  # initial weights


@dataclass
class ApproxResult:
    """One fitted width: its network, parameter count and errors on a fine grid."""

    width: int
    model: torch.nn.Sequential
    parameters: int
    max_error: float  # sup-norm on 2,001 points: the epsilon of the theorem
    rms_error: float


def training_data(config: ApproxConfig, fn: Callable[[np.ndarray], np.ndarray] = target,
                  interval: tuple[float, float] = INTERVAL) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (n, 1) on the interval and the target's values (n, 1), as float64 tensors."""
    x = np.linspace(*interval, config.num_points)
    return (torch.as_tensor(x).reshape(-1, 1), torch.as_tensor(fn(x)).reshape(-1, 1))


def model_function(model: torch.nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy function of x (n,) returning the network's output (n,)."""
    def evaluate(x: np.ndarray) -> np.ndarray:
        X = torch.as_tensor(np.asarray(x, dtype=np.float64)).reshape(-1, 1)
        y_hat = predict(model, X.to(next(model.parameters()).dtype))  # (n, 1)
        return y_hat.reshape(-1).double().cpu().numpy()

    return evaluate


def errors(model: torch.nn.Module, fn: Callable[[np.ndarray], np.ndarray] = target,
           interval: tuple[float, float] = INTERVAL) -> tuple[float, float]:
    """The worst-case and root-mean-square error of ``model`` against ``fn`` on 2,001 points."""
    x = np.linspace(*interval, 2001)
    diff = model_function(model)(x) - fn(x)
    return float(np.abs(diff).max()), float(np.sqrt(np.mean(diff ** 2)))


def spread_init(model: torch.nn.Sequential, interval: tuple[float, float] = INTERVAL) -> None:
    """Place the hidden sigmoids' steps evenly across the interval, with random directions.

    This is the picture behind the theorem's proof: a sum of shifted steps can follow any
    continuous curve. Starting there, training only has to adjust the steps, so every width gets
    a fair chance within the same budget (PyTorch's default puts every step near x = 0).
    """
    hidden = model[0]
    width = hidden.out_features
    lo, hi = interval
    generator = torch.Generator().manual_seed(width)
    centres = torch.linspace(lo, hi, width + 2, dtype=torch.float64)[1:-1]  # (width,)
    signs = torch.randint(0, 2, (width,), generator=generator).double() * 2 - 1
    slope = (width + 1) / (hi - lo)  # each step rises over about one spacing
    with torch.no_grad():
        hidden.weight.copy_((signs * slope).reshape(-1, 1).to(hidden.weight.dtype))
        hidden.bias.copy_((-signs * slope * centres).to(hidden.bias.dtype))


def fit_width(
    width: int,
    config: ApproxConfig = ApproxConfig(),
    fn: Callable[[np.ndarray], np.ndarray] = target,
    interval: tuple[float, float] = INTERVAL,
    spread: bool = True,
    device: torch.device | None = None,
) -> ApproxResult:
    """Fit a 1 -> width -> 1 sigmoid network to ``fn`` by least squares with
    nnbook's ``fit``.

    ``spread=False`` keeps PyTorch's default initialisation instead of
    :func:`spread_init`.
    """
    X, y = training_data(config, fn, interval)
    model = mlp((1, width, 1), "sigmoid", seed=config.seed, dtype=torch.float64)
    if spread:
        spread_init(model, interval)
    train = TrainConfig(
        num_epochs=config.num_epochs,
        batch_size=len(X),
        lr=config.lr,
        optimizer="adam",
        schedule=config.schedule,
        seed=config.seed,
    )
    fit(model, X, y, train, loss_fn=F.mse_loss, device=device)
    max_error, rms_error = errors(model, fn, interval)
    return ApproxResult(
        width, model, n_mlp_parameters((1, width, 1)), max_error, rms_error
    )


def width_sweep(widths: Sequence[int] = (1, 2, 4, 8, 16), config: ApproxConfig = ApproxConfig(),
                device: torch.device | None = None) -> list[ApproxResult]:
    """Fit one network per width, all with the same data and training budget."""
    return [fit_width(w, config, device=device) for w in widths]


# Depth versus width: a sawtooth that a deep network draws with few parameters.

def tent(x: np.ndarray) -> np.ndarray:
    """The tent map on [0, 1]: up from 0 to 1 on [0, 1/2], back down to 0 on [1/2, 1]."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x < 0.5, 2.0 * x, 2.0 - 2.0 * x)


def sawtooth(x: np.ndarray, depth: int) -> np.ndarray:
    """The tent map applied ``depth`` times: 2**(depth - 1) teeth, 2**depth linear pieces."""
    for _ in range(depth):
        x = tent(x)
    return x


def deep_sawtooth_network(depth: int) -> torch.nn.Sequential:
    """``depth`` hidden layers of two ReLU units each, weights set by hand, computing sawtooth.

    On [0, 1] the tent map is 2 relu(x) - 4 relu(x - 1/2). Each hidden layer holds those two
    ReLUs; the combination 2 h1 - 4 h2 is folded into the next layer's weights.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    model = mlp((1,) + (2,) * depth + (1,), "relu", dtype=torch.float64)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    tent_out = torch.tensor([[2.0, -4.0]], dtype=torch.float64)  # (1, 2): h -> tent value
    with torch.no_grad():
        for i, linear in enumerate(linears):
            incoming = torch.ones(1, 1, dtype=torch.float64) if i == 0 else tent_out  # (1, n_in)
            if i < depth:  # two units: relu(t) and relu(t - 1/2) of the incoming tent value t
                linear.weight.copy_(torch.ones(2, 1, dtype=torch.float64) @ incoming)
                linear.bias.copy_(torch.tensor([0.0, -0.5], dtype=torch.float64))
            else:  # the output: the last tent value itself
                linear.weight.copy_(tent_out)
                linear.bias.zero_()
    return model


def shallow_sawtooth_network(depth: int) -> torch.nn.Sequential:
    """One hidden layer of 2**depth ReLU units computing the same sawtooth on [0, 1].

    The sawtooth starts at 0 with slope 2**depth and flips its slope at every multiple of
    2**-depth; unit i adds one kink, relu(x - i / 2**depth), weighted by the slope change.
    """
    pieces = 2 ** depth
    model = mlp((1, pieces, 1), "relu", dtype=torch.float64)
    kinks = torch.arange(pieces, dtype=torch.float64) / pieces  # 0, 1/p, ..., (p - 1)/p
    slope = float(pieces)
    change = torch.full((pieces,), 2 * slope, dtype=torch.float64)
    change[1::2] *= -1  # down at odd kinks, up at even ones
    change[0] = slope  # the first unit sets the initial slope
    with torch.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.copy_(-kinks)
        model[2].weight.copy_(change.reshape(1, -1))
        model[2].bias.zero_()
    return model


def count_linear_pieces(fn: Callable[[np.ndarray], np.ndarray],
                        interval: tuple[float, float] = (0.0, 1.0), num_points: int = 2 ** 14 + 1, tol: float = 1e-6) -> int:
    """How many linear pieces a piecewise linear ``fn`` has on the interval, counted numerically."""
    x = np.linspace(*interval, num_points)
    slopes = np.diff(fn(x)) / np.diff(x)
    changes = np.abs(np.diff(slopes)) > tol * max(1.0, float(np.abs(slopes).max()))
    # A kink strictly inside a grid cell changes the slope over two neighbouring differences.
    starts = changes & ~np.concatenate([[False], changes[:-1]])
    return int(starts.sum()) + 1


@dataclass
class DepthRow:
    """Parameter counts of the deep and the shallow network computing one sawtooth exactly."""

    depth: int
    pieces: int  # linear pieces of the sawtooth, 2**depth
    deep_parameters: int  # depth hidden layers of 2 ReLUs
    shallow_parameters: int  # one hidden layer of 2**depth ReLUs


def depth_table(depths: Sequence[int] = (2, 4, 6, 8, 10)) -> list[DepthRow]:
    """The cost of an exact sawtooth by depth: linear for the deep net, exponential for the shallow."""
    return [DepthRow(depth=k, pieces=2 ** k,
                     deep_parameters=n_mlp_parameters((1,) + (2,) * k + (1,)),
                     shallow_parameters=n_mlp_parameters((1, 2 ** k, 1))) for k in depths]


def budget_fit(depth: int, config: ApproxConfig = ApproxConfig(num_points=513),
               device: torch.device | None = None) -> tuple[int, float, torch.nn.Module]:
    """Train a one-hidden-layer ReLU net with no more parameters than the deep sawtooth net.

    Returns its number of hidden units, its worst-case error on [0, 1] and the model. With u
    units it has at most u + 1 linear pieces, too few to follow 2**depth of them.
    """
    units = (n_mlp_parameters((1,) + (2,) * depth + (1,)) - 1) // 3  # 3 parameters per unit, + 1
    x = np.linspace(0.0, 1.0, config.num_points)
    X = torch.as_tensor(x).reshape(-1, 1)
    y = torch.as_tensor(sawtooth(x, depth)).reshape(-1, 1)
    model = mlp((1, units, 1), "relu", seed=config.seed, dtype=torch.float64)
    train = TrainConfig(num_epochs=config.num_epochs, batch_size=len(X), lr=config.lr,
                        schedule=config.schedule, seed=config.seed)
    fit(model, X, y, train, loss_fn=F.mse_loss, device=device)
    max_error, _ = errors(model, lambda t: sawtooth(t, depth), (0.0, 1.0))
    return units, max_error, model


