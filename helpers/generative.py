"""Generative models: image grids, latent walks, and scores for generated images.

The scores follow the idea of FID (Heusel et al., 2017) with a course classifier in place
of Inception: :func:`classifier_features` reads a trained classifier's penultimate layer,
:func:`frechet_distance` compares two sets of such features as Gaussians, and
:func:`class_coverage` summarises what the classifier thinks the samples are.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import scipy.linalg
import scipy.stats
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import keras


def _images(images: ArrayLike, name: str = "images") -> np.ndarray:
    array = np.asarray(images)
    if array.size == 0 or (array.ndim >= 1 and array.shape[0] == 0):
        raise ValueError(f"{name} is empty: there is nothing to show or score.")
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[-1] != 3):
        raise ValueError(
            f"{name} must be a batch of images shaped (n, height, width), (n, height, width, 1) "
            f"or (n, height, width, 3); got shape {array.shape}."
        )
    return array


def plot_image_grid(
    images: ArrayLike,
    n_cols: int = 10,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
    cell_size: float = 1.0,
) -> Figure:
    """Show a batch of images in a grid, ``n_cols`` per row, without axes.

    Args:
        images: ``(n, h, w)``, ``(n, h, w, 1)`` or ``(n, h, w, 3)``; greyscale is drawn with
            the ``gray`` colour map on a 0-1 scale when values lie in [0, 1].
        n_cols: images per row.
        titles: one short title per image, or ``None``.
        suptitle: a title for the whole figure.
        cell_size: inches per image.

    Raises:
        ValueError: empty batch, wrong shape, ``n_cols < 1`` or a title count that differs
            from the image count.
    """
    array = _images(images)
    if n_cols < 1:
        raise ValueError(f"n_cols must be at least 1, got {n_cols}.")
    if titles is not None and len(titles) != len(array):
        raise ValueError(f"Got {len(titles)} titles for {len(array)} images: pass one per image.")
    n_cols = min(n_cols, len(array))
    n_rows = -(-len(array) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(cell_size * n_cols, cell_size * n_rows),
                             squeeze=False)
    unit_range = float(array.min()) >= 0.0 and float(array.max()) <= 1.0
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= len(array):
            continue
        kwargs = {"cmap": "gray"} if array.ndim == 3 else {}
        if unit_range and array.ndim == 3:
            kwargs |= {"vmin": 0.0, "vmax": 1.0}
        ax.imshow(array[index], **kwargs)
        if titles is not None:
            ax.set_title(titles[index], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def latent_grid(n: int, quantiles: tuple[float, float] = (0.05, 0.95)) -> np.ndarray:
    """An ``n`` x ``n`` grid of 2-D codes, evenly spaced in probability under N(0, 1).

    The codes are ``scipy.stats.norm.ppf`` of evenly spaced quantiles, so the grid covers
    the prior where it has mass (the layout of Kingma and Welling's figures). Row ``i``,
    column ``j`` of the grid is code ``i * n + j``; the first coordinate grows to the
    right, the second grows upwards (the first row is the top of the picture).

    Returns:
        Array of shape ``(n * n, 2)``, float32.

    Raises:
        ValueError: ``n < 2`` or quantiles outside (0, 1) or not increasing.
    """
    if n < 2:
        raise ValueError(f"A latent grid needs n >= 2 points per side, got {n}.")
    low, high = quantiles
    if not 0.0 < low < high < 1.0:
        raise ValueError(f"quantiles must satisfy 0 < low < high < 1, got {quantiles}.")
    axis = scipy.stats.norm.ppf(np.linspace(low, high, n))
    first, second = np.meshgrid(axis, axis[::-1])
    return np.stack([first.ravel(), second.ravel()], axis=1).astype("float32")


def latent_walk(
    decode: Callable[[np.ndarray], ArrayLike], n: int = 15, quantiles: tuple[float, float] = (0.05, 0.95)
) -> np.ndarray:
    """Decode every code of :func:`latent_grid` with ``decode``; one image per grid point.

    Args:
        decode: maps codes of shape ``(k, 2)`` to ``k`` images (e.g. a 2-D VAE's decoder's
            ``predict``).
        n: grid points per side.
        quantiles: the range of the prior each axis covers.

    Returns:
        The images, ``(n * n, h, w)`` or ``(n * n, h, w, c)``, in the grid's order; show
        them with ``plot_image_grid(images, n_cols=n)``.

    Raises:
        ValueError: bad grid arguments, or ``decode`` returns a different number of images.
    """
    codes = latent_grid(n, quantiles)
    images = np.asarray(decode(codes))
    if images.ndim == 0 or len(images) != len(codes):
        raise ValueError(
            f"decode returned {images.shape} for {len(codes)} codes: it must return one image per code."
        )
    return images


def interpolate(start: ArrayLike, end: ArrayLike, steps: int = 10) -> np.ndarray:
    """Codes on the straight line from ``start`` to ``end``, both ends included.

    Returns:
        Array of shape ``(steps, code_size)``, float32.

    Raises:
        ValueError: ``steps < 2`` or the two codes differ in shape.
    """
    start, end = np.ravel(start).astype("float32"), np.ravel(end).astype("float32")
    if start.shape != end.shape or start.size == 0:
        raise ValueError(
            f"start and end must be codes of the same non-zero size, got {start.size} and {end.size}."
        )
    if steps < 2:
        raise ValueError(f"An interpolation needs at least 2 steps (both ends), got {steps}.")
    weights = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
    return (1.0 - weights) * start + weights * end


def _features(features: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(features, dtype="float64")
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (examples x features), got shape {array.shape}.")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: a Fréchet distance needs a sample of examples.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values; check the images and the feature model.")
    return array


def frechet_distance(features_a: ArrayLike, features_b: ArrayLike, offset: float = 1e-6) -> float:
    """The Fréchet distance between Gaussians fitted to two sets of feature vectors.

    ``||mu_a - mu_b||^2 + trace(C_a + C_b - 2 (C_a C_b)^(1/2))``, the formula of FID, with
    the matrix square root from ``scipy.linalg.sqrtm``. Numerical noise can make the square
    root slightly complex: its real part is used. When the covariances are singular (for
    example a feature that never varies, such as a ReLU unit that is always 0), the square
    root is inaccurate; then ``offset`` is added to both diagonals, with a warning.

    Args:
        features_a, features_b: ``(n_a, d)`` and ``(n_b, d)`` arrays, the same ``d``, each with
            more examples than features.
        offset: what is added to the covariance diagonals when the square root is inaccurate.

    Returns:
        The distance, a float >= 0 (0 for identical samples).

    Raises:
        ValueError: not 2-D, empty, non-finite, different feature sizes, or too few examples
            for a covariance of full rank (n <= d).
    """
    a, b = _features(features_a, "features_a"), _features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"features_a has {a.shape[1]} features per example but features_b has {b.shape[1]}: "
            "compute both with the same feature extractor."
        )
    for name, array in (("features_a", a), ("features_b", b)):
        if array.shape[0] <= array.shape[1]:
            raise ValueError(
                f"{name} has {array.shape[0]} examples for {array.shape[1]} features: its covariance is "
                "singular. Use more examples than features (or fewer features)."
            )
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)

    def root(matrix: np.ndarray) -> tuple[np.ndarray, float]:
        with warnings.catch_warnings(record=True) as caught:  # scipy warns when it is singular
            warnings.simplefilter("always")
            product = np.asarray(scipy.linalg.sqrtm(matrix))
        if not np.isfinite(product).all() or any(
                issubclass(w.category, scipy.linalg.LinAlgWarning) for w in caught):
            return product, np.inf
        scale = max(np.linalg.norm(matrix), np.finfo("float64").tiny)
        return product, float(np.linalg.norm(product @ product - matrix) / scale)

    covmean, error = root(cov_a @ cov_b)
    if error > 1e-5:
        warnings.warn(
            f"The covariance product is singular or ill-conditioned (square-root error {error:.2g}); "
            f"adding {offset:g} to the covariance diagonals.",
            RuntimeWarning,
            stacklevel=2,
        )
        eye = np.eye(len(cov_a))
        covmean, _ = root((cov_a + offset * eye) @ (cov_b + offset * eye))
    covmean = np.real(covmean)
    distance = float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b)
                     - 2.0 * np.trace(covmean))
    return max(distance, 0.0)


def classifier_features(
    classifier: keras.Model, images: ArrayLike, layer: int | str = -2, batch_size: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """A trained classifier's features (one layer's output) and class probabilities.

    Args:
        classifier: a built functional or Sequential model whose last output is a softmax.
        images: a batch in the classifier's input shape.
        layer: the feature layer, by index into ``classifier.layers`` or by name; the
            default ``-2`` is the penultimate layer.
        batch_size: images per forward pass.

    Returns:
        ``(features, probabilities)``: ``(n, d)`` with the layer's output flattened, and
        ``(n, n_classes)``.

    Raises:
        ValueError: empty images, a model without defined inputs, or an unknown layer.
    """
    import keras

    array = np.asarray(images, dtype="float32")
    if array.ndim == 0 or len(array) == 0:
        raise ValueError("images is empty: there is nothing to compute features of.")
    try:
        inputs = classifier.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            "The classifier has no defined inputs: build it with keras.Input (Sequential or "
            "functional) before reading its features."
        )
    try:
        chosen = classifier.get_layer(name=layer) if isinstance(layer, str) else classifier.layers[layer]
    except (ValueError, IndexError):
        names = [lay.name for lay in classifier.layers]
        raise ValueError(f"No layer {layer!r} in the classifier; its layers are {names}.") from None
    reader = keras.Model(inputs, [chosen.output, classifier.outputs[-1]])
    features, probabilities = reader.predict(array, batch_size=batch_size, verbose=0)
    return np.asarray(features).reshape(len(array), -1), np.asarray(probabilities)


def class_coverage(probabilities: ArrayLike, min_share: float | None = None) -> dict[str, float]:
    """What a classifier thinks a set of generated samples are, in three numbers.

    - ``confidence``: the mean top-class probability (high: the samples look like *some*
      class; noise usually scores low);
    - ``coverage``: the share of classes that are the top class for at least ``min_share``
      of the samples (default: half a fair share, ``0.5 / n_classes``); 1.0 means every
      class is generated, a collapsed generator covers few;
    - ``balance``: the entropy of the predicted-class histogram divided by its maximum,
      ``log(n_classes)`` (1.0: all classes equally often, 0.0: one class only).

    Raises:
        ValueError: empty or non-2-D input, fewer than 2 classes, rows that are not
            probabilities (negative or not summing to 1), or ``min_share`` outside (0, 1].
    """
    probs = np.asarray(probabilities, dtype="float64")
    if probs.ndim != 2 or probs.shape[0] == 0:
        raise ValueError(
            f"probabilities must be a non-empty (samples x classes) array, got shape {probs.shape}."
        )
    n_classes = probs.shape[1]
    if n_classes < 2:
        raise ValueError(f"Coverage needs at least 2 classes, got {n_classes}.")
    if (probs < 0).any() or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError(
            "Each row must be class probabilities summing to 1: pass the softmax output, not logits."
        )
    share = 0.5 / n_classes if min_share is None else min_share
    if not 0.0 < share <= 1.0:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}.")
    counts = np.bincount(probs.argmax(axis=1), minlength=n_classes)
    shares = counts / counts.sum()
    nonzero = shares[shares > 0]
    return {
        "confidence": float(probs.max(axis=1).mean()),
        "coverage": float((shares >= share).mean()),
        "balance": float(-(nonzero * np.log(nonzero)).sum() / np.log(n_classes)) + 0.0,  # no -0.0
    }
