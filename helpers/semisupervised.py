"""Semi-supervised learning: a seeded labelled/unlabelled split, pseudo-labels, augmentation pairs.

Used by notebook 11 (60,000 MNIST training images of which 1,000 keep their label). The
split draws the same number of labelled examples from every class with a fixed seed, so
every method and every seed of a method starts from the same labels; pseudo-label
selection keeps the unlabelled examples whose predicted class is confident; the
augmentation pair gives FixMatch its weak and strong views, built from Keras
preprocessing layers.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from numpy.typing import ArrayLike

__all__ = ["augmentation_pair", "labelled_split", "select_pseudo_labels"]


def labelled_split(labels: ArrayLike, budget: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Choose ``budget`` labelled examples, the same number from every class, with a fixed seed.

    Args:
        labels: the true class of every training example, ``(n,)`` integers.
        budget: how many keep their label; must split evenly across the classes present.
        seed: the seed of the choice (the same seed gives the same split).

    Returns:
        ``(labelled, unlabelled)``: sorted index arrays that together cover ``0..n-1`` once.

    Raises:
        ValueError: empty or non-1-D labels, a budget < 1, larger than the data, not
            divisible by the number of classes, or more per class than a class holds.
    """
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"labels must be a non-empty 1-D array of classes; got shape {y.shape}.")
    if budget < 1 or budget > len(y):
        raise ValueError(f"budget must be between 1 and the {len(y)} examples; got {budget}.")
    classes, counts = np.unique(y, return_counts=True)
    if budget % len(classes):
        raise ValueError(
            f"budget {budget} does not split evenly across {len(classes)} classes: "
            f"use a multiple of {len(classes)}, e.g. {budget - budget % len(classes) or len(classes)}."
        )
    per_class = budget // len(classes)
    if (counts < per_class).any():
        short = classes[counts < per_class].tolist()
        raise ValueError(f"classes {short} hold fewer than {per_class} examples: lower the budget.")
    rng = np.random.default_rng(seed)
    chosen = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in classes])
    labelled = np.sort(chosen)
    unlabelled = np.setdiff1d(np.arange(len(y)), labelled)
    return labelled, unlabelled


def select_pseudo_labels(
    probabilities: ArrayLike, threshold: float, max_per_class: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The examples whose top predicted probability reaches ``threshold``, with that class.

    Args:
        probabilities: ``(n, classes)`` predicted class probabilities (rows sum to 1).
        threshold: the confidence needed, in (0, 1].
        max_per_class: keep at most this many per predicted class (the most confident), so
            that an easy class cannot flood the training set; ``None`` keeps all.

    Returns:
        ``(indices, pseudo_labels)``: sorted row indices into ``probabilities`` and their
        predicted classes.

    Raises:
        ValueError: probabilities that are not 2-D or not in [0, 1], a threshold outside
            (0, 1], or ``max_per_class`` < 1.
    """
    probs = np.asarray(probabilities, dtype="float64")
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(f"probabilities must be (n, classes) with classes >= 2; got shape {probs.shape}.")
    if not np.isfinite(probs).all():
        raise ValueError(
            "probabilities hold NaN or infinite values: the model diverged; pass finite softmax outputs."
        )
    if probs.size and (probs.min() < 0 or probs.max() > 1):
        raise ValueError("probabilities must lie in [0, 1]: pass softmax outputs, not logits.")
    if isinstance(threshold, bool) or not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1]; got {threshold}.")
    if max_per_class is not None and max_per_class < 1:
        raise ValueError(f"max_per_class must be >= 1 or None; got {max_per_class}.")
    confidence, predicted = probs.max(axis=1), probs.argmax(axis=1)
    keep = np.flatnonzero(confidence >= threshold)
    if max_per_class is not None:
        kept = []
        for c in np.unique(predicted[keep]):
            members = keep[predicted[keep] == c]
            kept.append(members[np.argsort(-confidence[members], kind="stable")[:max_per_class]])
        keep = np.sort(np.concatenate(kept)) if kept else keep
    return keep, predicted[keep]


def augmentation_pair(
    image_shape: Sequence[int] = (28, 28, 1), seed: int = 0
) -> tuple[keras.Sequential, keras.Sequential]:
    """FixMatch's two views, as Keras preprocessing layers (active only with ``training=True``).

    Weak: a small random shift (up to 2 pixels on 28x28: 0.0625 of the side). Strong: a
    larger shift, rotation, zoom and contrast change, then a randomly erased patch
    (``keras.layers.RandomErasing``, on Keras versions that have it); no flips, which
    would change digits. Pixels are expected in [0, 1].

    Args:
        image_shape: ``(height, width, channels)`` of one image.
        seed: seed of the random layers.

    Returns:
        ``(weak, strong)`` Sequential models mapping a batch to a batch of the same shape.

    Raises:
        ValueError: a shape that is not ``(height, width, channels)``.
    """
    shape = tuple(int(size) for size in image_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"image_shape must be (height, width, channels), e.g. (28, 28, 1); got {tuple(image_shape)}."
        )
    weak = keras.Sequential(
        [
            keras.Input(shape=shape),
            keras.layers.RandomTranslation(0.0625, 0.0625, fill_mode="constant", seed=seed),
        ],
        name="weak_augmentation",
    )
    strong_layers = [
        keras.Input(shape=shape),
        keras.layers.RandomTranslation(0.125, 0.125, fill_mode="constant", seed=seed + 1),
        keras.layers.RandomRotation(0.08, fill_mode="constant", seed=seed + 2),
        keras.layers.RandomZoom(0.2, fill_mode="constant", seed=seed + 3),
        keras.layers.RandomContrast(0.5, value_range=(0, 1), seed=seed + 4),
    ]
    if hasattr(keras.layers, "RandomErasing"):
        erasing = keras.layers.RandomErasing(factor=1.0, scale=(0.05, 0.2), value_range=(0, 1), seed=seed + 5)
        strong_layers.append(erasing)
    return weak, keras.Sequential(strong_layers, name="strong_augmentation")
