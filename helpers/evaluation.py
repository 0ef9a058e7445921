"""Model evaluation: metric summaries as dicts, a results table, and the headline line."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn import metrics


def _as_1d(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per example), got shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to evaluate.")
    return array


def _paired(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _as_1d(y_true, "y_true"), _as_1d(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true has {len(y_true)} values but y_pred has {len(y_pred)}: they must be the "
            "same examples in the same order."
        )
    return y_true, y_pred


def regression_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """MAE, MSE, RMSE and R^2 of predictions, computed with ``sklearn.metrics``.

    Raises:
        ValueError: when the lengths differ, an input is empty or not 1-D.
    """
    y_true, y_pred = _paired(y_true, y_pred)
    mse = metrics.mean_squared_error(y_true, y_pred)
    return {
        "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        "mse": float(mse),
        "rmse": float(np.sqrt(mse)),
        "r2": float(metrics.r2_score(y_true, y_pred)),
    }


def classification_metrics(
    y_true: ArrayLike, y_pred: ArrayLike, average: str = "weighted"
) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of predicted labels (not probabilities).

    ``average`` is passed to sklearn ("weighted", "macro", "micro" or "binary").

    Raises:
        ValueError: lengths differ, empty input, or ``y_pred`` holds probabilities.
    """
    y_true, y_pred = _paired(y_true, y_pred)
    if np.issubdtype(y_pred.dtype, np.floating) and not np.all(np.mod(y_pred, 1) == 0):
        raise ValueError(
            "y_pred holds non-integer values: pass predicted labels, e.g. "
            "probabilities.argmax(axis=1) or (probabilities > 0.5).astype(int)."
        )
    precision, recall, f1, _ = metrics.precision_recall_fscore_support(
        y_true, y_pred, average=average, zero_division=0
    )
    return {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


def results_table(
    rows: Mapping[str, Mapping[str, float]], sort_by: str | None = None, ascending: bool = True
) -> pd.DataFrame:
    """A DataFrame with one row per model, e.g. ``{"baseline": {"mae": 3.1}, ...}``.

    Raises:
        ValueError: no rows, or ``sort_by`` is not one of the columns.
    """
    if not rows:
        raise ValueError("results_table needs at least one model's results.")
    table = pd.DataFrame.from_dict({k: dict(v) for k, v in rows.items()}, orient="index")
    table.index.name = "model"
    if sort_by is not None:
        if sort_by not in table.columns:
            raise ValueError(f"Cannot sort by {sort_by!r}: columns are {list(table.columns)}.")
        table = table.sort_values(sort_by, ascending=ascending)
    return table


def headline(name: str, value: float) -> None:
    """Print the notebook's headline metric in the one format ``make run`` reads."""
    print(f"Headline metric: {name} = {float(value):.4g}")
