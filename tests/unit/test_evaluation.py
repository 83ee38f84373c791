"""Confusion matrix and per-class accuracy against scikit-learn; figures carry the right data."""

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from nnbook.evaluation import (class_probabilities, confusion_matrix, per_class_accuracy,
                               top_confusions)
from nnbook.evaluation_figures import (batch_loss_figure, confusion_figure, history_figure,
                                       per_class_figure)
from nnbook.engine.fit import History


def test_confusion_matrix_matches_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    y_hat = np.where(rng.random(200) < 0.7, y, rng.integers(0, 4, 200))
    cm = confusion_matrix(torch.from_numpy(y), torch.from_numpy(y_hat), 4)
    np.testing.assert_array_equal(cm.numpy(), sk_confusion_matrix(y, y_hat, labels=range(4)))
    acc = per_class_accuracy(cm)
    for c in range(4):
        assert acc[c] == (y_hat[y == c] == c).mean()


def test_top_confusions_and_empty_classes():
    cm = torch.tensor([[5, 3, 0], [1, 6, 0], [0, 7, 0]])
    assert top_confusions(cm, ["a", "b", "c"], k=2) == [("c", "b", 7), ("a", "b", 3)]
    assert per_class_accuracy(torch.zeros(2, 2, dtype=torch.long)).tolist() == [0.0, 0.0]


def test_figures_hold_the_numbers():
    cm = torch.tensor([[8, 2], [1, 9]])
    fig = confusion_figure(cm, ["x", "y"], title="cm")
    assert fig.layout.title.text == "cm" and fig.data[0].text.tolist() == [[8, 2], [1, 9]]
    bars = per_class_figure(per_class_accuracy(cm), ["x", "y"], title="acc")
    assert list(bars.data[0].y) == ["y", "x"] and bars.data[0].x[0] == 0.9
    h = History(config={}, batch_losses=[2.0, 1.0, 0.5, 0.25], epoch_losses=[1.5, 0.4],
                test_accuracies=[0.8, 0.9])
    curves = history_figure(h, title="h")
    assert list(curves.data[1].y) == [0.8, 0.9] and list(curves.data[0].x) == [1, 2]
    smooth = batch_loss_figure(h, title="b", smooth=2)
    np.testing.assert_allclose(smooth.data[1].y, [1.5, 0.75, 0.375])


def test_class_probabilities_are_the_softmax_of_the_scores_in_evaluation_mode():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Dropout(0.5)).double()
    X = torch.randn(5, 3)  # float32: converted to the model's dtype
    model.train()
    probabilities = class_probabilities(model, X)
    assert not model.training  # dropout off: the same answer twice
    torch.testing.assert_close(probabilities, class_probabilities(model, X))
    expected = torch.softmax(model[0](X.double()), dim=1).float()
    torch.testing.assert_close(probabilities, expected)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(5))


def test_the_smoothed_loss_floor_is_what_the_best_prediction_pays():
    import torch.nn.functional as F

    from nnbook.evaluation import smoothed_loss_floor

    y = torch.tensor([3])
    target = torch.full((1, 10), 0.1 / 10)
    target[0, 3] += 0.9
    best = target.log()  # logits whose softmax is the smoothed target
    expected = float(F.cross_entropy(best, y, label_smoothing=0.1))
    assert smoothed_loss_floor(0.1, 10) == pytest.approx(expected, rel=1e-6)
    worse = best.clone()
    worse[0, 3] += 1.0  # more confident than the target: pays more
    assert float(F.cross_entropy(worse, y, label_smoothing=0.1)) > expected
    assert smoothed_loss_floor(0.0, 10) == 0.0
