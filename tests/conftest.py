"""Shared fixtures for the unit tests: an isolated cache, no mirror, a chosen profile."""

from __future__ import annotations

import pytest
from PIL import Image


@pytest.fixture
def data_env(tmp_path, monkeypatch):
    """A fresh cache folder, no mirror, downloads allowed; returns the cache path."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_DATA_DIR", str(cache))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    return cache


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")


@pytest.fixture
def full(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "full")


@pytest.fixture
def offline_fast(data_env, fast, monkeypatch):
    """What CI sees without a mirror: fast profile, downloads off, a fresh empty cache."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    return data_env


def _write_module(tmp_path_factory, entry_name: str, writer_name: str):
    import numpy as np

    from helpers.data import get_entry
    from helpers.data.fixtures import savedmodels

    root = tmp_path_factory.mktemp(entry_name)
    entry = get_entry(entry_name)
    getattr(savedmodels, writer_name)(root, np.random.default_rng(0), entry)
    return root / entry.files[0].path


@pytest.fixture(scope="session")
def hub_image_module_path(tmp_path_factory):
    """A SavedModel with the image feature-vector signature, written once per session."""
    return _write_module(tmp_path_factory, "efficientnet_b0_feature_vector", "write_image_feature_vector")


@pytest.fixture(scope="session")
def hub_text_module_path(tmp_path_factory):
    """A SavedModel with the sentence-encoder signature, written once per session."""
    return _write_module(tmp_path_factory, "universal_sentence_encoder", "write_sentence_encoder")


def write_jpeg(path, colour, size=(40, 30)):
    """A one-colour JPEG at ``path`` (parent folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, format="JPEG")
    return path


@pytest.fixture
def colour_folder(tmp_path):
    """train/<red|blue>/*.jpg with 3 images each, plus stray files."""
    root = tmp_path / "train"
    for index in range(3):
        write_jpeg(root / "red" / f"{index}.jpg", (220, 20, 20))
        write_jpeg(root / "blue" / f"{index}.jpg", (20, 20, 220))
    (root / ".DS_Store").write_bytes(b"\x00\x01Bud1")
    (root / "red" / ".DS_Store").write_bytes(b"\x00\x01Bud1")
    (root / "blue" / "notes.txt").write_text("not an image")
    return root
