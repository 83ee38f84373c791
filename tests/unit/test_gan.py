import math

import numpy as np
import pytest
import torch

from nnbook.gan import (GANConfig, ImageDiscriminator, ImageGenerator, RingDiscriminator,
                        RingGenerator, RingTarget, generate, image_sampler, mmd2, mode_report,
                        to_unit, train_fashion_gan, train_gan, train_ring_gan)
from nnbook.gan_figures import snapshot_figure, snapshot_metrics

CPU = torch.device("cpu")
TARGET = RingTarget(n_modes=8, radius=2.0, std=0.05)


def test_ring_target_centres_and_samples():
    centres = TARGET.centres
    assert centres.shape == (8, 2)
    torch.testing.assert_close(centres.norm(dim=1), torch.full((8,), 2.0))
    torch.testing.assert_close(centres[2], torch.tensor([0.0, 2.0]), atol=1e-6, rtol=0)
    X = TARGET.sample(4000, torch.Generator().manual_seed(0))
    report = mode_report(X, TARGET)
    assert report.share_near > 0.98  # 3 standard deviations hold 98.9% of a 2-D Gaussian
    assert report.modes_covered == 8 and not report.collapsed
    assert min(report.counts) > 400


def test_mmd_against_a_direct_double_sum():
    g = torch.Generator().manual_seed(0)
    X, Y = torch.randn(7, 2, generator=g), torch.randn(5, 2, generator=g) + 1.0
    h = (0.5, 2.0)

    def k(a, b):
        d2 = float(((a.double() - b.double()) ** 2).sum())
        return sum(math.exp(-d2 / (2 * w * w)) for w in h)

    kxx = sum(k(a, b) for a in X for b in X) / 49
    kyy = sum(k(a, b) for a in Y for b in Y) / 25
    kxy = sum(k(a, b) for a in X for b in Y) / 35
    assert mmd2(X, Y, h) == pytest.approx(kxx + kyy - 2 * kxy, rel=1e-9)
    assert mmd2(X, X, h) == pytest.approx(0.0, abs=1e-12)
    assert mmd2(X, Y, h) == pytest.approx(mmd2(Y, X, h), rel=1e-12)


def test_mode_report_on_a_collapsed_sample():
    centres = TARGET.centres
    X = torch.cat([centres[0].repeat(90, 1), centres[3].repeat(2, 1), torch.zeros(8, 2)])
    report = mode_report(X, TARGET)
    assert report.counts == (90, 0, 0, 2, 0, 0, 0, 0)
    assert report.share_near == pytest.approx(0.92)
    assert report.modes_covered == 1  # 2 points are less than a fifth of a fair share (12.5)
    assert report.collapsed


def test_gan_samples_move_towards_the_ring():
    config = GANConfig(steps=1000, seed=1, snapshot_every=500, n_snapshot=500)
    torch.manual_seed(config.seed)
    G, D = RingGenerator(config.latent_dim, config.hidden), RingDiscriminator(config.hidden)
    history = train_gan(G, D, TARGET.sample, config, device=CPU)
    assert history.snapshot_steps == [0, 500, 1000]
    assert history.snapshots.shape == (3, 500, 2)
    metrics = snapshot_metrics(history, TARGET)
    assert metrics["mmd2"][-1] < 0.25 * metrics["mmd2"][0]
    assert metrics["share_near"][0] < 0.05
    assert metrics["share_near"][-1] > 0.15
    assert len(history.d_losses) == len(history.g_losses) == 1000


def test_same_seed_same_run_on_cpu():
    config = GANConfig(steps=30, batch_size=64, snapshot_every=10, n_snapshot=50)

    def run():
        torch.manual_seed(config.seed)
        G, D = RingGenerator(config.latent_dim, config.hidden), RingDiscriminator(config.hidden)
        return train_gan(G, D, TARGET.sample, config, device=CPU)

    a, b = run(), run()
    assert a.d_losses == b.d_losses and a.g_losses == b.g_losses
    torch.testing.assert_close(a.snapshots, b.snapshots, atol=0, rtol=0)


def test_ring_gan_is_cached(store, no_training):
    config = GANConfig(steps=20, batch_size=32, snapshot_every=10, n_snapshot=40)
    first = train_ring_gan(config, TARGET, store=store, device=CPU)
    assert not first.from_cache

    no_training()
    second = train_ring_gan(config, TARGET, store=store, device=CPU)
    assert second.from_cache
    torch.testing.assert_close(second.history.snapshots, first.history.snapshots)
    torch.testing.assert_close(generate(second.generator, 10), generate(first.generator, 10))
    with pytest.raises(AssertionError, match="trained where"):  # a new seed is a new run
        train_ring_gan(GANConfig(steps=20, batch_size=32, snapshot_every=10, n_snapshot=40, seed=5),
                       TARGET, store=store, device=CPU)


def test_snapshot_figure_has_one_slider_step_per_snapshot():
    config = GANConfig(steps=20, batch_size=32, snapshot_every=5, n_snapshot=30)
    torch.manual_seed(0)
    history = train_gan(RingGenerator(), RingDiscriminator(), TARGET.sample, config, device=CPU)
    fig = snapshot_figure(history, TARGET, title="ring")
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["0", "5", "10", "15", "20"]
    n_fixed = TARGET.n_modes
    assert len(fig.data) == n_fixed + 1  # the target's circles, then one trace of samples
    for i, (step, frame) in enumerate(zip(steps, fig.frames)):
        assert list(step.args[0]) == [frame.name]  # each position shows its own frame
        assert frame.traces == (n_fixed,)  # which replaces the samples, never the target
        np.testing.assert_allclose(frame.data[0].x, history.snapshots[i, :, 0].numpy(), atol=1e-3)
    # drawn first: the last snapshot, where the run ends (the slider opens there too)
    np.testing.assert_allclose(fig.data[n_fixed].x, history.snapshots[-1, :, 0].numpy(), atol=1e-3)


def test_image_models_shapes_and_sampler():
    G, D = ImageGenerator(latent_dim=16, hidden=32), ImageDiscriminator(hidden=32)
    images = G(torch.randn(4, 16))
    assert images.shape == (4, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    assert D(images).shape == (4,)
    X = torch.tensor([[[0, 255], [128, 0]]], dtype=torch.uint8).repeat(10, 1, 1)
    batch = image_sampler(X)(6, torch.Generator().manual_seed(0))
    assert batch.shape == (6, 1, 2, 2)
    torch.testing.assert_close(batch[0, 0], torch.tensor([[-1.0, 1.0], [128 / 127.5 - 1, -1.0]]))
    torch.testing.assert_close(to_unit(batch[0, 0]), torch.tensor([[0.0, 1.0], [128 / 255, 0.0]]))


def test_fashion_gan_runs_and_is_cached(store):
    X = torch.randint(0, 256, (200, 28, 28), generator=torch.Generator().manual_seed(0),
                      dtype=torch.uint8)
    config = GANConfig(steps=10, batch_size=16, latent_dim=8, hidden=16, snapshot_every=5, n_snapshot=4)
    first = train_fashion_gan(config, X, store=store, device=CPU)
    second = train_fashion_gan(config, X, store=store, device=CPU)
    assert (first.from_cache, second.from_cache) == (False, True)
    assert first.history.snapshots.shape == (3, 4, 1, 28, 28)
    torch.testing.assert_close(generate(second.generator, 3), generate(first.generator, 3))
    third = train_fashion_gan(config, 255 - X, store=store, device=CPU)  # other images, same shape
    assert not third.from_cache


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_training_on_cuda_returns_cpu_snapshots():
    config = GANConfig(steps=5, batch_size=16, snapshot_every=5, n_snapshot=8)
    history = train_gan(RingGenerator(), RingDiscriminator(), TARGET.sample, config,
                        device=torch.device("cuda"))
    assert history.snapshots.device.type == "cpu" and history.device == "cuda"


def test_gans_trained_side_by_side_train_as_each_would_alone():
    from nnbook.gan import RingDiscriminator, RingGenerator, train_gans

    configs = [GANConfig(steps=30, batch_size=32, snapshot_every=10, n_snapshot=40, hidden=16,
                         seed=s) for s in (0, 4)]

    def pair(config):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            return RingGenerator(config.latent_dim, config.hidden), RingDiscriminator(config.hidden)

    together = train_gans([pair(c) for c in configs], TARGET.sample, configs, device=CPU)
    for config, history in zip(configs, together):
        g, d = pair(config)
        alone = train_gan(g, d, TARGET.sample, config, device=CPU)
        torch.testing.assert_close(torch.tensor(history.d_losses), torch.tensor(alone.d_losses),
                                   rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(torch.tensor(history.g_losses), torch.tensor(alone.g_losses),
                                   rtol=1e-4, atol=1e-5)
        assert history.snapshot_steps == alone.snapshot_steps == [0, 10, 20, 30]
        torch.testing.assert_close(history.snapshots, alone.snapshots, rtol=1e-4, atol=1e-5)
    assert together[0].d_losses != together[1].d_losses
    with pytest.raises(ValueError, match="only in their seed"):
        train_gans([pair(c) for c in configs], TARGET.sample,
                   [configs[0], GANConfig(steps=30, lr_g=5e-3, seed=4)], device=CPU)



def test_ring_gans_from_several_seeds_are_stored_together(store, no_training):
    from dataclasses import replace

    from nnbook.gan import train_ring_gans

    config = GANConfig(steps=20, batch_size=32, snapshot_every=10, n_snapshot=40, hidden=16)
    runs = train_ring_gans(config, TARGET, seeds=(0, 3), store=store, device=CPU)
    assert [r.history.config["seed"] for r in runs] == [0, 3] and not runs[0].from_cache
    assert len(list(store.root.glob("ring-gans-*.pt"))) == 1
    alone = train_gan(*_pair(replace(config, seed=3)), TARGET.sample, replace(config, seed=3),
                      device=CPU)
    torch.testing.assert_close(runs[1].history.snapshots, alone.snapshots, rtol=1e-4, atol=1e-5)
    no_training()
    again = train_ring_gans(config, TARGET, seeds=(0, 3), store=store, device=CPU)
    assert all(r.from_cache for r in again)
    torch.testing.assert_close(again[1].history.snapshots, runs[1].history.snapshots)
    for a, b in zip(again[0].generator.parameters(), runs[0].generator.parameters()):
        assert torch.equal(a, b)


def _pair(config):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return RingGenerator(config.latent_dim, config.hidden), RingDiscriminator(config.hidden)


def test_the_optimal_discriminator_and_the_games_value():
    import numpy as np

    from nnbook.gan import game_value, gaussian_density, js_divergence, optimal_discriminator

    grid = np.linspace(-15, 15, 30001)
    same, other = gaussian_density(0.0), gaussian_density(3.0)
    d_star = optimal_discriminator(same, other)
    x = np.array([-1.0, 1.5, 4.0])
    np.testing.assert_allclose(d_star(x), 1 / (1 + np.exp(3 * x - 4.5)))  # sigmoid(-3x + 4.5)
    # Equal distributions: D* = 1/2, JS = 0, and the value is -log 4.
    assert js_divergence(same, same, grid) == pytest.approx(0.0, abs=1e-12)
    assert game_value(optimal_discriminator(same, same), same, same, grid) == pytest.approx(
        -np.log(4))
    # Far apart: JS tends to log 2, and V(D*, G) = -log 4 + 2 JS always.
    far = gaussian_density(40.0)
    wide = np.linspace(-15, 55, 70001)
    assert js_divergence(same, far, wide) == pytest.approx(np.log(2), rel=1e-6)
    js = js_divergence(same, other, grid)
    assert game_value(d_star, same, other, grid) == pytest.approx(-np.log(4) + 2 * js, abs=1e-9)
    # Any other discriminator does worse against this generator.
    assert game_value(lambda t: np.full_like(t, 0.5), same, other, grid) < game_value(
        d_star, same, other, grid)
