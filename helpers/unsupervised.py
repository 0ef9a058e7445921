"""Unsupervised learning: autoencoder builders, clustering scores and anomaly scores.

Used by notebook 10 (unsupervised learning), notebook 11 (its encoder is pretrained
without labels, then fine-tuned) and notebook 12 (the encoder and decoder of its plain,
variational and conditional autoencoders: :func:`build_code_encoder`,
:func:`build_code_decoder`). The builders return the autoencoder and its encoder, so
the code (the bottleneck) can be read out for maps, clustering and transfer. The dense and
the convolutional autoencoder take the same ``code_size``, so their reconstruction errors
compare like for like; :func:`train_autoencoder` builds, compiles and fits one. Scores come
from ``sklearn.metrics``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from numpy.typing import ArrayLike
from sklearn import metrics

__all__ = [
    "add_noise",
    "anomaly_scores",
    "build_code_decoder",
    "build_code_encoder",
    "build_conv_autoencoder",
    "build_dense_autoencoder",
    "clustering_scores",
    "reconstruction_errors",
    "train_autoencoder",
]


def _check_code_size(code_size: int) -> None:
    if not isinstance(code_size, (int, np.integer)) or code_size < 1:
        raise ValueError(f"code_size must be a whole number >= 1, got {code_size!r}.")


def _check_shape(image_shape: Sequence[int]) -> tuple[int, int]:
    shape = tuple(int(size) for size in image_shape)
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(
            "image_shape must be (height, width) of greyscale images, e.g. (28, 28); "
            f"got {tuple(image_shape)}."
        )
    return shape


def build_dense_autoencoder(
    code_size: int, image_shape: Sequence[int] = (28, 28), hidden_units: int = 256, name: str = "dense_ae"
) -> tuple[keras.Model, keras.Model]:
    """A dense autoencoder: pixels -> ``hidden_units`` -> code -> ``hidden_units`` -> pixels.

    Inputs are greyscale images ``(height, width)`` scaled to [0, 1]; the output has the
    same shape (sigmoid). The code layer is linear, so its values are not clipped.

    Args:
        code_size: units in the bottleneck (the code).
        image_shape: ``(height, width)``.
        hidden_units: width of the one hidden layer on each side.
        name: the autoencoder's name; the encoder is ``name + "_encoder"``.

    Returns:
        ``(autoencoder, encoder)``, sharing weights; neither is compiled.

    Raises:
        ValueError: ``code_size`` or ``hidden_units`` < 1, or an image shape that is not 2-D.
    """
    _check_code_size(code_size)
    height, width = _check_shape(image_shape)
    if hidden_units < 1:
        raise ValueError(f"hidden_units must be >= 1, got {hidden_units}.")
    inputs = keras.Input(shape=(height, width), name="image")
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(hidden_units, activation="relu")(x)
    code = keras.layers.Dense(code_size, name="code")(x)
    x = keras.layers.Dense(hidden_units, activation="relu")(code)
    x = keras.layers.Dense(height * width, activation="sigmoid")(x)
    outputs = keras.layers.Reshape((height, width))(x)
    return keras.Model(inputs, outputs, name=name), keras.Model(inputs, code, name=f"{name}_encoder")


def build_conv_autoencoder(
    code_size: int,
    image_shape: Sequence[int] = (28, 28),
    filters: tuple[int, int] = (32, 64),
    name: str = "conv_ae",
) -> tuple[keras.Model, keras.Model]:
    """A convolutional autoencoder with the same code size as :func:`build_dense_autoencoder`.

    Encoder: two stride-2 3x3 convolutions (``filters``), then a linear Dense code. Decoder:
    Dense back to a quarter-size feature map, two stride-2 transposed convolutions, and a
    sigmoid 1-channel output reshaped to ``(height, width)``.

    Args:
        code_size: units in the bottleneck (the code).
        image_shape: ``(height, width)``, both divisible by 4 (two halvings).
        filters: channels of the two convolutions.
        name: the autoencoder's name; the encoder is ``name + "_encoder"``.

    Returns:
        ``(autoencoder, encoder)``, sharing weights; neither is compiled.

    Raises:
        ValueError: ``code_size`` < 1, a shape that is not 2-D or not divisible by 4.
    """
    _check_code_size(code_size)
    height, width = _check_shape(image_shape)
    if height % 4 or width % 4:
        raise ValueError(
            f"image_shape must be divisible by 4 (the encoder halves it twice); got {(height, width)}. "
            "Pad or crop the images, e.g. to (28, 28) or (32, 32)."
        )
    inputs = keras.Input(shape=(height, width), name="image")
    x = keras.layers.Reshape((height, width, 1))(inputs)
    x = keras.layers.Conv2D(filters[0], 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(filters[1], 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Flatten()(x)
    code = keras.layers.Dense(code_size, name="code")(x)
    x = keras.layers.Dense((height // 4) * (width // 4) * filters[1], activation="relu")(code)
    x = keras.layers.Reshape((height // 4, width // 4, filters[1]))(x)
    x = keras.layers.Conv2DTranspose(filters[0], 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid")(x)
    outputs = keras.layers.Reshape((height, width))(x)
    return keras.Model(inputs, outputs, name=name), keras.Model(inputs, code, name=f"{name}_encoder")


def _check_hidden(hidden_units: Sequence[int]) -> tuple[int, ...]:
    units = tuple(int(u) for u in hidden_units)
    if not units or min(units) < 1:
        raise ValueError(f"hidden_units must be one or more layer widths >= 1, got {tuple(hidden_units)}.")
    return units


def _dense_stack(first, flat, code_size: int, n_classes: int, hidden_units: Sequence[int]):
    """Checks the arguments, adds an optional one-hot class input, and the hidden ReLU layers.

    Returns ``(inputs, x)``: the model's input(s) and the last hidden layer's output.
    """
    _check_code_size(code_size)
    units = _check_hidden(hidden_units)
    if n_classes < 0:
        raise ValueError(f"n_classes must be 0 (unconditional) or the number of classes, got {n_classes}.")
    inputs, x = first, flat
    if n_classes:
        label = keras.Input(shape=(n_classes,), name="class")
        inputs, x = [first, label], keras.layers.Concatenate()([flat, label])
    for width in units:
        x = keras.layers.Dense(width, activation="relu")(x)
    return inputs, x


def build_code_encoder(
    code_size: int,
    n_classes: int = 0,
    image_shape: Sequence[int] = (28, 28, 1),
    hidden_units: Sequence[int] = (256, 128),
    name: str = "encoder",
) -> keras.Model:
    """A dense encoder with two heads, an image -> ``(z_mean, z_log_var)``, for (variational) autoencoders.

    The image is flattened and passed through ``hidden_units`` (ReLU); two linear heads give
    a mean and a log-variance per code dimension. A plain autoencoder uses only ``z_mean``;
    a VAE samples its code from both. With ``n_classes > 0`` the model takes
    ``[image, one_hot_class]`` and concatenates the class to the pixels (a conditional VAE).

    Args:
        code_size: code dimensions (the latent size).
        n_classes: 0 for an unconditional encoder, else the one-hot size of the class input.
        image_shape: the input image shape, e.g. ``(28, 28, 1)``.
        hidden_units: widths of the hidden Dense layers, input side first.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` with outputs ``[z_mean, z_log_var]`` (layers ``"z_mean"``
        and ``"z_log_var"``).

    Raises:
        ValueError: ``code_size`` < 1, ``n_classes`` < 0, or empty/non-positive ``hidden_units``.
    """
    image = keras.Input(shape=tuple(image_shape), name="image")
    inputs, x = _dense_stack(image, keras.layers.Flatten()(image), code_size, n_classes, hidden_units)
    z_mean = keras.layers.Dense(code_size, name="z_mean")(x)
    z_log_var = keras.layers.Dense(code_size, name="z_log_var")(x)
    return keras.Model(inputs, [z_mean, z_log_var], name=name)


def build_code_decoder(
    code_size: int,
    n_classes: int = 0,
    image_shape: Sequence[int] = (28, 28, 1),
    hidden_units: Sequence[int] = (128, 256),
    name: str = "decoder",
) -> keras.Model:
    """The mirror of :func:`build_code_encoder`: a code (and a one-hot class) -> an image in [0, 1].

    Args:
        code_size: code dimensions.
        n_classes: 0, or the one-hot size of a class input concatenated to the code.
        image_shape: the output image shape.
        hidden_units: widths of the hidden Dense layers, code side first.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model``: ``code`` (or ``[code, class]``) -> image (sigmoid).

    Raises:
        ValueError: ``code_size`` < 1, ``n_classes`` < 0, or empty/non-positive ``hidden_units``.
    """
    _check_code_size(code_size)  # before the Input is built
    shape = tuple(int(size) for size in image_shape)
    code = keras.Input(shape=(code_size,), name="code")
    inputs, x = _dense_stack(code, code, code_size, n_classes, hidden_units)
    x = keras.layers.Dense(int(np.prod(shape)), activation="sigmoid")(x)
    return keras.Model(inputs, keras.layers.Reshape(shape)(x), name=name)


def reconstruction_errors(images: ArrayLike, reconstructions: ArrayLike) -> np.ndarray:
    """Mean squared error per image between ``images`` and ``reconstructions``.

    Args:
        images: a batch ``(n, ...)``.
        reconstructions: the same shape.

    Returns:
        ``(n,)`` float array: one error per image (the anomaly score of an autoencoder).

    Raises:
        ValueError: empty batch or different shapes.
    """
    original, rebuilt = np.asarray(images, dtype="float64"), np.asarray(reconstructions, dtype="float64")
    if original.ndim < 2 or len(original) == 0:
        raise ValueError(f"images must be a non-empty batch (n, ...); got shape {original.shape}.")
    if original.shape != rebuilt.shape:
        raise ValueError(
            f"images {original.shape} and reconstructions {rebuilt.shape} differ in shape: "
            "reshape the model's output to the input's shape."
        )
    return ((original - rebuilt) ** 2).reshape(len(original), -1).mean(axis=1)


def add_noise(images: ArrayLike, stddev: float, seed: int = 0) -> np.ndarray:
    """Gaussian noise with standard deviation ``stddev``, clipped back to [0, 1] (float32).

    Raises:
        ValueError: a negative ``stddev`` or pixels outside [0, 1] (scale them first).
    """
    array = np.asarray(images, dtype="float32")
    if stddev < 0:
        raise ValueError(f"stddev must be >= 0, got {stddev}.")
    if array.size and (array.min() < 0 or array.max() > 1):
        raise ValueError(
            f"images must be scaled to [0, 1] (got values {array.min():g}..{array.max():g}); "
            "divide by 255 first."
        )
    noise = np.random.default_rng(seed).normal(0.0, stddev, size=array.shape).astype("float32")
    return np.clip(array + noise, 0.0, 1.0)


def clustering_scores(labels_true: ArrayLike, clusters: ArrayLike) -> dict[str, float]:
    """Normalised mutual information and adjusted Rand index of a clustering vs. the true classes.

    Both are 1 for a perfect match and about 0 for random clusters; neither cares which
    cluster number goes with which class.

    Raises:
        ValueError: empty or unequal-length inputs.
    """
    truth, found = np.asarray(labels_true).ravel(), np.asarray(clusters).ravel()
    if len(truth) == 0 or len(truth) != len(found):
        raise ValueError(f"Need one cluster per example: got {len(truth)} labels and {len(found)} clusters.")
    return {
        "NMI": float(metrics.normalized_mutual_info_score(truth, found)),
        "ARI": float(metrics.adjusted_rand_score(truth, found)),
    }


def anomaly_scores(is_anomaly: ArrayLike, scores: ArrayLike) -> dict[str, float]:
    """ROC AUC and average precision (area under the precision-recall curve) of an anomaly score.

    Args:
        is_anomaly: 1 (or True) for the examples to find, 0 for normal ones.
        scores: higher means more anomalous (e.g. a reconstruction error).

    Returns:
        ``{"ROC AUC", "average precision", "anomaly share"}``; the anomaly share is what
        average precision would be for a random score.

    Raises:
        ValueError: unequal lengths, labels other than 0/1 (e.g. probabilities, which a cast
            to int would turn into wrong labels), labels without both classes, or scores
            that are NaN or infinite.
    """
    labels = np.asarray(is_anomaly).ravel()
    if labels.dtype.kind not in "biuf" or not np.isin(labels, (0, 1)).all():
        numeric = labels.dtype.kind in "biuf"
        odd = labels[~np.isin(labels, (0, 1))][0].item() if numeric else labels.tolist()[0]
        raise ValueError(
            f"is_anomaly must hold 0 (normal) and 1 (anomalous) only, found {odd!r}: pass the true "
            "labels, not scores or probabilities (e.g. (labels == anomaly_class).astype(int))."
        )
    truth, score = labels.astype(int), np.asarray(scores, dtype="float64").ravel()
    if not np.isfinite(score).all():
        raise ValueError(
            f"scores hold {int((~np.isfinite(score)).sum())} NaN or infinite value(s): the model that "
            "produced them diverged, or an input had NaN; fix it before ranking anomalies."
        )
    if len(truth) != len(score):
        raise ValueError(f"Need one score per example: got {len(truth)} labels and {len(score)} scores.")
    if set(np.unique(truth)) != {0, 1}:
        raise ValueError("is_anomaly must contain both normal (0) and anomalous (1) examples.")
    return {
        "ROC AUC": float(metrics.roc_auc_score(truth, score)),
        "average precision": float(metrics.average_precision_score(truth, score)),
        "anomaly share": float(truth.mean()),
    }


def train_autoencoder(builder, code_size: int, inputs: ArrayLike, *, targets: ArrayLike | None = None,
                      validation: tuple[ArrayLike, ArrayLike], epochs: int, batch_size: int = 128,
                      loss: str = "mse", seed: int = 42, name: str | None = None):
    """Seed, build (``builder(code_size, name=...)``), compile (Adam, ``loss``) and fit an autoencoder.

    The targets default to the inputs (plain autoencoder); pass clean images as ``targets``
    and noisy ones as ``inputs`` for a denoising autoencoder. The default name is
    ``dens_ae_<code size>`` or ``conv_ae_<code size>`` for the two builders of this module.

    Returns:
        ``(autoencoder, encoder, history)``.

    Raises:
        ValueError: ``epochs`` below 1, or inputs and targets of different shapes.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}.")
    targets = inputs if targets is None else targets
    if np.shape(inputs) != np.shape(targets):
        raise ValueError(f"inputs and targets must have the same shape, got {np.shape(inputs)} and "
                         f"{np.shape(targets)}: an autoencoder's target is its (clean) input image.")
    keras.utils.set_random_seed(seed)
    autoencoder, encoder = builder(code_size, name=name or f"{builder.__name__[6:10]}_ae_{code_size}")
    autoencoder.compile(optimizer="adam", loss=loss)
    history = autoencoder.fit(inputs, targets, validation_data=validation, epochs=epochs,
                              batch_size=batch_size, verbose=0)
    return autoencoder, encoder, history
