"""How much faster the book's training engine trains FashionCNN than the lecture's pipeline.

Both train the same network (nnbook.models.FashionCNN) in one process on the same machine:

- *seed*: the lecture's pipeline. torchvision's FashionMNIST with ``ToTensor`` (one PIL image
  decoded and converted per item), ``DataLoader(batch_size=64)``, Adam at 1e-3, float32, a plain
  loop.
- *book*: ``nnbook.engine.fit.fit`` with the book's configuration (the whole set as one tensor,
  channels-last, bfloat16 autocast where the hardware has it, one-cycle schedule).

Throughput is measured in alternating rounds (seed, book, seed, book, ...) of the same number of
images each, so that a change in the machine's load hits both; the median round counts. Then each
trains from scratch, evaluated on the 10,000 test images after every epoch, until it reaches the
lecture's 89.8% test accuracy (the book's run goes on to the end of its schedule); training time
excludes evaluation for both.

The last line printed is

    fashion-cnn images/s seed=<a> book=<b> ratio=<b/a> time-to-89.8% seed=<s>s book=<s>s

Run it from the repository root on an otherwise idle machine: ``.venv/bin/python
benchmarks/train_speed.py`` (``--help`` for options; ``--throughput-only`` skips the
time-to-accuracy runs). It takes a few minutes on an idle 2-core CPU.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

from nnbook.engine.data import FASHION_MNIST, load_fashion_mnist, locate
from nnbook.engine.device import describe, get_device
from nnbook.models import FASHION_CONFIG, FashionCNN
from nnbook.engine.fit import TensorData, TrainConfig, fit

TARGET = 0.898  # the lecture's test accuracy after two epochs


def torchvision_root(tmp: Path) -> Path:
    """A folder in torchvision's layout (FashionMNIST/raw/<extracted files>), made from the
    verified copy nnbook found, so that the seed pipeline reads the very same data."""
    found, reports = locate(FASHION_MNIST)
    if found is None:
        load_fashion_mnist()  # raises with the places looked at and the fix
    raw = tmp / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for check in found.files:
        target = raw / check.stem
        if check.path.suffix == ".gz":
            target.write_bytes(gzip.decompress(check.path.read_bytes()))
        else:
            shutil.copyfile(check.path, target)
    return tmp


class SeedPipeline:
    """The lecture's loop, as it was written: DataLoader over a torchvision data set."""

    def __init__(self, root: Path, device: torch.device):
        self.device = device
        self.train = datasets.FashionMNIST(root=str(root), train=True, download=False,
                                           transform=ToTensor())
        self.test = datasets.FashionMNIST(root=str(root), train=False, download=False,
                                          transform=ToTensor())
        self.reset()

    def reset(self):
        torch.manual_seed(0)
        self.model = FashionCNN().to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def train_images(self, n_images: int | None = None) -> tuple[int, float]:
        """Train on the first ``n_images`` (all, if None) of one pass; return (images, seconds)."""
        loader = DataLoader(self.train, batch_size=64)
        self.model.train()
        seen, start = 0, time.perf_counter()
        for X, y in loader:
            X, y = X.to(self.device), y.to(self.device)
            loss = F.cross_entropy(self.model(X), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            seen += len(X)
            if n_images is not None and seen >= n_images:
                break
        return seen, time.perf_counter() - start

    @torch.no_grad()
    def test_accuracy(self) -> float:
        self.model.eval()
        correct = 0
        for X, y in DataLoader(self.test, batch_size=64):
            correct += int((self.model(X.to(self.device)).argmax(1) == y.to(self.device)).sum())
        self.model.train()
        return correct / len(self.test)


def book_images(data: TensorData, n_images: int, config: TrainConfig, device: torch.device,
                model: torch.nn.Module) -> tuple[int, float]:
    """One call of the book's engine on ``n_images`` images; return (images, seconds)."""
    start = time.perf_counter()
    fit(model, data.X[:n_images], data.y[:n_images],
        TrainConfig(num_epochs=1, batch_size=config.batch_size, lr=config.lr,
                    precision=config.precision), device=device, progress=False)
    return n_images, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating throughput rounds")
    parser.add_argument("--images", type=int, default=12_800, help="images per throughput round")
    parser.add_argument("--max-seed-epochs", type=int, default=4,
                        help="give up on the seed pipeline reaching 89.8%% after this many epochs")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--throughput-only", action="store_true",
                        help="skip the (slow) time-to-accuracy runs")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = get_device()
    info = describe(device)
    print(f"device: {info.name}; bf16 native: {info.bf16}; torch {info.torch_version}; "
          f"threads: {torch.get_num_threads()}", flush=True)
    data = TensorData.from_images(load_fashion_mnist())
    with tempfile.TemporaryDirectory() as tmp:
        seed = SeedPipeline(torchvision_root(Path(tmp)), device)

        # 1. Throughput, alternating.
        torch.manual_seed(0)
        book_model = FashionCNN()
        seed.train_images(640)  # warm-up: first calls allocate and pick kernels
        book_images(data, 1280, FASHION_CONFIG, device, book_model)
        seed_rates, book_rates = [], []
        for r in range(args.rounds):
            n, s = seed.train_images(args.images)
            seed_rates.append(n / s)
            n, s = book_images(data, args.images, FASHION_CONFIG, device, book_model)
            book_rates.append(n / s)
            print(f"round {r + 1}: seed {seed_rates[-1]:,.0f} images/s, "
                  f"book {book_rates[-1]:,.0f} images/s", flush=True)
        seed_rate, book_rate = statistics.median(seed_rates), statistics.median(book_rates)

        # 2. Time to the lecture's accuracy, each from scratch.
        seed.reset()
        seed_time, seed_elapsed = None, 0.0
        for epoch in range(1, 0 if args.throughput_only else args.max_seed_epochs + 1):
            seed_elapsed += seed.train_images()[1]
            acc = seed.test_accuracy()
            print(f"seed epoch {epoch}: {acc:.2%} after {seed_elapsed:.1f} s", flush=True)
            if acc >= TARGET:
                seed_time = seed_elapsed
                break
    book_time = None
    if not args.throughput_only:
        torch.manual_seed(FASHION_CONFIG.seed)
        history = fit(FashionCNN(), data.X, data.y, FASHION_CONFIG, X_test=data.X_test,
                      y_test=data.y_test, device=device, progress=False)
        for epoch, (acc, t) in enumerate(zip(history.test_accuracy, history.epoch_times), 1):
            print(f"book epoch {epoch}: {acc:.2%} after {t:.1f} s", flush=True)
        book_time = history.seconds_to(TARGET)
        t91 = history.seconds_to(0.91)
        print(f"book: {history.precision}, {FASHION_CONFIG}; final {history.test_accuracy[-1]:.2%} "
              f"after {history.wall_time:.1f} s; 91% reached after "
              + (f"{t91:.1f} s" if t91 is not None else "never"), flush=True)

    def fmt(t):
        if args.throughput_only:
            return "not-measured"
        return f"{t:.1f}s" if t is not None else "not-reached"
    print(f"fashion-cnn images/s seed={seed_rate:.0f} book={book_rate:.0f} "
          f"ratio={book_rate / seed_rate:.2f} time-to-89.8% seed={fmt(seed_time)} "
          f"book={fmt(book_time)}")


if __name__ == "__main__":
    main()
