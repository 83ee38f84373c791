"""The engine on a CUDA device: skipped without one. benchmarks/gpu_check.py runs these on a GPU
machine, with only torch, numpy, tqdm and pytest installed (no other package of the book)."""

from __future__ import annotations

import pytest
import torch

from nnbook.engine.fit import TrainConfig, fit, plan_for, predict
from nnbook.engine.runs import RunStore, train_cached
from nnbook.engine.tensor_data import TensorData
from nnbook.models import FashionCNN

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
CUDA = torch.device("cuda")
CONFIG = TrainConfig(num_epochs=2, batch_size=64, lr=3e-3, schedule="onecycle")


def test_fit_trains_on_the_gpu_and_matches_a_cpu_copy_closely(images):
    model = FashionCNN()
    cpu_copy = FashionCNN()
    cpu_copy.load_state_dict(model.state_dict())
    X, y = images.X[:256], images.y[:256]
    config = TrainConfig(num_epochs=1, batch_size=64, precision="float32")
    fit(model, X, y, config, device=CUDA)
    fit(cpu_copy, X, y, config, device=torch.device("cpu"))
    assert next(model.parameters()).device.type == "cuda"
    torch.testing.assert_close(predict(model, X[:32]).cpu(), predict(cpu_copy, X[:32]),
                               atol=5e-2, rtol=5e-2)


def test_the_plan_on_cuda_is_one_of_the_gpu_candidates(images):
    plan = plan_for(FashionCNN(), images.X, images.y, CONFIG, device=CUDA)
    assert plan.precision in ("float32", "bfloat16") and plan.threads == torch.get_num_threads()


def test_a_cuda_run_is_stored_loaded_and_learns(images, tmp_path):
    store = RunStore(tmp_path / "runs")
    run = train_cached(FashionCNN, images, CONFIG, device=CUDA, store=store, name="cuda-cnn")
    assert run.record.device == "cuda" and run.history.test_accuracies[-1] > 0.8
    again = train_cached(FashionCNN, images, CONFIG, device=CUDA, store=store, name="cuda-cnn")
    assert again.from_cache
    assert next(again.model.parameters()).device.type == "cuda"


def test_a_data_set_sized_tensor_stays_on_the_device(images):
    data = TensorData(images.X.to(CUDA), images.y.to(CUDA))
    history = fit(FashionCNN(), data.X, data.y, TrainConfig(num_epochs=1, batch_size=128),
                  device=CUDA)
    assert history.device == "cuda"
