"""The medical insurance costs data of notebook 01: its three splits and its regression network.

- :func:`split_insurance` splits the rows into training, validation and test sets the way
  the notebook does (``train_test_split`` twice with one seed), so that the notebook and its
  solutions score the same 268 test rows.
- :func:`build_insurance_model` builds and compiles the notebook's network (100 and 10 ReLU
  units, one output), with the loss and learning rate as arguments.

The preprocessing (``make_column_transformer`` with a scaler and ``OneHotEncoder``) stays in
the notebook: it is the lesson.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

__all__ = ["CATEGORICAL", "NUMERIC", "TARGET", "InsuranceSplits", "build_insurance_model", "split_insurance"]

NUMERIC = ["age", "bmi", "children"]
CATEGORICAL = ["sex", "smoker", "region"]
TARGET = "charges"


@dataclass
class InsuranceSplits:
    """Feature frames (the raw columns but ``charges``) and float32 targets of the three splits."""

    X_train: pd.DataFrame
    X_val: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray


def split_insurance(
    frame: pd.DataFrame, test_fraction: float = 0.2, val_fraction: float = 0.2, seed: int = 42
) -> InsuranceSplits:
    """Test rows first (``test_fraction`` of all), then validation rows (``val_fraction`` of the rest).

    Raises:
        ValueError: a column of the insurance data is missing, or a fraction is not strictly
            between 0 and 1.
    """
    missing = [c for c in [*NUMERIC, *CATEGORICAL, TARGET] if c not in frame.columns]
    if missing:
        raise ValueError(
            f"frame lacks the insurance column(s) {missing}: pass the CSV as read by pandas "
            f"(columns {[*NUMERIC, *CATEGORICAL, TARGET]})."
        )
    for name, value in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if not 0.0 < float(value) < 1.0:
            raise ValueError(f"{name} must be between 0 and 1 (exclusive), e.g. 0.2, got {value!r}.")
    features, target = frame.drop(columns=TARGET), frame[TARGET].to_numpy("float32")
    X_rest, X_test, y_rest, y_test = train_test_split(
        features, target, test_size=test_fraction, random_state=seed
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=val_fraction, random_state=seed
    )
    return InsuranceSplits(X_train, X_val, X_test, y_train, y_val, y_test)


def build_insurance_model(
    n_features: int, learning_rate: float = 0.01, loss: str = "mae", name: str | None = None
) -> keras.Model:
    """``n_features`` inputs, Dense 100 ReLU, Dense 10 ReLU, one output; Adam and ``loss``, MAE as metric.

    Raises:
        ValueError: ``n_features < 1`` or a ``learning_rate`` that is not positive.
    """
    if int(n_features) < 1:
        raise ValueError(
            f"n_features must be a positive integer (the columns after preprocessing), got {n_features!r}."
        )
    if not float(learning_rate) > 0:
        raise ValueError(f"learning_rate must be positive, e.g. 0.01, got {learning_rate!r}.")
    model = keras.Sequential(
        [
            keras.Input(shape=(int(n_features),)),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(10, activation="relu"),
            keras.layers.Dense(1),
        ],
        name=name,
    )
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(learning_rate=learning_rate), metrics=["mae"])
    return model
