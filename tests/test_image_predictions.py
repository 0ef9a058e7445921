"""Tests for helpers.image_predictions and helpers.image_throughput: one image, a dataset, pipeline speed."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import image_folders, image_predictions, image_throughput


def test_load_and_prep_image(colour_folder):
    image = image_predictions.load_and_prep_image(colour_folder / "red" / "0.jpg", (24, 48))
    assert image.shape == (24, 48, 3) and image.dtype.name == "float32"
    assert 0 <= float(image.numpy().min()) and float(image.numpy().max()) <= 255


def test_load_and_prep_image_bad_inputs(colour_folder):
    with pytest.raises(FileNotFoundError, match="No image file at"):
        image_predictions.load_and_prep_image(colour_folder / "red" / "missing.jpg")
    with pytest.raises(
        image_predictions.UnreadableImageError, match="notes.txt cannot be decoded as an image"
    ):
        image_predictions.load_and_prep_image(colour_folder / "blue" / "notes.txt")
    with pytest.raises(ValueError, match="positive sides"):
        image_predictions.load_and_prep_image(colour_folder / "red" / "0.jpg", (0, 10))


def _constant_model(outputs):
    inputs = keras.Input(shape=(8, 8, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(len(outputs), activation=None)
    y = dense(x)
    dense.set_weights([np.zeros((3, len(outputs))), np.asarray(outputs, dtype="float32")])
    return keras.Model(inputs, y)


def test_predict_image_binary_and_multiclass(colour_folder):
    path = colour_folder / "red" / "0.jpg"
    assert image_predictions.predict_image(
        _constant_model([0.8]), path, ["pizza", "steak"], (8, 8)
    ) == pytest.approx(("steak", 0.8))
    name, p = image_predictions.predict_image(_constant_model([0.3]), path, ["pizza", "steak"], (8, 8))
    assert name == "pizza" and p == pytest.approx(0.7)
    name, p = image_predictions.predict_image(_constant_model([0.1, 0.7, 0.2]), path, ["a", "b", "c"], (8, 8))
    assert name == "b" and p == pytest.approx(0.7)


def test_predict_image_wrong_class_names(colour_folder):
    path = colour_folder / "red" / "0.jpg"
    with pytest.raises(ValueError, match="outputs 3 probabilities but 2 class names"):
        image_predictions.predict_image(_constant_model([0.1, 0.7, 0.2]), path, ["a", "b"], (8, 8))
    with pytest.raises(ValueError, match="one \\(sigmoid\\) output, so it needs 2 class names"):
        image_predictions.predict_image(_constant_model([0.5]), path, ["a", "b", "c"], (8, 8))


def _softmax_model(classes=3):
    """Predicts from the mean red, green and blue of an 8x8 image: red -> 0, green -> 1, blue -> 2."""
    inputs = keras.Input(shape=(8, 8, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(classes, activation="softmax")
    outputs = dense(x)
    dense.set_weights([np.eye(3, classes, dtype="float32") / 100, np.zeros(classes, "float32")])
    return keras.Model(inputs, outputs)


def test_predict_dataset_aligns_labels_and_keeps_the_most_confidently_wrong():
    import tensorflow as tf

    colours = np.array([[250, 0, 0], [0, 250, 0], [0, 0, 250], [0, 0, 120], [0, 0, 200]], "float32")
    images = np.broadcast_to(colours[:, None, None, :], (5, 8, 8, 3)).copy()
    labels = np.array([0, 1, 0, 1, 1])  # the last three are wrong: blue is predicted as class 2
    # reshuffled every pass: only a single pass keeps labels and predictions aligned
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(5, seed=1).batch(2)
    predicted = image_predictions.predict_dataset(_softmax_model(), dataset, most_wrong=2)
    assert predicted.probabilities.shape == (5, 3)
    assert sorted(predicted.y_true.tolist()) == [0, 0, 1, 1, 1]
    right = predicted.probabilities.argmax(axis=1) == predicted.y_true
    assert right.sum() == 2  # red -> 0 and green -> 1 are right, wherever they landed
    assert predicted.wrong_images.shape == (2, 8, 8, 3) and predicted.wrong_images.dtype == np.uint8
    # most confident first: the brightest blue (250), then 200; the dim blue (120) is dropped
    assert predicted.wrong_images[:, 0, 0, 2].tolist() == [250, 200]
    assert predicted.wrong_true.tolist() == [0, 1]
    confidence = predicted.wrong_probabilities.max(axis=1)
    assert confidence[0] > confidence[1]
    none = image_predictions.predict_dataset(_softmax_model(), dataset, most_wrong=0)
    assert none.wrong_images.shape[0] == 0 and none.wrong_probabilities.shape == (0, 3)


def test_predict_dataset_bad_inputs():
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((np.zeros((2, 8, 8, 3), "float32"), [0, 1])).batch(2)
    with pytest.raises(ValueError, match="most_wrong must be 0 or more"):
        image_predictions.predict_dataset(_softmax_model(), dataset, most_wrong=-1)
    with pytest.raises(ValueError, match="empty dataset"):
        image_predictions.predict_dataset(_softmax_model(), dataset.take(0))
    with pytest.raises(ValueError, match=r"one probability per class \(softmax outputs\), got shape \(2, 1"):
        image_predictions.predict_dataset(_constant_model([0.5]), dataset.map(lambda x, y: (x[:, :8, :8], y)))


def test_throughput_helpers(colour_folder):
    loaded = image_folders.image_folder_dataset(
        colour_folder, image_size=(16, 16), batch_size=2, shuffle=False
    )
    assert image_throughput.images_per_second(loaded.dataset, warmup_batches=1) > 0
    assert image_throughput.images_per_second(loaded.dataset, batches=1, warmup_batches=0) > 0
    assert image_throughput.decode_and_resize_rate(image_folders.image_files(colour_folder), (16, 16)) > 0
    with pytest.raises(ValueError, match="no batches left to time"):
        image_throughput.images_per_second(loaded.dataset, warmup_batches=10)
    with pytest.raises(ValueError, match="batches >= 1"):
        image_throughput.images_per_second(loaded.dataset, batches=0)
    with pytest.raises(ValueError, match="needs at least one image path"):
        image_throughput.decode_and_resize_rate([])
