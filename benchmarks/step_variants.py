"""Which form of FashionCNN's training step is fastest here: the lecture's layer order against
pooling before ReLU, each in float32 and bfloat16 autocast, at two batch sizes.

Every variant is the same function (``tests/unit/test_models.py`` checks outputs and gradients
with ``assert_close``), so only speed is compared. The variants take turns in rounds of the same
number of images, so a change in the machine's load hits all alike; the median round counts.

    .venv/bin/python benchmarks/step_variants.py [--rounds 5] [--images 4096] [--threads N]

The last line is ``pool-first/relu-first images/s float32=<r> bfloat16=<r>`` at the book's batch.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from nnbook.models import FASHION_CONFIG, FashionCNN


def stepper(pool_first: bool, bf16: bool, batch_size: int, X: torch.Tensor, y: torch.Tensor
            ) -> Callable[[int], float]:
    """A function that trains ``images`` images of one variant and returns its images/s."""
    model = FashionCNN(pool_first=pool_first).to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    position = 0

    def train(images: int) -> float:
        nonlocal position
        start = time.perf_counter()
        for _ in range(0, images, batch_size):
            if position + batch_size > len(X):
                position = 0
            xb, yb = X[position:position + batch_size], y[position:position + batch_size]
            position += batch_size
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                out = model(xb)
            loss = F.cross_entropy(out.float(), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return images / (time.perf_counter() - start)

    return train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    X = torch.rand(8192, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (8192,))
    book_batch = FASHION_CONFIG.batch_size
    variants = {(order, precision, batch): stepper(order == "pool-first", precision == "bfloat16",
                                                   batch, X, y)
                for order in ("relu-first", "pool-first") for precision in ("float32", "bfloat16")
                for batch in sorted({128, book_batch})}
    for train in variants.values():
        train(2 * max(b for *_, b in variants))  # warm-up: kernels picked, memory allocated
    rates = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, train in variants.items():
            rates[name].append(train(args.images))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    median = {name: statistics.median(r) for name, r in rates.items()}
    for (order, precision, batch), r in rates.items():
        print(f"{order:10s} {precision:8s} batch {batch:3d}: median "
              f"{median[order, precision, batch]:7,.0f} images/s  "
              f"rounds {', '.join(f'{x:,.0f}' for x in r)}")
    gain = {p: median["pool-first", p, book_batch] / median["relu-first", p, book_batch]
            for p in ("float32", "bfloat16")}
    print(f"pool-first/relu-first images/s float32={gain['float32']:.2f} "
          f"bfloat16={gain['bfloat16']:.2f}")


if __name__ == "__main__":
    main()
