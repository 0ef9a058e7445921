"""Can you trust a model? Explanations and their sanity checks, calibration, uncertainty, abstaining.

Explanations of an image classifier (each a few lines with ``tf.GradientTape``; the
model returns one score per class, preferably logits):

- :func:`gradient_saliency` (Simonyan et al. 2014), :func:`smoothgrad` (Smilkov et al.
  2017), :func:`integrated_gradients` with :func:`completeness_gap` (Sundararajan et al.
  2017: attributions sum to ``f(x) - f(baseline)``), :func:`grad_cam` (Selvaraju et al.
  2017) and :func:`occlusion` (Zeiler & Fergus 2014); :func:`heatmap` turns attributions
  into one non-negative map per image.
- Sanity checks that can fail: :func:`rank_correlation` for the model-randomisation test
  (Adebayo et al. 2018), :func:`deletion_curve` and :func:`curve_area` for faithfulness.

Probabilities (Guo et al. 2017): :func:`reliability_bins`, :func:`expected_calibration_error`,
:func:`negative_log_likelihood`, :func:`brier_score`, :func:`softmax` and
:func:`fit_temperature` (temperature scaling, fitted on validation logits).

Uncertainty and out-of-distribution inputs: :func:`mc_dropout_probabilities` (Gal &
Ghahramani 2016), :func:`predictive_entropy`, :func:`predictive_variance`, :func:`ood_auc`
(Hendrycks & Gimpel 2017). Abstaining (Geifman & El-Yaniv 2017): :func:`risk_coverage_curve`,
:func:`threshold_for_risk` (chosen on validation) and :func:`selective_risk`. Tabular models:
:class:`FunctionRegressor` lets ``sklearn.inspection`` explain any prediction function.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from numpy.typing import ArrayLike
from scipy import integrate, optimize, special, stats
from sklearn import metrics
from sklearn.base import BaseEstimator, RegressorMixin

# --------------------------------------------------------------------------- inputs


def _images(images: ArrayLike, name: str = "images") -> tf.Tensor:
    array = np.asarray(images, dtype="float32")
    if array.ndim != 4:
        hint = " (add a channel axis with images[..., None])" if array.ndim == 3 else ""
        raise ValueError(f"{name} must be a batch of shape (n, height, width, channels), got shape "
                         f"{array.shape}{hint}.")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: pass at least one image.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values: check the preprocessing.")
    return tf.convert_to_tensor(array)


def _targets(model, images: tf.Tensor, class_index) -> tf.Tensor:
    """The class to explain for each image: the predicted class unless given."""
    n = int(images.shape[0])
    if class_index is None:
        return tf.argmax(model(images, training=False), axis=-1, output_type=tf.int32)
    targets = np.asarray(class_index)
    if targets.ndim == 0:
        targets = np.full(n, int(targets))
    if targets.shape != (n,):
        raise ValueError(f"class_index must be one class or one class per image ({n}), got shape "
                         f"{targets.shape}.")
    return tf.convert_to_tensor(targets.astype("int32"))


def _score(model, images: tf.Tensor, targets: tf.Tensor, training: bool = False) -> tf.Tensor:
    outputs = model(images, training=training)
    return tf.gather(outputs, targets, axis=1, batch_dims=1)


# --------------------------------------------------------------------------- explanations


def gradient_saliency(model, images: ArrayLike, class_index=None) -> np.ndarray:
    """The gradient of the class score with respect to each input pixel (signed, same shape).

    Args:
        model: a Keras model (or any callable) returning one score per class.
        images: a batch of shape ``(n, height, width, channels)``.
        class_index: the class to explain, one per image or one for all; default the
            predicted class.

    Raises:
        ValueError: ``images`` is not a finite 4-D batch, or ``class_index`` has the wrong length.
    """
    x = _images(images)
    targets = _targets(model, x, class_index)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = _score(model, x, targets)
    return tape.gradient(score, x).numpy()


def smoothgrad(model, images: ArrayLike, class_index=None, samples: int = 25,
               noise_level: float = 0.15, seed: int = 0) -> np.ndarray:
    """Gradients averaged over ``samples`` noisy copies of each image (Smilkov et al. 2017).

    The noise is Gaussian with standard deviation ``noise_level`` times each image's value
    range (the paper suggests 10-20%).

    Raises:
        ValueError: bad images, ``samples < 1`` or a negative ``noise_level``.
    """
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}.")
    if noise_level < 0:
        raise ValueError(f"noise_level must be >= 0 (a share of the value range), got {noise_level}.")
    x = _images(images)
    targets = _targets(model, x, class_index)
    spread = tf.reduce_max(x, axis=(1, 2, 3), keepdims=True) - tf.reduce_min(x, axis=(1, 2, 3), keepdims=True)
    rng = tf.random.Generator.from_seed(seed)
    total = tf.zeros_like(x)
    for _ in range(samples):
        noisy = x + rng.normal(tf.shape(x)) * noise_level * spread
        with tf.GradientTape() as tape:
            tape.watch(noisy)
            score = _score(model, noisy, targets)
        total += tape.gradient(score, noisy)
    return (total / samples).numpy()


def integrated_gradients(model, images: ArrayLike, class_index=None, baseline: ArrayLike | None = None,
                         steps: int = 32) -> np.ndarray:
    """Integrated gradients (Sundararajan et al. 2017): ``(x - baseline)`` times the average
    gradient along the straight path from the baseline to ``x`` (trapezoidal rule).

    Args:
        baseline: an input meaning "nothing", default all zeros (a black image); one image
            or one per image.
        steps: intervals of the path; more steps, smaller :func:`completeness_gap`.

    Raises:
        ValueError: bad images, a baseline of another shape, or ``steps < 1``.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}.")
    x = _images(images)
    base = _baseline(x, baseline)
    targets = _targets(model, x, class_index)
    gradients = []
    for alpha in np.linspace(0.0, 1.0, steps + 1, dtype="float32"):
        point = base + alpha * (x - base)
        with tf.GradientTape() as tape:
            tape.watch(point)
            score = _score(model, point, targets)
        gradients.append(tape.gradient(score, point))
    stacked = tf.stack(gradients)
    average = tf.reduce_mean((stacked[:-1] + stacked[1:]) / 2.0, axis=0)
    return ((x - base) * average).numpy()


def _baseline(x: tf.Tensor, baseline: ArrayLike | None) -> tf.Tensor:
    if baseline is None:
        return tf.zeros_like(x)
    base = np.asarray(baseline, dtype="float32")
    if base.shape == tuple(x.shape[1:]):
        base = np.broadcast_to(base, x.shape)
    if base.shape != tuple(x.shape):
        raise ValueError(f"baseline must have the shape of one image {tuple(x.shape[1:])} or of the batch "
                         f"{tuple(x.shape)}, got {base.shape}.")
    return tf.convert_to_tensor(base)


def completeness_gap(model, images: ArrayLike, attributions: ArrayLike, class_index=None,
                     baseline: ArrayLike | None = None) -> np.ndarray:
    """``sum(attributions) - (f(x) - f(baseline))`` per image: zero for exact integrated gradients.

    Raises:
        ValueError: ``attributions`` does not have the shape of ``images``.
    """
    x = _images(images)
    attributions = np.asarray(attributions, dtype="float64")
    if attributions.shape != tuple(x.shape):
        raise ValueError(f"attributions must have the shape of images {tuple(x.shape)}, got "
                         f"{attributions.shape}.")
    targets = _targets(model, x, class_index)
    difference = _score(model, x, targets) - _score(model, _baseline(x, baseline), targets)
    return attributions.reshape(len(attributions), -1).sum(axis=1) - difference.numpy().astype("float64")


def grad_cam(model, images: ArrayLike, layer_name: str, class_index=None) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017): a convolutional layer's feature maps weighted by the
    average gradient of the class score, ReLU, resized to the image: shape ``(n, height, width)``.

    Args:
        model: a functional or Sequential Keras model with a defined input.
        layer_name: the convolutional layer to look at (usually the last one).

    Raises:
        ValueError: no layer of that name, or a layer whose output is not 4-D.
    """
    x = _images(images)
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(f"layer_name {layer_name!r} is not a layer of {model.name}; its layers: {names}.")
    layer = model.get_layer(layer_name)
    if len(layer.output.shape) != 4:
        raise ValueError(f"layer_name {layer_name!r} outputs shape {layer.output.shape}; Grad-CAM needs a "
                         "convolutional layer with (batch, height, width, channels) output.")
    two_outputs = keras.Model(model.inputs, [layer.output, model.outputs[0]])
    targets = _targets(model, x, class_index)
    with tf.GradientTape() as tape:
        features, outputs = two_outputs(x, training=False)
        score = tf.gather(outputs, targets, axis=1, batch_dims=1)
    weights = tf.reduce_mean(tape.gradient(score, features), axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1))[..., None]
    return tf.image.resize(cam, x.shape[1:3], method="bilinear")[..., 0].numpy()


def occlusion(model, images: ArrayLike, class_index=None, patch: int = 4, stride: int | None = None,
              fill: float = 0.0) -> np.ndarray:
    """How much the class score drops when a ``patch`` x ``patch`` square is set to ``fill``;
    each pixel gets the average drop of the patches covering it: shape ``(n, height, width)``.

    Raises:
        ValueError: bad images, or a patch or stride below 1 or larger than the image.
    """
    x = _images(images)
    stride = patch if stride is None else stride
    height, width = int(x.shape[1]), int(x.shape[2])
    if not 1 <= patch <= min(height, width) or stride < 1:
        raise ValueError(f"patch must lie in 1..{min(height, width)} and stride be >= 1, got patch={patch}, "
                         f"stride={stride}.")
    targets = _targets(model, x, class_index)
    base = _score(model, x, targets).numpy()
    drops = np.zeros((x.shape[0], height, width))
    counts = np.zeros((height, width))
    rows = list(range(0, height - patch + 1, stride))
    cols = list(range(0, width - patch + 1, stride))
    original = x.numpy()
    for top in rows:
        for left in cols:
            covered = original.copy()
            covered[:, top:top + patch, left:left + patch, :] = fill
            drop = base - _score(model, tf.convert_to_tensor(covered), targets).numpy()
            drops[:, top:top + patch, left:left + patch] += drop[:, None, None]
            counts[top:top + patch, left:left + patch] += 1
    return drops / np.maximum(counts, 1)


def heatmap(attributions: ArrayLike) -> np.ndarray:
    """One non-negative map per image: ``|attribution|`` summed over channels for 4-D input;
    3-D maps (Grad-CAM, occlusion) are returned as their absolute value.

    Raises:
        ValueError: input that is neither ``(n, h, w)`` nor ``(n, h, w, c)``.
    """
    array = np.asarray(attributions, dtype="float64")
    if array.ndim == 4:
        return np.abs(array).sum(axis=-1)
    if array.ndim == 3:
        return np.abs(array)
    raise ValueError(f"attributions must be (n, height, width) or (n, height, width, channels), got "
                     f"shape {array.shape}.")


# --------------------------------------------------------------------------- sanity checks


def rank_correlation(maps_a: ArrayLike, maps_b: ArrayLike) -> np.ndarray:
    """Spearman rank correlation (``scipy.stats.spearmanr``) between two maps of each image.

    The model-randomisation test (Adebayo et al. 2018) compares the maps of the trained
    model with those of the same architecture re-initialised: a correlation near 1 means
    the method shows the architecture or the image, not what the model learned. A map that
    is constant (e.g. an all-zero Grad-CAM) has no ranking: its correlation is NaN.

    Raises:
        ValueError: the two sets of maps differ in shape.
    """
    a = heatmap(maps_a).reshape(len(np.asarray(maps_a)), -1)
    b = heatmap(maps_b).reshape(len(np.asarray(maps_b)), -1)
    if a.shape != b.shape:
        raise ValueError(f"maps_a and maps_b must be the same images' maps, got shapes {a.shape} and "
                         f"{b.shape}.")
    out = np.full(len(a), np.nan)
    for i, (row_a, row_b) in enumerate(zip(a, b, strict=True)):
        if np.ptp(row_a) > 0 and np.ptp(row_b) > 0:
            out[i] = stats.spearmanr(row_a, row_b).statistic
    return out


def deletion_curve(model, images: ArrayLike, maps: ArrayLike | None = None, class_index=None,
                   steps: int = 20, fill: float = 0.0, seed: int = 0,
                   from_logits: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The probability of the explained class as pixels are deleted, most important first.

    With ``maps=None`` the pixels go in a random order (seeded): the reference curve. A
    faithful explanation makes the probability fall faster than random order does; the
    area under the curve (:func:`curve_area`) measures it, lower is better.

    Returns:
        ``(fractions, probabilities)``: the deleted share of pixels ``(steps + 1,)``, and
        the probability of the explained class for each image at each step ``(n, steps + 1)``.

    Raises:
        ValueError: bad images, maps that do not match the images, or ``steps < 1``.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}.")
    x = _images(images)
    n, height, width = (int(d) for d in x.shape[:3])
    targets = _targets(model, x, class_index)
    if maps is None:
        ranking = np.random.default_rng(seed).random((n, height * width))
    else:
        ranking = heatmap(maps)
        if ranking.shape != (n, height, width):
            raise ValueError(f"maps must hold one (height, width) map per image, shape {(n, height, width)}, "
                             f"got {ranking.shape}.")
        ranking = ranking.reshape(n, -1)
    order = np.argsort(-ranking, axis=1, kind="stable")
    fractions = np.linspace(0.0, 1.0, steps + 1)
    original = x.numpy().reshape(n, height * width, -1)
    probabilities = np.zeros((n, steps + 1))
    for k, fraction in enumerate(fractions):
        deleted = original.copy()
        count = int(round(fraction * height * width))
        np.put_along_axis(deleted, order[:, :count, None], fill, axis=1)
        outputs = model(tf.convert_to_tensor(deleted.reshape(x.shape)), training=False)
        probs = tf.nn.softmax(outputs, axis=-1) if from_logits else outputs
        probabilities[:, k] = tf.gather(probs, targets, axis=1, batch_dims=1).numpy()
    return fractions, probabilities


def curve_area(x: ArrayLike, y: ArrayLike) -> float:
    """The area under a curve by the trapezoidal rule (``scipy.integrate.trapezoid``).

    ``y`` may hold one curve or one per row (their mean is integrated).

    Raises:
        ValueError: ``x`` is not increasing, or ``y`` does not have one value per ``x``.
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if y.ndim == 2:
        y = y.mean(axis=0)
    if x.ndim != 1 or len(x) < 2 or np.any(np.diff(x) <= 0):
        raise ValueError("x must be a strictly increasing 1-D array of at least two points.")
    if y.shape != x.shape:
        raise ValueError(f"y must hold one value per x ({len(x)}), got shape {y.shape}.")
    return float(integrate.trapezoid(y, x))


# --------------------------------------------------------------------------- calibration


def _labels(labels: ArrayLike, n: int, classes: int) -> np.ndarray:
    array = np.asarray(labels)
    if array.ndim != 1 or len(array) != n:
        raise ValueError(f"labels must be 1-D with one label per row of probabilities ({n}), got shape "
                         f"{array.shape}.")
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError("labels must be integer class indices, not probabilities or one-hot rows.")
    if len(array) and (array.min() < 0 or array.max() >= classes):
        raise ValueError(f"labels must lie in 0..{classes - 1}, got values from {array.min()} to "
                         f"{array.max()}.")
    return array


def _probabilities(probabilities: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    probs = np.asarray(probabilities, dtype="float64")
    if probs.ndim != 2 or probs.shape[0] == 0 or probs.shape[1] < 2:
        raise ValueError(f"probabilities must be (examples, classes) with at least two classes, got shape "
                         f"{probs.shape}.")
    if not np.isfinite(probs).all() or probs.min() < 0 or probs.max() > 1 or \
            not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("probabilities must lie in [0, 1] and sum to 1 per row: pass softmax outputs "
                         "(helpers.trust.softmax(logits)), not logits.")
    probs = probs / probs.sum(axis=1, keepdims=True)  # float32 rounding: sklearn wants sums of exactly 1
    return probs, _labels(labels, len(probs), probs.shape[1])


def reliability_bins(probabilities: ArrayLike, labels: ArrayLike, bins: int = 15) -> pd.DataFrame:
    """The reliability diagram's table: equal-width confidence bins ``(lower, upper]`` with
    their count, mean confidence (top probability) and accuracy (NaN for empty bins).

    Raises:
        ValueError: probabilities that are not rows summing to 1, bad labels, or ``bins < 1``.
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}.")
    probs, labels = _probabilities(probabilities, labels)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    index = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    frame = pd.DataFrame({"bin": index, "confidence": confidence, "accuracy": correct.astype(float)})
    grouped = frame.groupby("bin").agg(count=("bin", "size"), confidence=("confidence", "mean"),
                                       accuracy=("accuracy", "mean"))
    grouped = grouped.reindex(range(bins))
    grouped["count"] = grouped["count"].fillna(0).astype(int)
    edges = np.linspace(0.0, 1.0, bins + 1)
    grouped.insert(0, "upper", edges[1:])
    grouped.insert(0, "lower", edges[:-1])
    return grouped.reset_index(drop=True)


def expected_calibration_error(probabilities: ArrayLike, labels: ArrayLike, bins: int = 15) -> float:
    """ECE (Guo et al. 2017): ``sum over bins of (count / n) * |accuracy - confidence|``.

    Raises:
        ValueError: as :func:`reliability_bins`.
    """
    table = reliability_bins(probabilities, labels, bins)
    filled = table[table["count"] > 0]
    weights = filled["count"] / filled["count"].sum()
    return float((weights * (filled["accuracy"] - filled["confidence"]).abs()).sum())


def negative_log_likelihood(probabilities: ArrayLike, labels: ArrayLike) -> float:
    """Mean negative log-probability of the true class (``sklearn.metrics.log_loss``).

    Raises:
        ValueError: as :func:`reliability_bins`.
    """
    probs, labels = _probabilities(probabilities, labels)
    return float(metrics.log_loss(labels, probs, labels=np.arange(probs.shape[1])))


def brier_score(probabilities: ArrayLike, labels: ArrayLike) -> float:
    """Mean squared distance between the probabilities and the one-hot truth, summed over
    classes (0 is perfect, 2 the worst; what ``sklearn.metrics.brier_score_loss`` gives for
    several classes from scikit-learn 1.7 on).

    Raises:
        ValueError: as :func:`reliability_bins`.
    """
    probs, labels = _probabilities(probabilities, labels)
    # By hand: scikit-learn's brier_score_loss takes several classes only from 1.7 on (and then
    # gives the same number); Colab's 1.6 accepts binary labels only.
    one_hot = np.eye(probs.shape[1])[labels]
    return float(np.mean(np.sum((probs - one_hot) ** 2, axis=1)))


def _logits(logits: ArrayLike, labels: ArrayLike | None = None) -> np.ndarray:
    array = np.asarray(logits, dtype="float64")
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] < 2:
        raise ValueError(f"logits must be (examples, classes) with at least two classes, got shape "
                         f"{array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError("logits hold NaN or infinite values: the model diverged or the inputs are broken.")
    if labels is not None:
        _labels(labels, len(array), array.shape[1])
    return array


def softmax(logits: ArrayLike, temperature: float = 1.0) -> np.ndarray:
    """``softmax(logits / temperature)`` per row (``scipy.special.softmax``).

    Raises:
        ValueError: logits that are not a finite 2-D array, or a temperature <= 0.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}.")
    return special.softmax(_logits(logits) / temperature, axis=1)


def fit_temperature(logits: ArrayLike, labels: ArrayLike,
                    bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature ``T`` that minimises the negative log-likelihood of ``softmax(logits / T)``.

    Temperature scaling (Guo et al. 2017) changes how confident a model is, never which
    class it predicts. Fit it on **validation** logits, then apply it to test logits.

    Raises:
        ValueError: bad logits or labels, or bounds that are not ``0 < low < high``.
    """
    low, high = bounds
    if not 0 < low < high:
        raise ValueError(f"bounds must satisfy 0 < low < high, got {bounds}.")
    z = _logits(logits, labels)
    labels = np.asarray(labels)

    def nll(log_t: float) -> float:
        log_probs = special.log_softmax(z / math.exp(log_t), axis=1)
        return -float(log_probs[np.arange(len(z)), labels].mean())

    found = optimize.minimize_scalar(nll, bounds=(math.log(low), math.log(high)), method="bounded",
                                     options={"xatol": 1e-6})
    return float(math.exp(found.x))


# --------------------------------------------------------------------------- uncertainty


def mc_dropout_probabilities(model, images: ArrayLike, samples: int = 20, batch_size: int = 1000,
                             from_logits: bool = True) -> np.ndarray:
    """Monte Carlo dropout (Gal & Ghahramani 2016): ``samples`` predictions with dropout left
    on (``training=True``), as probabilities of shape ``(samples, n, classes)``.

    Only use it on models without batch normalisation (``training=True`` would switch that
    to batch statistics too).

    Raises:
        ValueError: the model has no Dropout layer, or ``samples < 1``.
    """
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}.")
    if not any(isinstance(layer, keras.layers.Dropout) for layer in model._flatten_layers()):
        raise ValueError(f"{model.name} has no Dropout layer, so every MC-dropout sample would be the "
                         "same: add keras.layers.Dropout to the model.")
    if any(isinstance(layer, keras.layers.BatchNormalization) for layer in model._flatten_layers()):
        raise ValueError(f"{model.name} has BatchNormalization, which training=True changes too: use a "
                         "model without it for MC dropout.")
    x = np.asarray(images, dtype="float32")
    out = []
    for _ in range(samples):
        batches = [model(x[i:i + batch_size], training=True) for i in range(0, len(x), batch_size)]
        outputs = tf.concat(batches, axis=0)
        out.append((tf.nn.softmax(outputs, axis=-1) if from_logits else outputs).numpy())
    return np.stack(out)


def _member_probabilities(probabilities: ArrayLike) -> np.ndarray:
    probs = np.asarray(probabilities, dtype="float64")
    if probs.ndim != 3 or 0 in probs.shape:
        raise ValueError(f"probabilities must be (members or samples, examples, classes), got shape "
                         f"{probs.shape}.")
    return probs


def predictive_entropy(probabilities: ArrayLike) -> np.ndarray:
    """Entropy (nats) of each row of ``(n, classes)`` probabilities; for a stack
    ``(members, n, classes)``, the entropy of the members' mean (the ensemble's prediction).

    Raises:
        ValueError: not a 2-D or 3-D array of probabilities.
    """
    probs = np.asarray(probabilities, dtype="float64")
    if probs.ndim == 3:
        probs = _member_probabilities(probs).mean(axis=0)
    if probs.ndim != 2 or probs.min() < 0:
        raise ValueError(f"probabilities must be (n, classes) or (members, n, classes), got shape "
                         f"{probs.shape}.")
    return stats.entropy(probs, axis=1)


def predictive_variance(probabilities: ArrayLike) -> np.ndarray:
    """How much the members (or MC-dropout samples) disagree: the variance of each class
    probability across the first axis, summed over classes, shape ``(n,)``.

    Raises:
        ValueError: not a 3-D stack ``(members, n, classes)``.
    """
    return _member_probabilities(probabilities).var(axis=0).sum(axis=1)


def ood_auc(in_distribution_scores: ArrayLike, out_of_distribution_scores: ArrayLike) -> float:
    """ROC AUC (``sklearn.metrics.roc_auc_score``) of a score meant to be higher on
    out-of-distribution inputs: 0.5 is chance, 1 a perfect separation.

    Raises:
        ValueError: an empty or non-finite set of scores.
    """
    inside = np.asarray(in_distribution_scores, dtype="float64").ravel()
    outside = np.asarray(out_of_distribution_scores, dtype="float64").ravel()
    for name, values in (("in_distribution_scores", inside), ("out_of_distribution_scores", outside)):
        if values.size == 0 or not np.isfinite(values).all():
            raise ValueError(f"{name} must be a non-empty array of finite scores.")
    truth = np.concatenate([np.zeros(len(inside)), np.ones(len(outside))])
    return float(metrics.roc_auc_score(truth, np.concatenate([inside, outside])))


# --------------------------------------------------------------------------- abstaining


def _selective(confidence: ArrayLike, correct: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    conf = np.asarray(confidence, dtype="float64").ravel()
    right = np.asarray(correct).ravel()
    if conf.size == 0 or conf.shape != right.shape:
        raise ValueError(f"confidence and correct must be non-empty with one value per example, got "
                         f"{conf.size} and {right.size} values.")
    if not np.isfinite(conf).all():
        raise ValueError("confidence holds NaN or infinite values.")
    if right.dtype != bool:
        if not np.isin(right, (0, 1)).all():
            raise ValueError("correct must be booleans (prediction == label), not labels or scores.")
        right = right.astype(bool)
    return conf, right


def risk_coverage_curve(confidence: ArrayLike, correct: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Accept the most confident inputs first: for each number accepted, the share of all
    inputs accepted (coverage) and the error rate among them (risk).

    Raises:
        ValueError: lengths differ, empty input, or ``correct`` that is not boolean.
    """
    conf, right = _selective(confidence, correct)
    order = np.argsort(-conf, kind="stable")
    accepted = np.arange(1, len(conf) + 1)
    errors = np.cumsum(~right[order])
    return accepted / len(conf), errors / accepted


def threshold_for_risk(confidence: ArrayLike, correct: ArrayLike, target_risk: float) -> float:
    """The lowest confidence threshold whose accepted inputs (``confidence >= threshold``)
    have an error rate at most ``target_risk``: the most coverage the target allows.

    Choose it on validation data and check it once on test data (:func:`selective_risk`).
    Returns ``inf`` (accept nothing) when no threshold meets the target.

    Raises:
        ValueError: bad inputs, or ``target_risk`` outside [0, 1).
    """
    if not 0 <= target_risk < 1:
        raise ValueError(f"target_risk must lie in [0, 1), e.g. 0.01 for 1% errors, got {target_risk}.")
    conf, right = _selective(confidence, correct)
    order = np.argsort(-conf, kind="stable")
    sorted_conf = conf[order]
    risk = np.cumsum(~right[order]) / np.arange(1, len(conf) + 1)
    group_ends = np.r_[sorted_conf[1:] != sorted_conf[:-1], True]  # the last of each tied value
    ok = np.flatnonzero(group_ends & (risk <= target_risk))
    return float(sorted_conf[ok[-1]]) if ok.size else math.inf


def selective_risk(confidence: ArrayLike, correct: ArrayLike, threshold: float) -> tuple[float, float]:
    """``(coverage, risk)`` when inputs with ``confidence >= threshold`` are accepted; the
    risk is NaN when nothing is accepted.

    Raises:
        ValueError: bad inputs or a NaN threshold.
    """
    if math.isnan(threshold):
        raise ValueError("threshold is NaN: pass the value threshold_for_risk returned.")
    conf, right = _selective(confidence, correct)
    accepted = conf >= threshold
    coverage = float(accepted.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        risk = float((~right[accepted]).mean()) if accepted.any() else math.nan
    return coverage, risk


# --------------------------------------------------------------------------- tabular


class FunctionRegressor(RegressorMixin, BaseEstimator):
    """Wrap any prediction function (e.g. preprocessing + a Keras model) as a fitted sklearn
    regressor, so that ``sklearn.inspection.permutation_importance`` and
    ``partial_dependence`` can explain it. ``fit`` does nothing: train the model first.

    Example: ``FunctionRegressor(lambda frame: model.predict(prep.transform(frame)).ravel())``.
    """

    def __init__(self, predict_fn: Callable[[object], ArrayLike] | None = None):
        self.predict_fn = predict_fn

    def fit(self, X, y=None):  # noqa: N803 (sklearn's argument names)
        """Nothing to learn: the wrapped function is already trained."""
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return callable(self.predict_fn)

    def predict(self, X) -> np.ndarray:  # noqa: N803
        """The wrapped function's predictions as a flat float array.

        Raises:
            TypeError: no prediction function was given.
        """
        if not callable(self.predict_fn):
            raise TypeError("FunctionRegressor needs predict_fn, a function from inputs to predictions.")
        return np.asarray(self.predict_fn(X), dtype="float64").ravel()


# --------------------------------------------------------------------------- notebook 18's models


def small_cnn(seed: int, classes: int = 10) -> keras.Model:
    """Notebook 18's small CNN for 28x28x1 images, compiled with Adam; outputs logits.

    A strided convolution, a second convolution named ``last_conv`` (for :func:`grad_cam`),
    max pooling and a dense layer, with dropout before both dense layers (for
    :func:`mc_dropout_probabilities`). ``seed`` sets the initial weights.
    """
    if int(seed) != seed:
        raise ValueError(f"seed must be a whole number, got {seed!r}.")
    keras.utils.set_random_seed(int(seed))
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="last_conv"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(classes, name="logits"),
    ], name="cnn")
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def explanations(model, images: ArrayLike, class_index, smoothgrad_samples: int = 20, ig_steps: int = 32,
                 layer_name: str = "last_conv", patch: int = 4) -> dict[str, np.ndarray]:
    """The five explanations of notebook 18, one non-negative ``(n, height, width)`` map per method:
    gradient, SmoothGrad, integrated gradients (black baseline), Grad-CAM on ``layer_name`` and
    occlusion with ``patch`` x ``patch`` squares (negative drops clipped to 0).
    """
    return {
        "gradient": heatmap(gradient_saliency(model, images, class_index)),
        "SmoothGrad": heatmap(smoothgrad(model, images, class_index, samples=smoothgrad_samples)),
        "integrated gradients": heatmap(integrated_gradients(model, images, class_index, steps=ig_steps)),
        "Grad-CAM": grad_cam(model, images, layer_name, class_index),
        "occlusion": np.clip(occlusion(model, images, class_index, patch=patch), 0, None),
    }


def insurance_split(frame: pd.DataFrame, seed: int = 42):
    """Notebook 01's split of the insurance table, then a validation set carved from its training part.

    Returns ``(X_train, X_val, y_train, y_val)`` (features as a DataFrame, charges as
    float32); the 20% test part of notebook 01 is left out untouched.
    """
    from sklearn.model_selection import train_test_split

    if "charges" not in frame.columns:
        raise ValueError(f"frame needs a 'charges' column (the insurance CSV), got {list(frame.columns)}.")
    features, charges = frame.drop(columns="charges"), frame["charges"].to_numpy("float32")
    X_rest, _, y_rest, _ = train_test_split(features, charges, test_size=0.2, random_state=seed)  # noqa: N806
    return train_test_split(X_rest, y_rest, test_size=0.2, random_state=seed)


def insurance_network(n_features: int, seed: int = 42) -> keras.Model:
    """Notebook 01's insurance network (100 and 10 ReLU units, one output), compiled: MAE, Adam(0.01)."""
    if int(n_features) != n_features or n_features < 1:
        raise ValueError(f"n_features must be a positive whole number, got {n_features!r}.")
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(int(n_features),)),
                              keras.layers.Dense(100, activation="relu"),
                              keras.layers.Dense(10, activation="relu"), keras.layers.Dense(1)],
                             name="insurance_net")
    model.compile(loss="mae", optimizer=keras.optimizers.Adam(learning_rate=0.01))
    return model
