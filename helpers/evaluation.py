"""Model evaluation: metric summaries as dicts, a results table, the headline line, and
:class:`Results`, which collects each model's metrics for a notebook's comparison."""

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


def _label_kind(values: np.ndarray, name: str) -> str:
    """``"number"`` or ``"string"``: the one kind of label ``values`` holds (bools count as numbers).

    Raises:
        ValueError: labels of both kinds in one array, or of neither (None, objects).
    """
    if values.dtype.kind in "biuf":
        return "number"
    if values.dtype.kind in "US":
        return "string"
    kinds = {
        "number" if isinstance(v, int | float | np.number | bool | np.bool_) else
        "string" if isinstance(v, str | np.str_) else type(v).__name__
        for v in values.tolist()
    }
    if kinds == {"number"} or kinds == {"string"}:
        return kinds.pop()
    raise ValueError(
        f"{name} mixes label types ({', '.join(sorted(kinds))}): every label must be a number or every "
        f"label a string; convert them to one type first (e.g. {name}.astype(str), or map names to "
        "class indices)."
    )


def _finite_numbers(values: np.ndarray, name: str) -> np.ndarray:
    try:
        numbers = values.astype("float64")
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must hold numbers, got values like {values.ravel()[:3].tolist()} (dtype {values.dtype})."
        ) from None
    if not np.isfinite(numbers).all():
        bad, first = int((~np.isfinite(numbers)).sum()), int(np.argmin(np.isfinite(numbers)))
        raise ValueError(
            f"{name} holds {bad} NaN or infinite value(s) (the first at index {first}): "
            "a model that outputs NaN has diverged (check the learning rate and the input scaling), and a "
            "target with NaN needs its rows dropped or filled before scoring."
        )
    return numbers


def regression_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """MAE, MSE, RMSE and R^2 of predictions, computed with ``sklearn.metrics``.

    Raises:
        ValueError: when the lengths differ, an input is empty or not 1-D, or holds
            something other than finite numbers (NaN, inf, strings).
    """
    y_true, y_pred = _paired(y_true, y_pred)
    y_true, y_pred = _finite_numbers(y_true, "y_true"), _finite_numbers(y_pred, "y_pred")
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
        ValueError: lengths differ, empty input, NaN or infinite values, labels of mixed
            types (strings and numbers, within or across the two arrays), or probabilities
            in place of labels.
    """
    y_true, y_pred = _paired(y_true, y_pred)
    kinds = {name: _label_kind(values, name) for name, values in (("y_true", y_true), ("y_pred", y_pred))}
    if kinds["y_true"] != kinds["y_pred"]:
        raise ValueError(
            f"y_true holds {kinds['y_true']}s (e.g. {y_true.tolist()[0]!r}) but y_pred holds "
            f"{kinds['y_pred']}s (e.g. {y_pred.tolist()[0]!r}): no label would ever match. Map both to the "
            "same kind first (e.g. class_names[i] for indices, or the index of each name)."
        )
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        if kinds[name] != "number":
            continue
        numbers = values.astype("float64")
        if not np.isfinite(numbers).all():
            raise ValueError(
                f"{name} holds {int((~np.isfinite(numbers)).sum())} NaN or infinite value(s): a model "
                "that outputs NaN has diverged (check the learning rate and the input scaling); "
                "labels must be finite integers."
            )
        if not np.all(np.mod(numbers, 1) == 0):
            raise ValueError(
                f"{name} holds non-integer values (e.g. {numbers[np.mod(numbers, 1) != 0][0]:g}): "
                + (
                    "pass predicted labels, e.g. probabilities.argmax(axis=1) or "
                    "(probabilities > 0.5).astype(int)."
                    if name == "y_pred"
                    else "pass the true labels (class indices), not probabilities or soft labels."
                )
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


class Results:
    """Each model's metrics under one name: one printed line per model, and a results table.

    The one place a notebook keeps its comparison. Vision notebooks record
    ``model.evaluate`` metrics and the parameter count with :meth:`add_evaluation`; text
    notebooks record classification metrics from predicted probabilities with
    :meth:`add_probabilities` (which also keeps the probabilities, for ensembles and error
    analysis); anything else (a baseline's score, a published figure) goes in with
    :meth:`add`. :meth:`table` returns the pandas DataFrame for the results table.

    Example::

        results = Results()
        results.add_evaluation("TinyVGG", model, validation_data)
        results.add_probabilities("TF-IDF + naive Bayes", y_val, baseline.predict_proba(x_val)[:, 1])
        results.table(sort_by="accuracy", ascending=False)
    """

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, object]] = {}
        self.probabilities: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, name: object) -> bool:
        return name in self._rows

    def __getitem__(self, name: str) -> dict[str, object]:
        if name not in self._rows:
            raise KeyError(f"No results recorded under {name!r}; recorded: {list(self._rows)}.")
        return dict(self._rows[name])

    @property
    def names(self) -> list[str]:
        """The recorded model names, in the order they were added."""
        return list(self._rows)

    def add(self, name: str, metrics: Mapping[str, object], quiet: bool = False) -> dict[str, object]:
        """Store ``metrics`` (metric name -> value) under ``name`` and print one line.

        Recording a name again replaces its row (re-running a cell does not duplicate it).

        Raises:
            ValueError: an empty or non-string name, or no metrics.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"A model's results need a non-empty name, got {name!r}.")
        if not metrics:
            raise ValueError(f"No metrics given for {name!r}: pass e.g. {{'accuracy': 0.9}}.")
        row = {str(key): _plain(value) for key, value in metrics.items()}
        self._rows[name] = row
        if not quiet:
            shown = ", ".join(f"{key} {_short(value)}" for key, value in row.items())
            print(f"{name}: {shown}")
        return dict(row)

    def add_evaluation(
        self, name: str, model, data, include_loss: bool = False, **extra: object
    ) -> dict[str, object]:
        """``model.evaluate(data)`` as a row, with the model's parameter count.

        ``extra`` adds columns (e.g. ``training_images=750``). The loss is left out unless
        ``include_loss`` (losses of differently compiled models rarely compare).

        Raises:
            TypeError: ``model`` is not a compiled Keras model (has no ``evaluate``).
        """
        if not hasattr(model, "evaluate") or not hasattr(model, "count_params"):
            raise TypeError(
                f"add_evaluation needs a compiled Keras model, got {type(model).__name__}; "
                "for other predictions use add_probabilities or add."
            )
        scores = model.evaluate(data, verbose=0, return_dict=True)
        if not include_loss:
            scores = {key: value for key, value in scores.items() if key != "loss"}
        return self.add(name, {**scores, "parameters": int(model.count_params()), **extra})

    def add_probabilities(
        self,
        name: str,
        y_true: ArrayLike,
        probabilities: ArrayLike,
        threshold: float = 0.5,
        average: str | None = None,
        **extra: object,
    ) -> dict[str, object]:
        """Classification metrics of predicted probabilities (kept in :attr:`probabilities`).

        Binary tasks: ``probabilities`` holds one probability of the positive class per
        example (shape ``(n,)`` or ``(n, 1)``); the label is ``probability > threshold`` and
        precision, recall and F1 are those of the positive class (``average="binary"``).
        Multi-class tasks: shape ``(n, classes)``; the label is the arg-max and the scores
        are averaged with ``average`` (default ``"weighted"``).

        Raises:
            ValueError: lengths differ, probabilities outside [0, 1] or of the wrong shape,
                or a threshold outside (0, 1).
        """
        probs = np.asarray(probabilities, dtype=float)
        if probs.ndim == 2 and probs.shape[1] == 1:
            probs = probs[:, 0]
        if probs.ndim not in (1, 2) or probs.size == 0:
            raise ValueError(
                "probabilities must be (examples,) for a binary task or (examples, classes), "
                f"got shape {probs.shape}."
            )
        if np.isnan(probs).any() or probs.min() < 0 or probs.max() > 1:
            raise ValueError(
                "probabilities must lie in [0, 1]: pass sigmoid or softmax outputs, not logits."
            )
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}.")
        if probs.ndim == 1:
            predicted = (probs > threshold).astype(int)
            average = average or "binary"
        else:
            predicted = probs.argmax(axis=1)
            average = average or "weighted"
        scores = classification_metrics(y_true, predicted, average=average)
        self.probabilities[name] = probs
        return self.add(name, {**scores, **extra})

    def table(self, sort_by: str | None = None, ascending: bool = True) -> pd.DataFrame:
        """The results as a DataFrame, one row per model (see :func:`results_table`).

        Raises:
            ValueError: nothing recorded yet, or ``sort_by`` is not a column.
        """
        if not self._rows:
            raise ValueError("No results recorded yet: add a model's results first.")
        return results_table(self._rows, sort_by=sort_by, ascending=ascending)


def _plain(value: object) -> object:
    """NumPy scalars and 0-d arrays as Python numbers, so tables and prints look the same."""
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def _short(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4f}"
