"""Tests for helpers.insurance: the notebook-01 splits and network."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import insurance


def _frame(n=100):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 65, n),
            "sex": rng.choice(["female", "male"], n),
            "bmi": rng.uniform(16, 45, n),
            "children": rng.integers(0, 5, n),
            "smoker": rng.choice(["yes", "no"], n),
            "region": rng.choice(["northeast", "southwest"], n),
            "charges": rng.uniform(1_000, 50_000, n),
        }
    )


def test_split_insurance_sizes_disjoint_and_reproducible():
    frame = _frame()
    splits = insurance.split_insurance(frame, 0.2, 0.25, seed=1)
    assert (len(splits.X_train), len(splits.X_val), len(splits.X_test)) == (60, 20, 20)
    indices = [set(x.index) for x in (splits.X_train, splits.X_val, splits.X_test)]
    assert set.union(*indices) == set(frame.index) and sum(map(len, indices)) == len(frame)
    assert "charges" not in splits.X_train.columns and splits.y_test.dtype == np.float32
    np.testing.assert_array_equal(splits.y_test, frame.loc[splits.X_test.index, "charges"].astype("float32"))
    again = insurance.split_insurance(frame, 0.2, 0.25, seed=1)
    assert list(again.X_test.index) == list(splits.X_test.index)


def test_split_insurance_bad_inputs():
    with pytest.raises(ValueError, match=r"lacks the insurance column\(s\) \['charges'\]"):
        insurance.split_insurance(_frame().drop(columns="charges"))
    with pytest.raises(ValueError, match="test_fraction must be between 0 and 1"):
        insurance.split_insurance(_frame(), test_fraction=1.0)
    with pytest.raises(ValueError, match="val_fraction must be between 0 and 1"):
        insurance.split_insurance(_frame(), val_fraction=0)


def test_build_insurance_model():
    model = insurance.build_insurance_model(11, learning_rate=0.01, loss="mse", name="m")
    assert model.count_params() == 11 * 100 + 100 + 100 * 10 + 10 + 10 + 1
    assert model.name == "m" and model.loss == "mse"
    assert model.predict(np.zeros((2, 11), "float32"), verbose=0).shape == (2, 1)
    with pytest.raises(ValueError, match="n_features must be a positive integer"):
        insurance.build_insurance_model(0)
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        insurance.build_insurance_model(3, learning_rate=0)
