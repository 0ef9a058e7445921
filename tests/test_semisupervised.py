"""The seeded labelled/unlabelled split, pseudo-label selection and FixMatch's augmentation pair."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import semisupervised


def test_labelled_split_is_balanced_seeded_and_complete():
    labels = np.repeat(np.arange(10), 50)
    labelled, unlabelled = semisupervised.labelled_split(labels, 100, seed=3)
    assert np.bincount(labels[labelled]).tolist() == [10] * 10
    assert len(np.intersect1d(labelled, unlabelled)) == 0
    assert np.array_equal(np.sort(np.concatenate([labelled, unlabelled])), np.arange(500))
    again, _ = semisupervised.labelled_split(labels, 100, seed=3)
    other, _ = semisupervised.labelled_split(labels, 100, seed=4)
    assert np.array_equal(labelled, again) and not np.array_equal(labelled, other)


def test_labelled_split_refuses_bad_budgets():
    labels = np.repeat(np.arange(10), 5)
    with pytest.raises(ValueError, match="does not split evenly across 10 classes: use a multiple of 10"):
        semisupervised.labelled_split(labels, 25)
    with pytest.raises(ValueError, match="between 1 and the 50 examples"):
        semisupervised.labelled_split(labels, 60)
    with pytest.raises(ValueError, match=r"classes \[1\] hold fewer than 3 examples"):
        semisupervised.labelled_split(np.array([0, 0, 0, 0, 1, 1]), 6)
    with pytest.raises(ValueError, match="non-empty 1-D array"):
        semisupervised.labelled_split(np.zeros((4, 2)), 2)


def test_select_pseudo_labels_threshold_and_cap():
    probs = np.array([[0.98, 0.02], [0.6, 0.4], [0.01, 0.99], [0.96, 0.04], [0.97, 0.03]])
    indices, labels = semisupervised.select_pseudo_labels(probs, 0.95)
    assert indices.tolist() == [0, 2, 3, 4] and labels.tolist() == [0, 1, 0, 0]
    indices, labels = semisupervised.select_pseudo_labels(probs, 0.95, max_per_class=2)
    assert indices.tolist() == [0, 2, 4] and labels.tolist() == [0, 1, 0]  # the two surest class-0 rows
    assert len(semisupervised.select_pseudo_labels(probs, 1.0)[0]) == 0


def test_select_pseudo_labels_refuses_bad_input():
    with pytest.raises(ValueError, match="pass softmax outputs, not logits"):
        semisupervised.select_pseudo_labels(np.array([[2.0, -1.0]]), 0.9)
    with pytest.raises(ValueError, match=r"must be \(n, classes\)"):
        semisupervised.select_pseudo_labels(np.array([0.2, 0.8]), 0.9)
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\]"):
        semisupervised.select_pseudo_labels(np.array([[0.2, 0.8]]), 0.0)
    with pytest.raises(ValueError, match="max_per_class must be >= 1"):
        semisupervised.select_pseudo_labels(np.array([[0.2, 0.8]]), 0.5, max_per_class=0)


def test_augmentation_pair_keeps_shape_and_changes_images_only_in_training():
    weak, strong = semisupervised.augmentation_pair((28, 28, 1), seed=1)
    images = np.zeros((4, 28, 28, 1), dtype="float32")
    images[:, 10:18, 10:18] = 1.0
    for layer in (weak, strong):
        out = np.asarray(layer(images, training=True))
        assert out.shape == images.shape
        assert np.array_equal(np.asarray(layer(images, training=False)), images)
    assert not np.allclose(np.asarray(strong(images, training=True)), images)
    with pytest.raises(ValueError, match=r"image_shape must be \(height, width, channels\)"):
        semisupervised.augmentation_pair((28, 28))
