"""Metric summaries and the results table."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import evaluation


def test_regression_metrics_match_hand_computed_values():
    result = evaluation.regression_metrics([1.0, 2.0, 3.0], np.array([[2.0], [2.0], [5.0]]))
    assert result["mae"] == pytest.approx(1.0)
    assert result["mse"] == pytest.approx(5 / 3)
    assert result["rmse"] == pytest.approx(np.sqrt(5 / 3))
    assert result["r2"] == pytest.approx(1 - 5 / 2)


def test_classification_metrics_match_hand_computed_values():
    result = evaluation.classification_metrics([0, 1, 1, 0], [0, 1, 0, 0], average="binary")
    assert result == pytest.approx({"accuracy": 0.75, "precision": 1.0, "recall": 0.5, "f1": 2 / 3})


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        ([1, 2, 3], [1, 2], "y_true has 3 values but y_pred has 2"),
        ([], [], "y_true is empty"),
        (np.zeros((2, 2)), np.zeros((2, 2)), r"y_true must be 1-D .* got shape \(2, 2\)"),
    ],
)
def test_bad_inputs_are_clear_errors(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        evaluation.regression_metrics(y_true, y_pred)


def test_probabilities_are_refused_as_labels():
    with pytest.raises(ValueError, match=r"pass predicted labels, e\.g\. probabilities\.argmax"):
        evaluation.classification_metrics([0, 1], [0.2, 0.9])


def test_results_table_sorts_and_checks_columns():
    table = evaluation.results_table({"a": {"mae": 3.0}, "b": {"mae": 1.0}}, sort_by="mae")
    assert list(table.index) == ["b", "a"] and table.index.name == "model"
    with pytest.raises(ValueError, match=r"Cannot sort by 'f1': columns are \['mae'\]"):
        evaluation.results_table({"a": {"mae": 3.0}}, sort_by="f1")
    with pytest.raises(ValueError, match="at least one model"):
        evaluation.results_table({})


def test_headline_format(capsys):
    evaluation.headline("test MAE", 1234.5678)
    assert capsys.readouterr().out == "Headline metric: test MAE = 1235\n"
