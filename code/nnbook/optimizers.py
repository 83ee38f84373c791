"""How an optimiser turns gradients into steps: gradient descent, momentum and Adam, written out.

Training a network means finding weights $\\theta$ that make a loss $L(\\theta)$ small. Every
optimiser in this book steps against the gradient $g = \\nabla L(\\theta)$; they differ in what
they remember between steps. Each rule below is one step, on NumPy arrays, exactly as PyTorch's
``torch.optim.SGD`` and ``torch.optim.Adam`` take it with their default settings
(``tests/unit/test_optimizers.py`` checks them against torch):

- gradient descent: $\\theta \\leftarrow \\theta - \\eta\\, g$;
- momentum: $v \\leftarrow \\beta v + g$, $\\theta \\leftarrow \\theta - \\eta\\, v$;
- Adam: running means of the gradient and of its square, corrected for their start at zero,
  and a step of the first divided by the square root of the second.

:func:`descend` runs a rule on a function whose gradient is known, for the chapter's picture of
three optimisers crossing a narrow valley (:func:`valley`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Gradient = Callable[[np.ndarray], np.ndarray]


@dataclass
class State:
    """What an optimiser remembers between steps (zeros at the start) and its step count."""

    step: int = 0
    velocity: np.ndarray | None = None  # momentum's v
    mean: np.ndarray | None = None  # Adam's m: a running mean of the gradient
    square: np.ndarray | None = None  # Adam's v: a running mean of its square, element by element


def gradient_descent(theta: np.ndarray, g: np.ndarray, state: State, *, lr: float) -> np.ndarray:
    """One step of gradient descent: a fixed multiple of the gradient, downhill."""
    return theta - lr * g


def momentum(theta: np.ndarray, g: np.ndarray, state: State, *, lr: float,
             beta: float = 0.9) -> np.ndarray:
    """One step of gradient descent with momentum (PyTorch's SGD with ``momentum=beta``): the
    step is a running sum of past gradients, so directions that agree from step to step build
    up speed and directions that flip sign cancel."""
    state.velocity = g.copy() if state.velocity is None else beta * state.velocity + g
    return theta - lr * state.velocity


def adam(theta: np.ndarray, g: np.ndarray, state: State, *, lr: float,
         beta1: float = 0.9, beta2: float = 0.999,
         eps: float = 1e-8) -> np.ndarray:
    """One step of Adam (Kingma and Ba): each number's step is the running
    mean of its gradient divided by the root of the running mean of its
    squared gradient, both corrected for starting at zero; so every number
    moves by about ``lr`` whatever the scale of its gradient."""
    state.step += 1
    if state.mean is None:  # the running means start at zero
        state.mean, state.square = np.zeros_like(g), np.zeros_like(g)
    state.mean = beta1 * state.mean + (1 - beta1) * g
    state.square = beta2 * state.square + (1 - beta2) * g * g
    m_hat = state.mean / (1 - beta1**state.step)  # corrected for the start
    v_hat = state.square / (1 - beta2**state.step)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


Rule = Callable[..., np.ndarray]
NAMES = {gradient_descent: "gradient descent", momentum: "momentum", adam: "Adam"}


@dataclass
class Path:
    """The points an optimiser visited, from its start."""

    name: str
    points: np.ndarray  # (steps + 1, d)
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the function at each point

    def steps_to(self, tolerance: float, minimum: np.ndarray) -> int | None:
        """The first step after which the point stays within ``tolerance`` of ``minimum``."""
        far = np.linalg.norm(self.points - minimum, axis=1) > tolerance
        if far[-1]:
            return None
        last_far = np.flatnonzero(far)
        return int(last_far[-1]) + 1 if len(last_far) else 0


def descend(rule: Rule, gradient: Gradient, start: np.ndarray, steps: int, *, name: str = "",
            function: Callable[[np.ndarray], float] | None = None, **settings) -> Path:
    """``steps`` steps of ``rule`` (with its ``settings``, such as ``lr``) from ``start``."""
    theta, state = np.asarray(start, dtype=np.float64).copy(), State()
    points = [theta.copy()]
    for _ in range(steps):
        theta = rule(theta, gradient(theta), state, **settings)
        points.append(theta.copy())
    points = np.array(points)
    values = np.array([function(p) for p in points]) if function else np.zeros(0)
    return Path(name or NAMES.get(rule, getattr(rule, "__name__", "rule")), points, values)


@dataclass(frozen=True)
class Valley:
    """$f(\\theta) = (\\theta_1^2 + c\\, \\theta_2^2) / 2$: a bowl ``curvature`` times steeper
    across than along, the shape a loss often has near its minimum, at $(0, 0)$."""

    curvature: float = 25.0

    def __call__(self, theta: np.ndarray) -> float:
        return 0.5 * float(theta[0] ** 2 + self.curvature * theta[1] ** 2)

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return np.array([theta[0], self.curvature * theta[1]])


def valley(curvature: float = 25.0) -> Valley:
    """The chapter's narrow valley."""
    return Valley(curvature)
