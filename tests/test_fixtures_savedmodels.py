"""The SavedModel fixtures have the real TF Hub modules' signatures and a learnable signal."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from helpers.data import get_entry
from helpers.data.fixtures.savedmodels import write_image_feature_vector, write_sentence_encoder
from helpers.data.registry import Entry, RemoteFile


@pytest.fixture(scope="module")
def image_module(hub_image_module_path):
    return tf.saved_model.load(str(hub_image_module_path))


@pytest.fixture(scope="module")
def sentence_module(hub_text_module_path):
    return tf.saved_model.load(str(hub_text_module_path))


def test_image_module_has_the_feature_vector_signature(image_module):
    images = tf.random.uniform((3, 224, 224, 3), seed=1)
    features = image_module(images)
    assert features.shape == (3, 1280) and features.dtype == tf.float32
    np.testing.assert_allclose(image_module(images, training=True), features)
    served = image_module.signatures["serving_default"](inputs=images)["outputs"]
    np.testing.assert_allclose(served, features, rtol=1e-6)
    assert len(image_module.trainable_variables) == 2


def test_image_module_output_size_follows_the_entry(tmp_path):
    entry = get_entry("resnet_v2_50_feature_vector")
    write_image_feature_vector(tmp_path, np.random.default_rng(0), entry)
    module = tf.saved_model.load(str(tmp_path / entry.files[0].path))
    assert module(tf.zeros((1, 224, 224, 3))).shape == (1, 2048)


def test_image_features_separate_colours(image_module):
    # a red and a blue image must give clearly different features (learnable signal)
    red = np.zeros((1, 224, 224, 3), "float32")
    red[..., 0] = 1
    blue = np.zeros((1, 224, 224, 3), "float32")
    blue[..., 2] = 1
    a, b = image_module(red).numpy()[0], image_module(blue).numpy()[0]
    cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert cosine < 0.9


def test_sentence_module_has_the_encoder_signature(sentence_module):
    vectors = sentence_module(tf.constant(["A forest fire near the town", "I love this cake"]))
    assert vectors.shape == (2, 512) and vectors.dtype == tf.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    served = sentence_module.signatures["serving_default"](inputs=tf.constant(["fire"]))["outputs"]
    assert served.shape == (1, 512)


def test_sentence_vectors_are_deterministic_and_word_based(sentence_module):
    texts = tf.constant(["Forest fire near La Ronge", "forest fire near la ronge!", "What a lovely day"])
    first, second = sentence_module(texts).numpy(), sentence_module(texts).numpy()
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first[0], first[1], atol=1e-6)  # case and punctuation ignored
    assert abs(first[0] @ first[2]) < 0.5  # no shared words: nearly orthogonal


def test_writer_refuses_an_entry_that_is_not_a_folder(tmp_path):
    entry = Entry("x", "x", (RemoteFile("x.h5"),), "x")
    with pytest.raises(ValueError, match="must describe a folder"):
        write_sentence_encoder(tmp_path, np.random.default_rng(0), entry)
