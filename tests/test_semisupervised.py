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


def _tiny_classifier(seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input(shape=(8, 8)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")]
    )
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _tiny_data(n, seed=0):
    """Images bright in the top half (class 0) or the bottom half (class 1)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.uniform(0, 0.2, (n, 8, 8)).astype("float32")
    for i, label in enumerate(labels):
        images[i, 4 * label : 4 * label + 4] += 0.8
    return images, labels


def test_fixmatch_dataset_batches_mu_unlabelled_per_labelled_image():
    x, y = _tiny_data(10)
    (x_lab, y_lab), x_unlab = next(iter(semisupervised.fixmatch_dataset(x, y, x[:7], 4, unlabelled_ratio=3)))
    assert x_lab.shape == (4, 8, 8) and y_lab.shape == (4,) and x_unlab.shape == (12, 8, 8)
    with pytest.raises(ValueError, match="x_labelled has 10 images but y_labelled 9 labels"):
        semisupervised.fixmatch_dataset(x, y[:9], x)
    with pytest.raises(ValueError, match="at least one labelled and one unlabelled image"):
        semisupervised.fixmatch_dataset(x, y, x[:0])
    with pytest.raises(ValueError, match="batch_size and unlabelled_ratio must be >= 1"):
        semisupervised.fixmatch_dataset(x, y, x, unlabelled_ratio=0)


def test_fixmatch_refuses_bad_settings():
    import keras

    weak, strong = semisupervised.augmentation_pair((8, 8, 1))
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\]"):
        semisupervised.FixMatch(_tiny_classifier(), weak, strong, threshold=1.5)
    with pytest.raises(ValueError, match=r"ema_momentum must be in \[0, 1\)"):
        semisupervised.FixMatch(_tiny_classifier(), weak, strong, ema_momentum=1.0)
    with pytest.raises(ValueError, match="unlabelled_weight must be >= 0"):
        semisupervised.FixMatch(_tiny_classifier(), weak, strong, unlabelled_weight=-1)
    with pytest.raises(ValueError, match="classifier must be a built keras.Model"):
        semisupervised.FixMatch(keras.Sequential([keras.layers.Dense(2)]), weak, strong)


def test_fixmatch_weight_average_follows_its_momentum():
    import keras

    x, y = _tiny_data(16)
    classifier = _tiny_classifier()
    before = [w.copy() for w in classifier.get_weights()]
    weak, strong = semisupervised.augmentation_pair((8, 8, 1))
    model = semisupervised.FixMatch(classifier, weak, strong, threshold=0.5, ema_momentum=0.25)
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    model.fit(
        semisupervised.fixmatch_dataset(x, y, x, 8, 2), steps_per_epoch=1, epochs=1, shuffle=False, verbose=0
    )
    after = classifier.get_weights()
    assert not np.allclose(before[0], after[0])  # one step moved the weights
    for old, new, average in zip(before, after, model.average.get_weights(), strict=True):
        np.testing.assert_allclose(average, 0.25 * old + 0.75 * new, rtol=1e-5, atol=1e-6)


def test_train_fixmatch_learns_and_leaves_start_unchanged():
    x, y = _tiny_data(40)
    x_val, y_val = _tiny_data(20, seed=1)
    start = _tiny_classifier()
    start_weights = [w.copy() for w in start.get_weights()]
    model, history = semisupervised.train_fixmatch(
        start,
        (x[:10], y[:10]),
        x[10:],
        steps=40,
        evaluations=2,
        validation=(x_val, y_val),
        batch_size=5,
        unlabelled_ratio=2,
        threshold=0.6,
        learning_rate=0.3,
        ema_momentum=0.5,
    )
    assert all(np.array_equal(a, b) for a, b in zip(start_weights, start.get_weights(), strict=True))
    assert len(history.history["val_accuracy"]) == 2 and len(history.history["mask_rate"]) == 2
    assert 0 <= min(history.history["mask_rate"]) <= max(history.history["mask_rate"]) <= 1
    assert model.evaluate(x_val, y_val, verbose=0)[1] == pytest.approx(history.history["val_accuracy"][-1])
    assert history.history["val_accuracy"][-1] >= 0.9  # the two halves are easy to tell apart


def test_train_fixmatch_refuses_bad_schedules():
    x, y = _tiny_data(10)
    with pytest.raises(ValueError, match="steps must be a positive multiple of evaluations"):
        semisupervised.train_fixmatch(_tiny_classifier(), (x, y), x, steps=5, evaluations=2)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        semisupervised.train_fixmatch(_tiny_classifier(), (x, y), x, steps=2, evaluations=1, learning_rate=0)


def test_build_classifier_is_the_conv_encoder_with_a_softmax():
    model = semisupervised.build_classifier(code_size=8, seed=0)
    assert model.output_shape == (None, 10) and model.layers[0].output_shape == (None, 8)
    again = semisupervised.build_classifier(code_size=8, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), again.get_weights(), strict=True))
    probs = model.predict(np.zeros((2, 28, 28), "float32"), verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        semisupervised.build_classifier(dropout=1.0)


def test_fit_supervised_and_self_train_count_pseudo_labels_and_mistakes():
    x, y = _tiny_data(60)
    x_val, y_val = _tiny_data(20, seed=1)
    start = semisupervised.fit_supervised(_tiny_classifier(), x[:10], y[:10], (x_val, y_val), epochs=3)
    hidden = y[10:].copy()
    hidden[0] = 1 - hidden[0]  # one deliberately false hidden label: counted as wrong if picked
    model, log = semisupervised.self_train(
        start,
        _tiny_classifier,
        (x[:10], y[:10]),
        x[10:],
        (x_val, y_val),
        hidden_labels=hidden,
        rounds=2,
        threshold=0.5,
        per_class_per_round=5,
        epochs=2,
    )
    assert [row["round"] for row in log] == [1, 2]
    # threshold 0.5 keeps every image (two classes), capped at 5 per predicted class in round 1, 10 in round 2
    first_counts = np.bincount(start.predict(x[10:], verbose=0).argmax(axis=1), minlength=2)
    assert log[0]["pseudo-labels"] == np.minimum(first_counts, 5).sum() and log[1]["pseudo-labels"] <= 20
    assert all(0 <= row["wrong"] <= row["pseudo-labels"] for row in log)
    assert model.predict(x_val, verbose=0).shape == (20, 2)
    with pytest.raises(ValueError, match="x has 10 images but y 9 labels"):
        semisupervised.fit_supervised(_tiny_classifier(), x[:10], y[:9], (x_val, y_val), epochs=1)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        semisupervised.fit_supervised(_tiny_classifier(), x[:10], y[:10], (x_val, y_val), epochs=0)
    with pytest.raises(ValueError, match="hidden_labels has 3 labels for a pool of 50 images"):
        semisupervised.self_train(
            start, _tiny_classifier, (x[:10], y[:10]), x[10:], (x_val, y_val), hidden_labels=y[:3]
        )
    with pytest.raises(ValueError, match="rounds must be >= 1"):
        semisupervised.self_train(start, _tiny_classifier, (x[:10], y[:10]), x[10:], (x_val, y_val), rounds=0)
