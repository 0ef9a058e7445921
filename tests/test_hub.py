"""helpers.hub.HubLayer: a SavedModel as a Keras 3 layer, tested on locally built SavedModels."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import hub
from helpers.data import DataNotFoundError, get_entry
from helpers.data.fixtures.savedmodels import write_image_feature_vector


@pytest.fixture
def image_path(hub_image_module_path):
    return hub_image_module_path


@pytest.fixture
def text_path(hub_text_module_path):
    return hub_text_module_path


IMAGES = np.random.default_rng(0).random((4, 224, 224, 3)).astype("float32")
TEXTS = ["A forest fire near the town", "What a lovely day", "Flood warning issued", "I love cake"]


def test_frozen_by_default(image_path):
    layer = hub.HubLayer(image_path)
    assert layer.trainable is False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_builds_in_sequential_and_matches_the_module(image_path):
    layer = hub.HubLayer(image_path, name="features")
    model = keras.Sequential([keras.Input(shape=(224, 224, 3)), layer, keras.layers.Dense(3)])
    assert model.output_shape == (None, 3)
    assert layer.output.shape == (None, 1280)
    np.testing.assert_allclose(layer(IMAGES), layer.module(IMAGES), rtol=1e-6)
    assert model.predict(IMAGES, verbose=0).shape == (4, 3)
    assert model.count_params() - 1280 * 3 - 3 == 7 * 7 * 3 * 1280 + 1280


def test_builds_in_functional_model_with_strings(text_path):
    inputs = keras.Input(shape=(), dtype="string")
    layer = hub.HubLayer(text_path)
    outputs = keras.layers.Dense(1, activation="sigmoid")(layer(inputs))
    model = keras.Model(inputs, outputs)
    embed = keras.Model(inputs, layer.output)
    np.testing.assert_allclose(embed.predict(tf.constant(TEXTS), verbose=0), layer.module(tf.constant(TEXTS)),
                               rtol=1e-5, atol=1e-6)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    texts, labels = tf.constant(TEXTS * 8), np.array([1, 0, 1, 0] * 8)
    history = model.fit(texts, labels, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_frozen_module_is_not_changed_by_training(image_path):
    layer = hub.HubLayer(image_path)
    model = keras.Sequential([keras.Input(shape=(224, 224, 3)), layer, keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [v.numpy().copy() for v in layer.module.variables]
    model.fit(IMAGES, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    for old, new in zip(before, layer.module.variables, strict=True):
        np.testing.assert_array_equal(old, new.numpy())


def test_trainable_layer_fine_tunes_the_module_variables(image_path):
    layer = hub.HubLayer(image_path, trainable=True)
    model = keras.Sequential([keras.Input(shape=(224, 224, 3)), layer, keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert len(layer.trainable_weights) == 2
    before = layer.module.kernel.numpy().copy()
    model.fit(IMAGES, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    assert not np.allclose(before, layer.module.kernel.numpy())


def test_signature_with_output_key(text_path):
    layer = hub.HubLayer(text_path, signature="serving_default", output_key="outputs")
    expected = layer.module(tf.constant(TEXTS))
    np.testing.assert_allclose(layer(tf.constant(TEXTS)), expected, rtol=1e-5, atol=1e-6)


def test_dict_output_without_key_says_which_keys(text_path):
    layer = hub.HubLayer(text_path, signature="serving_default")
    with pytest.raises(ValueError, match=r"keys \['outputs'\]; pass output_key="):
        layer(tf.constant(TEXTS))


def test_unknown_signature_lists_the_real_ones(text_path):
    with pytest.raises(ValueError, match=r"no signature 'serve'; it has \['serving_default'\]"):
        hub.HubLayer(text_path, signature="serve")


def test_not_a_savedmodel_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a SavedModel folder"):
        hub.HubLayer(tmp_path)


def test_bad_handle_type():
    with pytest.raises(TypeError, match="handle must be a SavedModel folder"):
        hub.HubLayer(42)


def test_saves_and_reloads_as_keras_file(image_path, tmp_path):
    layers = [keras.Input(shape=(224, 224, 3)), hub.HubLayer(image_path), keras.layers.Dense(2)]
    model = keras.Sequential(layers)
    model.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(
        tmp_path / "model.keras", custom_objects={"HubLayer": hub.HubLayer}, safe_mode=False
    )
    expected = model.predict(IMAGES, verbose=0)
    np.testing.assert_allclose(reloaded.predict(IMAGES, verbose=0), expected, rtol=1e-5)


def test_load_hub_module_fast_profile_writes_a_fixture_and_says_so(offline_fast, capsys):
    fetched = hub.load_hub_module("efficientnet_b0_feature_vector")
    assert fetched.is_fixture and (fetched.path / "saved_model.pb").is_file()
    out = capsys.readouterr().out
    assert "RANDOM WEIGHTS" in out and "GENERATED FIXTURE" in out
    layer = hub.hub_layer("efficientnet_b0_feature_vector")
    assert layer(IMAGES[:1]).shape == (1, 1280)


def test_load_hub_module_full_profile_names_the_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    with pytest.raises(DataNotFoundError, match=r"hub/universal_sentence_encoder_4.*tfhub.dev"):
        hub.load_hub_module("universal_sentence_encoder")


def test_load_hub_module_refuses_datasets():
    with pytest.raises(ValueError, match="is not a Hub module"):
        hub.load_hub_module("insurance")


class _PlainModule(tf.Module):
    """A SavedModel without the `variables` attributes TF Hub modules have."""

    def __init__(self):
        super().__init__()
        self.scale = tf.Variable([2.0, 3.0])

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def __call__(self, x):
        return x * self.scale


def test_module_without_variable_lists_uses_the_variables_its_function_captures(tmp_path):
    tf.saved_model.save(_PlainModule(), str(tmp_path / "plain"))
    layer = hub.HubLayer(tmp_path / "plain")
    assert [tuple(w.shape) for w in layer.weights] == [(2,)]
    model = keras.Sequential([keras.Input(shape=(2,)), layer])
    np.testing.assert_allclose(model.predict(np.ones((1, 2), "float32"), verbose=0), [[2.0, 3.0]])


def test_load_hub_module_downloads_and_unpacks_the_compressed_archive(monkeypatch, tmp_path):
    """The origin path: a TF Hub compressed download (a .tar.gz without extension, SavedModel at its root)."""
    import tarfile

    from helpers.data import store

    entry = get_entry("efficientnet_b0_feature_vector")
    source = tmp_path / "source"
    write_image_feature_vector(source, np.random.default_rng(0), entry)
    archive = tmp_path / "archive.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for item in (source / entry.files[0].path).iterdir():
            tar.add(item, arcname=item.name)
    requested = []

    def fake_download(url, into, expected):
        requested.append(url)
        target = into / url.split("?")[0].rstrip("/").split("/")[-1]
        target.write_bytes(archive.read_bytes())
        return target

    monkeypatch.setattr(store, "_download", fake_download)
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "cache"))
    fetched = hub.load_hub_module("efficientnet_b0_feature_vector")
    assert requested == ["https://tfhub.dev/tensorflow/efficientnet/b0/feature-vector/1?tf-hub-format=compressed"]
    assert fetched.source == "origin" and (fetched.path / "saved_model.pb").is_file()
    assert hub.HubLayer(fetched)(IMAGES[:2]).shape == (2, 1280)


def test_works_under_mixed_precision(image_path):
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = hub.HubLayer(image_path)
        model = keras.Sequential([keras.Input(shape=(224, 224, 3)), layer, keras.layers.Dense(2)])
        assert layer.compute_dtype == "float32"
        assert model.predict(IMAGES[:2], verbose=0).shape == (2, 2)
    finally:
        keras.mixed_precision.set_global_policy(previous)


def test_works_on_keras_without_the_private_build_at_init(image_path, monkeypatch):
    """Keras 3.3-3.8 have no Layer._build_at_init(): HubLayer must build through the public API."""
    original = keras.layers.Layer._build_at_init

    def missing_on_hub_layers(self):
        if isinstance(self, hub.HubLayer):
            raise AttributeError("'HubLayer' object has no attribute '_build_at_init'")
        return original(self)

    monkeypatch.setattr(keras.layers.Layer, "_build_at_init", missing_on_hub_layers)
    layer = hub.HubLayer(image_path)
    assert not layer.built and len(layer.non_trainable_weights) == 2
    model = keras.Sequential([keras.Input(shape=(224, 224, 3)), layer, keras.layers.Dense(2)])
    assert layer.built
    assert model.predict(IMAGES[:2], verbose=0).shape == (2, 2)
