"""Plots the notebooks share: training curves, predictions, decision boundaries, confusion matrices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from sklearn.metrics import ConfusionMatrixDisplay

if TYPE_CHECKING:
    import keras

    HistoryLike = keras.callbacks.History | Mapping[str, Sequence[float]]


def _nonempty(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}): there is nothing to plot.")
    return array


def _labels_1d(values: ArrayLike, name: str) -> np.ndarray:
    """Labels as a 1-D array: (n,) or (n, 1); a 2-D (n, classes) array is refused."""
    array = _nonempty(values, name)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"{name} must hold one label per example, shape (n,), got shape {array.shape}. For one-hot "
            f"labels or per-class probabilities pass {name}.argmax(axis=1)."
        )
    return array


def _whole_numbers(array: np.ndarray) -> bool:
    """True when every value is a finite whole number (an integer label)."""
    if np.issubdtype(array.dtype, np.integer) or array.dtype == bool:
        return True
    if not np.issubdtype(array.dtype, np.number):
        return False
    return bool(np.all(np.isfinite(array)) and np.all(np.mod(array, 1) == 0))


def _history_dict(history: HistoryLike) -> dict[str, list[float]]:
    data = getattr(history, "history", history)
    if not isinstance(data, dict) or not data:
        raise ValueError("Pass the History returned by model.fit() (or its .history dict); it is empty.")
    return data


def _validation_epochs(n_train: int, n_val: int, validation_freq: int | Sequence[int] | None) -> np.ndarray:
    """The 1-based epochs at which ``fit(validation_freq=...)`` validated."""
    if validation_freq is None:
        if n_val == n_train:
            return np.arange(1, n_train + 1)
        # fit validates at epochs f, 2f, ...: n_val == n_train // f; infer f when unambiguous
        candidates = [f for f in range(1, n_train + 1) if n_train // f == n_val]
        if len(candidates) != 1:
            raise ValueError(
                f"The history has {n_train} training epochs but {n_val} validation values; pass the "
                "validation_freq you gave to fit(), e.g. plot_loss_curves(history, validation_freq=5)."
            )
        validation_freq = candidates[0]
    if isinstance(validation_freq, int | np.integer) and not isinstance(validation_freq, bool):
        if validation_freq < 1:
            raise ValueError(f"validation_freq must be >= 1, got {validation_freq}.")
        epochs = np.arange(validation_freq, n_train + 1, validation_freq)
    else:
        epochs = np.asarray(list(validation_freq), dtype=int)
    if len(epochs) != n_val:
        raise ValueError(
            f"validation_freq={validation_freq!r} means {len(epochs)} validation values over {n_train} "
            f"epochs, but the history has {n_val}: pass the validation_freq you gave to fit()."
        )
    return epochs


def plot_loss_curves(
    history: HistoryLike,
    metrics: Sequence[str] | None = None,
    require_validation: bool = True,
    validation_freq: int | Sequence[int] | None = None,
) -> Figure:
    """Plot training against validation curves, one panel per metric.

    Args:
        history: the ``History`` from ``model.fit`` or its ``.history`` dict.
        metrics: names such as ``("loss", "accuracy")``; default: every training metric.
        require_validation: raise if there are no validation curves (the plot's point is
            comparing the two); set False to plot training curves alone.
        validation_freq: what was passed to ``fit(validation_freq=...)`` (an int or the
            list of epochs); inferred when the history's lengths leave no doubt.

    Raises:
        ValueError: a metric is not in the history, validation curves are missing, a
            curve is empty, or the validation curve's length does not fit ``validation_freq``.
    """
    data = _history_dict(history)
    if metrics is not None and len(metrics) == 0:
        raise ValueError("metrics is empty: name at least one metric, e.g. metrics=('loss',), or pass None.")
    metrics = list(metrics or [k for k in data if not k.startswith("val_") and k != "learning_rate"])
    for name in metrics:
        if name not in data:
            raise ValueError(f"{name!r} is not in this history; it has {sorted(data)}.")
        if require_validation and f"val_{name}" not in data:
            raise ValueError(
                f"The history has no 'val_{name}': pass validation_data to fit(), or call "
                "plot_loss_curves(..., require_validation=False) to plot training curves alone."
            )
        if len(data[name]) == 0:
            raise ValueError(f"The history's {name!r} is empty: fit() ran no epoch.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, name in zip(axes[0], metrics, strict=True):
        epochs = np.arange(1, len(data[name]) + 1)
        ax.plot(epochs, data[name], label="training")
        if f"val_{name}" in data:
            val_epochs = _validation_epochs(len(data[name]), len(data[f"val_{name}"]), validation_freq)
            marker = "o" if len(val_epochs) < len(epochs) else None
            ax.plot(val_epochs, data[f"val_{name}"], label="validation", marker=marker)
        ax.set(title=name, xlabel="epoch")
        ax.legend()
    fig.tight_layout()
    return fig


def compare_histories(
    before: HistoryLike, after: HistoryLike, metrics: Sequence[str] = ("loss", "accuracy")
) -> Figure:
    """Plot two consecutive trainings (e.g. feature extraction, then fine-tuning) as one run.

    A vertical line marks where the second training started.

    Raises:
        ValueError: ``metrics`` is empty, or a metric or its validation curve is missing
            from either history.
    """
    first, second = _history_dict(before), _history_dict(after)
    if isinstance(metrics, str):
        metrics = (metrics,)
    if len(metrics) == 0:
        raise ValueError("metrics is empty: name at least one metric to compare, e.g. metrics=('loss',).")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, name in zip(axes[0], metrics, strict=True):
        for key in (name, f"val_{name}"):
            for label, data in (("first", first), ("second", second)):
                if key not in data:
                    raise ValueError(f"The {label} history has no {key!r}; it has {sorted(data)}.")
        split = len(first[name])
        for key, label in ((name, "training"), (f"val_{name}", "validation")):
            values = list(first[key]) + list(second[key])
            ax.plot(np.arange(1, len(values) + 1), values, label=label)
        ax.axvline(split + 0.5, color="grey", linestyle="--", label="second phase starts")
        ax.set(title=name, xlabel="epoch")
        ax.legend()
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    class_names: Sequence[str] | None = None,
    normalize: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A readable confusion matrix (``sklearn.metrics.ConfusionMatrixDisplay``).

    ``y_true`` and ``y_pred`` hold one label per example: integers (``0 .. n-1``, indexes
    into ``class_names``) or, with ``class_names``, the class names themselves.
    ``normalize`` is None (counts), "true", "pred" or "all". Long class names are
    rotated; large matrices get a bigger figure.

    Raises:
        ValueError: empty or 2-D (one-hot, probabilities) inputs, lengths differ, or a
            label that ``class_names`` does not cover.
    """
    y_true, y_pred = _labels_1d(y_true, "y_true"), _labels_1d(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}.")
    labels = np.unique(np.concatenate([y_true, y_pred]))
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        textual = [a.dtype.kind in "USO" for a in (y_true, y_pred)]
        if any(textual):
            index = {name: i for i, name in enumerate(class_names)}
            converted = []
            for array, name in ((y_true, "y_true"), (y_pred, "y_pred")):
                unknown = sorted({str(v) for v in array} - set(index))
                if unknown:
                    raise ValueError(
                        f"{name} holds labels that are not in class_names: {unknown[:5]}; "
                        f"class_names are {class_names}."
                    )
                converted.append(np.array([index[str(v)] for v in array]))
            y_true, y_pred = converted
        elif not all(_whole_numbers(a) for a in (y_true, y_pred)):
            raise ValueError(
                "y_true and y_pred must hold integer labels (indexes into class_names) or the class "
                "names themselves; found non-integer values (probabilities? use .argmax(axis=1))."
            )
        labels = np.arange(len(class_names))
        low = min(y_true.min(), y_pred.min())
        high = max(y_true.max(), y_pred.max())
        if low < 0 or high >= len(class_names):
            raise ValueError(
                f"Labels go from {low} to {high} but only {len(class_names)} class_names were given "
                f"(labels must be 0 to {len(class_names) - 1})."
            )
    size = max(4, 0.6 * len(labels) + 2)
    ax = ax or plt.subplots(figsize=(size, size))[1]
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        display_labels=class_names,
        normalize=normalize,
        ax=ax,
        cmap="Blues",
        colorbar=False,
        values_format=".2f" if normalize else "d",
        xticks_rotation=45 if len(labels) > 4 else "horizontal",
    )
    ax.set_title("Confusion matrix" + (f" (normalized over {normalize})" if normalize else ""))
    return ax


def plot_decision_boundary(
    model: Any, X: ArrayLike, y: ArrayLike, ax: Axes | None = None, resolution: int = 200
) -> Axes:
    """Colour the plane by the model's predicted class and scatter the data on top.

    Works with a sigmoid output (one unit) or a softmax output (one unit per class),
    and with any object whose ``predict`` takes an (n, 2) array.

    Raises:
        ValueError: ``X`` is not of shape (n, 2), or ``y`` has a different length.
    """
    X, y = _nonempty(X, "X").astype("float32"), _nonempty(y, "y").ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs X of shape (n, 2) (two features), got {X.shape}.")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels.")
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0))
    (x_min, y_min), (x_max, y_max) = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.c_[xx.ravel(), yy.ravel()].astype("float32")
    try:
        scores = np.asarray(model.predict(grid, verbose=0))
    except TypeError:  # sklearn models take no verbose argument
        scores = np.asarray(model.predict(grid))
    if scores.ndim == 2 and scores.shape[1] > 1:
        classes = scores.argmax(axis=1)
    else:
        classes = (scores.ravel() > 0.5).astype(int)
    ax = ax or plt.subplots(figsize=(5, 5))[1]
    ax.contourf(xx, yy, classes.reshape(xx.shape), cmap="RdYlBu", alpha=0.6)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=12, cmap="RdYlBu", edgecolors="k", linewidths=0.3)
    ax.set(xlim=(x_min, x_max), ylim=(y_min, y_max), title="Decision boundary")
    return ax


def plot_random_predictions(
    images: ArrayLike,
    y_true: ArrayLike,
    probabilities: ArrayLike,
    class_names: Sequence[str],
    n: int = 9,
    seed: int = 0,
) -> Figure:
    """A grid of random images titled "predicted (confidence) / true", wrong ones in red.

    Raises:
        ValueError: empty inputs, lengths differ, ``n`` exceeds the number of images, the
            probabilities do not have one column per class, or a true label has no class name.
    """
    images = _nonempty(images, "images")
    y_true, probabilities = _labels_1d(y_true, "y_true"), np.asarray(probabilities)
    if not len(images) == len(y_true) == len(probabilities):
        raise ValueError(
            f"Got {len(images)} images, {len(y_true)} labels and "
            f"{len(probabilities)} rows of probabilities: they must match."
        )
    if probabilities.ndim != 2 or probabilities.shape[1] != len(class_names):
        raise ValueError(f"probabilities must have shape (n, {len(class_names)}), got {probabilities.shape}.")
    if not 0 < n <= len(images):
        raise ValueError(f"n must be between 1 and {len(images)}, got {n}.")
    bad = [v for v in y_true if not (_whole_numbers(np.array([v])) and 0 <= v < len(class_names))]
    if bad:
        raise ValueError(
            f"y_true holds label {np.asarray(bad[0]).item()!r}, but class_names has {len(class_names)} names "
            f"(labels must be integers 0 to {len(class_names) - 1})."
        )
    chosen = np.random.default_rng(seed).choice(len(images), size=n, replace=False)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.8 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), chosen, strict=False):
        image = images[i]
        ax.imshow(image.squeeze(), cmap="binary" if image.ndim == 2 or image.shape[-1] == 1 else None)
        predicted = int(probabilities[i].argmax())
        colour = "tab:green" if predicted == y_true[i] else "tab:red"
        ax.set_title(
            f"{class_names[predicted]} ({probabilities[i].max():.0%})\ntrue: {class_names[int(y_true[i])]}",
            color=colour,
            fontsize=9,
        )
    fig.tight_layout()
    return fig


def plot_predictions(
    train_x: ArrayLike,
    train_y: ArrayLike,
    test_x: ArrayLike,
    test_y: ArrayLike,
    predictions: ArrayLike,
    ax: Axes | None = None,
) -> Axes:
    """One-feature regression: training data, test data and the model's test predictions.

    Raises:
        ValueError: an empty input, or ``predictions`` and ``test_x`` differ in length.
    """
    for values, name in ((train_x, "train_x"), (train_y, "train_y"), (test_x, "test_x"), (test_y, "test_y")):
        _nonempty(values, name)
    predictions = _nonempty(predictions, "predictions").ravel()
    if len(predictions) != len(np.asarray(test_x).ravel()):
        raise ValueError(f"{len(predictions)} predictions for {len(np.asarray(test_x).ravel())} test inputs.")
    ax = ax or plt.subplots(figsize=(7, 4))[1]
    ax.scatter(np.ravel(train_x), np.ravel(train_y), s=10, c="tab:blue", label="training data")
    ax.scatter(np.ravel(test_x), np.ravel(test_y), s=10, c="tab:green", label="test data")
    ax.scatter(np.ravel(test_x), predictions, s=10, c="tab:red", label="predictions")
    ax.legend()
    return ax


def plot_predicted_vs_actual(y_true: ArrayLike, y_pred: ArrayLike, ax: Axes | None = None) -> Axes:
    """Scatter predictions against true values, with the line of perfect predictions.

    ``y_true`` and ``y_pred`` must have the same shape; a ``(n, 1)`` model output is
    accepted for ``(n,)`` targets.

    Raises:
        ValueError: an empty input, or shapes that differ (e.g. ``(n, 2)`` predictions for
            ``(n,)`` targets, which flattening would silently pair with the wrong values).
    """
    y_true, y_pred = _nonempty(y_true, "y_true"), _nonempty(y_pred, "y_pred")
    squeeze = [a[:, 0] if a.ndim == 2 and a.shape[1] == 1 else a for a in (y_true, y_pred)]
    if squeeze[0].shape != squeeze[1].shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}: they must match "
            "(one prediction per true value, e.g. model.predict(x).squeeze() for one output)."
        )
    y_true, y_pred = squeeze[0].ravel(), squeeze[1].ravel()
    ax = ax or plt.subplots(figsize=(5, 5))[1]
    ax.scatter(y_true, y_pred, s=8, alpha=0.6)
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    ax.plot([low, high], [low, high], color="grey", linestyle="--", label="perfect prediction")
    ax.set(xlabel="true value", ylabel="predicted value")
    ax.legend()
    return ax
