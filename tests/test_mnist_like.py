"""Tests for the MNIST / Fashion-MNIST loaders and their generated fixtures."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from helpers.data.fixtures.small_images import N_TEST, N_TRAIN, write_fashion_mnist, write_mnist_npz
from helpers.data.mnist_like import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_FILES,
    load_fashion_mnist,
    load_mnist_npz,
)
from helpers.data.registry import get_entry


@pytest.fixture
def fashion_folder(tmp_path):
    write_fashion_mnist(tmp_path, np.random.default_rng(0), get_entry("fashion_mnist"))
    return tmp_path / "fashion-mnist"


@pytest.fixture
def mnist_file(tmp_path):
    write_mnist_npz(tmp_path, np.random.default_rng(0), get_entry("mnist"))
    return tmp_path / "mnist.npz"


def _check_arrays(arrays) -> None:
    (x_train, y_train), (x_test, y_test) = arrays
    assert x_train.shape == (N_TRAIN, 28, 28) and x_test.shape == (N_TEST, 28, 28)
    assert y_train.shape == (N_TRAIN,) and y_test.shape == (N_TEST,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert set(np.unique(y_train)) == set(range(10))
    assert x_train.max() > 100  # real brightness range, not 0-1 floats


def test_fashion_fixture_writes_the_four_real_files(fashion_folder):
    assert sorted(p.name for p in fashion_folder.iterdir()) == sorted(FASHION_MNIST_FILES.values())
    header = gzip.decompress((fashion_folder / "train-images-idx3-ubyte.gz").read_bytes())[:16]
    assert struct.unpack(">4i", header) == (2051, N_TRAIN, 28, 28)
    _check_arrays(load_fashion_mnist(fashion_folder))
    assert len(FASHION_MNIST_CLASSES) == 10 and FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_mnist_fixture_is_keras_layout(mnist_file):
    with np.load(mnist_file) as archive:
        assert sorted(archive.files) == ["x_test", "x_train", "y_test", "y_train"]
    _check_arrays(load_mnist_npz(mnist_file))


def test_fixture_classes_differ_and_are_learnable(fashion_folder):
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(fashion_folder)
    means = np.stack([x_train[y_train == k].mean(axis=0) for k in range(10)]).reshape(10, -1)
    # nearest class mean: a learnable signal, far above chance (10%)
    distances = ((x_test.reshape(len(x_test), 1, -1) - means[None]) ** 2).sum(axis=-1)
    assert (distances.argmin(axis=1) == y_test).mean() > 0.8
    # but the images are not identical copies of one template per class
    assert x_train[y_train == 0].std(axis=0).mean() > 10


def test_fixtures_are_reproducible(tmp_path):
    entry = get_entry("mnist")
    write_mnist_npz(tmp_path / "a", np.random.default_rng(3), entry)
    write_mnist_npz(tmp_path / "b", np.random.default_rng(3), entry)
    (a, _), _ = load_mnist_npz(tmp_path / "a" / "mnist.npz")
    (b, _), _ = load_mnist_npz(tmp_path / "b" / "mnist.npz")
    np.testing.assert_array_equal(a, b)


def test_fast_offline_fetch_uses_fixture(offline_fast, capsys):
    from helpers import data

    fetched = data.fetch("fashion_mnist")
    assert fetched.is_fixture and "GENERATED FIXTURE" in capsys.readouterr().out
    _check_arrays(load_fashion_mnist(fetched.path))
    fetched = data.fetch("mnist")
    assert fetched.is_fixture
    _check_arrays(load_mnist_npz(fetched.path))


# --- bad input -------------------------------------------------------------------------


def test_missing_folder_and_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder.*fetch\\('fashion_mnist'\\)"):
        load_fashion_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte.gz does not exist"):
        load_fashion_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist.*fetch\\('mnist'\\)"):
        load_mnist_npz(tmp_path / "mnist.npz")


def test_not_gzip(fashion_folder):
    (fashion_folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz is not a complete gzip file"):
        load_fashion_mnist(fashion_folder)


def test_wrong_magic_number(fashion_folder):
    # labels where images belong
    labels = (fashion_folder / "train-labels-idx1-ubyte.gz").read_bytes()
    (fashion_folder / "train-images-idx3-ubyte.gz").write_bytes(labels)
    with pytest.raises(ValueError, match="magic number 2049, expected 2051 \\(images file\\)"):
        load_fashion_mnist(fashion_folder)


def test_truncated_idx(fashion_folder):
    path = fashion_folder / "train-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_fashion_mnist(fashion_folder)
    path.write_bytes(gzip.compress(data[:10]))
    with pytest.raises(ValueError, match="shorter than its 16-byte IDX header"):
        load_fashion_mnist(fashion_folder)


def test_label_and_image_counts_disagree(fashion_folder):
    path = fashion_folder / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(struct.pack(">2i", 2049, 3) + bytes([1, 2, 3])))
    with pytest.raises(ValueError, match="must match one to one"):
        load_fashion_mnist(fashion_folder)


def test_npz_not_readable_or_wrong_layout(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="is not a readable .npz file"):
        load_mnist_npz(bad)
    np.savez(bad, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="has no x_test, y_test .*not Keras' mnist.npz layout"):
        load_mnist_npz(bad)


def test_npz_wrong_shapes_and_labels(tmp_path):
    bad = tmp_path / "mnist.npz"
    good = {"x_test": np.zeros((2, 28, 28), np.uint8), "y_test": np.zeros(2, np.uint8)}
    np.savez(bad, x_train=np.zeros((2, 32, 32), np.uint8), y_train=np.zeros(2, np.uint8), **good)
    with pytest.raises(ValueError, match=r"x_train has shape \(2, 32, 32\).*expected \(n, 28, 28\) uint8"):
        load_mnist_npz(bad)
    np.savez(bad, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.array([1, 12]), **good)
    with pytest.raises(ValueError, match="y_train holds label 12, expected 0-9"):
        load_mnist_npz(bad)
