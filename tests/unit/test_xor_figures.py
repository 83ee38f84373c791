"""The summary over seeds as a table for people: every number named in words and written as a
person writes it."""

import dataclasses
import re

from nnbook.xor import RateSummary
from nnbook.xor_figures import rate_table

SUMMARY = RateSummary(lr=0.5, seeds=10, final_median=0.9625, final_worst=0.5, final_best=1.0,
                      late_low_worst=0.4875, late_low_best=0.99, late_loss_worst=2.125,
                      late_loss_best=0.000123, epochs_to_95_median=float("inf"),
                      runs_below_95_late=7, late_jumps_median=12.0)


def test_every_number_of_a_summary_has_a_row_named_in_words_and_written_for_people():
    table = rate_table([SUMMARY, dataclasses.replace(SUMMARY, lr=0.05, epochs_to_95_median=31.0)])
    assert list(table.columns) == ["rate 0.5", "rate 0.05"]
    fields = [f.name for f in dataclasses.fields(RateSummary) if f.name != "lr"]
    assert len(table) == len(fields)  # nothing the summary holds is left out
    assert not [label for label in table.index if "_" in label]
    cells = table.to_numpy().ravel().tolist()
    assert all(isinstance(c, str) for c in cells)
    assert not [c for c in cells if re.search(r"\de[-+]?\d|\d\.\d{4,}", c)], cells
    rate = table["rate 0.5"]
    assert rate["final test accuracy: median run"] == "96.2%"
    assert rate["lowest test accuracy in the second half: worst run"] == "48.8%"
    assert rate["highest loss in the second half: best run"] == "1.2 × 10⁻⁴"
    assert rate["epochs to reach 95% test accuracy: median run"] == "never"
    assert table["rate 0.05"]["epochs to reach 95% test accuracy: median run"] == "31"
    assert rate["runs (seeds)"] == "10" and rate["runs below 95% in the second half"] == "7"
