"""How much faster the book's training engine trains FashionCNN than the lecture's pipeline.

Both train FashionCNN (nnbook.models) in one process on the same machine, with the library code
the training-loops chapter runs:

- *seed*: the lecture's pipeline and network. torchvision's FashionMNIST with ``ToTensor`` (one
  PIL image decoded and converted per item), ``DataLoader(batch_size=64)``, Adam at 1e-3,
  float32, eager, ReLU before pooling (``FashionCNN(pool_first=False)``): the first rung of
  ``nnbook.speed_ladder.ladder`` for throughput, and ``nnbook.loops.train`` /
  ``nnbook.loops.test`` for the time to the lecture's accuracy.
- *book*: the engine, ``nnbook.engine.fit``, with the book's configuration (``FASHION_CONFIG``)
  and the plan the engine's planner chose for this machine (``nnbook.engine.plan``: precision,
  layout, threads, compilation), on the book's network (pooling before ReLU, the same function):
  ``prepare`` and ``train_step`` for throughput, ``fit`` for the time to accuracy.

Throughput is measured in alternating rounds (seed, book, seed, book, ...) of the same number of
images each, so that a change in the machine's load hits both; the median round counts. Then each
trains from scratch, evaluated on the 10,000 test images after every epoch, until it reaches the
lecture's 89.8% test accuracy (the book's run goes on to the end of its schedule); training time
excludes evaluation for both.

The last two lines printed are

    book: <plan>; final <NN.NN>% after <S> s; 91% reached after <S> s
    fashion-cnn images/s seed=<a> book=<b> ratio=<b/a> time-to-89.8% seed=<s>s book=<s>s

Run it from the repository root on an otherwise idle machine: ``.venv/bin/python
benchmarks/train_speed.py`` (``--help`` for options; ``--throughput-only`` skips the
time-to-accuracy runs; ``--ablation IMAGES`` also measures every rung of the chapter's ladder,
uncached; ``NNBOOK_PLAN=fixed`` replaces the planner's choice by the fixed plan: float32,
channels-last, eager, torch's threads). It takes a few minutes on an idle 2-core CPU.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

from nnbook import loops
from nnbook.engine.data import load_fashion_mnist, torchvision_root
from nnbook.engine.device import describe, get_device
from nnbook.engine.fit import TrainState, fit, plan_for, prepare, train_step
from nnbook.engine.tensor_data import TensorData
from nnbook.speed_ladder import AblationConfig, Trainer, ladder_for, run_ablation
from nnbook.models import FASHION_CONFIG, BASELINE_FASHION, FashionCNN

TARGET = BASELINE_FASHION["test_accuracy"]  # the lecture's test accuracy after two epochs


def seed_time_to_target(train_data, test_data, device: torch.device, max_epochs: int
                        ) -> float | None:
    """The lecture's loop (``nnbook.loops``) from scratch, epoch by epoch, until it reaches the
    target; return its training seconds then, or None."""
    config = BASELINE_FASHION["config"]
    torch.manual_seed(config.seed)
    model = FashionCNN(pool_first=False).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    train_loader = DataLoader(train_data, batch_size=config.batch_size)
    test_loader = DataLoader(test_data, batch_size=config.batch_size)
    elapsed = 0.0
    for epoch in range(1, max_epochs + 1):
        start = time.perf_counter()
        loops.train(train_loader, model, nn.CrossEntropyLoss(), optimizer, log=lambda s: None)
        elapsed += time.perf_counter() - start
        accuracy, _ = loops.test(test_loader, model, nn.CrossEntropyLoss(), log=lambda s: None)
        print(f"seed epoch {epoch}: {accuracy:.2%} after {elapsed:.1f} s", flush=True)
        if accuracy >= TARGET:
            return elapsed
    return None


def book_time_to_target(data: TensorData, device: torch.device) -> float | None:
    """The engine (``nnbook.engine.fit.fit``) with the book's configuration, from scratch."""
    torch.manual_seed(FASHION_CONFIG.seed)
    history = fit(FashionCNN(), data.X, data.y, FASHION_CONFIG, X_test=data.X_test,
                  y_test=data.y_test, device=device, progress=False)
    for epoch, (acc, t) in enumerate(zip(history.test_accuracies, history.epoch_times), 1):
        print(f"book epoch {epoch}: {acc:.2%} after {t:.1f} s", flush=True)
    t91 = history.seconds_to(0.91)
    print(f"book: {history.plan['precision']} plan {plan_label(history.plan)}, {FASHION_CONFIG}; "
          f"final {history.test_accuracies[-1]:.2%} after {history.wall_time:.1f} s; 91% reached "
          "after " + (f"{t91:.1f} s" if t91 is not None else "never"), flush=True)
    return history.seconds_to(TARGET)


def plan_label(plan: dict) -> str:
    from nnbook.engine.plan import Plan

    return Plan.from_dict(plan).describe()


class BookStepper:
    """The engine's training step on the whole set as one tensor, in shuffled batches, with the
    plan for this machine: what ``fit`` runs between its evaluations."""

    def __init__(self, data: TensorData, device: torch.device):
        model = FashionCNN()
        plan = plan_for(model, data.X, data.y, FASHION_CONFIG, device=device)
        print(f"book plan: {plan.describe()}", flush=True)
        for line in plan.measurements():
            print(f"  {line}", flush=True)
        # Constant rate: a schedule changes no step's cost, and rounds have no time horizon.
        config = replace(FASHION_CONFIG, schedule="constant")
        self.state: TrainState = prepare(model, data.X, data.y, config, device=device, plan=plan)
        self.order = torch.randperm(len(data.X), device=self.state.device)
        self.position = 0

    def train(self, images: int) -> tuple[int, float]:
        state, batch = self.state, self.state.config.batch_size
        seen = 0
        with state.running():
            start = time.perf_counter()
            while seen < images:
                if self.position + batch > len(self.order):
                    self.position = 0
                idx = self.order[self.position:self.position + batch]
                self.position += batch
                loss = train_step(state, state.X[idx], state.y[idx])
                seen += len(idx)
            float(loss)  # wait for the device
            return seen, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating throughput rounds")
    parser.add_argument("--images", type=int, default=12_800, help="images per throughput round")
    parser.add_argument("--max-seed-epochs", type=int, default=4,
                        help="give up on the seed pipeline reaching 89.8%% after this many epochs")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--throughput-only", action="store_true",
                        help="skip the (slow) time-to-accuracy runs")
    parser.add_argument("--ablation", type=int, default=None, metavar="IMAGES",
                        help="also measure the chapter's ladder, its first rung training IMAGES "
                             "images (the budget of time for all)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = get_device()
    info = describe(device)
    print(f"device: {info.name}; bf16 native: {info.bf16}; torch {info.torch_version}; "
          f"threads: {torch.get_num_threads()}", flush=True)
    data = TensorData.from_images(load_fashion_mnist())
    root = torchvision_root()  # the verified copy, in torchvision's layout
    train_data = datasets.FashionMNIST(root=root, train=True, transform=ToTensor())
    test_data = datasets.FashionMNIST(root=root, train=False, transform=ToTensor())
    rungs = ladder_for(FashionCNN, data, BASELINE_FASHION["config"], FASHION_CONFIG, device=device)

    # 1. Throughput, alternating; each pipeline keeps training its own model between rounds.
    torch.manual_seed(0)
    seed = Trainer(rungs[0], FashionCNN(pool_first=False), train_data, data, device=device)
    book = BookStepper(data, device)
    seed.train(images=640)  # warm-up: first calls allocate and pick kernels
    book.train(images=1280)
    seed_rates, book_rates = [], []
    for r in range(args.rounds):
        n, s = seed.train(images=args.images)
        seed_rates.append(n / s)
        n, s = book.train(images=args.images)
        book_rates.append(n / s)
        print(f"round {r + 1}: seed {seed_rates[-1]:,.0f} images/s, "
              f"book {book_rates[-1]:,.0f} images/s", flush=True)
    seed_rate, book_rate = statistics.median(seed_rates), statistics.median(book_rates)
    del seed, book

    # 2. Time to the lecture's accuracy, each from scratch.
    seed_time = book_time = None
    if not args.throughput_only:
        seed_time = seed_time_to_target(train_data, test_data, device, args.max_seed_epochs)
        book_time = book_time_to_target(data, device)

    # 3. The chapter's ladder, one rung at a time.
    if args.ablation:
        for i, m in enumerate(run_ablation(FashionCNN, train_data, data, rungs,
                                           AblationConfig(base_images=args.ablation),
                                           device=device), 1):
            outcome = (f"{m.images_per_second:,.0f} images/s, test accuracy "
                       f"{m.test_accuracy:.2%}" if m.ran else m.note)
            print(f"rung {i} ({m.name}): {outcome}", flush=True)

    def fmt(t):
        if args.throughput_only:
            return "not-measured"
        return f"{t:.1f}s" if t is not None else "not-reached"
    print(f"fashion-cnn images/s seed={seed_rate:.0f} book={book_rate:.0f} "
          f"ratio={book_rate / seed_rate:.2f} time-to-89.8% seed={fmt(seed_time)} "
          f"book={fmt(book_time)}")


if __name__ == "__main__":
    main()
