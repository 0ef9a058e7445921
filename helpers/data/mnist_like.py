"""Loaders for MNIST-like image data: Keras' ``mnist.npz`` and the Fashion-MNIST IDX files.

Both return ``((x_train, y_train), (x_test, y_test))`` as NumPy ``uint8`` arrays, images
of shape ``(n, 28, 28)`` and labels of shape ``(n,)``, exactly as
``keras.datasets.mnist.load_data()`` and ``keras.datasets.fashion_mnist.load_data()`` do,
but from the files the data layer found (cache, mirror, origin or fast-profile fixture).

The IDX parsing is the same few lines Keras' own loader uses (``gzip`` and
``np.frombuffer`` with offsets 8 and 16), plus header checks so that a corrupt or
truncated file fails with a message that says what is wrong and what to do.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Fashion-MNIST's class names, in label order (label 0 is ``"T-shirt/top"``)."""

FASHION_MNIST_FILES: dict[str, str] = {
    "train_labels": "train-labels-idx1-ubyte.gz",
    "train_images": "train-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
}
"""The four files of the original Fashion-MNIST release, by role."""

IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
IMAGE_SHAPE = (28, 28)
_FIX = "Delete it so that it is downloaded again, or replace it with the original file."

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _read_gzip(path: Path) -> bytes:
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist. Fashion-MNIST needs the four files "
            f"{', '.join(FASHION_MNIST_FILES.values())} in one folder "
            "(helpers.data.fetch('fashion_mnist') finds or downloads them)."
        )
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is not a complete gzip file ({error}). {_FIX}") from None


def _header(data: bytes, path: Path, magic: int, n_dims: int) -> list[int]:
    """Check an IDX header (magic number, then one big-endian int32 per dimension)."""
    size = 4 * (1 + n_dims)
    if len(data) < size:
        raise ValueError(
            f"{path} is truncated: {len(data)} bytes, shorter than its {size}-byte IDX header. {_FIX}"
        )
    found, *dims = (int(v) for v in np.frombuffer(data, ">i4", count=1 + n_dims))
    if found != magic:
        raise ValueError(
            f"{path} has IDX magic number {found}, expected {magic} "
            f"({'labels' if magic == IDX_LABELS_MAGIC else 'images'} file): it is corrupt or "
            f"not the file its name says. {_FIX}"
        )
    expected = size + int(np.prod(dims))
    if len(data) != expected:
        raise ValueError(
            f"{path} holds {len(data)} bytes but its IDX header announces {expected} "
            f"(dimensions {dims}): the file is truncated or corrupt. {_FIX}"
        )
    return dims


def _idx_labels(path: Path) -> np.ndarray:
    data = _read_gzip(path)
    _header(data, path, IDX_LABELS_MAGIC, 1)
    return np.frombuffer(data, np.uint8, offset=8)


def _idx_images(path: Path) -> np.ndarray:
    data = _read_gzip(path)
    n, rows, cols = _header(data, path, IDX_IMAGES_MAGIC, 3)
    if (rows, cols) != IMAGE_SHAPE:
        raise ValueError(f"{path} holds {rows}x{cols} images, expected 28x28. {_FIX}")
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)


def _check_pair(x: np.ndarray, y: np.ndarray, split: str, source: Path) -> None:
    if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE or x.dtype != np.uint8:
        raise ValueError(
            f"{source}: x_{split} has shape {x.shape} and dtype {x.dtype}, expected (n, 28, 28) uint8. {_FIX}"
        )
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(
            f"{source}: y_{split} has shape {y.shape} but x_{split} holds {len(x)} images; "
            f"labels and images must match one to one. {_FIX}"
        )
    if len(y) and (int(y.min()) < 0 or int(y.max()) > 9):
        bad = int(y.min()) if int(y.min()) < 0 else int(y.max())
        raise ValueError(f"{source}: y_{split} holds label {bad}, expected 0-9. {_FIX}")


def load_mnist_npz(path: str | Path) -> Arrays:
    """Load an ``mnist.npz`` in Keras' layout (``x_train``, ``y_train``, ``x_test``, ``y_test``).

    Args:
        path: the ``.npz`` file, e.g. ``helpers.data.fetch("mnist").path``.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: ``uint8`` images ``(n, 28, 28)`` and
        ``uint8`` labels ``(n,)``.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a readable ``.npz``, lacks one of the four arrays, or
            holds arrays of the wrong shape or dtype; the message says which.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist (helpers.data.fetch('mnist') finds or downloads mnist.npz)."
        )
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            arrays = {key: archive[key] for key in keys if key in names}
    except Exception as error:  # zipfile.BadZipFile, EOFError, OSError, a plain .npy, ...
        raise ValueError(f"{path} is not a readable .npz file ({error}). {_FIX}") from None
    missing = [key for key in keys if key not in arrays]
    if missing:
        raise ValueError(
            f"{path} has no {', '.join(missing)} (it holds {', '.join(names) or 'nothing'}): "
            f"it is not Keras' mnist.npz layout. {_FIX}"
        )
    for split in ("train", "test"):
        _check_pair(arrays[f"x_{split}"], arrays[f"y_{split}"], split, path)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_fashion_mnist(folder: str | Path) -> Arrays:
    """Load Fashion-MNIST from the folder holding its four gzipped IDX files.

    Args:
        folder: e.g. ``helpers.data.fetch("fashion_mnist").path``; it must hold
            ``train-labels-idx1-ubyte.gz``, ``train-images-idx3-ubyte.gz``,
            ``t10k-labels-idx1-ubyte.gz`` and ``t10k-images-idx3-ubyte.gz``.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: ``uint8`` images ``(n, 28, 28)`` and
        ``uint8`` labels ``(n,)``; the label ``i`` names ``FASHION_MNIST_CLASSES[i]``.

    Raises:
        FileNotFoundError: the folder or one of the files is missing.
        ValueError: a file is not gzip, has the wrong IDX magic number, is truncated, or
            its image and label counts disagree; the message names the file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder} is not a folder. Pass the folder that holds the four Fashion-MNIST "
            "files (helpers.data.fetch('fashion_mnist').path)."
        )
    files = {role: folder / name for role, name in FASHION_MNIST_FILES.items()}
    y_train = _idx_labels(files["train_labels"])
    x_train = _idx_images(files["train_images"])
    y_test = _idx_labels(files["test_labels"])
    x_test = _idx_images(files["test_images"])
    _check_pair(x_train, y_train, "train", folder)
    _check_pair(x_test, y_test, "test", folder)
    return (x_train, y_train), (x_test, y_test)
