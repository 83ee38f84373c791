"""The speed ladder's figures and sentences (nnbook.speed_ladder_figures): every variant drawn,
a skipped one named, and words chosen by what was measured, whichever way it went."""

import pytest

from nnbook.engine.plan import Plan
from nnbook.speed_ladder import Measured, Variant
from nnbook.speed_ladder_figures import (ablation_figure, precision_note, speed_only,
                                          step_factors, verdict)


def _measured(name, images_per_second, accuracy=0.8, ran=True):
    return Measured(name, ran, 100, 1.0, images_per_second, accuracy if ran else None, 64,
                    "float32", False)


def test_the_ablation_figure_draws_every_variant_and_names_a_skipped_one():
    ran = Measured("a", True, 100, 2.0, 50.0, 0.8, 64, "float32", False)
    faster = Measured("b", True, 300, 2.0, 150.0, 0.9, 64, "float32", True)
    skipped = Measured.skipped(Variant("c", 64, 1e-3, bf16=True, skip="no bfloat16"))
    fig = ablation_figure([ran, faster, skipped], 2.0)
    speed, accuracy = fig.data
    assert list(speed.x) == ["1. a", "2. b", "3. c"]
    assert list(speed.y) == [50.0, 150.0, None]
    assert list(accuracy.y) == pytest.approx([80.0, 90.0, None], nan_ok=True)
    assert [a.text for a in fig.layout.annotations].count("skipped") == 2
    assert tuple(fig.layout.yaxis2.range) == (0, 100)  # accuracy from zero: gaps at true size


def _plan(precision: str, timings: dict[str, float], how: str = "measured") -> Plan:
    plan = Plan(precision, True, threads=2, how=how, batch_size=256)
    return Plan(precision, True, threads=2, how=how, batch_size=256,
                seconds_per_step={plan.__class__(p, True, threads=2).label(): s
                                  for p, s in timings.items()})


def test_the_precision_sentence_quotes_the_engines_own_measurements():
    slower = precision_note(_plan("float32", {"float32": 0.1, "bfloat16": 1.0}))
    assert "256 images a second against 2,560 in float32" in slower
    assert "stays in float32" in slower and "skipped" in slower
    faster = precision_note(_plan("bfloat16", {"float32": 0.2, "bfloat16": 0.1}))
    assert "computes the forward pass in bfloat16" in faster and "2,560" in faster
    untimed = precision_note(_plan("float32", {"float32": 0.1}))
    assert "emulate" in untimed and "does not even try it" in untimed
    assert "fixes the engine" in precision_note(_plan("float32", {}, how="fixed"))


def test_the_step_sentence_follows_the_measured_factors():
    text = step_factors([_measured("loop", 1000), _measured("sliced", 1800),
                         _measured("layout", 1800 * 0.97), _measured("bf16", 0, ran=False),
                         _measured("recipe", 1800 * 0.97 * 0.8)])
    assert '"sliced" (variant 2) multiplies the rate by 1.80' in text
    assert '"layout" (variant 3) leaves it about where it was (a factor of 0.97)' in text
    assert '"recipe" (variant 5) slows it (a factor of 0.80)' in text
    assert "bf16" not in text  # a skipped step says nothing here
    assert text.endswith('The largest gain comes from "sliced".')
    assert step_factors([_measured("loop", 1000)]) == ""


def test_the_verdict_follows_the_measured_accuracies():
    lecture = _measured("loop", 1000, accuracy=0.80)
    assert verdict(_measured("e", 2000, accuracy=0.85), lecture) == "the better network of the two"
    assert verdict(_measured("e", 2000, accuracy=0.803), lecture).startswith("about as good")
    assert verdict(_measured("e", 2000, accuracy=0.70), lecture).startswith("a worse network")


def _sized(name, images, precision="float32", ran=True):
    return Measured(name, ran, images, 1.0, float(images), 0.8 if ran else None, 64,
                    precision if ran else "", False)


def test_the_middle_variants_sentence_follows_what_ran_and_how_many_images_each_saw():
    first, last = _sized("loop", 100), _sized("recipe", 500)
    two = speed_only([first, _sized("sliced", 300), _sized("layout", 400),
                      _sized("bf16", 0, ran=False), last])
    assert two.startswith("Variants 2 and 3 train with variant 1's batch size, rate and loss, "
                          "only on more images in the same time")
    assert two.endswith("is their speed alone.")
    one = speed_only([first, _sized("sliced", 80), _sized("layout", 0, ran=False),
                      _sized("bf16", 0, ran=False), last])
    assert one.startswith("Variant 2 trains") and "only on fewer images" in one
    assert one.endswith("its accuracy apart from variant 1's is its speed alone.")
    mixed = speed_only([first, _sized("sliced", 300), _sized("layout", 90),
                        _sized("bf16", 350, "bfloat16 autocast"), last])
    assert mixed.startswith("Variants 2, 3 and 4 train with variant 1's batch size, rate and "
                            "loss, variant 4 in bfloat16, each only on as many images as its "
                            "speed fits into the same time")
    assert "more images" not in mixed and "fewer images" not in mixed
    assert mixed.endswith("their speed, and for variant 4 bfloat16's rounding.")
    assert speed_only([first, _sized("sliced", 0, ran=False), last]) == ""
