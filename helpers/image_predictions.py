"""A model's predictions on images: one image file, or a whole dataset with its labels.

- :func:`load_and_prep_image` reads and resizes one image file the way
  ``image_dataset_from_directory`` does; :func:`predict_image` turns it into a model's
  prediction (class name and probability).
- :func:`predict_dataset` predicts a whole dataset in one pass, labels aligned, and keeps
  the most confidently wrong images for error analysis.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from helpers.image_folders import _as_size

__all__ = ["Predictions", "UnreadableImageError", "load_and_prep_image", "predict_dataset", "predict_image"]


class UnreadableImageError(ValueError):
    """An image file exists but cannot be decoded."""


@dataclass
class Predictions:
    """A model's predictions on a dataset, with the labels of the same pass.

    Attributes:
        y_true: the labels, ``(n,)`` int.
        probabilities: the model's outputs, ``(n, classes)``.
        wrong_images: the ``most_wrong`` misclassified images the model was most confident
            about, most confident first, uint8.
        wrong_true: their true labels.
        wrong_probabilities: their rows of ``probabilities``.
    """

    y_true: np.ndarray
    probabilities: np.ndarray
    wrong_images: np.ndarray
    wrong_true: np.ndarray
    wrong_probabilities: np.ndarray


def predict_dataset(model: keras.Model, dataset: tf.data.Dataset, most_wrong: int = 9) -> Predictions:
    """Predict every batch of a dataset of ``(images, labels)`` and keep the labels of the same pass.

    ``model.predict(dataset)`` and a second loop for the labels only line up when the
    dataset yields the same order every time; a TFDS split loaded with
    ``shuffle_files=True`` does not. This goes through the data once, batch by batch, and
    keeps the ``most_wrong`` images the model got wrong with the highest confidence (for
    error analysis), without holding every image in memory.

    Raises:
        ValueError: ``most_wrong < 0``, the dataset is empty, or the model does not output one
            probability per class (a 2-D output).
    """
    if int(most_wrong) < 0:
        raise ValueError(f"most_wrong must be 0 or more, got {most_wrong!r}.")
    y_true, probabilities = [], []
    kept_images, kept_true, kept_probabilities, kept_confidence = [], [], [], np.empty(0)
    for images, labels in dataset:
        batch = np.asarray(model.predict_on_batch(images), dtype="float32")
        if batch.ndim != 2 or batch.shape[1] < 2:
            raise ValueError(
                f"predict_dataset needs one probability per class (softmax outputs), got shape {batch.shape}."
            )
        labels = np.asarray(labels).reshape(-1).astype(int)
        y_true.append(labels)
        probabilities.append(batch)
        wrong = np.flatnonzero(batch.argmax(axis=1) != labels)
        if most_wrong and wrong.size:
            images = np.asarray(images)
            kept_images += [np.clip(images[i], 0, 255).astype("uint8") for i in wrong]
            kept_true += labels[wrong].tolist()
            kept_probabilities += list(batch[wrong])
            kept_confidence = np.concatenate([kept_confidence, batch[wrong].max(axis=1)])
            order = np.argsort(-kept_confidence, kind="stable")[: int(most_wrong)]
            kept_images = [kept_images[i] for i in order]
            kept_true = [kept_true[i] for i in order]
            kept_probabilities = [kept_probabilities[i] for i in order]
            kept_confidence = kept_confidence[order]
    if not y_true:
        raise ValueError("predict_dataset got an empty dataset: there is nothing to predict.")
    classes = probabilities[0].shape[1]
    return Predictions(
        y_true=np.concatenate(y_true),
        probabilities=np.concatenate(probabilities),
        wrong_images=np.stack(kept_images) if kept_images else np.empty((0, 0, 0, 3), "uint8"),
        wrong_true=np.asarray(kept_true, dtype=int),
        wrong_probabilities=np.stack(kept_probabilities) if kept_probabilities else np.empty((0, classes)),
    )


def load_and_prep_image(path: str | os.PathLike, image_size: tuple[int, int] = (224, 224)) -> tf.Tensor:
    """Read one image file and resize it: float32, shape ``image_size + (3,)``, values in [0, 255].

    The same decoding and resizing (bilinear) as ``image_dataset_from_directory``, so a
    model trained on a folder sees a custom image the way it saw its training images.

    Raises:
        FileNotFoundError: no file at ``path``.
        UnreadableImageError: the file is not a decodable image.
    """
    height, width = _as_size(image_size)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No image file at {path}.")
    try:
        image = tf.io.decode_image(path.read_bytes(), channels=3, expand_animations=False)
    except (tf.errors.OpError, ValueError):
        raise UnreadableImageError(
            f"{path.name} cannot be decoded as an image (JPEG, PNG, GIF or BMP expected)."
        ) from None
    return tf.image.resize(image, (height, width))


def predict_image(
    model: keras.Model,
    path: str | os.PathLike,
    class_names: list[str],
    image_size: tuple[int, int] = (224, 224),
) -> tuple[str, float]:
    """Load, resize and classify one image file; return ``(class name, probability)``.

    Works for a binary model (one sigmoid output: the probability of ``class_names[1]``)
    and for a multi-class model (a softmax output per class).

    Raises:
        ValueError: ``class_names`` does not match the model's outputs.
        FileNotFoundError, UnreadableImageError: as :func:`load_and_prep_image`.
    """
    image = load_and_prep_image(path, image_size)
    probabilities = np.asarray(model.predict(image[None], verbose=0), dtype="float64")[0]
    if probabilities.shape == (1,):
        if len(class_names) != 2:
            raise ValueError(
                f"The model has one (sigmoid) output, so it needs 2 class names, got {len(class_names)}."
            )
        p = float(probabilities[0])
        return (class_names[1], p) if p >= 0.5 else (class_names[0], 1.0 - p)
    if len(class_names) != len(probabilities):
        raise ValueError(
            f"The model outputs {len(probabilities)} probabilities but {len(class_names)} class names "
            f"were given; pass the class names of the data set the model was trained on."
        )
    best = int(probabilities.argmax())
    return class_names[best], float(probabilities[best])
