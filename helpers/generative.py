"""Generative models: the models of notebook 12, image grids, latent walks, and scores for generated images.

Models: :class:`VAE` (variational or conditional autoencoder with its own ``train_step``;
its encoder and decoder come from :mod:`helpers.unsupervised`), :class:`GAN` (a generator and
a discriminator with two optimisers), the DCGAN builders :func:`build_dcgan_generator` and
:func:`build_dcgan_discriminator`, the :class:`FixedNoiseSamples` callback and
:func:`diversity`.

Scores, all on feature vectors so that any feature space can be used (a classifier's
layer, PCA of the pixels, the pixels themselves):

- :func:`frechet_distance`: the idea of FID (Heusel et al., 2017), two Gaussians compared;
- :func:`kernel_distance`: KID (Bińkowski et al., 2018), the unbiased MMD² with a cubic
  polynomial kernel, computed on several subsets so its spread can be shown;
- :func:`precision_recall`: improved precision and recall (Kynkäänniemi et al., 2019), k-NN
  balls around each sample as an estimate of each set's manifold;
- :func:`nearest_distances`: each generated image's distance to its nearest training image,
  for a memorisation check;
- :func:`classifier_features` reads a trained classifier's layer, and
  :func:`class_coverage` summarises what the classifier thinks the samples are.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Sequence

import keras
import matplotlib.pyplot as plt
import numpy as np
import scipy.linalg
import scipy.stats
from keras import ops
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from helpers.unsupervised import build_code_decoder, build_code_encoder


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
        raise ValueError(f"{name} is empty: a score needs a sample of examples.")
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


_READERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # classifier -> {layer name: reader model}


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
    readers = _READERS.setdefault(classifier, {})
    if chosen.name not in readers:  # built (and traced by predict) once per classifier and layer
        readers[chosen.name] = keras.Model(inputs, [chosen.output, classifier.outputs[-1]])
    features, probabilities = readers[chosen.name].predict(array, batch_size=batch_size, verbose=0)
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


def _pair(features_a: ArrayLike, features_b: ArrayLike,
          names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    a, b = _features(features_a, names[0]), _features(features_b, names[1])
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{names[0]} has {a.shape[1]} features per example but {names[1]} has {b.shape[1]}: "
            "compute both with the same feature extractor."
        )
    return a, b


def _cube(matrix: np.ndarray) -> np.ndarray:
    return matrix * matrix * matrix  # much faster than matrix ** 3, which calls pow


def kernel_distance(
    features_a: ArrayLike,
    features_b: ArrayLike,
    n_subsets: int = 10,
    subset_size: int = 1000,
    seed: int = 0,
) -> np.ndarray:
    """Kernel distance (KID, Bińkowski et al., 2018) on ``n_subsets`` random subsets.

    On each subset pair (``subset_size`` examples of each set, drawn without replacement)
    it computes the unbiased estimate of the squared maximum mean discrepancy with the
    cubic polynomial kernel ``k(x, y) = (x . y / d + 1) ** 3`` (``d`` features):
    ``mean_{i != j} k(a_i, a_j) + mean_{i != j} k(b_i, b_j) - 2 mean_{i, j} k(a_i, b_j)``.
    Unlike the Fréchet distance it is unbiased, so it can be slightly negative for two
    samples of the same distribution, and it does not grow with the sample size. Report
    the mean of the returned values with their spread over subsets.

    Args:
        features_a, features_b: ``(n_a, d)`` and ``(n_b, d)`` feature arrays.
        n_subsets: how many subset pairs to draw.
        subset_size: examples per subset; at most the smaller set's size.
        seed: seed of the subset draws.

    Returns:
        One KID value per subset, shape ``(n_subsets,)``.

    Raises:
        ValueError: not 2-D, empty, non-finite or different feature sizes; ``n_subsets`` < 1;
            ``subset_size`` < 2 or larger than a set.
    """
    a, b = _pair(features_a, features_b, ("features_a", "features_b"))
    if n_subsets < 1:
        raise ValueError(f"n_subsets must be at least 1, got {n_subsets}.")
    if not 2 <= subset_size <= min(len(a), len(b)):
        raise ValueError(
            f"subset_size must be between 2 and the smaller set's size ({min(len(a), len(b))}), "
            f"got {subset_size}: pass a smaller subset_size or more examples."
        )
    dim = a.shape[1]
    m = subset_size
    rng = np.random.default_rng(seed)
    values = np.empty(n_subsets)
    for index in range(n_subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        k_xx, k_yy, k_xy = (_cube(p @ q.T / dim + 1.0) for p, q in ((x, x), (y, y), (x, y)))
        values[index] = ((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
                         + (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
                         - 2.0 * k_xy.mean())
    return values


def precision_recall(real_features: ArrayLike, fake_features: ArrayLike, k: int = 3) -> dict[str, float]:
    """Improved precision and recall for generative models (Kynkäänniemi et al., 2019).

    Each set's manifold is estimated as the union of balls around its samples, each ball
    reaching the sample's ``k``-th nearest neighbour in the same set
    (``sklearn.neighbors.NearestNeighbors``).

    - ``precision``: the share of generated samples inside the real manifold (are the
      samples realistic?);
    - ``recall``: the share of real samples inside the generated manifold (is the variety
      of the real data covered?).

    Identical sets score 1 and 1; sets far apart score 0 and 0. Use the same number of
    samples in both sets: the ball sizes depend on it.

    Args:
        real_features, fake_features: ``(n_real, d)`` and ``(n_fake, d)`` feature arrays.
        k: the neighbour that sets each ball's radius (the paper uses 3).

    Returns:
        ``{"precision": ..., "recall": ...}``, each in [0, 1].

    Raises:
        ValueError: not 2-D, empty, non-finite or different feature sizes; ``k`` < 1 or not
            smaller than each set's size.
    """
    from sklearn.neighbors import NearestNeighbors

    real, fake = _pair(real_features, fake_features, ("real_features", "fake_features"))
    if k < 1 or k >= min(len(real), len(fake)):
        raise ValueError(
            f"k must be at least 1 and smaller than each set's size ({len(real)} real, {len(fake)} "
            f"generated), got {k}."
        )

    def radii(points: np.ndarray) -> np.ndarray:  # distance to the k-th neighbour, self excluded
        distances, _ = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(points).kneighbors(points)
        return distances[:, k]

    def inside(queries: np.ndarray, centres: np.ndarray, radius: np.ndarray) -> float:
        hits = np.zeros(len(queries), dtype=bool)
        squared_radius = (radius * (1 + 1e-6) + 1e-9) ** 2  # a tolerance for rounding (identical sets)
        centre_norms = (centres**2).sum(1)
        for start in range(0, len(queries), 1000):  # 1,000 x n squared distances at a time
            chunk = queries[start:start + 1000]
            squared = (chunk**2).sum(1)[:, None] - 2.0 * chunk @ centres.T + centre_norms[None, :]
            hits[start:start + 1000] = (squared <= squared_radius[None, :]).any(axis=1)
        return float(hits.mean())

    return {"precision": inside(fake, real, radii(real)), "recall": inside(real, fake, radii(fake))}


def nearest_distances(queries: ArrayLike, reference: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distance from each query to its nearest reference example, and that example's index.

    For a memorisation check pass generated images (flattened pixels) as ``queries`` and
    the training images as ``reference``; held-out real images passed as queries give the
    distances to expect from new images of the same distribution. A generator that copies
    its training images has distances near 0.

    Returns:
        ``(distances, indices)``, both shaped ``(n_queries,)``.

    Raises:
        ValueError: empty, non-finite or different feature sizes (images are flattened first).
    """
    from sklearn.neighbors import NearestNeighbors

    flat = [np.asarray(array, dtype="float32") for array in (queries, reference)]
    flat = [array.reshape(len(array), -1) if array.ndim > 2 else array for array in flat]
    q, r = _pair(flat[0], flat[1], ("queries", "reference"))
    distances, indices = NearestNeighbors(n_neighbors=1).fit(r).kneighbors(q)
    return distances[:, 0], indices[:, 0]


def _tape():
    import tensorflow as tf  # the custom train steps below use TensorFlow's GradientTape

    return tf.GradientTape()


class VAE(keras.Model):
    """A variational autoencoder with its own ``train_step``; with ``n_classes > 0``, conditional.

    The encoder (:func:`helpers.unsupervised.build_code_encoder`) gives ``z_mean`` and
    ``z_log_var``; a code is sampled with the reparameterisation trick,
    ``z = z_mean + exp(z_log_var / 2) * eps``; the decoder
    (:func:`helpers.unsupervised.build_code_decoder`) rebuilds the image. The loss per image is
    the binary cross-entropy summed over the pixels plus ``beta`` times the KL divergence
    to N(0, 1) summed over the code; both terms are tracked as metrics. Fit it on a dataset
    of images, or of ``(images, labels)`` when conditional.

    Args:
        latent_dim: code size.
        n_classes: 0, or the number of classes of a conditional VAE (labels are integers).
        seed: seed of the sampling noise.
        beta: the weight of the KL term (1 is the VAE of Kingma and Welling).
        image_shape: the images' shape, e.g. ``(28, 28, 1)``.

    Raises:
        ValueError: ``latent_dim`` < 1, ``n_classes`` < 0 or ``beta`` < 0.
    """

    def __init__(self, latent_dim: int, n_classes: int = 0, seed: int = 0, beta: float = 1.0,
                 image_shape: Sequence[int] = (28, 28, 1), **kwargs):
        super().__init__(**kwargs)
        if beta < 0:
            raise ValueError(f"beta (the KL weight) must be >= 0, got {beta}.")
        self.latent_dim, self.n_classes, self.beta = latent_dim, n_classes, float(beta)
        self.encoder = build_code_encoder(latent_dim, n_classes, image_shape)
        self.decoder = build_code_decoder(latent_dim, n_classes, image_shape)
        self.noise = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "reconstruction", "kl")}

    @property
    def metrics(self):
        return list(self.trackers.values())  # reset by Keras at the start of every epoch

    def _with_class(self, x, labels):
        return [x, ops.one_hot(labels, self.n_classes)] if self.n_classes else x

    def decode(self, codes, labels=None):
        """Images for ``codes`` (and integer ``labels`` when conditional)."""
        codes = ops.convert_to_tensor(codes, dtype="float32")
        return self.decoder(self._with_class(codes, labels), training=False)

    def loss_terms(self, data, training):
        """``(reconstruction, kl)``, each a mean over the batch of a per-image sum."""
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        z_mean, z_log_var = self.encoder(self._with_class(images, labels), training=training)
        eps = keras.random.normal(ops.shape(z_mean), seed=self.noise)
        z = z_mean + ops.exp(0.5 * z_log_var) * eps  # the reparameterisation trick
        rebuilt = self.decoder(self._with_class(z, labels), training=training)
        pixel_axes = tuple(range(1, len(images.shape) - 1))  # binary_crossentropy drops the last axis
        reconstruction = ops.mean(ops.sum(keras.losses.binary_crossentropy(images, rebuilt), axis=pixel_axes))
        kl = ops.mean(ops.sum(-0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)), axis=1))
        return reconstruction, kl

    def _report(self, reconstruction, kl):
        for name, value in (("loss", reconstruction + self.beta * kl), ("reconstruction", reconstruction),
                            ("kl", kl)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def train_step(self, data):
        with _tape() as tape:
            reconstruction, kl = self.loss_terms(data, training=True)
            loss = reconstruction + self.beta * kl
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        return self._report(reconstruction, kl)

    def test_step(self, data):
        return self._report(*self.loss_terms(data, training=False))


def build_dcgan_generator(noise_dim: int = 64, filters: tuple[int, int] = (64, 32),
                          name: str = "generator") -> keras.Model:
    """DCGAN generator at a CPU-friendly size: noise -> 7x7 -> 14x14 -> a 28x28x1 image in [0, 1].

    A Dense layer to a 7x7 map of ``filters[0]`` channels, a stride-2 transposed
    convolution to 14x14 with ``filters[1]`` channels, and a stride-2 transposed
    convolution to one sigmoid channel; LeakyReLU(0.2) in between (Radford et al., 2015).

    Raises:
        ValueError: ``noise_dim`` or a filter count < 1.
    """
    if noise_dim < 1 or min(filters) < 1:
        raise ValueError(f"noise_dim and filters must be >= 1, got noise_dim={noise_dim}, filters={filters}.")
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(noise_dim,)),
        layers.Dense(7 * 7 * filters[0]), layers.LeakyReLU(0.2), layers.Reshape((7, 7, filters[0])),
        layers.Conv2DTranspose(filters[1], 4, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid"),
    ], name=name)


def build_dcgan_discriminator(filters: tuple[int, int] = (32, 64), dropout: float = 0.3,
                              spectral_norm: bool = False, name: str = "discriminator") -> keras.Model:
    """DCGAN discriminator: a 28x28x1 image -> one logit (> 0 means "real").

    Two stride-2 4x4 convolutions with LeakyReLU(0.2), dropout, and a Dense logit. With
    ``spectral_norm=True`` every convolution and the Dense layer are wrapped in
    ``keras.layers.SpectralNormalization`` (Miyato et al., 2018), which divides each weight
    matrix by its largest singular value (estimated by one power iteration per step), so
    the discriminator cannot change too sharply and the generator keeps useful gradients.

    Raises:
        ValueError: a filter count < 1 or ``dropout`` outside [0, 1).
    """
    if min(filters) < 1 or not 0.0 <= dropout < 1.0:
        raise ValueError(
            f"filters must be >= 1 and dropout in [0, 1), got filters={filters}, dropout={dropout}.")
    layers = keras.layers

    def wrap(layer):
        return layers.SpectralNormalization(layer) if spectral_norm else layer

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        wrap(layers.Conv2D(filters[0], 4, strides=2, padding="same")), layers.LeakyReLU(0.2),
        wrap(layers.Conv2D(filters[1], 4, strides=2, padding="same")), layers.LeakyReLU(0.2),
        layers.Flatten(), layers.Dropout(dropout), wrap(layers.Dense(1)),
    ], name=name)


class GAN(keras.Model):
    """A generator and a discriminator trained against each other; fit it on a dataset of real images.

    Each ``train_step`` first updates the discriminator (real images -> 1, generated -> 0)
    with ``d_optimizer`` on its own weights, then the generator (make the discriminator
    say 1 on fresh samples) with ``g_optimizer`` on its own weights. Tracks ``d_loss``,
    ``g_loss`` and ``d_accuracy`` (the discriminator's accuracy on the batch's real and
    generated images).

    Args:
        generator: noise ``(noise_dim,)`` -> image.
        discriminator: image -> one logit.
        seed: seed of the noise.
        label_smoothing: one-sided label smoothing (Salimans et al., 2016): real images are
            labelled ``1 - label_smoothing`` for the discriminator; 0 turns it off.

    Raises:
        ValueError: ``label_smoothing`` outside [0, 0.5).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, seed: int = 0,
                 label_smoothing: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5), got {label_smoothing}.")
        self.generator, self.discriminator = generator, discriminator
        self.noise_dim = int(generator.inputs[0].shape[-1])
        self.label_smoothing = float(label_smoothing)
        self.noise = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "d_accuracy")}

    def compile(self, g_optimizer, d_optimizer):
        super().compile()
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def train_step(self, real):
        batch = ops.shape(real)[0]
        # 1. The discriminator: real images -> 1 (or 1 - label_smoothing), generated images -> 0.
        noise = keras.random.normal((batch, self.noise_dim), seed=self.noise)
        with _tape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(self.generator(noise, training=True), training=True)
            d_loss = (self.bce(ops.ones_like(real_logits) * (1.0 - self.label_smoothing), real_logits)
                      + self.bce(ops.zeros_like(fake_logits), fake_logits))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights, strict=True))
        # 2. The generator: make the discriminator call fresh generated images real.
        noise = keras.random.normal((batch, self.noise_dim), seed=self.noise)
        with _tape() as tape:
            logits = self.discriminator(self.generator(noise, training=True), training=True)
            g_loss = self.bce(ops.ones_like(logits), logits)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights, strict=True))
        d_accuracy = ops.mean(ops.concatenate([ops.cast(real_logits > 0, "float32"),
                                               ops.cast(fake_logits < 0, "float32")]))
        for name, value in (("d_loss", d_loss), ("g_loss", g_loss), ("d_accuracy", d_accuracy)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class FixedNoiseSamples(keras.callbacks.Callback):
    """Keeps the generator's images for one fixed batch of noise, before training and every ``every`` epochs.

    ``snapshots`` maps the epoch (0: before training) to the images; the model must have a
    ``generator`` attribute (like :class:`GAN`).
    """

    def __init__(self, noise: ArrayLike, every: int = 1):
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be at least 1 epoch, got {every}.")
        self.fixed_noise, self.every, self.snapshots = np.asarray(noise, dtype="float32"), every, {}

    def _snap(self, epoch: int) -> None:
        self.snapshots[epoch] = ops.convert_to_numpy(self.model.generator(self.fixed_noise, training=False))

    def on_train_begin(self, logs=None):
        self._snap(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self._snap(epoch + 1)

    def plot(self, title: str | None = None) -> Figure:
        """One row per snapshot, the epoch written over its first image."""
        epochs = sorted(self.snapshots)
        if not epochs:
            raise ValueError("No snapshots yet: fit a model with this callback first.")
        images = np.concatenate([self.snapshots[e] for e in epochs])
        n = len(self.fixed_noise)
        titles = [f"epoch {e}" if i == 0 else "" for e in epochs for i in range(n)]
        return plot_image_grid(images, n_cols=n, titles=titles, suptitle=title)


def diversity(images: ArrayLike, pairs: int = 2000, seed: int = 0) -> float:
    """Mean Euclidean pixel distance between random pairs of different images (0: all samples identical).

    Raises:
        ValueError: fewer than 2 images or ``pairs`` < 1.
    """
    array = np.asarray(images, dtype="float64")
    if array.ndim < 2 or len(array) < 2:
        raise ValueError(f"diversity needs at least 2 images, got shape {array.shape}.")
    if pairs < 1:
        raise ValueError(f"pairs must be at least 1, got {pairs}.")
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(array), size=(2, pairs))
    keep = a != b
    flat = array.reshape(len(array), -1)
    return float(np.linalg.norm(flat[a[keep]] - flat[b[keep]], axis=1).mean())


def generate(model: Callable[[np.ndarray], ArrayLike], inputs: ArrayLike, *more: ArrayLike,
             batch_size: int = 1000) -> np.ndarray:
    """Run a generator or decoder over ``inputs`` (and matching extra inputs) in batches; NumPy out.

    Example: ``generate(vae.decode, codes, labels)`` or ``generate(gan.generator, noise)``.

    Raises:
        ValueError: empty inputs, extra inputs of another length, or ``batch_size`` < 1.
    """
    first = np.asarray(inputs)
    if first.ndim == 0 or len(first) == 0:
        raise ValueError("inputs is empty: pass one code or noise vector per image to generate.")
    if any(len(extra) != len(first) for extra in more):
        raise ValueError("Every extra input needs one row per code (the same length as inputs).")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    return np.concatenate([
        ops.convert_to_numpy(model(first[i:i + batch_size], *(np.asarray(e)[i:i + batch_size] for e in more)))
        for i in range(0, len(first), batch_size)])
