import pytest
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA

from nnbook.autoencoders import (ConvAutoencoder, autoencoder_data, class_means, code_lattice,
                                 crossfade, decode, encode, interpolate, latent_arithmetic,
                                 nearest_class, pca_reconstruction_error,
                                 reconstruct, reconstruction_error, train_autoencoder)
from nnbook.autoencoders_figures import latent_scatter
from nnbook.engine.data import ImageData
from nnbook.engine.runs import RunStore
from nnbook.engine.fit import TrainConfig

CPU = torch.device("cpu")
CONFIG = TrainConfig(num_epochs=6, batch_size=32, lr=3e-3, schedule="onecycle", precision="float32")


@pytest.fixture(scope="module")
def fashion(make_images):
    """Synthetic uint8 images with ten classes, held as a data set is."""
    (X, y), (X_test, y_test) = make_images(1500, seed=0), make_images(300, seed=1)
    def as_uint8(images):
        return images.squeeze(1).mul(255).round().to(torch.uint8)  # (N, 28, 28)
    return ImageData(name="synthetic", X_train=as_uint8(X), y_train=y, X_test=as_uint8(X_test),
                     y_test=y_test, classes=tuple("0123456789"), source="tests",
                     checksum="synthetic")


@pytest.fixture(scope="module")
def small(fashion):
    return autoencoder_data(fashion, n_train=1500, n_test=300)


@pytest.fixture(scope="module")
def trained(small, tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("runs"))
    return train_autoencoder(8, small, CONFIG, store=store, device=CPU)


@pytest.mark.parametrize("code_size", [2, 16])
def test_encoder_and_decoder_shapes(code_size):
    model = ConvAutoencoder(code_size)
    X = torch.rand(5, 1, 28, 28)
    Z = model.encode(X)
    assert Z.shape == (5, code_size)
    assert model.decode(Z).shape == (5, 1, 28, 28)
    out = model(X)
    assert out.shape == X.shape and out.min() >= 0 and out.max() <= 1  # sigmoid output
    # The bottleneck: the only path from encoder to decoder is the code_size numbers.
    linear_in = model.encoder[-1]
    assert (linear_in.in_features, linear_in.out_features) == (32 * 7 * 7, code_size)


def test_code_size_must_be_positive():
    with pytest.raises(ValueError, match="code_size"):
        ConvAutoencoder(0)


def test_data_targets_are_the_inputs(small):
    assert small.X.shape == (1500, 1, 28, 28) and small.X_test.shape == (300, 1, 28, 28)
    assert small.y is small.X and small.y_test is small.X_test
    assert 0.0 <= float(small.X.min()) and float(small.X.max()) <= 1.0


def test_reconstruction_error_falls_below_threshold(trained, small):
    error = reconstruction_error(trained.model, small.X_test)
    # Predicting the mean training image for every test image is the baseline to beat.
    mean_image = small.X.mean(dim=0, keepdim=True).expand_as(small.X_test)
    baseline = float(F.mse_loss(mean_image, small.X_test))
    assert error < baseline / 2, (error, baseline)
    # The engine's own test loss is the same number.
    assert trained.history.test_loss[-1] == pytest.approx(error, rel=1e-4)
    assert trained.history.epoch_losses[-1] < trained.history.epoch_losses[0]
    torch.testing.assert_close(trained.test_outputs, reconstruct(trained.model, small.X_test))


def test_second_call_trains_nothing(small, store, monkeypatch, no_training):
    config = TrainConfig(num_epochs=1, batch_size=256, lr=1e-3, precision="float32")
    first = train_autoencoder(2, small, config, store=store, device=CPU)
    assert not first.from_cache

    no_training()
    second = train_autoencoder(2, small, config, store=store, device=CPU)
    assert second.from_cache
    for name, value in first.model.state_dict().items():
        torch.testing.assert_close(second.model.state_dict()[name], value)
    assert second.history.test_loss == first.history.test_loss
    monkeypatch.undo()
    # A different code size is a different run.
    other = train_autoencoder(3, small, config, store=store, device=CPU)
    assert not other.from_cache


def test_interpolation_ends_at_the_endpoints_decodings(trained, small):
    model = trained.model
    a, b = small.X_test[0], small.X_test[1]
    path = interpolate(model, a, b, steps=7)
    assert path.shape == (7, 1, 28, 28)
    ends = decode(model, encode(model, torch.stack([a, b])))
    torch.testing.assert_close(path[0], ends[0])
    torch.testing.assert_close(path[-1], ends[1])
    middle = decode(model, encode(model, torch.stack([a, b])).mean(dim=0, keepdim=True))
    torch.testing.assert_close(path[3], middle[0], atol=1e-5, rtol=1e-4)
    fade = crossfade(a, b, steps=7)
    torch.testing.assert_close(fade[0], a)
    torch.testing.assert_close(fade[-1], b)
    torch.testing.assert_close(fade[3], (a + b) / 2)


def test_class_means_and_nearest_class():
    Z = torch.tensor([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [12.0, 10.0], [5.0, 5.0]])
    y = torch.tensor([0, 0, 1, 1, 2])
    means = class_means(Z, y, 3)
    torch.testing.assert_close(means, torch.tensor([[1.0, 0.0], [11.0, 10.0], [5.0, 5.0]]))
    assert nearest_class(torch.tensor([[0.5, 0.0], [9.0, 9.0]]), means).tolist() == [0, 1]
    with pytest.raises(ValueError, match="every class"):
        class_means(Z, y, 4)


def test_latent_arithmetic_decodes_the_sum(trained, small, fashion):
    model = trained.model
    Z = encode(model, small.X_test)
    means = class_means(Z, fashion.y_test[:300], 10)
    result = latent_arithmetic(model, means[0], means[1], means[2], means, "0 + 1 - 2")
    torch.testing.assert_close(result.code, means[0] + means[1] - means[2])
    torch.testing.assert_close(result.image, decode(model, result.code.unsqueeze(0))[0])
    assert result.landed_in == int(nearest_class(encode(model, result.image.unsqueeze(0)), means)[0])


def test_pca_error_matches_scikit_learn(small):
    X, X_test = small.X[:500], small.X_test[:100]
    A, B = X.flatten(1).double().numpy(), X_test.flatten(1).double().numpy()  # the reference in
    pca = PCA(n_components=10, svd_solver="full").fit(A)                     # double precision
    expected = float(((pca.inverse_transform(pca.transform(B)) - B) ** 2).mean())
    assert pca_reconstruction_error(X, X_test, 10) == pytest.approx(expected, rel=1e-4)
    assert pca_reconstruction_error(X, X_test, 20) < pca_reconstruction_error(X, X_test, 10)


def test_code_lattice_spans_the_codes():
    Z = torch.randn(2000, 2, generator=torch.Generator().manual_seed(0)) * torch.tensor([1.0, 3.0])
    u1, u2, codes = code_lattice(Z, n=5, quantile=0.0)
    assert codes.shape == (25, 2)
    assert u1[0] == pytest.approx(float(Z[:, 0].min())) and u1[-1] == pytest.approx(float(Z[:, 0].max()))
    assert u2[0] == pytest.approx(float(Z[:, 1].max()))  # the top row first
    torch.testing.assert_close(codes[0], torch.tensor([u1[0], u2[0]]))
    torch.testing.assert_close(codes[4], torch.tensor([u1[-1], u2[0]]))  # along a row, z1 grows
    torch.testing.assert_close(codes[5], torch.tensor([u1[0], u2[1]]))


def test_latent_scatter_draws_every_point_once():
    Z = torch.randn(100, 2)
    y = torch.arange(100) % 10
    fig = latent_scatter(Z, y, tuple(f"c{i}" for i in range(10)), title="codes")
    assert len(fig.data) == 10
    assert sum(len(t.x) for t in fig.data) == 100
    assert [t.name for t in fig.data] == [f"c{i}" for i in range(10)]
    with pytest.raises(ValueError, match="two-dimensional"):
        latent_scatter(torch.randn(5, 3), torch.zeros(5, dtype=torch.long), ("a",), title="x")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_model_returns_cpu_tensors():
    model = ConvAutoencoder(4).to("cuda")
    X = torch.rand(3, 1, 28, 28)
    assert encode(model, X).device.type == "cpu"
    assert interpolate(model, X[0], X[1], steps=3).device.type == "cpu"
