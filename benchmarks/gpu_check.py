"""The book's CUDA path on a machine with a GPU: its CUDA unit tests, then FashionCNN trained
through the engine with NNBOOK_DEVICE=cuda, reporting the plan chosen and the time to 92%.

Two steps, because the GPU machine may have Python and a CUDA build of torch but none of the
book's other packages and no network:

    # here, in the repository (network, .venv): gather everything into one folder
    .venv/bin/python benchmarks/gpu_check.py prepare _build/gpu_check
    # copy the folder to the GPU machine, then there (no network needed):
    python3 gpu_check/gpu_check.py run              # about 3 minutes on a recent GPU, 10 at most

``prepare`` copies the library (code/nnbook), the CUDA tests (tests/unit/engine/test_cuda.py with the
fixtures it needs, and test_device.py), Fashion-MNIST's four archives, this script, and wheels of
the few packages the library and the tests import besides torch (numpy, tqdm, pytest and its
dependencies, at the versions requirements.txt pins). ``run`` makes a virtual environment that
sees the machine's torch (--system-site-packages), installs the wheels from the folder with no
index, and never touches the network. Nothing in the book's CPU path depends on this script.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WHEELS = ("numpy", "tqdm", "pytest", "pluggy", "iniconfig", "packaging")  # besides torch
TESTS = ("tests/conftest.py", "tests/unit/conftest.py", "tests/unit/engine/test_cuda.py",
         "tests/unit/engine/test_device.py")
DATA_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
              "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
TARGET = 0.92  # the test accuracy whose time is reported
BUDGET_S = 540  # the whole run stays under 10 minutes


def pins(*requirements: Path, names=WHEELS) -> dict[str, str]:
    """``name==version`` of each of ``names`` in pinned requirements files (the book's and the
    tests')."""
    found = {}
    for path in requirements:
        for line in path.read_text().splitlines():
            name, _, version = line.split("#")[0].strip().partition("==")
            if name.lower() in names and version:
                found[name.lower()] = f"{name.lower()}=={version.strip()}"
    missing = sorted(set(names) - set(found))
    if missing:
        files = " and ".join(p.name for p in requirements)
        raise SystemExit(f"{files} pin no version of {', '.join(missing)}")
    return found


def fashion_folder() -> Path | None:
    """Where this machine keeps Fashion-MNIST's archives, as the book finds them."""
    sys.path.insert(0, str(REPO / "code"))
    from nnbook.engine import data

    found, _ = data.locate(data.FASHION_MNIST)
    if found is None or not all((found.where / name).is_file() for name in DATA_FILES):
        return None
    return found.where


def prepare(out: Path, *, wheels: bool = True, data: bool = True,
            python_version: str = f"{sys.version_info.major}.{sys.version_info.minor}") -> Path:
    """Gather the library, the CUDA tests, the data and the wheels into ``out``."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(REPO / "code" / "nnbook", out / "code" / "nnbook",
                    ignore=shutil.ignore_patterns("__pycache__", "static"))
    for name in TESTS:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, out / name)
    (out / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "-ra"\ntestpaths = ["tests"]\n')
    shutil.copy2(Path(__file__), out / "gpu_check.py")
    if data:
        folder = fashion_folder()
        if folder is None:
            raise SystemExit("Fashion-MNIST was not found (make doctor says where it looks)")
        target = out / "data" / "FashionMNIST" / "raw"
        target.mkdir(parents=True)
        for name in DATA_FILES:
            shutil.copy2(folder / name, target / name)
    if wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary=:all:", "--python-version", python_version, "--dest",
                        str(out / "wheels"), *pins(REPO / "requirements.txt",
                                                     REPO / "requirements-test.txt").values()],
                       check=True)
    return out


def run_commands(bundle: Path, python: str) -> list[list[str]]:
    """What ``run`` executes, in order (printed by ``run --dry-run``)."""
    venv = bundle / "venv"
    py = str(venv / "bin" / "python")
    return [
        [python, "-m", "venv", "--system-site-packages", str(venv)],
        [py, "-m", "pip", "install", "--quiet", "--no-index", "--find-links",
         str(bundle / "wheels"), *WHEELS],
        [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/engine/test_cuda.py",
         "tests/unit/engine/test_device.py"],
        [py, str(bundle / "gpu_check.py"), "train"],
    ]


def environment(bundle: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(bundle / "code"), "NNBOOK_DEVICE": "cuda",
            "NNBOOK_DATA": str(bundle / "data"), "NNBOOK_CACHE": str(bundle / "cache"),
            "NNBOOK_PROGRESS": "0"}


def run(bundle: Path, *, dry_run: bool = False) -> int:
    """Install from the bundle, run the CUDA tests, then train (``train``)."""
    commands = run_commands(bundle, sys.executable)
    if dry_run:
        for command in commands:
            print(" ".join(command))
        return 0
    env, status = environment(bundle), 0
    for command in commands:
        print("+", " ".join(command), flush=True)
        status = subprocess.run(command, cwd=bundle, env=env).returncode or status
        if status and command[1:3] != ["-m", "pytest"]:
            return status  # without the environment nothing else can run
    return status


def train(*, n_train: int | None = None, n_test: int | None = None, budget_s: float = BUDGET_S,
          target: float = TARGET) -> dict:
    """FashionCNN through the engine (NNBOOK_DEVICE decides where): the plan, the time to
    ``target`` test accuracy (training time, as the book's report counts it) and the final
    accuracy. Stops after the epoch that passes ``budget_s``."""
    import torch

    from nnbook.engine.data import load_fashion_mnist
    from nnbook.engine.device import get_device
    from nnbook.engine.fit import Callback, fit, plan_for
    from nnbook.engine.tensor_data import TensorData
    from nnbook.models import FASHION_CONFIG, FashionCNN

    class Watch(Callback):
        def __init__(self):
            self.reached: float | None = None

        def on_epoch_end(self, state, history) -> None:
            if self.reached is None and history.test_accuracies[-1] >= target:
                self.reached = history.wall_time
            if history.wall_time > budget_s:
                raise TimeoutError(f"over the {budget_s:.0f} s budget")

    device = get_device()
    data = TensorData.from_images(load_fashion_mnist(download=False), n_train=n_train,
                                  n_test=n_test)
    torch.manual_seed(FASHION_CONFIG.seed)
    model = FashionCNN()
    plan = plan_for(model, data.X, data.y, FASHION_CONFIG, device=device)
    watch = Watch()
    history = fit(model, data.X, data.y, FASHION_CONFIG, X_test=data.X_test, y_test=data.y_test,
                  device=device, plan=plan, callbacks=[watch], progress=False)
    return {"device": device.type, "plan": plan.describe(), "measurements": plan.measurements(),
            "seconds_to_target": watch.reached, "target": target,
            "final_accuracy": history.test_accuracies[-1], "training_seconds": history.wall_time}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    pre = sub.add_parser("prepare", help="gather everything the GPU machine needs into a folder")
    pre.add_argument("out", type=Path)
    pre.add_argument("--no-wheels", action="store_true", help="skip the wheels (no network)")
    pre.add_argument("--no-data", action="store_true", help="skip Fashion-MNIST")
    pre.add_argument("--python-version", default=f"{sys.version_info.major}.{sys.version_info.minor}",
                     help="the GPU machine's Python, for numpy's wheel (default: this one's)")
    ru = sub.add_parser("run", help="on the GPU machine: install, run the CUDA tests, train")
    ru.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    tr = sub.add_parser("train", help="train FashionCNN on NNBOOK_DEVICE and report (JSON)")
    tr.add_argument("--n-train", type=int, default=None, help="the first N training images only")
    tr.add_argument("--n-test", type=int, default=None, help="the first N test images only")
    tr.add_argument("--budget", type=float, default=BUDGET_S, help="seconds of training at most")
    tr.add_argument("--target", type=float, default=TARGET, help="the accuracy to time")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        out = prepare(args.out, wheels=not args.no_wheels, data=not args.no_data,
                      python_version=args.python_version)
        print(f"prepared {out}: copy it to the GPU machine and run "
              f"`python3 {out.name}/gpu_check.py run` there")
        return 0
    if args.command == "run":
        return run(Path(__file__).resolve().parent, dry_run=args.dry_run)
    start = time.perf_counter()
    report = train(n_train=args.n_train, n_test=args.n_test, budget_s=args.budget, target=args.target)
    report["wall_seconds"] = time.perf_counter() - start
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
