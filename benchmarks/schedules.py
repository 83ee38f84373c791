"""Which training schedule brings FashionCNN to the book's accuracy in the fewest seconds.

Trains FashionCNN (``nnbook.models``) with the book's engine (``nnbook.engine.fit``) from the
same initial weights under each schedule given, evaluates on the 10,000 test images after every
epoch, and prints the accuracy and the training seconds at each. Accuracy does not depend on the
machine's load, seconds do: compare seconds only within one run on an idle machine.

    .venv/bin/python benchmarks/schedules.py                       # the book's FASHION_CONFIG
    .venv/bin/python benchmarks/schedules.py --epochs 4 --lr 3e-3 4e-3 --batch 256 --smoothing 0.1
    .venv/bin/python benchmarks/schedules.py --precision float32   # as a CPU without bfloat16 gains

Each schedule is one line ``schedule <config>: <acc>/<s> ...; final <NN.NN>%; 91% after <S> s``.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace

import torch

from nnbook.engine.data import load_fashion_mnist
from nnbook.engine.device import get_device
from nnbook.engine.fit import fit
from nnbook.engine.tensor_data import TensorData
from nnbook.models import FASHION_CONFIG, FashionCNN


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[FASHION_CONFIG.num_epochs])
    parser.add_argument("--lr", type=float, nargs="+", default=[FASHION_CONFIG.lr])
    parser.add_argument("--batch", type=int, nargs="+", default=[FASHION_CONFIG.batch_size])
    parser.add_argument("--smoothing", type=float, nargs="+",
                        default=[FASHION_CONFIG.label_smoothing])
    parser.add_argument("--seed", type=int, nargs="+", default=[FASHION_CONFIG.seed])
    parser.add_argument("--precision", default=FASHION_CONFIG.precision,
                        choices=("auto", "float32", "bfloat16"))
    args = parser.parse_args()

    device = get_device()
    data = TensorData.from_images(load_fashion_mnist())
    for epochs, lr, batch, smoothing, seed in itertools.product(
            args.epochs, args.lr, args.batch, args.smoothing, args.seed):
        config = replace(FASHION_CONFIG, num_epochs=epochs, lr=lr, batch_size=batch,
                         label_smoothing=smoothing, seed=seed, precision=args.precision)
        torch.manual_seed(seed)
        history = fit(FashionCNN(), data.X, data.y, config, X_test=data.X_test,
                      y_test=data.y_test, device=device, progress=False)
        epochs_text = " ".join(f"{a:.2%}/{t:.1f}s" for a, t in
                               zip(history.test_accuracies, history.epoch_times))
        t91 = history.seconds_to(0.91)
        print(f"schedule epochs={epochs} lr={lr:g} batch={batch} smoothing={smoothing:g} "
              f"seed={seed} {history.precision}: {epochs_text}; final "
              f"{history.test_accuracies[-1]:.2%}; 91% after "
              + (f"{t91:.1f} s" if t91 is not None else "never"), flush=True)


if __name__ == "__main__":
    main()
