"""Backpropagation written out by hand: no autograd, only tensors and the chain rule.

A fully connected network with ``N`` layers of sigmoid units. Layer ``l`` holds a weight matrix
``W[l]`` of shape (n_l, n_{l-1}), so that ``W[l][j, k]`` is the lecture's :math:`w^l_{jk}` (from unit
``k`` of layer ``l - 1`` to unit ``j`` of layer ``l``), and a bias ``b[l]`` of shape (n_l,).
Examples are rows: a batch ``X`` has shape (B, n_0) and every activation ``a^l`` has shape (B, n_l).

The four steps, in the notation of the chapter:

1. forward:   z^l = a^{l-1} W^l^T + b^l,  a^l = sigma(z^l)
2. output:    delta^N = grad_a L * sigma'(z^N)
3. backward:  delta^l = (delta^{l+1} W^{l+1}) * sigma'(z^l)
4. gradients: dL/dW^l = delta^l^T a^{l-1},  dL/db^l = sum over the batch of delta^l

The loss is the mean over the batch, so the sums in step 4 already carry the 1/B of the SGD rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from nnbook.engine.device import get_device

LOSSES = ("cross_entropy", "squared")
DerivativeFn = Callable[[torch.Tensor], torch.Tensor]


def sigmoid(z: torch.Tensor) -> torch.Tensor:
    """The logistic function, written out: 1 / (1 + exp(-z))."""
    return 1.0 / (1.0 + torch.exp(-z))


def sigmoid_prime(z: torch.Tensor) -> torch.Tensor:
    """sigma'(z) = sigma(z) (1 - sigma(z)): the slope backpropagation multiplies by."""
    s = sigmoid(z)
    return s * (1.0 - s)


@dataclass
class Layer:
    """One fully connected layer: ``W`` (n_out, n_in) and ``b`` (n_out,)."""

    W: torch.Tensor
    b: torch.Tensor


@dataclass
class ForwardPass:
    """What the forward pass keeps for the backward pass: every ``z^l`` and ``a^l``.

    ``activations[0]`` is the input ``X``; ``zs[l - 1]`` and ``activations[l]`` belong to layer l.
    """

    zs: list[torch.Tensor] = field(default_factory=list)
    activations: list[torch.Tensor] = field(default_factory=list)

    @property
    def output(self) -> torch.Tensor:
        return self.activations[-1]


def init_network(layer_sizes: list[int] | tuple[int, ...], *, seed: int = 0,
                 dtype: torch.dtype = torch.float64,
                 device: torch.device | None = None) -> list[Layer]:
    """Random weights for a fully connected network with these layer sizes (inputs first).

    Weights are uniform in +-1/sqrt(n_in), PyTorch's default for ``nn.Linear``, so a layer's
    weighted inputs start at a scale where the sigmoid is neither flat nor saturated. They are
    drawn on the CPU (the same numbers on every machine), then moved to ``device``.
    """
    device = device if device is not None else get_device()
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least an input and an output size, all positive; got {sizes}")
    generator = torch.Generator().manual_seed(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = n_in ** -0.5
        W = (torch.rand(n_out, n_in, generator=generator, dtype=dtype) * 2 - 1) * bound
        b = (torch.rand(n_out, generator=generator, dtype=dtype) * 2 - 1) * bound
        layers.append(Layer(W.to(device), b.to(device)))
    return layers


def forward(layers: list[Layer], X: torch.Tensor) -> ForwardPass:
    """Step 1: feed ``X`` (B, n_0) through every layer, keeping z^l and a^l."""
    cache = ForwardPass(activations=[X])
    a = X
    for layer in layers:
        z = a @ layer.W.T + layer.b  # (B, n_l)
        a = sigmoid(z)
        cache.zs.append(z)
        cache.activations.append(a)
    return cache


def loss_value(a: torch.Tensor, Y: torch.Tensor, loss: str) -> torch.Tensor:
    """The mean over the batch of the per-example loss of outputs ``a`` against targets ``Y``.

    ``"cross_entropy"``: -sum_j [y_j log a_j + (1 - y_j) log(1 - a_j)] (one sigmoid per output).
    ``"squared"``: 1/2 sum_j (a_j - y_j)^2.
    """
    if loss == "cross_entropy":
        eps = torch.finfo(a.dtype).tiny  # log(0) only where the network is certain and wrong
        per_example = -(Y * torch.log(a + eps) + (1 - Y) * torch.log(1 - a + eps)).sum(dim=1)
    elif loss == "squared":
        per_example = 0.5 * ((a - Y) ** 2).sum(dim=1)
    else:
        raise ValueError(f"loss must be one of {LOSSES}, not {loss!r}")
    return per_example.mean()


def output_error(cache: ForwardPass, Y: torch.Tensor, loss: str, *,
                 sigmoid_prime: DerivativeFn = sigmoid_prime) -> torch.Tensor:
    """Step 2: delta^N = grad_a L (*) sigma'(z^N) of the mean loss, (B, n_N).

    For the cross-entropy, grad_a L = (a - y) / (a (1 - a)) and
    sigma'(z) = a (1 - a), so the product is (a - y): computed in that
    cancelled form, it stays finite when a saturates at 0 or 1. The squared
    error keeps its factor sigma'(z^N).
    """
    a, z = cache.output, cache.zs[-1]
    batch_size = len(a)
    if loss == "cross_entropy":
        return (a - Y) / batch_size
    if loss == "squared":
        return (a - Y) * sigmoid_prime(z) / batch_size
    raise ValueError(f"loss must be one of {LOSSES}, not {loss!r}")


def backward(layers: list[Layer], cache: ForwardPass, Y: torch.Tensor,
             loss: str, *, sigmoid_prime: DerivativeFn = sigmoid_prime,
             ) -> list[Layer]:
    """Steps 2 to 4: the gradient of the batch-mean loss for every W^l and b^l.

    Returns one :class:`Layer` of gradients per layer, shaped like the weights.
    ``sigmoid_prime`` is the sigma' the equations multiply by; the chapter
    passes a wrong one to show that the comparison with autograd catches it.
    """
    # delta^N, (B, n_N)
    delta = output_error(cache, Y, loss, sigmoid_prime=sigmoid_prime)
    grads: list[Layer] = [None] * len(layers)  # type: ignore[list-item]
    for l in range(len(layers) - 1, -1, -1):
        a_prev = cache.activations[l]  # a^{l-1}, (B, n_{l-1})
        # dL/dw_jk = a^{l-1}_k delta^l_j, summed over the batch:
        # (n_l, B) @ (B, n_{l-1})
        grads[l] = Layer(W=delta.T @ a_prev, b=delta.sum(dim=0))
        if l > 0:
            # The error sent one layer back:
            # delta^{l-1} = (delta^l W^l) (*) sigma'(z^{l-1}), (B, n_{l-1})
            z_prev = cache.zs[l - 1]
            delta = (delta @ layers[l].W) * sigmoid_prime(z_prev)
    return grads


def gradients(layers: list[Layer], X: torch.Tensor, Y: torch.Tensor, loss: str = "cross_entropy",
              **kwargs) -> tuple[torch.Tensor, list[Layer]]:
    """The loss and its gradients for a batch: a forward pass, then a backward pass."""
    X, Y = X.to(layers[0].W.device), Y.to(layers[0].W.device)
    cache = forward(layers, X)
    return loss_value(cache.output, Y, loss), backward(layers, cache, Y, loss, **kwargs)


def one_hot(y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Class labels (B,) as target rows (B, num_classes) of zeros and a one."""
    return torch.nn.functional.one_hot(y.long(), num_classes).to(torch.float64)


@dataclass(frozen=True)
class SGDConfig:
    """Plain stochastic gradient descent, as the chapter writes it."""

    lr: float = 1.0  # eta, the learning rate
    batch_size: int = 10  # m, the examples per update
    num_epochs: int = 200  # passes over the training data
    loss: str = "cross_entropy"  # "cross_entropy" or "squared"
    seed: int = 0  # shuffling order

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, not {self.loss!r}")
        if self.lr <= 0 or self.batch_size < 1 or self.num_epochs < 1:
            raise ValueError(f"lr, batch_size and num_epochs must be positive: {self}")


def train_sgd(layers: list[Layer], X: torch.Tensor, Y: torch.Tensor,
              config: SGDConfig) -> list[float]:
    """Train ``layers`` in place with hand-written backprop and plain SGD.

    Each update is w <- w - eta/m sum_j dL_j/dw over a minibatch of m examples
    (the 1/m lives in the batch-mean loss). Returns one loss per epoch: the
    loss on all of ``X`` after it.
    """
    if len(X) != len(Y):
        raise ValueError(f"X has {len(X)} rows but Y has {len(Y)}")
    device = layers[0].W.device
    X, Y = X.to(device), Y.to(device)
    generator = torch.Generator().manual_seed(config.seed)
    epoch_losses = []
    for _ in range(config.num_epochs):
        order = torch.randperm(len(X), generator=generator).to(device)
        for i in range(0, len(X), config.batch_size):
            idx = order[i:i + config.batch_size]
            _, grads = gradients(layers, X[idx], Y[idx], config.loss)
            for layer, grad in zip(layers, grads):
                layer.W -= config.lr * grad.W
                layer.b -= config.lr * grad.b
        a = forward(layers, X).output
        epoch_losses.append(float(loss_value(a, Y, config.loss)))
    return epoch_losses


def predict_proba(layers: list[Layer], X, column: int = 1):
    """The network's output unit ``column`` for each row of ``X`` (numpy in, numpy out).

    Fits :func:`nnbook.surfaces.decision_surface`, which wants one value in [0, 1] per point.
    """
    X_t = torch.as_tensor(X, dtype=layers[0].W.dtype, device=layers[0].W.device)
    return forward(layers, X_t).output[:, column].cpu().numpy()


def network_accuracy(layers: list[Layer], X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of rows of ``X`` whose most active output unit of the network is the label."""
    device = layers[0].W.device
    y_hat = forward(layers, X.to(device)).output.argmax(dim=1)  # (B,)
    return float((y_hat == y.to(device)).double().mean())


def numerical_gradient(layers: list[Layer], X: torch.Tensor, Y: torch.Tensor,
                       loss: str, layer: int, j: int, k: int,
                       eps: float = 1e-6) -> float:
    """dL/dw^l_jk by central differences: a check that needs no calculus."""
    W = layers[layer].W
    X, Y = X.to(W.device), Y.to(W.device)
    original = float(W[j, k])
    try:
        W[j, k] = original + eps
        up = float(loss_value(forward(layers, X).output, Y, loss))
        W[j, k] = original - eps
        down = float(loss_value(forward(layers, X).output, Y, loss))
    finally:
        W[j, k] = original
    return (up - down) / (2 * eps)


def numerical_gradient_gap(layers: list[Layer], X: torch.Tensor,
                           Y: torch.Tensor, loss: str, eps: float = 1e-6,
                           **kwargs) -> float:
    """Largest |central difference - backpropagation| over every weight.

    Keyword arguments (such as a wrong ``sigmoid_prime``) go to the
    backward pass, so a wrong backward shows up as a large gap.
    """
    _, grads = gradients(layers, X, Y, loss, **kwargs)
    return max(
        abs(numerical_gradient(layers, X, Y, loss, l, j, k, eps)
            - float(grad.W[j, k]))
        for l, grad in enumerate(grads)
        for j in range(grad.W.shape[0])
        for k in range(grad.W.shape[1]))


def epochs_to_fall(losses: list[float],
                   fraction: float = 0.9) -> int | None:
    """The first epoch (from 1) whose loss is below ``fraction`` times
    the first epoch's: how long a curve stays on its starting plateau.
    None if it never gets there."""
    for epoch, value in enumerate(losses, start=1):
        if value < fraction * losses[0]:
            return epoch
    return None


def to_sequential(layers: list[Layer]) -> torch.nn.Sequential:
    """The same network as an ``nn.Sequential`` of Linear and Sigmoid modules, sharing no memory.

    Used to let ``torch.autograd`` differentiate exactly the function we differentiate by hand.
    """
    modules: list[torch.nn.Module] = []
    for layer in layers:
        n_out, n_in = layer.W.shape
        linear = torch.nn.Linear(n_in, n_out, dtype=layer.W.dtype, device=layer.W.device)
        with torch.no_grad():
            linear.weight.copy_(layer.W)
            linear.bias.copy_(layer.b)
        modules += [linear, torch.nn.Sigmoid()]
    return torch.nn.Sequential(*modules)


def autograd_gradients(layers: list[Layer], X: torch.Tensor, Y: torch.Tensor, loss: str,
                       ) -> list[Layer]:
    """The same gradients from ``torch.autograd``, through PyTorch's own layers and losses."""
    model = to_sequential(layers)
    a = model(X)
    if loss == "cross_entropy":
        # PyTorch averages over every element; times the number of outputs gives our batch mean.
        value = torch.nn.functional.binary_cross_entropy(a, Y) * Y.shape[1]
    elif loss == "squared":
        value = 0.5 * torch.nn.functional.mse_loss(a, Y, reduction="sum") / len(X)
    else:
        raise ValueError(f"loss must be one of {LOSSES}, not {loss!r}")
    model.zero_grad()
    value.backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    return [Layer(W=m.weight.grad.detach().clone(), b=m.bias.grad.detach().clone())
            for m in linears]


def max_gradient_difference(layer_sizes: list[int], batch_size: int, loss: str, *, seed: int = 0,
                            device: torch.device | None = None, **kwargs) -> float:
    """Largest |hand-written - autograd| over every weight and bias, for random data, in float64."""
    layers = init_network(layer_sizes, seed=seed, device=device)
    generator = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(batch_size, layer_sizes[0], generator=generator, dtype=torch.float64)
    Y = torch.rand(batch_size, layer_sizes[-1], generator=generator, dtype=torch.float64)
    X, Y = X.to(layers[0].W.device), Y.to(layers[0].W.device)
    _, ours = gradients(layers, X, Y, loss, **kwargs)
    theirs = autograd_gradients(layers, X, Y, loss)
    return max(float((g.W - r.W).abs().max().maximum((g.b - r.b).abs().max()))
               for g, r in zip(ours, theirs))


@dataclass(frozen=True)
class GradientCheck:
    """One comparison of the hand-written gradients with autograd's, on random data."""

    layer_sizes: tuple[int, ...]
    batch_size: int
    loss: str
    max_difference: float  # the largest |ours - autograd| over every weight and bias


def gradient_checks(architectures: list[tuple[int, ...]], batch_sizes: tuple[int, ...] = (1, 10),
                    losses: tuple[str, ...] = LOSSES, *, seed: int = 0,
                    device: torch.device | None = None, **kwargs) -> list[GradientCheck]:
    """:func:`max_gradient_difference` for every architecture, batch size and loss, in that order.

    Keyword arguments (such as a wrong ``sigmoid_prime``) go to the hand-written backward pass.
    """
    return [GradientCheck(tuple(sizes), batch_size, loss,
                          max_gradient_difference(list(sizes), batch_size, loss, seed=seed,
                                                  device=device, **kwargs))
            for sizes in architectures for batch_size in batch_sizes for loss in losses]


def flat_gradient(grads: list[Layer]) -> torch.Tensor:
    """Every weight's and bias's gradient of a network, in one vector."""
    return torch.cat([torch.cat([g.W.flatten(), g.b.flatten()]) for g in grads])


def minibatch_cosines(layers: list[Layer], X: torch.Tensor, Y: torch.Tensor,
                      batch_sizes: tuple[int, ...], *, draws: int = 200, seed: int = 0,
                      loss: str = "cross_entropy") -> dict[int, torch.Tensor]:
    """How well a minibatch's gradient points along the whole data set's: for each batch size
    m, the cosine between the full gradient and the gradients of ``draws`` minibatches of m
    examples drawn at random without replacement. A cosine of 1 is the same direction, 0 a
    right angle."""
    if any(not 1 <= m <= len(X) for m in batch_sizes):
        raise ValueError(f"batch sizes must lie between 1 and {len(X)}, got {batch_sizes}")
    full = flat_gradient(gradients(layers, X, Y, loss)[1])
    generator = torch.Generator().manual_seed(seed)
    cosines = {}
    for m in batch_sizes:
        values = []
        for _ in range(draws):
            rows = torch.randperm(len(X), generator=generator)[:m]
            g = flat_gradient(gradients(layers, X[rows], Y[rows], loss)[1])
            values.append(torch.dot(g, full) / (g.norm() * full.norm()))
        cosines[m] = torch.stack(values)  # (draws,)
    return cosines
