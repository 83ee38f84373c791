"""The lectures' own code (nnbook.lecture), which the pages show in "The lecture's code" tabs:
it imports nothing from nnbook, so it runs on its own, and on small data it gives what the
library gives: the same surface, the same weights after the same batches, the same accuracy and
the same misclassified images."""

import ast

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import nnbook.loops as loops
from nnbook.engine import sources
from nnbook.grids import surface_values, torch_predictor
from nnbook.lecture import fashion_loop, mnist_loop, surfaces
from nnbook.models import FashionCNN, MyNet
from nnbook.networks import mlp

LECTURE = sorted(p for p in (sources.package_dir() / "lecture").glob("*.py")
                 if p.name != "__init__.py")


def test_the_snippets_are_found():
    assert {p.stem for p in LECTURE} == {"surfaces", "fashion_loop", "mnist_loop"}


@pytest.mark.parametrize("path", LECTURE, ids=lambda p: p.name)
def test_a_snippet_imports_nothing_from_nnbook(path):
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or ".").split(".")[0])
    assert imported <= {"numpy", "plotly", "torch", "torchvision"}, imported


@pytest.fixture
def snippets_on_cpu(monkeypatch):
    """The snippets' module-level device, set to the CPU as the build sets it to the model's."""
    for module in (fashion_loop, mnist_loop):
        monkeypatch.setattr(module, "device", torch.device("cpu"))


def images(n: int, seed: int) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 1, 28, 28, generator=g)  # (n, 1, 28, 28) in [0, 1]
    return TensorDataset(X, torch.randint(0, 10, (n,), generator=g))


def seeded(model_fn, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return model_fn()


def max_weight_difference(a: nn.Module, b: nn.Module) -> float:
    return max(float((p - q).detach().abs().max()) for p, q in zip(a.parameters(), b.parameters()))


# --- the surface: plot_predictions and softmax_predict -------------------------------------------

def test_plot_predictions_and_softmax_predict_draw_the_librarys_surface():
    model = mlp((2, 4, 2), "sigmoid", seed=0, dtype=torch.float64)
    contour = surfaces.plot_predictions(lambda X: surfaces.softmax_predict(model, X)[:, 1])
    u, Z = surface_values(torch_predictor(model))
    np.testing.assert_array_equal(np.unique(contour.x), u)
    # The lecture's grid, flattened row by row, is the library's grid in the same order.
    np.testing.assert_array_equal(contour.x, np.tile(u, len(u)))
    np.testing.assert_array_equal(contour.y, np.repeat(u, len(u)))
    np.testing.assert_allclose(contour.z, Z.ravel(), rtol=0, atol=1e-12)


def test_softmax_predict_gives_probabilities_that_sum_to_one():
    model = mlp((2, 4, 2), "sigmoid", seed=1, dtype=torch.float64)
    P = surfaces.softmax_predict(model, np.random.default_rng(0).normal(size=(20, 2)))
    assert P.shape == (20, 2)
    np.testing.assert_allclose(P.sum(1), 1.0)


# --- Fashion-MNIST: train(), test() and the misclassified images ---------------------------------

def test_the_lectures_train_makes_the_librarys_updates(snippets_on_cpu, capsys):
    data = images(64, seed=0)
    lecture_model, book_model = seeded(FashionCNN), seeded(FashionCNN)
    for model, step in ((lecture_model, fashion_loop.train), (book_model, loops.train)):
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        torch.manual_seed(1)  # the same dropout masks for both
        if step is loops.train:
            step(DataLoader(data, batch_size=32), model, nn.CrossEntropyLoss(), optimizer,
                 log=lambda s: None)
        else:
            step(DataLoader(data, batch_size=32), model, nn.CrossEntropyLoss(), optimizer)
    assert max_weight_difference(lecture_model, book_model) == 0
    assert "loss:" in capsys.readouterr().out  # the lecture's progress line, batch 0


def test_the_lectures_test_counts_as_the_library_does_and_divides_its_loss_by_images(
        snippets_on_cpu, capsys):
    data = images(50, seed=2)
    model = seeded(FashionCNN)
    accuracy, loss = loops.test(DataLoader(data, batch_size=10), model, nn.CrossEntropyLoss(),
                                log=lambda s: None)
    assert fashion_loop.test(DataLoader(data, batch_size=10), model) == accuracy
    printed = capsys.readouterr().out
    assert f"Accuracy: {100 * accuracy:>0.1f}%" in printed
    # The lecture summed the batch means and divided by the images: ten times too small here.
    assert f"Avg loss: {loss / 10:>8f}" in printed
    assert model.training, "the lecture's test() leaves the model in training mode"


def test_the_lectures_epochs_print_its_lines(snippets_on_cpu, capsys):
    data = images(20, seed=3)
    model = seeded(FashionCNN)
    fashion_loop.train_epochs(DataLoader(data, batch_size=10), DataLoader(data, batch_size=10),
                              model, torch.optim.Adam(model.parameters()), epochs=2)
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 2 and out.count("Test Error") == 2 and "Done!" in out


def test_the_lectures_misclassified_images_are_the_librarys_mistakes(snippets_on_cpu):
    data = images(70, seed=4)
    model = seeded(FashionCNN).eval()
    with torch.no_grad():
        predicted = model(data.tensors[0]).argmax(1)
    wrong = predicted != data.tensors[1]
    assert 0 < int(wrong.sum()) < len(wrong)
    error_images, error_labels, error_pred = fashion_loop.misclassified(
        DataLoader(data, batch_size=16), model)
    torch.testing.assert_close(error_images, data.tensors[0][wrong])
    assert error_labels.tolist() == data.tensors[1][wrong].tolist()
    assert error_pred.tolist() == predicted[wrong].tolist()


# --- MNIST: the loaders, the training loop and the test loop ---------------------------------------

def test_the_lectures_mnist_loaders_pass_every_image_through_to_tensor(monkeypatch, tmp_path):
    from torch.utils.data import RandomSampler, SequentialSampler
    from torchvision import datasets

    made = []

    def stand_in(root, train, download, transform):  # PIL images, as MNIST's files give
        made.append((root, train, download, type(transform).__name__))
        return datasets.FakeData(size=25 if train else 15, image_size=(1, 28, 28),
                                 num_classes=10, transform=transform)

    monkeypatch.setattr(mnist_loop.datasets, "MNIST", stand_in)
    train_loader, test_loader = mnist_loop.mnist_loaders(tmp_path)
    assert made == [(tmp_path, True, True, "ToTensor"), (tmp_path, False, True, "ToTensor")]
    X, y = next(iter(train_loader))
    assert X.shape == (10, 1, 28, 28) and X.dtype == torch.float32 and y.shape == (10,)
    assert 0 <= X.min() and X.max() <= 1  # grey levels 0-255 scaled to [0, 1]
    assert isinstance(train_loader.sampler, RandomSampler)  # shuffled for training only
    assert isinstance(test_loader.sampler, SequentialSampler) and len(test_loader) == 2


def test_the_lectures_mnist_loop_makes_the_librarys_updates(snippets_on_cpu):
    data = images(30, seed=5)
    lecture_model, book_model = seeded(MyNet), seeded(MyNet)
    losses = mnist_loop.train_mnist(lecture_model, DataLoader(data, batch_size=10), epochs=2)
    optimizer = torch.optim.Adam(book_model.parameters(), lr=1e-5)
    book_losses = [loops.train(DataLoader(data, batch_size=10), book_model,
                               nn.CrossEntropyLoss(), optimizer, log=lambda s: None)
                   for _ in range(2)]
    assert max_weight_difference(lecture_model, book_model) == 0
    assert len(losses) == 6  # one loss per batch: 3 batches, 2 epochs
    assert np.mean(losses[3:]) == pytest.approx(book_losses[1])


def test_the_lectures_mnist_test_loop_gives_the_librarys_accuracy(snippets_on_cpu):
    data = images(40, seed=6)
    model = seeded(MyNet)
    accuracy, _ = loops.test(DataLoader(data, batch_size=10), model, nn.CrossEntropyLoss(),
                             log=lambda s: None)
    assert mnist_loop.test_mnist(model, DataLoader(data, batch_size=10)) == accuracy


def test_the_snippets_run_on_their_own_without_nnbook(tmp_path):
    # Copied out of the package, as a reader copies a tab, each module imports and runs.
    for path in LECTURE:
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    import subprocess
    import sys
    script = ("import sys; sys.modules['nnbook'] = None\n"
              "import fashion_loop, mnist_loop, surfaces\n"
              "print(surfaces.plot_predictions(lambda X: X[:, 0] > 0).z.shape)")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "(10000,)"
