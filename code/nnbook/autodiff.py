"""Automatic differentiation, checked three ways: autograd, a hand derivative, finite differences.

The running example is one parameter and one output,

    z(theta) = (1 - log(1 + exp(theta)))^2,

small enough to differentiate by hand and rich enough to give autograd a chain of five operations.
Everything here works elementwise on float64 tensors, so a whole range of theta is checked at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn as nn

from nnbook.networks import mlp

ScalarFn = Callable[[torch.Tensor], torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
SAVED_PREFIX = "_saved_"


# --- The running example -------------------------------------------------------------------------

def z(theta: torch.Tensor) -> torch.Tensor:
    """The running example z = (1 - log(1 + exp(theta)))^2, elementwise."""
    return (1 - torch.log(1 + torch.exp(theta))) ** 2


def z_derivative(theta: torch.Tensor) -> torch.Tensor:
    """dz/dtheta by hand: -2 (1 - log(1 + e^theta)) e^theta / (1 + e^theta)."""
    e = torch.exp(theta)
    return -2 * (1 - torch.log(1 + e)) * e / (1 + e)


def z_minimiser() -> float:
    """Where z is smallest: dz/dtheta = 0 where log(1 + e^theta) = 1, that is theta = log(e - 1)."""
    return float(np.log(np.e - 1))


# --- Three ways to a derivative ------------------------------------------------------------------

def autograd_derivative(f: ScalarFn, theta: torch.Tensor) -> torch.Tensor:
    """df/dtheta at every entry of ``theta`` by reverse-mode autograd.

    ``f`` must act elementwise: then d(sum f)/d theta_i = f'(theta_i), so one backward pass through
    the sum gives every derivative at once.
    """
    theta = theta.detach().clone().requires_grad_(True)
    f(theta).sum().backward()
    return theta.grad


def central_difference(f: ScalarFn, theta: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    """(f(theta + h) - f(theta - h)) / 2h, whose error shrinks like h^2 until rounding takes over."""
    with torch.no_grad():
        return (f(theta + h) - f(theta - h)) / (2 * h)


def forward_difference(f: ScalarFn, theta: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    """(f(theta + h) - f(theta)) / h, the one-sided quotient, whose error shrinks only like h."""
    with torch.no_grad():
        return (f(theta + h) - f(theta)) / h


def compare_derivatives(f: ScalarFn, df: ScalarFn, theta: torch.Tensor, h: float = 1e-6) -> dict[str, np.ndarray]:
    """The three derivatives of ``f`` side by side at ``theta``: autograd, the hand formula ``df``, and
    a central finite difference, as float64 arrays (plus ``theta`` itself)."""
    theta = torch.as_tensor(theta, dtype=torch.float64).detach()
    with torch.no_grad():
        hand = df(theta)
    return {
        "theta": theta.numpy().copy(),
        "autograd": autograd_derivative(f, theta).numpy(),
        "hand": hand.numpy(),
        "finite difference": central_difference(f, theta, h).numpy(),
    }


def _float64_ordinal(x: float) -> int:
    """The position of ``x`` among all float64 numbers, in increasing order (0.0 and -0.0 at 0)."""
    bits = int(np.array(x, dtype=np.float64).view(np.int64))
    return bits if bits >= 0 else -(bits & 0x7FFF_FFFF_FFFF_FFFF)


def ulps_apart(a: float, b: float) -> int:
    """How many steps of the float64 grid separate ``a`` and ``b``: 0 when they are the same
    number, 1 when they are neighbours. A difference of a few units in the last place is
    rounding, not a wrong formula."""
    return abs(_float64_ordinal(a) - _float64_ordinal(b))


def difference_errors(f: ScalarFn, df: ScalarFn, theta: float,
                      steps: np.ndarray) -> dict[str, np.ndarray]:
    """Absolute error of the forward and central differences against the exact ``df`` for each step h.

    Large h: the truncation error of the quotient dominates (h for forward, h^2 for central).
    Small h: f(theta + h) and f(theta - h) agree in almost all their digits, and rounding dominates.
    """
    t = torch.tensor(theta, dtype=torch.float64)
    exact = float(df(t))
    forward = [abs(float(forward_difference(f, t, float(h))) - exact) for h in steps]
    central = [abs(float(central_difference(f, t, float(h))) - exact) for h in steps]
    return {"h": np.asarray(steps, dtype=np.float64), "forward": np.array(forward), "central": np.array(central)}


# --- The graph autograd records ------------------------------------------------------------------

def node_name(fn) -> str:
    """The class name of a backward node, such as ``PowBackward0`` or ``AccumulateGrad``."""
    return type(fn).__name__


def _saved_values(fn) -> str:
    """What a backward node kept from the forward pass to compute its local derivative."""
    parts = []
    for attr in sorted(a for a in dir(fn) if a.startswith(SAVED_PREFIX)):
        value = getattr(fn, attr)
        if torch.is_tensor(value):
            value = value.item() if value.numel() == 1 else f"tensor of shape {tuple(value.shape)}"
        if isinstance(value, float):
            value = f"{value:.6g}"
        parts.append(f"{attr[len(SAVED_PREFIX):]} = {value}")
    return ", ".join(parts)


def backward_graph_rows(output: torch.Tensor) -> list[dict]:
    """Walk from ``output.grad_fn`` along ``next_functions``: a row per node.

    A row gives the node's distance from the output, its name, the nodes it
    passes gradients on to (``None`` marks an input that needs no gradient,
    such as a constant) and the values it saved. ``AccumulateGrad`` ends a
    path: it adds the arriving gradient into a leaf tensor's ``.grad``.
    """
    if output.grad_fn is None:
        raise ValueError("the tensor has no grad_fn: it is a leaf, "
                         "or was computed without autograd")
    rows, seen = [], set()
    frontier = [(output.grad_fn, 0)]
    while frontier:  # breadth first: rows in order of distance from output
        fn, depth = frontier.pop(0)
        if fn in seen:  # a node feeding several consumers is listed once
            continue
        seen.add(fn)
        nexts = [n for n, _ in fn.next_functions]
        receivers = ["None" if n is None else node_name(n) for n in nexts]
        saved = _saved_values(fn)
        if hasattr(fn, "variable"):  # AccumulateGrad holds its leaf
            leaf = fn.variable
            saved = f"leaf tensor of shape {tuple(leaf.shape)}, {leaf.dtype}"
        rows.append({"depth": depth, "node": node_name(fn),
                     "passes gradient to": ", ".join(receivers) or "-",
                     "saved for backward": saved or "-"})
        frontier.extend((n, depth + 1) for n in nexts if n is not None)
    return rows


def backward_chain(output: torch.Tensor) -> list[str]:
    """The names of the backward nodes from the output down to the leaves, in walking order."""
    return [row["node"] for row in backward_graph_rows(output)]


def reverse_sweep(theta0: float = 1.0) -> list[dict]:
    """z computed one operation at a time, with the gradient of z with respect to every intermediate.

    Rows run from the output down to theta, the order in which backward visits them. Each row has
    the intermediate's value, the local derivative of the step above it with respect to it, and
    dz/d(intermediate) as autograd computed it (``retain_grad`` keeps it on non-leaf tensors). The
    chain rule says each gradient is the one above it times the local derivative.
    """
    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    u = torch.exp(theta)
    v = 1 + u
    w = torch.log(v)
    r = 1 - w
    out = r ** 2
    for t in (u, v, w, r, out):
        t.retain_grad()
    out.backward()
    steps = [  # (name, definition, tensor, local derivative of the step above it)
        ("z", "z = r²", out, 1.0),
        ("r", "r = 1 − w", r, 2 * r.item()),  # dz/dr
        ("w", "w = log v", w, -1.0),  # dr/dw
        ("v", "v = 1 + u", v, 1 / v.item()),  # dw/dv
        ("u", "u = exp θ", u, 1.0),  # dv/du
        ("θ", "θ (leaf)", theta, u.item()),  # du/dθ = exp θ
    ]
    return [{"variable": name, "definition": definition, "value": t.item(),
             "local derivative": local, "dz/d(variable)": t.grad.item()}
            for name, definition, t, local in steps]


# --- Custom autograd functions: the hand derivative inside autograd ------------------------------

class HandZ(torch.autograd.Function):
    """z with our hand derivative as its backward, for ``gradcheck`` to test."""

    @staticmethod
    def forward(ctx, theta):
        ctx.save_for_backward(theta)
        return z(theta)

    @staticmethod
    def backward(ctx, grad_output):
        (theta,) = ctx.saved_tensors
        return grad_output * z_derivative(theta)


class BuggyZ(HandZ):
    """z with a classic slip in its backward: the inner derivative is lost."""

    @staticmethod
    def backward(ctx, grad_output):
        (theta,) = ctx.saved_tensors
        e = torch.exp(theta)
        # Missing the factor e^theta, the derivative of exp:
        return grad_output * -2 * (1 - torch.log(1 + e)) / (1 + e)


def xor_hidden_layer(seed: int = 0) -> nn.Module:
    """The hidden layer (Linear(2, 4) and sigmoid) of the XOR network, in float64, untrained."""
    network = mlp((2, 4, 2), "sigmoid", seed=seed, dtype=torch.float64)
    return network[:2]  # (B, 2) -> (B, 4)


def check_layer(layer: nn.Module, X: torch.Tensor, **kwargs) -> bool:
    """``gradcheck`` a layer with respect to its input and every parameter."""
    names = [name for name, _ in layer.named_parameters()]
    params = [p.detach().clone().requires_grad_(True)
              for p in layer.parameters()]
    X = X.detach().clone().requires_grad_(True)

    def as_function(X, *params):  # the layer as a function of all its inputs
        return torch.func.functional_call(layer, dict(zip(names, params)), (X,))

    return torch.autograd.gradcheck(as_function, (X, *params), **kwargs)


# --- Exercise: another derivative checked three ways ---------------------------------------------

def silu(x: torch.Tensor) -> torch.Tensor:
    """The SiLU (or swish) activation x * sigmoid(x)."""
    return x * torch.sigmoid(x)


def silu_derivative(x: torch.Tensor) -> torch.Tensor:
    """By the product rule, with s = sigmoid(x):
    s + x s (1 - s) = s (1 + x (1 - s))."""
    s = torch.sigmoid(x)
    return s * (1 + x * (1 - s))


# --- Gradients accumulate ------------------------------------------------------------------------

def repeated_backward(theta0: float = 1.0, num_calls: int = 3) -> list[dict]:
    """``theta.grad`` after each of several backward passes, without and with zeroing in between."""
    rows = []
    kept = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    zeroed = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    for call in range(1, num_calls + 1):
        z(kept).backward()  # adds into kept.grad
        zeroed.grad = None  # what optimizer.zero_grad() does
        z(zeroed).backward()
        rows.append({"backward call": call, "grad, never zeroed": kept.grad.item(),
                     "grad, zeroed before each call": zeroed.grad.item()})
    return rows


def gradient_descent(theta0: float, lr: float, num_steps: int, *, zero_grad: bool = True) -> np.ndarray:
    """Plain gradient descent on z, returning theta after every step (theta0 first).

    With ``zero_grad=False`` the loop forgets to clear ``theta.grad``, so each step uses the sum of
    all gradients so far instead of the current one.
    """
    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    trajectory = [theta0]
    for _ in range(num_steps):
        if zero_grad:
            theta.grad = None
        z(theta).backward()
        with torch.no_grad():
            theta -= lr * theta.grad
        trajectory.append(theta.item())
    return np.array(trajectory)


def microbatch_gradients(
    model: nn.Module,
    loss_fn: LossFn,
    X: torch.Tensor,
    y: torch.Tensor,
    num_chunks: int,
) -> list[torch.Tensor]:
    """Gradients of the mean loss over (X, y), accumulated over micro-batches.

    Each chunk's mean loss is weighted by its share of the rows, so the sum
    that accumulates in ``.grad`` is the gradient of the mean over the whole
    batch. ``loss_fn`` must average over rows (PyTorch's default reduction).
    """
    model.zero_grad(set_to_none=True)
    chunks = zip(X.tensor_split(num_chunks), y.tensor_split(num_chunks))
    for X_chunk, y_chunk in chunks:
        share = len(X_chunk) / len(X)
        loss = loss_fn(model(X_chunk), y_chunk) * share
        loss.backward()  # adds into each parameter's .grad
    return [p.grad.detach().clone() for p in model.parameters()]
