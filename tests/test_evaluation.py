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


def test_results_add_prints_one_line_and_tabulates(capsys):
    results = evaluation.Results()
    results.add("baseline", {"mae": np.float32(3.5), "parameters": 10})
    results.add("model", {"mae": 1.25, "parameters": 1234})
    printed = capsys.readouterr().out
    assert printed == "baseline: mae 3.5000, parameters 10\nmodel: mae 1.2500, parameters 1,234\n"
    assert len(results) == 2 and "model" in results and results.names == ["baseline", "model"]
    assert type(results["baseline"]["mae"]) is float
    table = results.table(sort_by="mae")
    assert list(table.index) == ["model", "baseline"]
    assert table.loc["baseline", "mae"] == pytest.approx(3.5)
    results.add("model", {"mae": 2.0, "parameters": 1234}, quiet=True)  # a re-run replaces the row
    assert len(results) == 2 and results["model"]["mae"] == 2.0


def test_results_binary_probabilities_score_the_positive_class():
    results = evaluation.Results()
    y_true = [0, 1, 1, 0, 1]
    probabilities = np.array([[0.2], [0.9], [0.4], [0.7], [0.8]])
    row = results.add_probabilities("clf", y_true, probabilities, quiet_extra="x")
    # predicted 0 1 0 1 1: TP 2, FP 1, FN 1 -> precision = recall = 2/3 (not weighted recall = accuracy)
    assert row["accuracy"] == pytest.approx(0.6)
    assert row["precision"] == pytest.approx(2 / 3) and row["recall"] == pytest.approx(2 / 3)
    assert row["quiet_extra"] == "x"
    assert results.probabilities["clf"].shape == (5,)
    row = results.add_probabilities("strict", y_true, probabilities, threshold=0.85)
    assert row["precision"] == pytest.approx(1.0) and row["recall"] == pytest.approx(1 / 3)


def test_results_multiclass_probabilities_use_argmax_and_weighted_average():
    results = evaluation.Results()
    probabilities = np.array([[0.8, 0.1, 0.1], [0.1, 0.7, 0.2], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]])
    row = results.add_probabilities("clf", [0, 1, 2, 1], probabilities)
    expected = evaluation.classification_metrics([0, 1, 2, 1], [0, 1, 2, 0], average="weighted")
    assert row == pytest.approx(expected)


def test_results_add_evaluation_counts_parameters():
    import keras
    import tensorflow as tf

    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.zeros((4, 3), dtype="float32"), np.array([0, 1, 0, 1])
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)
    results = evaluation.Results()
    row = results.add_evaluation("dense", model, data, training_images=4)
    assert set(row) == {"accuracy", "parameters", "training_images"}
    assert row["parameters"] == 8 and row["accuracy"] == pytest.approx(0.5)
    assert "loss" in results.add_evaluation("dense", model, data, include_loss=True)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda r: r.add("", {"a": 1}), ValueError, "non-empty name"),
        (lambda r: r.add("m", {}), ValueError, "No metrics given for 'm'"),
        (lambda r: r.add_probabilities("m", [0, 1], [-1.0, 2.0]), ValueError, "not logits"),
        (lambda r: r.add_probabilities("m", [0, 1], [0.1, 0.9], threshold=1), ValueError, "threshold"),
        (lambda r: r.add_probabilities("m", [0, 1], np.zeros((2, 2, 2))), ValueError, r"shape \(2, 2, 2\)"),
        (lambda r: r.add_probabilities("m", [0, 1, 1], [0.1, 0.9]), ValueError, "y_true has 3 values"),
        (lambda r: r.add_evaluation("m", object(), None), TypeError, "needs a compiled Keras model"),
        (lambda r: r.table(), ValueError, "No results recorded yet"),
        (lambda r: r["missing"], KeyError, "No results recorded under 'missing'"),
    ],
)
def test_results_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call(evaluation.Results())
