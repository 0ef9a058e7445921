"""helpers.pretrained: keras.applications backbones whose weights come through the data layer."""

from __future__ import annotations

import dataclasses
import hashlib

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format

from helpers import pretrained
from helpers.data import REGISTRY, DataNotFoundError


@pytest.fixture
def offline_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    return tmp_path


def _write_weights(cache, monkeypatch, name="EfficientNetB0", digest=None):
    """Save a random-weight model in the legacy .h5 layout where the registry expects the file."""
    entry = REGISTRY[pretrained.BACKBONES[name]]
    model = getattr(keras.applications, name)(include_top=False, weights=None, pooling="avg")
    path = cache / entry.files[0].path
    path.parent.mkdir(parents=True)
    with h5py.File(path, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, model)
    md5 = digest or hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    monkeypatch.setitem(REGISTRY, entry.name, dataclasses.replace(entry, extra={**entry.extra, "md5": md5}))
    return model


def test_every_backbone_has_a_registry_entry_with_an_origin_and_md5():
    for name, entry_name in pretrained.BACKBONES.items():
        entry = REGISTRY[entry_name]
        assert entry.kind == "model" and entry.extra["application"] == name
        assert entry.files[0].url.startswith("https://storage.googleapis.com/")
        assert len(entry.extra["md5"]) == 32


def test_fast_profile_without_weights_builds_random_and_says_so(monkeypatch, offline_cache, capsys):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    model = pretrained.pretrained_backbone("EfficientNetV2B0")
    assert "RANDOM WEIGHTS" in capsys.readouterr().out
    assert model.weights_source == "random"
    assert model.output_shape == (None, 1280) and model.input_shape == (None, 224, 224, 3)
    assert model.trainable is False and model.trainable_weights == []


def test_full_profile_without_weights_names_the_file(monkeypatch, offline_cache):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    with pytest.raises(DataNotFoundError, match=r"keras_applications/efficientnetv2-b0_notop\.h5.*storage"):
        pretrained.pretrained_backbone("EfficientNetV2B0")


def test_weights_from_the_cache_are_loaded(monkeypatch, offline_cache, capsys):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    saved = _write_weights(offline_cache, monkeypatch)
    model = pretrained.pretrained_backbone("EfficientNetB0", trainable=True)
    assert "RANDOM WEIGHTS" not in capsys.readouterr().out
    assert model.weights_source == "cache" and model.trainable
    for expected, actual in zip(saved.weights, model.weights, strict=True):
        np.testing.assert_array_equal(expected.numpy(), actual.numpy())


def test_a_file_with_the_wrong_md5_is_refused(monkeypatch, offline_cache):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    _write_weights(offline_cache, monkeypatch, digest="0" * 32)
    with pytest.raises(ValueError, match=r"has md5 .* but Keras publishes 0{32}.*Delete it"):
        pretrained.weights_file("EfficientNetB0")


def test_unknown_backbone_lists_the_known_ones():
    with pytest.raises(ValueError, match="No ImageNet weights are registered for 'VGG16'.*EfficientNetV2B0"):
        pretrained.pretrained_backbone("VGG16")


def test_include_top_is_refused_with_advice():
    with pytest.raises(ValueError, match="include_top=True is not supported.*own head"):
        pretrained.pretrained_backbone(include_top=True)


def test_bad_input_shape_and_pooling():
    with pytest.raises(ValueError, match=r"input_shape must be \(height, width, 3\)"):
        pretrained.pretrained_backbone(input_shape=(224, 224))
    with pytest.raises(ValueError, match="pooling must be 'avg', 'max' or None"):
        pretrained.pretrained_backbone(pooling="mean")
