"""The tables "How this book is built" shows: a run's key in parts, and the candidates of its
plan (nnbook.book.kernel.machinery), on a real stored run of a small model."""

import torch.nn.functional as F
from torch import nn

from nnbook.book.kernel.machinery import KEY_PARTS, key_table, plan_table, shown
from nnbook.engine.fit import TrainConfig
from nnbook.engine.tensor_data import TensorData
from nnbook.engine.plan import Plan
from nnbook.engine.runs import run_key, train_cached


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(28 * 28, 10)

    def forward(self, x):
        return self.fc(F.relu(x.flatten(1)))


def test_every_part_of_a_real_key_is_explained_and_shown_short(store, images, cpu):
    data = TensorData(images.X[:64], images.y[:64], images.X_test[:32], images.y_test[:32])
    run = train_cached(Tiny, data, TrainConfig(num_epochs=1, batch_size=32), store=store,
                       device=cpu, name="tiny")
    assert run_key({"name": "tiny", **run.key_parts}) == run.record.key  # the parts are the key
    table = key_table(run.key_parts)
    assert list(table.index) == [name.replace("_", " ") for name in run.key_parts]
    assert not any("_" in name for name in table.index)  # words, not a machine's labels
    assert set(run.key_parts) <= set(KEY_PARTS)  # a new part of the key needs its explanation
    assert table.loc["code", "value"] == run.key_parts["code"][:12] + "…"
    assert table.loc["config", "value"].startswith("num_epochs=1, batch_size=32")
    assert all(len(v) <= 72 for v in table["value"])


def test_a_long_text_shows_its_first_line():
    assert shown("Tiny(\n  (fc): Linear(...)\n)") == "Tiny( …"
    assert shown({"type": "TrainConfig", "lr": 0.1}) == "lr=0.1"


def test_the_plan_table_lists_the_candidates_fastest_first_and_marks_the_choice():
    plan = Plan("bfloat16", False, threads=2, how="measured", batch_size=100,
                seconds_per_step={"float32, contiguous, 1 thread, eager": 0.2,
                                  "bfloat16 autocast, contiguous, 2 threads, eager": 0.05,
                                  "float32, contiguous, 2 threads, eager": 0.1})
    table = plan_table(plan.to_dict())
    assert list(table["ms per step"]) == [50.0, 100.0, 200.0]
    assert list(table["images/s"]) == [2000, 1000, 500]
    assert list(table["chosen"]) == ["yes", "", ""]
    assert table.index[0] == plan.label()


def test_the_key_table_shows_each_sentence_whole():
    from nnbook.book.kernel.machinery import KEY_PARTS, key_table

    table = key_table({"definitions": "nnbook.models.FashionCNN", "config": {"lr": 0.001}})
    html = table._repr_html_()
    assert KEY_PARTS["definitions"] in html and "..." not in html
