"""A run is keyed on the code the process imported and runs, not on files edited since:
the store never serves a run that the current code would not produce."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnbook.engine import sources

ROOT = sources.package_dir()


@pytest.fixture
def edited(tmp_path, monkeypatch):
    """A package ``editedlib`` whose imports are recorded: top imports helper."""
    pkg = tmp_path / "lib" / "editedlib"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "top.py").write_text("from editedlib.helper import VALUE\n\ndef f():\n    return VALUE\n")
    (pkg / "helper.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))  # the finder goes with the test
    yield pkg
    for name in [n for n in sys.modules if n.split(".")[0] == "editedlib"]:
        del sys.modules[name]


def test_the_source_as_imported_is_kept_when_the_file_changes(edited):
    import editedlib  # noqa: F401  (the package first, as `import nnbook` does)

    sources.record_imports("editedlib")
    import editedlib.top

    before = sources.module_digests(sources.closure(["editedlib.top"], ["editedlib"]))
    (edited / "helper.py").write_text("VALUE = 2  # edited while the process runs\n")
    os.utime(edited / "helper.py", ns=(1, 1))  # another stat than the first read's
    assert editedlib.top.f() == 1  # the process still runs the old code
    modules = sources.closure(["editedlib.top"], ["editedlib"], as_imported=True)
    as_imported = sources.module_digests(modules, as_imported=True)
    on_disk = sources.module_digests(modules)
    assert as_imported == before
    assert as_imported["editedlib.helper"] != on_disk["editedlib.helper"]
    assert sources.changed_since_import(modules) == ["editedlib.helper"]
    # a comment is not a change of code
    (edited / "helper.py").write_text("VALUE = 1  # only a comment\n")
    assert sources.changed_since_import(modules) == []


def test_a_module_not_yet_imported_is_read_from_its_file(edited):
    import editedlib  # noqa: F401

    sources.record_imports("editedlib")
    assert sources.imported_source("editedlib.helper") is None
    modules = sources.closure(["editedlib.top"], ["editedlib"], as_imported=True)
    assert set(modules) == {"editedlib", "editedlib.top", "editedlib.helper"}
    assert sources.changed_since_import(modules) == []


def test_nnbook_records_its_modules_from_the_start():
    import nnbook.networks

    assert sources.imported_source("nnbook.networks") == Path(nnbook.networks.__file__).read_text()
    assert sources.imported_source("nnbook") is not None


TRAIN = """
import importlib, json, sys
from functools import partial
import torch
from nnbook.engine.fit import TrainConfig
from nnbook.engine.runs import RunStore, reported_problems, train_cached
from nnbook.engine.tensor_data import TensorData
import nnbook.networks as networks

mode = sys.argv[1]
mlp = networks.mlp  # the factory, held on to as a notebook does
if mode in ("edit", "reload"):  # the contributor edits mlp's seeding while this process runs
    path = networks.__file__
    text = open(path).read()
    old = "            torch.manual_seed(seed)"
    assert old in text
    open(path, "w").write(text.replace(old, "            torch.manual_seed(seed + 1)"))
if mode == "reload":  # ... and executes the module again: its names hold the edited code
    importlib.reload(networks)
    assert networks.mlp is not mlp
g = torch.Generator().manual_seed(0)
X = torch.randn(64, 2, generator=g, dtype=torch.float64)
y = (X[:, 0] * X[:, 1] > 0).long()
run = train_cached(partial(mlp, (2, 3, 2), seed=0, dtype=torch.float64),
                   TensorData(X, y), TrainConfig(num_epochs=1, batch_size=16),
                   device=torch.device("cpu"), store=RunStore(sys.argv[2]), name="mlp")
print(json.dumps({"from_cache": run.from_cache, "key": run.record.key,
                  "weight": run.model[0].weight.sum().item(), "problems": reported_problems()}))
"""


def trainer(tmp_path):
    """``train(mode)``: the :data:`TRAIN` script run in a fresh process on a copy of the nnbook
    sources, with a run store and plans of its own; what it printed."""
    lib = tmp_path / "lib"
    shutil.copytree(ROOT, lib / "nnbook", ignore=shutil.ignore_patterns("__pycache__", "static"))
    env = {**os.environ, "PYTHONPATH": str(lib), "NNBOOK_PLAN": "fixed",
           "NNBOOK_CACHE": str(tmp_path / "cache"), "NNBOOK_PROGRESS": "0"}
    script = tmp_path / "train.py"
    script.write_text(TRAIN)

    def train(mode: str) -> dict:
        result = subprocess.run([sys.executable, str(script), mode, str(tmp_path / "runs")],
                                capture_output=True, text=True, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    return train


def test_a_run_of_code_edited_after_import_is_not_served_to_the_edited_code(tmp_path):
    train = trainer(tmp_path)
    old_code = train("edit")  # imported, then edited on disk, then trained: the old code ran
    assert any("nnbook.networks changed on disk" in p for p in old_code["problems"])
    new_code = train("keep")  # a fresh process runs the edited file
    assert not new_code["from_cache"], "the store served the old code's run to the new code"
    assert new_code["key"] != old_code["key"]
    assert new_code["weight"] != old_code["weight"]  # another seeding: other weights


# --- a module executed again: importlib.reload ---------------------------------------------

MODEL = """from editedlib.helper import VALUE


class Model:
    def forward(self):
        return VALUE


class Wider(Model):
    pass


def f():
    return VALUE
"""


def test_an_object_created_before_a_reload_keeps_the_source_it_ran_from(edited):
    import editedlib  # noqa: F401

    sources.record_imports("editedlib")
    (edited / "top.py").write_text(MODEL)
    import editedlib.top as top

    digests = sources.module_digests(sources.closure(["editedlib.top"], ["editedlib"]))
    old = [top.f, top.Model, top.Wider]
    importlib.reload(top)  # the same file: nothing to tell apart
    assert sources.defining_sources(old) == {}
    old = [top.f, top.Model, top.Wider]
    (edited / "top.py").write_text(MODEL.replace("return VALUE", "return VALUE + 1"))
    importlib.reload(top)
    assert top.Model().forward() == 2 and old[1]().forward() == 1  # two versions run
    for obj in old:
        assert sources.defining_sources([obj]) == {"editedlib.top": MODEL}
    assert sources.defining_sources([top.f, top.Model, top.Wider]) == {}
    pinned = sources.defining_sources(old)
    modules = sources.closure(["editedlib.top"], ["editedlib"], as_imported=True, pinned=pinned)
    assert sources.module_digests(modules, as_imported=True, pinned=pinned) == digests
    assert sources.module_digests(modules, as_imported=True) != digests  # what was keyed on


def test_a_run_of_an_object_made_before_a_reload_is_not_served_to_the_reloaded_code(tmp_path):
    # The key took the newest source imported: the old factory's run was stored under the new
    # code's key, and a fresh process running the edited file was served the old code's weights.
    train = trainer(tmp_path)
    original = train("keep")
    reloaded = train("reload")  # the file edited and reloaded; the old factory trains
    edited = train("keep")  # a fresh process runs the edited file
    assert not edited["from_cache"], "the store served the old code's run to the edited code"
    assert edited["key"] not in (original["key"], reloaded["key"])
    assert edited["weight"] != original["weight"]
    assert reloaded["weight"] == original["weight"]  # it ran the old code
    assert any("nnbook.networks was executed again (reloaded)" in p for p in reloaded["problems"])
    assert reloaded["key"] != original["key"]  # it also looked names up in the new module
