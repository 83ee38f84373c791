"""The GAN chapter's run summary and figures, on snapshots made by hand: where every sample sits
is known, so the counts the chapter quotes can be worked out without the library."""

import numpy as np
import pytest
import torch

from nnbook.gan import GANHistory, ModeReport, RingTarget, mmd2
from nnbook.gan_figures import (collapses, crowding, distance_figure, favoured_modes,
                                late_coverage, sampling_floor, snapshot_grid, steadiest,
                                summarise_ring_run)

TARGET = RingTarget(n_modes=8, radius=2.0, std=0.05)


def at_modes(modes, n_each=40):
    """``n_each`` points exactly on each listed mode's centre (repeats allowed)."""
    return torch.cat([TARGET.centres[m].expand(n_each, 2) for m in modes])  # (len * n, 2)


def history_of(*snapshots):
    return GANHistory(config={}, snapshot_steps=[100 * i for i in range(len(snapshots))],
                      snapshots=torch.stack(snapshots))


def report(counts):
    return ModeReport(counts=tuple(counts), share_near=0.0, modes_covered=0, n_modes=len(counts))


def test_favoured_modes_in_order_of_first_favour_skipping_empty_snapshots():
    reports = [report([0, 0, 0, 0]), report([1, 5, 0, 0]), report([0, 2, 7, 0]),
               report([0, 9, 0, 0]), report([3, 0, 0, 3])]  # a tie goes to the lower mode
    assert favoured_modes(reports) == (1, 2, 0)
    assert favoured_modes([report([0, 0])]) == ()


def test_a_run_that_spreads_then_collapses():
    far_away = torch.full((320, 2), 10.0)  # near no mode
    spread = at_modes(range(8))  # 40 on each of the 8 modes
    hopping = at_modes([3] * 7 + [6])  # 280 on mode 3, 40 on mode 6
    history = history_of(far_away, spread, hopping)
    summary = summarise_ring_run(history, TARGET)
    # By hand: a mode is covered with a fifth of a fair share, 320 / 8 / 5 = 8 samples.
    assert (summary.covered_end, summary.max_covered) == (2, 8)
    assert summary.near_end == summary.max_near == 1.0
    assert summary.max_mode_share == 280 / 320  # mode 3 at the last snapshot
    # Crowding ignores the first snapshot (all 320 on one point) and sees mode 3's 280 points.
    assert summary.crowding_radius == pytest.approx(0.3)
    assert summary.max_crowding == 280 / 320
    assert summary.favoured == 2  # mode 0 (a tie of eight) at step 100, then mode 3
    assert summary.collapsed
    # Far from every mode scores worse than the whole ring, which scores better than two modes.
    assert summary.mmd_start > summary.mmd_end > mmd2(spread, TARGET.sample(
        1000, torch.Generator().manual_seed(1)))


def test_crowding_finds_the_densest_patch_wherever_it_is():
    patch = torch.tensor([[0.5 + 0.01 * i, 0.5] for i in range(6)])  # 6 points 0.01 apart
    spread = torch.tensor([[10.0 * i, -10.0] for i in range(4)])  # 4 points far apart
    points = torch.cat([patch, spread])  # (10, 2); the patch lies on no mode of the ring
    assert crowding(points, radius=0.06) == 0.6  # the whole row, from any of its points
    assert crowding(points, radius=0.025) == 0.5  # a point and two neighbours on each side
    assert crowding(spread, radius=1.0) == 0.25  # each far point has only itself


def test_sampling_floor_shrinks_with_the_sample_and_is_far_below_a_wrong_target():
    small, large = sampling_floor(TARGET, 250), sampling_floor(TARGET, 4000)
    assert 0 < large < small / 4  # roughly 1/n: 16 times the points, far less than a quarter
    wrong = RingTarget(n_modes=8, radius=1.0, std=0.05)
    g = torch.Generator().manual_seed(0)
    assert mmd2(TARGET.sample(1000, g), wrong.sample(1000, g)) > 20 * sampling_floor(TARGET)


def test_distance_figure_plots_both_measures_at_every_snapshot():
    history = history_of(at_modes([0] * 8), at_modes(range(8)))
    fig = distance_figure(history, TARGET, title="t")
    mmd, near = fig.data
    assert list(mmd.x) == list(near.x) == [0, 100]
    assert list(near.y) == [1.0, 1.0] and mmd.y[1] < mmd.y[0]


def test_snapshot_grid_puts_each_snapshot_on_a_row():
    snapshots = torch.rand(3, 10, 1, 28, 28) * 2 - 1  # generator output in [-1, 1]
    history = GANHistory(config={}, snapshot_steps=[0, 500, 1000], snapshots=snapshots)
    fig = snapshot_grid(history, n=4, suptitle="s")
    assert len(fig.axes) == 12
    for row in range(3):
        assert fig.axes[4 * row].get_title() == f"step {[0, 500, 1000][row]}"
        for j in range(4):
            np.testing.assert_allclose(np.asarray(fig.axes[4 * row + j].images[0].get_array()),
                                       ((snapshots[row, j, 0] + 1) / 2).numpy(), rtol=1e-6)


def test_the_replay_opens_at_its_last_step_with_that_steps_samples():
    from nnbook.gan_figures import snapshot_figure

    history = history_of(at_modes([0] * 8), at_modes([1] * 8), at_modes(range(8)))
    fig = snapshot_figure(history, TARGET, title="t")
    slider = fig.layout.sliders[0]
    assert slider.active == len(slider.steps) - 1 == 2
    generated = fig.data[-1]  # what the figure draws before the slider is touched
    last = history.snapshots[-1].numpy().round(3)
    np.testing.assert_allclose(generated.x, last[:, 0])
    np.testing.assert_allclose(generated.y, last[:, 1])
    assert list(slider.steps[slider.active].args[0]) == [fig.frames[-1].name]


def near_modes(modes, n_each=40, straggle=0):
    """Points around each listed mode (within a standard deviation), plus ``straggle`` points
    halfway between the ring's centre and mode 0 (near no mode)."""
    g = torch.Generator().manual_seed(0)
    points = at_modes(modes, n_each) + 0.5 * TARGET.std * torch.randn(len(modes) * n_each, 2,
                                                                       generator=g)
    return torch.cat([points, TARGET.centres[0].expand(straggle, 2) / 2])


def test_late_coverage_counts_the_last_thirds_snapshots_with_every_mode_covered():
    start, good = torch.zeros(340, 2), near_modes(range(8), straggle=20)
    lost = near_modes(range(7), straggle=60)  # as many points, a mode left empty
    # Six snapshots: the last third is the last two.
    assert late_coverage(history_of(start, start, lost, start, good, good), TARGET) == (2, 2)
    assert late_coverage(history_of(start, good, good, good, good, lost), TARGET) == (1, 2)
    assert late_coverage(history_of(*[start] * 3, good, lost, good, good, good, lost),
                         TARGET) == (2, 3)


def test_the_steadiest_run_kept_every_mode_longest_and_the_first_wins_a_tie():
    from types import SimpleNamespace

    start, good = torch.zeros(340, 2), near_modes(range(8), straggle=20)
    lost = near_modes(range(7), straggle=60)
    runs = [SimpleNamespace(history=history_of(*[start] * 4, lost, good)),
            SimpleNamespace(history=history_of(*[start] * 4, good, good)),
            SimpleNamespace(history=history_of(*[start] * 4, good, good))]
    assert steadiest(runs, TARGET) is runs[1]


def test_a_run_collapses_when_it_crowds_hops_and_ends_with_modes_uncovered():
    patch_far = torch.full((320, 2), 0.3)  # one small patch, near no mode
    hop = torch.cat([near_modes([2], 60), torch.full((260, 2), 5.0)])  # mode 2, then elsewhere
    hop_again = torch.cat([near_modes([5], 60), torch.full((260, 2), -5.0)])
    assert collapses(history_of(torch.zeros(320, 2), patch_far, hop, hop_again), TARGET)
    covering = near_modes(range(8))
    assert not collapses(history_of(torch.zeros(320, 2), covering, covering), TARGET)
    # Uncovered modes without crowding (samples everywhere and nowhere): not the page's collapse.
    scattered = torch.linspace(-4, 4, 640).reshape(320, 2)
    assert not collapses(history_of(torch.zeros(320, 2), scattered, scattered), TARGET)
