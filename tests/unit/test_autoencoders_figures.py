"""The autoencoder chapter's sweep and panels, on small synthetic images.

The sweep is checked against the models it trained (their error recomputed from the stored run)
and against scikit-learn's PCA; each panel against the function that makes its images.
"""

from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA

from nnbook.autoencoders import ConvAutoencoder, crossfade, decode, interpolate, train_autoencoder
from nnbook.autoencoders_figures import (CodeSizeSweep, arithmetic_figure, box_fractions,
                                         class_analogies, code_size_figure, code_size_sweep,
                                         corner_shares, first_of_class, group_places,
                                         interpolation_figure, nearest_distance, place_words,
                                         reconstruction_figure)
from nnbook.engine.fit import TrainConfig
from nnbook.engine.tensor_data import TensorData

CONFIG = TrainConfig(num_epochs=1, batch_size=64, lr=3e-3, precision="float32")


@pytest.fixture(scope="module")
def data(make_images):
    X, _ = make_images(256, seed=0)
    X_test, _ = make_images(64, seed=1)
    return TensorData(X, X, X_test, X_test)


@pytest.fixture(scope="module")
def model():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return ConvAutoencoder(4).eval()


def panel(fig, i) -> np.ndarray:
    """The image drawn in the ``i``-th panel of an image grid."""
    return np.asarray(fig.axes[i].images[0].get_array())


def test_sweep_errors_are_the_trained_models_and_pca_errors(data, store, cpu):
    train = partial(train_autoencoder, store=store, device=cpu)
    sweep = code_size_sweep(data, CONFIG, [2, 6], train=train)
    assert sweep.code_sizes == (2, 6) and sweep.n_train == 256
    flat_train = data.X.flatten(1).double().numpy()
    flat_test = data.X_test.flatten(1).double().numpy()
    for k in (2, 6):
        run = train(k, data, CONFIG)  # the same run, from the store
        assert run.from_cache
        with torch.no_grad():
            error = float(F.mse_loss(run.model(data.X_test), data.X_test))
        assert sweep.autoencoder_error(k) == pytest.approx(error, rel=1e-4)
        pca = PCA(n_components=k).fit(flat_train)
        reconstructed = pca.inverse_transform(pca.transform(flat_test))
        assert sweep.pca_error(k) == pytest.approx(((reconstructed - flat_test) ** 2).mean(),
                                                   rel=1e-6)


def test_sweep_asks_the_training_function_for_each_size_with_the_same_data_and_config(data):
    seen = []

    def train(code_size, d, config):
        seen.append((code_size, d, config))
        return _FakeRun(0.1 / code_size)

    sweep = code_size_sweep(data, CONFIG, (1, 4), train=train)
    assert seen == [(1, data, CONFIG), (4, data, CONFIG)]
    assert sweep.autoencoder_errors == (0.1, 0.025)
    with pytest.raises(ValueError, match="positive code sizes"):
        code_size_sweep(data, CONFIG, [], train=train)


class _FakeRun:
    """Stands in for a run: only its final test loss is read."""

    def __init__(self, test_loss):
        self.history = type("History", (), {"test_loss": [1.0, test_loss]})()


def test_crossover_is_the_first_size_where_pca_wins():
    sweep = CodeSizeSweep((2, 4, 8), (0.05, 0.03, 0.02), (0.06, 0.02, 0.025), n_train=10)
    assert sweep.crossover == 4  # PCA is below at 4; that it is above again at 8 does not matter
    assert CodeSizeSweep((2, 4), (0.05, 0.03), (0.06, 0.04), n_train=10).crossover is None


def test_code_size_figure_draws_both_curves_on_log_axes():
    sweep = CodeSizeSweep((2, 4, 8), (0.05, 0.03, 0.02), (0.06, 0.02, 0.01), n_train=10)
    fig = code_size_figure(sweep, title="t")
    assert [t.name for t in fig.data] == ["convolutional autoencoder", "PCA (linear)"]
    assert list(fig.data[0].x) == [2, 4, 8] and list(fig.data[1].y) == [0.06, 0.02, 0.01]
    assert fig.layout.xaxis.type == fig.layout.yaxis.type == "log"


def test_first_of_class():
    y = torch.tensor([3, 1, 4, 1, 5])
    assert first_of_class(y, 1) == 1 and first_of_class(y, 5) == 4
    with pytest.raises(ValueError, match="label 9"):
        first_of_class(y, 9)


def test_reconstruction_figure_spreads_the_images_and_stacks_the_reconstructions():
    X = torch.rand(20, 1, 28, 28)
    X_hat = torch.rand(20, 1, 28, 28)
    y = torch.arange(20) % 3
    fig = reconstruction_figure(X, X_hat, y, ("a", "b", "c"), n=4, suptitle="s")
    for col, i in enumerate([0, 5, 10, 15]):
        np.testing.assert_array_equal(panel(fig, col), X[i, 0].numpy())
        np.testing.assert_array_equal(panel(fig, 4 + col), X_hat[i, 0].numpy())
    assert [ax.get_title() for ax in fig.axes[:4]] == ["a", "c", "b", "a"]
    assert {ax.get_title() for ax in fig.axes[4:]} == {"reconstructed"}
    with pytest.raises(ValueError, match="one reconstruction and one label"):
        reconstruction_figure(X, X_hat[:3], y, ("a", "b", "c"), suptitle="s")


def test_interpolation_figure_alternates_latent_and_pixel_rows(model):
    images = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    pairs = [(images[0], images[1]), (images[2], images[3])]
    fig = interpolation_figure(model, pairs, steps=3, suptitle="s")
    rows = [interpolate(model, *pairs[0], 3), crossfade(*pairs[0], 3),
            interpolate(model, *pairs[1], 3), crossfade(*pairs[1], 3)]
    for r, row in enumerate(rows):
        for j in range(3):
            np.testing.assert_allclose(panel(fig, 3 * r + j), row[j, 0].numpy(), rtol=1e-6)
    assert [fig.axes[3 * r].get_title() for r in range(4)] == ["latent", "pixels"] * 2


def test_class_analogies_decode_start_plus_minus_and_the_figure_shows_them(model):
    classes = ("boot", "sandal", "sneaker")
    means = torch.randn(3, 4, generator=torch.Generator().manual_seed(3))
    questions = [("sandal", "boot", "sneaker"), ("boot", "boot", "sandal")]
    results = class_analogies(model, means, classes, questions)
    torch.testing.assert_close(results[0].code, means[1] + means[0] - means[2])
    torch.testing.assert_close(results[1].code, 2 * means[0] - means[1])
    assert results[0].description == "sandal + (boot - sneaker)"
    fig = arithmetic_figure(model, means, classes, questions, suptitle="s")
    np.testing.assert_allclose(panel(fig, 0), decode(model, means[1:2])[0, 0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(panel(fig, 3), results[0].image[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(panel(fig, 7), results[1].image[0].numpy(), rtol=1e-6)
    assert [ax.get_title() for ax in fig.axes[:4]] == [
        "mean sandal", "+ mean boot", "- mean sneaker", f"= {classes[results[0].landed_in]}?"]


def square_of_codes(n: int = 101) -> torch.Tensor:
    """Codes on every integer point of [0, n - 1]^2: the box runs from 2 to 98 when n = 101."""
    i, j = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    return torch.stack([i.reshape(-1), j.reshape(-1)], dim=1).float()  # (n * n, 2)


def test_box_fractions_measure_from_the_bottom_left_of_the_lattices_box():
    Z = square_of_codes()
    points = torch.tensor([[50.0, 50.0], [2.0, 98.0], [98.0, 2.0], [26.0, 74.0]])
    expected = torch.tensor([[0.5, 0.5], [0.0, 1.0], [1.0, 0.0], [0.25, 0.75]])
    torch.testing.assert_close(box_fractions(Z, points), expected)


@pytest.mark.parametrize("fraction, words", [
    ((0.5, 0.5), "in the middle"), ((0.1, 0.5), "on the left"), ((0.9, 0.6), "on the right"),
    ((0.5, 0.9), "at the top"), ((0.4, 0.1), "at the bottom"), ((0.9, 0.9), "at the top right"),
    ((0.2, 0.2), "at the bottom left"), ((0.66, 0.36), "on the right")])
def test_place_words_names_a_side_only_beyond_the_margin(fraction, words):
    assert place_words(fraction) == words


def test_group_places_describe_where_each_groups_mean_code_lies():
    Z = square_of_codes()  # the box, all of class 3
    y = torch.full((len(Z),), 3)
    groups = torch.tensor([[5.0, 45.0], [10.0, 55.0],  # class 0, left
                           [95.0, 95.0], [90.0, 85.0],  # class 1, top right
                           [50.0, 5.0], [45.0, 10.0]])  # class 2, bottom
    Z, y = torch.cat([Z, groups]), torch.cat([y, torch.tensor([0, 0, 1, 1, 2, 2])])
    places = group_places(Z, y, ["a", "b", "c", "d"], {"left ones": ["a"], "both": ["a", "b"],
                                                       "top ones": ["b"], "low": ["c"]})
    assert places == {"left ones": "on the left", "both": "at the top",  # mean (50, 70)
                      "top ones": "at the top right", "low": "at the bottom"}


def test_corner_shares_count_the_codes_in_each_corner_square():
    Z = square_of_codes()
    shares = corner_shares(Z)
    # The corner squares reach a quarter of the box (96 wide from 2): x < 26 or x > 74.
    assert shares == pytest.approx({name: (26 / 101) ** 2 for name in shares})
    emptied = Z[~((Z[:, 0] < 40) & (Z[:, 1] < 40))]  # no code at the bottom left
    shares = corner_shares(emptied)
    assert shares["bottom left"] == 0 and min(shares.values()) == 0
    assert all(shares[c] > 0.05 for c in ("top left", "top right", "bottom right"))


def test_nearest_distance_is_the_mean_squared_difference_to_the_closest_image():
    X = torch.stack([torch.zeros(1, 28, 28), torch.ones(1, 28, 28)])
    images = torch.stack([torch.zeros(1, 28, 28), torch.full((1, 28, 28), 0.5),
                          torch.full((1, 28, 28), 0.9)])
    torch.testing.assert_close(nearest_distance(images, X), torch.tensor([0.0, 0.25, 0.01]))
