"""The lecture's loop: train() makes the updates worked out by hand, test() counts and averages
by hand, the lecture's run comes back from the run store with its printed lines, and torchvision
reads the verified copy of a data set without a file of the reader's being touched."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import nnbook.loops as loops
from nnbook.engine import data as datasets
from nnbook.engine.fit import TrainConfig
from nnbook.toy_data import blobs


def linear_model(W: torch.Tensor, b: torch.Tensor) -> nn.Linear:
    model = nn.Linear(W.shape[1], W.shape[0]).double()
    with torch.no_grad():
        model.weight.copy_(W)
        model.bias.copy_(b)
    return model


def hand_step(W, b, X, y, lr):
    """One SGD step of softmax regression, the gradient written out: for logits Z = X W^T + b,
    d(mean cross-entropy)/dZ = (softmax(Z) - onehot(y)) / B."""
    Z = X @ W.T + b
    P = torch.softmax(Z, dim=1)
    G = (P - F.one_hot(y, W.shape[0]).double()) / len(X)  # (B, classes)
    loss = -torch.log(P[torch.arange(len(X)), y]).mean()
    return W - lr * G.T @ X, b - lr * G.sum(0), float(loss)


@pytest.fixture
def points():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(6, 3, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    W = torch.randn(2, 3, generator=g, dtype=torch.float64)
    b = torch.randn(2, generator=g, dtype=torch.float64)
    return X, y, W, b


def test_train_makes_the_sgd_updates_worked_out_by_hand(points):
    X, y, W, b = points
    model = linear_model(W, b)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    lines = []
    loader = DataLoader(TensorDataset(X, y), batch_size=4)  # a batch of 4, then one of 2
    mean_loss = loops.train(loader, model, nn.CrossEntropyLoss(), optimizer, log=lines.append,
                            every=1)
    W1, b1, loss1 = hand_step(W, b, X[:4], y[:4], 0.5)
    W2, b2, loss2 = hand_step(W1, b1, X[4:], y[4:], 0.5)  # from the updated weights
    torch.testing.assert_close(model.weight.detach(), W2)
    torch.testing.assert_close(model.bias.detach(), b2)
    assert mean_loss == pytest.approx((4 * loss1 + 2 * loss2) / 6)
    assert lines == [f"loss: {loss1:>7f}  [    0/    6]", f"loss: {loss2:>7f}  [    2/    6]"]


def test_train_switches_dropout_on_and_test_switches_it_off():
    model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    X, y = torch.randn(20, 3), torch.randint(2, (20,))
    loader = DataLoader(TensorDataset(X, y), batch_size=5)
    model.eval()
    loops.train(loader, model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), 0.1),
                log=lambda s: None)
    assert model.training
    results = [loops.test(loader, model, nn.CrossEntropyLoss(), log=lambda s: None)
               for _ in range(2)]
    assert not model.training
    assert results[0] == results[1]  # no dropout: the same answer twice


def test_test_counts_and_averages_over_examples_not_batches():
    # The model's scores are its inputs, so its prediction is the input's largest column.
    model = linear_model(torch.eye(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    X = torch.tensor([[5., 0, 0], [0, 5, 0], [0, 0, 5], [5, 0, 0], [0, 5, 0]],
                     dtype=torch.float64)
    y = torch.tensor([0, 1, 0, 1, 1])  # right, right, wrong, wrong, right
    lines = []
    accuracy, loss = loops.test(DataLoader(TensorDataset(X, y), batch_size=2), model,
                                nn.CrossEntropyLoss(), log=lines.append)
    assert accuracy == 3 / 5
    assert loss == pytest.approx(float(F.cross_entropy(X, y)))  # the last batch holds one
    assert lines == [f"Test Error: \n Accuracy: 60.0%, Avg loss: {loss:>8f} \n"]
    assert all(p.grad is None for p in model.parameters())  # nothing was differentiated


def test_the_xor_dataset_is_what_tensordataset_makes():
    xor = blobs("xor", n_per_blob=5)
    by_hand = loops.XORDataset(xor.X, xor.y)
    ready_made = TensorDataset(torch.from_numpy(xor.X), torch.from_numpy(xor.y))
    assert len(by_hand) == len(ready_made) == 20
    for i in range(len(by_hand)):
        (a, ya), (b, yb) = by_hand[i], ready_made[i]
        torch.testing.assert_close(a, b)
        assert ya == yb and a.dtype == torch.float64 and ya.dtype == torch.int64


@pytest.fixture
def fashion_like(make_images):
    X, y = make_images(192, seed=0)
    X_test, y_test = make_images(64, seed=1)
    return TensorDataset(X, y), TensorDataset(X_test, y_test)


CONFIG = TrainConfig(num_epochs=2, batch_size=32, lr=1e-3)


def test_the_lecture_run_is_served_from_the_store_the_second_time(fashion_like, store, cpu,
                                                                  no_training):
    train_data, test_data = fashion_like
    printed = []
    first = loops.run_baseline_loop(train_data, test_data, CONFIG, device=cpu, store=store,
                                   log=printed.append)
    assert not first.from_cache and len(first.epochs) == 2
    assert printed == first.lines
    assert printed[0] == "Epoch 1\n-------------------------------"
    assert printed[1].startswith("loss: ") and printed[1].endswith("[    0/  192]")
    assert printed[-1] == "Done!"

    no_training()  # guards the lectures' train and test too
    reprinted = []
    second = loops.run_baseline_loop(train_data, test_data, CONFIG, device=cpu, store=store,
                                    log=reprinted.append)
    assert second.from_cache
    assert reprinted == printed  # the same lines, printed again
    assert second.epochs == first.epochs and second.test_accuracy == first.test_accuracy
    for a, b in zip(second.model.state_dict().values(), first.model.state_dict().values()):
        torch.testing.assert_close(a, b)
    assert not second.model.training


def test_the_lecture_run_is_trained_again_when_its_data_changes(fashion_like, store, cpu):
    train_data, test_data = fashion_like
    loops.run_baseline_loop(train_data, test_data, CONFIG, device=cpu, store=store,
                           log=lambda s: None)
    X, y = train_data.tensors
    other = TensorDataset(X.flip(0), y.flip(0))  # the same images in another order
    again = loops.run_baseline_loop(other, test_data, CONFIG, device=cpu, store=store,
                                   log=lambda s: None)
    assert not again.from_cache


def test_the_lecture_loop_refuses_what_it_does_not_do(fashion_like, store, cpu):
    with pytest.raises(ValueError, match="constant rate"):
        loops.run_baseline_loop(*fashion_like, TrainConfig(schedule="onecycle"), device=cpu,
                               store=store)


# --- torchvision's FashionMNIST over the verified files ------------------------------------------


def test_torchvision_reads_the_verified_archives_and_the_readers_files_stay(make_tiny):
    from torchvision import datasets as tv
    from torchvision.transforms import ToTensor

    tiny = make_tiny("FashionMNIST")
    tiny.write(tiny.chosen)  # .gz archives only, in NNBOOK_DATA: torchvision cannot read these
    before = {p.name: tiny.snapshot(p) for p in tiny.chosen.iterdir()}
    root = datasets.torchvision_root(tiny.spec, download=False)
    assert not root.is_relative_to(tiny.chosen.parent.parent)  # never in the reader's folder
    train = tv.FashionMNIST(root=root, train=True, transform=ToTensor())
    test = tv.FashionMNIST(root=root, train=False)
    np.testing.assert_array_equal(train.data.numpy(), tiny.arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(test.targets.numpy(), tiny.arrays["t10k-labels-idx1-ubyte"])
    image, label = train[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert {p.name: tiny.snapshot(p) for p in tiny.chosen.iterdir()} == before


def test_an_extracted_copy_is_linked_and_a_stale_file_replaced(make_tiny):
    tiny = make_tiny("FashionMNIST")
    tiny.write(tiny.chosen, form="raw")
    root = datasets.torchvision_root(tiny.spec, download=False)
    placed = root / "FashionMNIST" / "raw" / "train-labels-idx1-ubyte"
    assert placed.is_symlink() and placed.resolve() == (tiny.chosen / placed.name).resolve()
    placed.unlink()
    placed.write_bytes(b"an old, different copy")
    datasets.torchvision_root(tiny.spec, download=False)
    assert placed.read_bytes() == tiny.content["train-labels-idx1-ubyte"]
    assert (tiny.chosen / placed.name).read_bytes() == tiny.content[placed.name]


def test_without_a_verified_copy_torchvision_gets_no_root(make_tiny):
    tiny = make_tiny("FashionMNIST")
    with pytest.raises(datasets.DataError, match="could not be loaded"):
        datasets.torchvision_root(tiny.spec, download=False)
