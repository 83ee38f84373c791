"""The run store: it returns stored runs without training, retrains when any real input changes
(code, data, configuration, device), ignores comments and docstrings, and treats a damaged or
forged entry as missing: reported once, trained again, never a crash."""

import logging
import shutil
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import nnbook.engine.runs as runs
from nnbook.autoencoders import ConvAutoencoder, train_autoencoder
from nnbook.engine import sources
from nnbook.engine.fit import TrainConfig, fit_planned, predict
from nnbook.engine.plan import Plan
from nnbook.engine.runs import RunStore, code_parts, train_cached
from nnbook.engine.tensor_data import TensorData


class Small(nn.Module):
    def __init__(self, width: int = 8):
        super().__init__()
        self.conv = nn.Conv2d(1, width, 3, padding=1)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(width * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 4)  # (B, width, 7, 7)
        return self.fc(self.drop(x.flatten(1)))


CONFIG = TrainConfig(num_epochs=2, batch_size=50, lr=2e-3)


@pytest.fixture
def data(images):
    return TensorData(images.X[:300], images.y[:300], images.X_test[:100], images.y_test[:100])


def entries(store: RunStore) -> list:
    return sorted(store.root.glob("*.pt"))


def test_second_call_loads_the_stored_run(store, data, cpu, no_training):
    first = train_cached(Small, data, CONFIG, store=store, device=cpu)
    assert not first.from_cache and len(entries(store)) == 1
    no_training()
    second = train_cached(Small, data, CONFIG, store=store, device=cpu)
    assert second.from_cache
    assert second.history.batch_losses == first.history.batch_losses
    torch.testing.assert_close(second.test_outputs, first.test_outputs)
    torch.testing.assert_close(predict(second.model, data.X_test), first.test_outputs)
    assert not second.model.training
    assert second.record.metrics["test_accuracy"] == first.history.test_accuracies[-1]


def test_each_real_input_changes_the_key(store, data, cpu):
    base = train_cached(Small, data, CONFIG, store=store, device=cpu)
    changed = [
        dict(config=TrainConfig(num_epochs=2, batch_size=50, lr=1e-3)),
        dict(data=TensorData(data.X[:200], data.y[:200], data.X_test, data.y_test)),
        dict(data=TensorData(1 - data.X, data.y, data.X_test, data.y_test)),  # same shapes
        dict(loss_fn=lambda y_hat, y: F.cross_entropy(y_hat, y, label_smoothing=0.1)),
        dict(model_fn=lambda: Small(width=4)),
    ]
    for change in changed:
        args = dict(model_fn=Small, data=data, config=CONFIG) | change
        model_fn, d, config = args.pop("model_fn"), args.pop("data"), args.pop("config")
        run = train_cached(model_fn, d, config, store=store, device=cpu, name="Small", **args)
        assert not run.from_cache, change
    assert train_cached(Small, data, CONFIG, store=store, device=cpu).from_cache
    assert len(entries(store)) == 1 + len(changed)
    assert base.key_parts["device"] == "cpu"
    assert base.key_parts["plan"] == Plan.from_dict(base.record.plan).key()


def test_the_key_holds_the_plan_and_the_run_follows_it(store, data, cpu, monkeypatch):
    plans = iter([Plan("float32", True, threads=1), Plan("bfloat16", True, threads=1),
                  Plan("bfloat16", False, threads=1), Plan("bfloat16", False, threads=2),
                  Plan("float32", True, threads=1, how="stored")])
    monkeypatch.setattr(runs, "plan_for", lambda *args, **kwargs: next(plans))
    first = train_cached(Small, data, CONFIG, store=store, device=cpu)
    assert first.record.precision == "float32" and first.record.channels_last
    cast = train_cached(Small, data, CONFIG, store=store, device=cpu)
    assert not cast.from_cache and cast.record.precision == "bfloat16 autocast"
    assert cast.record.plan["precision"] == "bfloat16" and cast.history.plan == cast.record.plan
    contiguous = train_cached(Small, data, CONFIG, store=store, device=cpu)
    assert not contiguous.from_cache and not contiguous.record.channels_last
    assert not train_cached(Small, data, CONFIG, store=store, device=cpu).from_cache  # threads
    again = train_cached(Small, data, CONFIG, store=store, device=cpu)  # how: not in the key
    assert again.from_cache and again.key_parts == first.key_parts


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the nnbook sources that the key reads instead of the real ones."""
    copy = tmp_path / "nnbook"
    shutil.copytree(sources.package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sources, "package_dir", lambda name=sources.PACKAGE: copy)
    return copy


def autoencoder_code() -> str:
    return code_parts(ConvAutoencoder, fit_planned)["code"]


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def test_code_the_run_reaches_in_another_module_is_part_of_the_key(package_copy):
    # The key once hashed only the model class's source, so a helper in another module could
    # change while the old run was served: the training step lives in engine/fit.py.
    before = autoencoder_code()
    edit(package_copy / "engine" / "fit.py", "loss.backward()", "(2 * loss).backward()")
    assert autoencoder_code() != before


def test_code_the_run_cannot_reach_is_not(package_copy):
    # An error message in the data module, which neither the model nor the training loop calls,
    # retrains no run (nor does a function no run calls, or a planner's timing rule: the plan it
    # chose is part of the key, how it chose is not).
    before = autoencoder_code()
    data_py = package_copy / "engine" / "data.py"
    edit(data_py, "truncated gzip file", "cut-off gzip file")
    with data_py.open("a") as f:
        f.write("\n\ndef unused_helper():\n    return 1\n")
    edit(package_copy / "engine" / "plan.py", "MARGIN = 0.05", "MARGIN = 0.1")
    assert autoencoder_code() == before


def test_comments_and_docstrings_change_no_key(package_copy):
    # the whole text of training.py was in every key.
    before = autoencoder_code()
    for path in package_copy.rglob("*.py"):
        text = path.read_text()
        text = text.replace('"""', '"""Edited. ', 1) if text.startswith('"""') else text
        path.write_text(text + "\n# a comment appended to every module\n")
    assert autoencoder_code() == before


def test_type_checking_imports_are_not_followed():
    # tensor_data.py imports the data module only for type checking; it never runs.
    assert "TYPE_CHECKING" in (sources.package_dir() / "engine" / "tensor_data.py").read_text()
    assert "nnbook.engine.data" not in sources.closure(["nnbook.engine.tensor_data"])
    assert "nnbook.engine.data" in sources.closure(["nnbook.models"])


def test_changed_data_retrains_the_autoencoder(store, images, cpu):
    # inverting the images kept the key, whose data part was a label.
    config = TrainConfig(num_epochs=1, batch_size=64)
    X, X_test = images.X[:128], images.X_test[:32]
    first = train_autoencoder(2, TensorData(X, X, X_test, X_test), config, store=store,
                              device=cpu)
    inverted = train_autoencoder(2, TensorData(1 - X, 1 - X, X_test, X_test), config,
                                 store=store, device=cpu)
    assert not first.from_cache and not inverted.from_cache


# --- damaged entries ------------------------------------------------------------------------------


def rewrite(path, change):
    """Load an entry's raw content, let ``change`` alter it, and write it back."""
    blob = torch.load(path, weights_only=True)
    change(blob)
    torch.save(blob, path)


def forge_metrics(blob):
    import json
    meta = json.loads(blob["meta"])
    meta["metrics"]["test_accuracy"] = 0.999
    blob["meta"] = json.dumps(meta)


def drop_weight(blob):
    blob["tensors"].pop(next(k for k in blob["tensors"] if k.startswith("weights.")))


def wrong_shape(blob):
    blob["tensors"]["weights.fc.weight"] = torch.zeros(3, 3)


def drop_history(blob):
    import json
    meta = json.loads(blob["meta"])
    del meta["history"]
    blob["meta"] = json.dumps(meta)


def truncate(path):
    path.write_bytes(path.read_bytes()[:200])


DAMAGE = {
    "truncated": truncate,
    "garbage": lambda path: path.write_bytes(b"not a torch file at all"),
    "forged metrics": lambda path: rewrite(path, forge_metrics),
    "missing weights": lambda path: rewrite(path, drop_weight),
    "weights of the wrong shape": lambda path: rewrite(path, wrong_shape),
    "missing history": lambda path: rewrite(path, drop_history),
    "an old layout": lambda path: torch.save({"weights": {}, "history": {}}, path),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_entry_is_reported_once_and_retrained(damage, store, data, cpu, caplog):
    # these crashed (KeyError, size mismatch) or showed forged numbers.
    first = train_cached(Small, data, CONFIG, store=store, device=cpu)
    (entry,) = entries(store)
    DAMAGE[damage](entry)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing that a page would print
        with caplog.at_level(logging.WARNING, logger="nnbook.engine.runs"):
            again = train_cached(Small, data, CONFIG, store=store, device=cpu)
    assert not again.from_cache
    assert again.history.batch_losses == first.history.batch_losses  # the same run, redone
    assert again.record.metrics == first.record.metrics
    problems = [p for p in runs.reported_problems() if str(entry) in p]
    assert len(problems) == 1 and "trained again" in problems[0]
    assert sum(str(entry) in r.getMessage() for r in caplog.records) == 1
    assert train_cached(Small, data, CONFIG, store=store, device=cpu).from_cache  # repaired


def test_a_failed_write_leaves_the_old_entry_and_no_temporary_file(store, data, cpu, monkeypatch):
    run = train_cached(Small, data, CONFIG, store=store, device=cpu)
    (entry,) = entries(store)
    before = entry.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(runs.torch, "save", crash)
    with pytest.raises(OSError):
        store.save(run.record)
    assert entry.read_bytes() == before
    assert [p.name for p in store.root.iterdir()] == [entry.name]


def test_configuration_must_be_a_dataclass():
    with pytest.raises(TypeError, match="dataclass"):
        runs.config_dict({"lr": 0.1})


def test_store_lives_where_the_setting_says(tmp_path, monkeypatch):
    monkeypatch.setenv("NNBOOK_CACHE", str(tmp_path / "elsewhere"))
    assert RunStore().root == tmp_path / "elsewhere"


def test_code_reach_shows_what_a_keys_code_part_covers():
    from nnbook.engine.runs import code_reach

    parts = code_parts(ConvAutoencoder, fit_planned)
    reach = code_reach(parts["definitions"])
    assert "ConvAutoencoder" in reach["nnbook.autoencoders"]
    assert "train_step" in reach["nnbook.engine.fit"] and "plan_for" not in reach["nnbook.engine.fit"]
    assert "nnbook.engine.sources" not in reach  # the modules that make keys are in none
    assert all(names for names in reach.values())
