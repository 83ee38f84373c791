"""The speed ladder's figures (nnbook.speed_ladder_figures): every variant drawn, a skipped one
named, and the bfloat16 sentence following the measurement."""

import pytest

from nnbook.speed_ladder import Measured, Variant
from nnbook.speed_ladder_figures import ablation_figure, bf16_note


def test_the_ablation_figure_draws_every_variant_and_names_a_skipped_one():
    ran = Measured("a", True, 100, 2.0, 50.0, 0.8, 64, "float32", False)
    faster = Measured("b", True, 300, 2.0, 150.0, 0.9, 64, "float32", True)
    skipped = Measured.skipped(Variant("c", 64, 1e-3, bf16=True), "no bfloat16")
    fig = ablation_figure([ran, faster, skipped], 2.0)
    speed, accuracy = fig.data
    assert list(speed.x) == ["1. a", "2. b", "3. c"]
    assert list(speed.y) == [50.0, 150.0, None]
    assert list(accuracy.y) == pytest.approx([80.0, 90.0, None], nan_ok=True)
    assert [a.text for a in fig.layout.annotations].count("skipped") == 2


def _measured(images_per_second, ran=True):
    return Measured("v", ran, 100, 1.0, images_per_second, 0.5 if ran else None, 64,
                    "bfloat16 autocast", True)


def test_the_bfloat16_sentence_follows_the_measurement():
    assert "pays" in bf16_note(_measured(3000), _measured(2000))
    assert "1.50" in bf16_note(_measured(3000), _measured(2000))
    flat = bf16_note(_measured(2050), _measured(2000))
    assert "gains little or nothing" in flat and "1.02" in flat
    assert "skipped" in bf16_note(_measured(0, ran=False), _measured(2000))
