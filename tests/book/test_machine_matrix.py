"""The book on other kinds of machine, simulated on this one.

A claim that holds only on the CPU it was written on fails someone else's build. Three
conditions stand in for the machines a reader or a hosted CI runner has:

- **AVX2, no native bfloat16**: ``ATEN_CPU_CAPABILITY=avx2`` and ``ONEDNN_MAX_CPU_ISA=AVX2``
  make an AVX-512 CPU compute as an AVX2 one (bfloat16 emulated); on an AVX2 CPU they change
  nothing but the machine's identity;
- **one core**: ``taskset -c 0``;
- **both cores busy**: two bounded busy loops run beside the page.

Under each, the planner is asked what it would time, and the pages whose claims depend most on the
machine execute in a fresh kernel (``python -m nnbook execute``): the speed ladder's chapter and
the chapter of the small XOR networks. Each condition has a run store of its own, holding the
entries of this machine's store (hard links: an entry is never written in place, so the real store
is never changed) and a copy of its plans, so that what is measured under a condition never
replaces this machine's plans.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from book_helpers import REPO

pytestmark = pytest.mark.machines

PAGES = ("book/training_loops.md", "book/learning_features.md")
BUSY_LIMIT_S = 1800  # a busy loop ends by itself after this long, whatever happens to the test


@dataclass(frozen=True)
class Condition:
    env: dict = field(default_factory=dict)
    prefix: tuple[str, ...] = ()
    busy_loops: int = 0


CONDITIONS = {
    "avx2": Condition(env={"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}),
    "one-core": Condition(prefix=("taskset", "-c", "0")),
    "busy": Condition(busy_loops=2),
}


@contextmanager
def busy(loops: int):
    """``loops`` processes spinning on the CPU, each ending by itself after BUSY_LIMIT_S."""
    spin = f"import time\nend = time.time() + {BUSY_LIMIT_S}\nwhile time.time() < end: pass\n"
    procs = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(loops)]
    try:
        time.sleep(1.0 if procs else 0)  # the load average starts to show them
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def own_store(tmp: Path) -> Path:
    """A run store for one condition: this machine's entries (hard links) and plans (copies)."""
    from nnbook.engine import settings

    store = tmp / "store"
    store.mkdir()
    runs = settings.run_store_root()
    for entry in sorted(runs.glob("*.pt")) if runs.is_dir() else []:
        try:
            os.link(entry, store / entry.name)
        except OSError:  # another file system: a copy
            shutil.copy2(entry, store / entry.name)
    plans = settings.plan_store_root()
    if plans.is_dir():
        shutil.copytree(plans, store / "plans")
    return store


def run(condition: Condition, command: list[str], store: Path, timeout: float
        ) -> subprocess.CompletedProcess:
    env = {**os.environ, **condition.env, "NNBOOK_CACHE": str(store)}
    with busy(condition.busy_loops):
        return subprocess.run([*condition.prefix, *command], cwd=REPO, env=env, text=True,
                              capture_output=True, timeout=timeout)


PLANNER = """
import json, torch
from nnbook.engine.device import machine_identity
from nnbook.engine.fit import plan_space
from nnbook.models import FashionCNN
cpu = torch.device("cpu")
space = plan_space(FashionCNN(), torch.zeros(2, 1, 28, 28), cpu)
print(json.dumps({"identity": machine_identity(cpu), "precisions": space.precisions,
                  "threads": space.threads}))
"""


@pytest.mark.parametrize("name", CONDITIONS)
def test_the_planner_sees_the_machine_it_runs_on(name, tmp_path):
    condition = CONDITIONS[name]
    result = run(condition, [sys.executable, "-c", PLANNER], own_store(tmp_path), 300)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    here = json.loads(run(Condition(), [sys.executable, "-c", PLANNER], tmp_path / "store",
                          300).stdout.strip().splitlines()[-1])
    if name == "avx2":
        assert seen["identity"]["capability"] == "AVX2" and not seen["identity"]["bf16"]
        assert seen["precisions"] == ["float32"]  # emulated bfloat16 is never timed
        assert seen["identity"] != here["identity"]  # a plan from the uncapped CPU is not used
    if name == "one-core":
        assert seen["identity"]["cores"] == 1 and seen["threads"] == [1]
        assert seen["identity"] != here["identity"]
    if name == "busy":
        assert seen["identity"] == here["identity"]  # the same machine, only busier


@pytest.mark.parametrize("name", CONDITIONS)
def test_the_pages_claims_hold(name, tmp_path):
    condition = CONDITIONS[name]
    result = run(condition, [sys.executable, "-m", "nnbook", "execute", *PAGES],
                 own_store(tmp_path), 3600)
    assert result.returncode == 0, f"{name}:\n{result.stdout}\n{result.stderr[-4000:]}"
    assert result.stdout.count(" cells in ") == len(PAGES)
