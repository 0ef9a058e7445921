"""Semi-supervised learning: a seeded labelled/unlabelled split, pseudo-labels, augmentation pairs, FixMatch.

Used by notebook 11 (60,000 MNIST training images of which 1,000 keep their label). The
split draws the same number of labelled examples from every class with a fixed seed, so
every method and every seed of a method starts from the same labels; pseudo-label
selection keeps the unlabelled examples whose predicted class is confident; the
augmentation pair gives FixMatch its weak and strong views, built from Keras
preprocessing layers; :class:`FixMatch` is the consistency model (a subclassed
``keras.Model`` with its own ``train_step``) and :func:`train_fixmatch` its one training
loop (optimiser, schedule, weight average), used by the main experiment and by the
label-budget curve alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from helpers import unsupervised

__all__ = [
    "FixMatch",
    "augmentation_pair",
    "build_classifier",
    "fit_supervised",
    "fixmatch_dataset",
    "labelled_split",
    "select_pseudo_labels",
    "self_train",
    "train_fixmatch",
]


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

    Weak: a small random shift (up to 2 pixels on 28x28: 0.0625 of the side). Strong, in the
    spirit of RandAugment with Cutout for digits: a larger shift, rotation (up to about 30
    degrees), shear, zoom and contrast change, then a randomly erased patch
    (``keras.layers.RandomErasing``); no flips, which would change digits. Pixels are
    expected in [0, 1].

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
    strong = keras.Sequential(
        [
            keras.Input(shape=shape),
            keras.layers.RandomTranslation(0.125, 0.125, fill_mode="constant", seed=seed + 1),
            keras.layers.RandomRotation(0.08, fill_mode="constant", seed=seed + 2),
            keras.layers.RandomShear(0.2, 0.2, fill_mode="constant", seed=seed + 3),
            keras.layers.RandomZoom(0.2, fill_mode="constant", seed=seed + 4),
            keras.layers.RandomContrast(0.5, value_range=(0, 1), seed=seed + 5),
            keras.layers.RandomErasing(factor=1.0, scale=(0.05, 0.2), value_range=(0, 1), seed=seed + 6),
        ],
        name="strong_augmentation",
    )
    return weak, strong


def build_classifier(
    code_size: int = 64, seed: int = 0, name: str = "cnn", dropout: float = 0.3
) -> keras.Model:
    """Notebook 10's convolutional encoder with dropout and a 10-way softmax, compiled.

    The encoder is :func:`helpers.unsupervised.build_conv_autoencoder`'s (two stride-2
    convolutions and a ``code_size``-unit code), so the same network can start from an
    autoencoder's pretrained weights (``model.layers[0]`` is the encoder). Compiled with
    Adam (1e-3), sparse cross-entropy and accuracy; weights drawn with ``seed``.

    Raises:
        ValueError: ``dropout`` outside [0, 1), or the encoder's errors (``code_size`` < 1).
    """
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), e.g. 0.3; got {dropout}.")
    keras.utils.set_random_seed(seed)
    _, encoder = unsupervised.build_conv_autoencoder(code_size, name=f"{name}_ae")
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            encoder,
            keras.layers.ReLU(),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name=name,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def fit_supervised(
    model: keras.Model,
    x: ArrayLike,
    y: ArrayLike,
    validation: tuple[ArrayLike, ArrayLike],
    epochs: int,
    batch_size: int = 32,
    patience: int = 6,
) -> keras.Model:
    """Fit a compiled classifier on ``(x, y)``, early stopping on ``validation`` accuracy (best weights kept).

    Raises:
        ValueError: ``x`` and ``y`` of different lengths, or ``epochs`` < 1.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} images but y {len(y)} labels: pass matching arrays.")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1; got {epochs}.")
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience, restore_best_weights=True)
    model.fit(
        x, y, validation_data=validation, epochs=epochs, batch_size=batch_size, callbacks=[stop], verbose=0
    )
    return model


def self_train(
    start: keras.Model,
    build: Callable[[int], keras.Model],
    labelled: tuple[ArrayLike, ArrayLike],
    pool: ArrayLike,
    validation: tuple[ArrayLike, ArrayLike],
    *,
    hidden_labels: ArrayLike | None = None,
    rounds: int = 2,
    threshold: float = 0.95,
    per_class_per_round: int = 300,
    epochs: int = 6,
) -> tuple[keras.Model, list[dict]]:
    """Self-training: pseudo-label the confident pool images, fit a fresh model on both, repeat.

    Round ``r`` (from 1) keeps at most ``r * per_class_per_round`` pseudo-labels per class,
    the most confident first (:func:`select_pseudo_labels`), predicted by the previous
    round's model (``start`` for the first), and fits ``build(r)`` with
    :func:`fit_supervised`.

    Args:
        start: the model that labels the pool first (e.g. the CNN fitted on the labels alone).
        build: ``round -> fresh compiled model``.
        labelled: ``(images, labels)``; pool: unlabelled images; validation: for early stopping.
        hidden_labels: the pool's true labels, only to count wrong pseudo-labels (optional).
        rounds, threshold, per_class_per_round, epochs: the schedule.

    Returns:
        ``(model, log)``: the last round's model and one row per round (pseudo-labels kept,
        and with ``hidden_labels`` how many are wrong and their share).

    Raises:
        ValueError: ``rounds`` < 1, ``hidden_labels`` not matching the pool, or the errors
            of :func:`select_pseudo_labels` and :func:`fit_supervised`.
    """
    x_lab, y_lab = np.asarray(labelled[0]), np.asarray(labelled[1])
    x_pool = np.asarray(pool)
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1; got {rounds}.")
    if hidden_labels is not None and len(hidden_labels) != len(x_pool):
        raise ValueError(
            f"hidden_labels has {len(hidden_labels)} labels for a pool of {len(x_pool)} images: "
            "pass the pool's labels."
        )
    model, log = start, []
    for round_ in range(1, rounds + 1):
        chosen, pseudo = select_pseudo_labels(
            model.predict(x_pool, verbose=0), threshold, max_per_class=per_class_per_round * round_
        )
        row = {"round": round_, "pseudo-labels": len(chosen)}
        if hidden_labels is not None:
            wrong = int((pseudo != np.asarray(hidden_labels)[chosen]).sum())
            row.update({"wrong": wrong, "wrong share": wrong / max(len(chosen), 1)})
        log.append(row)
        x_round, y_round = np.concatenate([x_lab, x_pool[chosen]]), np.concatenate([y_lab, pseudo])
        model = fit_supervised(build(round_), x_round, y_round, validation, epochs)
    return model, log


def _augment(layer: keras.Model, images: tf.Tensor) -> tf.Tensor:
    """Apply an augmentation model to ``(n, h, w)`` or ``(n, h, w, c)`` images, keeping the rank."""
    if images.shape.rank == 3:
        return layer(images[..., None], training=True)[..., 0]
    return layer(images, training=True)


class FixMatch(keras.Model):
    """FixMatch (Sohn et al., 2020) around a softmax classifier, with a weight average for evaluation.

    ``train_step`` takes one labelled batch and one unlabelled batch: the labelled images are
    weakly augmented and scored with cross-entropy; each unlabelled image's weak view is
    predicted (no gradient), and where the top probability reaches ``threshold`` its class
    becomes the target of the strong view's prediction. The loss is the labelled loss plus
    ``unlabelled_weight`` times the masked unlabelled loss (averaged over all unlabelled
    images, as in the paper). After every step an exponential moving average of the weights
    (``ema_momentum``) is updated in ``self.average``, a copy of the classifier; ``call``,
    ``evaluate`` and the validation of ``fit`` use that average, as the paper evaluates.

    Args:
        classifier: a built ``keras.Model`` mapping images to class probabilities (softmax).
        weak, strong: augmentation models (see :func:`augmentation_pair`).
        threshold: confidence a weak-view prediction needs to become a pseudo-label, in (0, 1].
        unlabelled_weight: the weight of the unlabelled loss (the paper's lambda_u), >= 0.
        ema_momentum: the weight average's momentum, in [0, 1); 0 evaluates the raw weights.

    Raises:
        ValueError: a classifier that is not a built Keras model, or an argument out of range.
    """

    def __init__(
        self,
        classifier: keras.Model,
        weak: keras.Model,
        strong: keras.Model,
        threshold: float = 0.95,
        unlabelled_weight: float = 1.0,
        ema_momentum: float = 0.999,
        **kwargs,
    ):
        if not isinstance(classifier, keras.Model) or not classifier.built:
            raise ValueError(
                "classifier must be a built keras.Model (e.g. a Sequential with an Input); "
                f"got {type(classifier).__name__}."
            )
        if isinstance(threshold, bool) or not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1]; got {threshold}.")
        if unlabelled_weight < 0:
            raise ValueError(f"unlabelled_weight must be >= 0; got {unlabelled_weight}.")
        if not 0 <= ema_momentum < 1:
            raise ValueError(f"ema_momentum must be in [0, 1), e.g. 0.999; got {ema_momentum}.")
        super().__init__(**kwargs)
        self.classifier, self.weak, self.strong = classifier, weak, strong
        self.threshold, self.unlabelled_weight, self.ema_momentum = threshold, unlabelled_weight, ema_momentum
        self.average = keras.models.clone_model(classifier)
        self.average.set_weights(classifier.get_weights())
        self.average.trainable = False
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("loss", "labelled_loss", "unlabelled_loss", "mask_rate")
        }
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    @property
    def metrics(self):
        return [*self.trackers.values(), self.accuracy]

    def call(self, images, training=False):
        return self.average(images, training=training)

    def train_step(self, data):
        (x_labelled, y_labelled), x_unlabelled = data
        x_labelled = _augment(self.weak, x_labelled)
        weak_probs = tf.stop_gradient(self.classifier(_augment(self.weak, x_unlabelled), training=False))
        strong_view = _augment(self.strong, x_unlabelled)
        pseudo = tf.argmax(weak_probs, axis=1)
        mask = tf.cast(tf.reduce_max(weak_probs, axis=1) >= self.threshold, "float32")
        n_labelled = tf.shape(x_labelled)[0]
        with tf.GradientTape() as tape:
            probs = self.classifier(tf.concat([x_labelled, strong_view], axis=0), training=True)
            labelled_loss = tf.reduce_mean(
                keras.losses.sparse_categorical_crossentropy(y_labelled, probs[:n_labelled])
            )
            per_image = keras.losses.sparse_categorical_crossentropy(pseudo, probs[n_labelled:])
            unlabelled_loss = tf.reduce_mean(per_image * mask)
            loss = labelled_loss + self.unlabelled_weight * unlabelled_loss
        variables = self.classifier.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        for average, weight in zip(self.average.weights, self.classifier.weights, strict=True):
            average.assign(self.ema_momentum * average + (1.0 - self.ema_momentum) * weight)
        values = {
            "loss": loss,
            "labelled_loss": labelled_loss,
            "unlabelled_loss": unlabelled_loss,
            "mask_rate": tf.reduce_mean(mask),
        }
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def test_step(self, data):
        images, labels = data[0], data[1]
        self.accuracy.update_state(labels, self.average(images, training=False))
        return {"accuracy": self.accuracy.result()}


def fixmatch_dataset(
    x_labelled: ArrayLike,
    y_labelled: ArrayLike,
    x_unlabelled: ArrayLike,
    batch_size: int = 32,
    unlabelled_ratio: int = 7,
    seed: int = 0,
) -> tf.data.Dataset:
    """Endless ``((labelled images, labels), unlabelled images)`` batches for :class:`FixMatch`.

    Each step gets ``batch_size`` labelled images and ``unlabelled_ratio * batch_size``
    unlabelled ones (the paper's mu), each stream shuffled with ``seed`` and repeated.

    Raises:
        ValueError: labelled images and labels of different lengths, an empty set, or a
            batch size or ratio below 1.
    """
    x_lab, y_lab, x_unlab = (
        np.asarray(x_labelled, "float32"),
        np.asarray(y_labelled),
        np.asarray(x_unlabelled, "float32"),
    )
    if len(x_lab) != len(y_lab):
        raise ValueError(
            f"x_labelled has {len(x_lab)} images but y_labelled {len(y_lab)} labels: pass matching arrays."
        )
    if len(x_lab) == 0 or len(x_unlab) == 0:
        raise ValueError("FixMatch needs at least one labelled and one unlabelled image; got an empty set.")
    if batch_size < 1 or unlabelled_ratio < 1:
        raise ValueError(
            f"batch_size and unlabelled_ratio must be >= 1; got {batch_size} and {unlabelled_ratio}."
        )
    labelled = tf.data.Dataset.from_tensor_slices((x_lab, y_lab.astype("int64")))
    unlabelled = tf.data.Dataset.from_tensor_slices(x_unlab)
    labelled = labelled.shuffle(len(x_lab), seed=seed).repeat().batch(batch_size)
    unlabelled = unlabelled.shuffle(len(x_unlab), seed=seed + 1).repeat().batch(batch_size * unlabelled_ratio)
    return tf.data.Dataset.zip((labelled, unlabelled)).prefetch(tf.data.AUTOTUNE)


def train_fixmatch(
    start: keras.Model,
    labelled: tuple[ArrayLike, ArrayLike],
    unlabelled: ArrayLike,
    *,
    steps: int,
    seed: int = 0,
    evaluations: int = 5,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
    batch_size: int = 32,
    unlabelled_ratio: int = 7,
    threshold: float = 0.95,
    learning_rate: float = 0.03,
    weight_decay: float = 5e-4,
    ema_momentum: float = 0.999,
) -> tuple[keras.Model, keras.callbacks.History]:
    """Train FixMatch from ``start``'s weights for ``steps`` steps; return the weight average and the history.

    The one training loop of notebook 11 (its main experiment and its label-budget curve).
    ``start`` is copied, never changed. The recipe is the paper's, shortened: SGD with
    Nesterov momentum 0.9, decoupled weight decay, a cosine learning-rate decay to zero over
    ``steps``, and an exponential moving average of the weights for evaluation.

    Args:
        start: a built softmax classifier (e.g. the CNN trained on the labels alone).
        labelled: ``(images, labels)`` to fit; unlabelled: images without labels.
        steps: training steps in all; a multiple of ``evaluations``.
        seed: seed of the weights' copy, the augmentation and the shuffling.
        evaluations: how many times the history records the losses, the share of
            unlabelled images above the threshold (``mask_rate``) and, with ``validation``,
            the average's validation accuracy (``val_accuracy``).
        validation: ``(images, labels)`` scored by the weight average ``evaluations`` times;
            only recorded, it chooses nothing.
        batch_size, unlabelled_ratio, threshold, learning_rate, weight_decay, ema_momentum:
            the recipe's settings (``unlabelled_ratio`` is the paper's mu).

    Returns:
        ``(classifier, history)``: the weight average as a classifier compiled with
        sparse cross-entropy and accuracy, and the ``fit`` history.

    Raises:
        ValueError: ``steps`` < 1 or not a multiple of ``evaluations``, ``evaluations`` < 1,
            a learning rate <= 0, a negative weight decay, or the errors of
            :class:`FixMatch` and :func:`fixmatch_dataset`.
    """
    if evaluations < 1 or steps < 1 or steps % evaluations:
        raise ValueError(
            "steps must be a positive multiple of evaluations (>= 1); "
            f"got steps={steps}, evaluations={evaluations}."
        )
    if learning_rate <= 0 or weight_decay < 0:
        raise ValueError(
            f"learning_rate must be > 0 and weight_decay >= 0; got {learning_rate} and {weight_decay}."
        )
    dataset = fixmatch_dataset(*labelled, unlabelled, batch_size, unlabelled_ratio, seed)
    keras.utils.set_random_seed(seed)
    classifier = keras.models.clone_model(start)
    classifier.set_weights(start.get_weights())
    weak, strong = augmentation_pair(tuple(classifier.input_shape[1:3]) + (1,), seed=seed)
    fixmatch = FixMatch(classifier, weak, strong, threshold=threshold, ema_momentum=ema_momentum)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    fixmatch.compile(
        optimizer=keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    )
    history = fixmatch.fit(
        dataset,
        steps_per_epoch=steps // evaluations,
        epochs=evaluations,
        validation_data=validation,
        shuffle=False,
        verbose=0,
    )
    average = fixmatch.average
    average.trainable = True
    average.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return average, history
