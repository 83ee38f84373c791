"""What a run trains on and the digests that key it (nnbook.engine.tensor_data): a checksum and
a digest of content, never of a label."""

import pytest
import torch
from torch.utils.data import TensorDataset

from nnbook.engine.tensor_data import TensorData, dataset_digest, tensor_digest


def test_tensor_data_checksum_is_the_content(images):
    d = images
    same = TensorData(d.X.clone(), d.y.clone(), d.X_test.clone(), d.y_test.clone())
    assert same.checksum == d.checksum
    inverted = TensorData(1 - d.X, d.y, d.X_test, d.y_test)  # the content, not a label
    assert inverted.checksum != d.checksum
    relabelled = TensorData(d.X, d.y.roll(1), d.X_test, d.y_test)
    assert relabelled.checksum != d.checksum


def test_tensor_digest_reads_shape_dtype_and_bytes():
    x = torch.arange(6, dtype=torch.float32)
    assert tensor_digest(x) == tensor_digest(x.clone())
    assert tensor_digest(x) != tensor_digest(x.reshape(2, 3))  # same bytes, another shape
    assert tensor_digest(x) != tensor_digest(x.double())
    assert tensor_digest(x, None) != tensor_digest(x)  # None counts as a value


def test_dataset_digest_follows_content_and_transform(make_images):
    X, y = make_images(64, seed=0)
    items = TensorDataset(X, y)
    assert dataset_digest(items) == dataset_digest(TensorDataset(X.clone(), y.clone()))
    changed = X.clone()
    changed[0, 0, 0, 0] += 0.5
    assert dataset_digest(TensorDataset(changed, y)) != dataset_digest(items)

    class Images(torch.utils.data.Dataset):  # torchvision's shape: data, targets, transform
        def __init__(self, transform):
            self.data, self.targets, self.transform = (X * 255).byte(), y, transform

    assert dataset_digest(Images(None)) != dataset_digest(Images(lambda im: im))
    with pytest.raises(TypeError, match="cannot digest"):
        dataset_digest(torch.utils.data.Dataset())
