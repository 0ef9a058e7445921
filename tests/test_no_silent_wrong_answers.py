"""Helper calls that used to return a wrong result without a word now raise, naming the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import callbacks
from helpers import timeseries as ts
from helpers.dates import exact_match
from helpers.evaluation import classification_metrics, regression_metrics
from helpers.text import most_wrong, parse_pubmed_rct

RCT = "###1\nOBJECTIVE\tTo test.\nRESULTS\tIt works.\n\n"

# --- an argument that must agree with the arrays it describes ------------------------------


def test_split_windows_refuses_a_window_other_than_the_one_the_arrays_were_built_with():
    inputs, targets = ts.make_windows(np.arange(100.0) ** 1.5, window=30, horizon=1)
    with pytest.raises(
        ValueError,
        match=r"window=7 does not match the arrays, which are windows of 30 steps.*"
        r"early by 23 step\(s\), letting test-period targets into training\. Pass window=30",
    ):
        ts.split_windows(inputs, targets, window=7, test_start=80)


def test_split_windows_reads_the_window_from_the_arrays_and_keeps_appended_features():
    series = np.arange(60.0) ** 2  # exact in float32
    inputs, targets = ts.make_windows(series, window=7, horizon=1)
    x_tr, _, y_tr, y_te = ts.split_windows(inputs, targets, test_start=50)  # no window: read
    assert y_tr.max() < series[50] and y_te[0, 0] == series[50]
    with_feature = np.concatenate([inputs, np.ones((len(inputs), 1), "float32")], axis=1)
    split = ts.split_windows(with_feature, targets, window=7, test_start=50)  # an 8th column, window 7
    np.testing.assert_array_equal(split[2], y_tr)


def test_split_windows_needs_the_window_where_the_arrays_cannot_tell():
    inputs, targets = ts.make_windows(np.arange(40.0), window=5)
    with pytest.raises(ValueError, match=r"window length cannot be read .*pass window="):
        ts.split_windows(inputs / 40.0, targets, test_start=30)  # rescaled inputs
    with pytest.raises(ValueError, match=r"window=6 does not match the arrays, which are windows of 5 steps"):
        ts.split_windows(inputs / 40.0, targets, window=6, test_start=30)


# --- an order assumed and not checked ------------------------------------------------------


def test_chronological_split_refuses_dates_that_do_not_increase():
    days = pd.date_range("2021-01-01", periods=10)
    newest_first = pd.Series(np.arange(10.0), index=days[::-1])
    with pytest.raises(
        ValueError,
        match=r"The dates in values' index are not increasing: step 1 \(2021-01-09\) "
        r"comes before step 0 \(2021-01-10\).*sort by date first",
    ):
        ts.chronological_split(newest_first)
    frame = pd.DataFrame({"Date": list(days[:5]) + list(days[4:9]), "price": np.arange(10.0)})
    with pytest.raises(ValueError, match=r"dates are not increasing: step 5 \(2021-01-05\) repeats step 4"):
        ts.chronological_split(frame, dates=frame["Date"])
    with pytest.raises(ValueError, match=r"dates has 9 entries but values has 10 steps"):
        ts.chronological_split(frame, dates=frame["Date"][:9])
    train, test = ts.chronological_split(newest_first.sort_index())  # the fix the message names
    assert train.index.max() < test.index.min()


# --- casts that hid a type error -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"y_true": [0.9, 0.2, 0.7]},
            r"y_true must hold the labels 0 and 1 only, found 0\.9.*not probabilities",
        ),
        ({"threshold": 50}, r"threshold must be a probability strictly between 0 and 1.*got 50"),
        ({"threshold": 0}, r"threshold must be a probability strictly between 0 and 1"),
        (
            {"y_true": ["pos", "neg", "pos"]},
            r"y_true must be a 1-D array of the labels 0 and 1, got dtype <U3",
        ),
        ({"probabilities": [0.1, np.nan, 0.3]}, r"probabilities hold NaN or infinite values"),
        ({"n": 2.5}, r"n must be a positive whole number of rows, got 2\.5"),
    ],
)
def test_most_wrong_refuses_labels_and_thresholds_that_would_be_cast(kwargs, message):
    call = {"texts": ["a", "b", "c"], "y_true": [1, 0, 1], "probabilities": [0.1, 0.9, 0.8], **kwargs}
    with pytest.raises(ValueError, match=message):
        most_wrong(**call)


def test_most_wrong_still_accepts_float_and_bool_labels():
    frame = most_wrong(["a", "b", "c"], np.array([1.0, 0.0, 1.0]), [0.1, 0.9, 0.8])
    assert list(frame.text) == ["a", "b"]
    assert list(most_wrong(["a", "b", "c"], [True, False, True], [0.1, 0.9, 0.8]).text) == ["a", "b"]


def test_parse_pubmed_rct_refuses_bytes_with_the_fix():
    with pytest.raises(TypeError, match=r"lines is bytes, not text: decode it first"):
        parse_pubmed_rct(RCT.encode())
    with pytest.raises(
        TypeError, match=r"line 1: lines yields bytes, not str \(a file opened in binary mode\?\)"
    ):
        parse_pubmed_rct(RCT.encode().splitlines(keepends=True))
    assert len(parse_pubmed_rct(RCT)) == 2


# --- None against None, NaN, mixed label types ---------------------------------------------


def test_exact_match_counts_no_answer_as_wrong_and_refuses_missing_targets():
    assert exact_match(["2001-03-03", None], ["2001-03-03", "2001-03-04"]) == 0.5
    with pytest.raises(ValueError, match=r"targets\[1\] is None, not a string"):
        exact_match(["2001-03-03", None], ["2001-03-03", None])  # used to score 100%
    with pytest.raises(ValueError, match=r"predictions\[0\] is 20010303 \(int\)"):
        exact_match([20010303], ["2001-03-03"])
    with pytest.raises(ValueError, match=r"not a single string"):
        exact_match("2001-03-03", "2001-03-03")


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        (
            [1.0, np.nan, 3.0],
            [1.0, 2.0, 3.0],
            r"y_true holds 1 NaN or infinite value\(s\) \(the first at index 1\)",
        ),
        ([1.0, 2.0, 3.0], [1.0, np.inf, 3.0], r"y_pred holds 1 NaN or infinite value\(s\).*diverged"),
        (["1", "x", "3"], [1.0, 2.0, 3.0], r"y_true must hold numbers, got values like \['1', 'x', '3'\]"),
    ],
)
def test_regression_metrics_refuse_nan_inf_and_text(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        regression_metrics(y_true, y_pred)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        (["cat", "dog"], [0, 1], r"y_true holds strings \(e\.g\. 'cat'\) but y_pred holds numbers.*Map both"),
        (np.array(["cat", 1], dtype=object), ["cat", "dog"], r"y_true mixes label types \(number, string\)"),
        (
            [0.2, 0.9],
            [0, 1],
            r"y_true holds non-integer values \(e\.g\. 0\.2\): pass the true labels \(class indices\)",
        ),
        ([None, 1], [0, 1], r"y_true mixes label types \(NoneType, number\)"),
    ],
)
def test_classification_metrics_refuse_mixed_label_types(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        classification_metrics(y_true, y_pred)


def test_classification_metrics_still_score_string_labels():
    assert classification_metrics(["cat", "dog", "cat"], ["cat", "cat", "cat"])["accuracy"] == pytest.approx(
        2 / 3
    )


# --- a name that climbs out of its folder --------------------------------------------------


@pytest.mark.parametrize("name", ["..", ".", "../elsewhere", "a/../../b", " ", " run", 7])
def test_tensorboard_callback_refuses_names_that_leave_the_log_root(name, tmp_path):
    with pytest.raises(ValueError, match=r"experiment must be a plain, non-empty name.*outside log_root"):
        callbacks.tensorboard_callback(name, log_root=tmp_path / "logs")
    assert not (tmp_path / "logs").exists() and not (tmp_path / "elsewhere").exists()


# --- the same classes elsewhere in helpers -------------------------------------------------


def test_anomaly_scores_refuse_probability_labels_and_nan_scores():
    from helpers.unsupervised import anomaly_scores

    with pytest.raises(
        ValueError, match=r"is_anomaly must hold 0 \(normal\) and 1 \(anomalous\) only, found 0\.7"
    ):
        anomaly_scores([0.7, 0.1, 1.0, 0.0], [0.9, 0.1, 0.8, 0.2])  # used to become labels 0, 0, 1, 0
    with pytest.raises(ValueError, match=r"scores hold 1 NaN or infinite value\(s\)"):
        anomaly_scores([1, 0, 1, 0], [0.9, np.nan, 0.8, 0.2])
    assert anomaly_scores([True, False, True, False], [0.9, 0.1, 0.8, 0.2])["ROC AUC"] == 1.0


def test_select_pseudo_labels_refuses_nan_probabilities():
    from helpers.semisupervised import select_pseudo_labels

    with pytest.raises(ValueError, match=r"probabilities hold NaN or infinite values"):
        select_pseudo_labels(np.array([[0.9, 0.1], [np.nan, np.nan]]), 0.8)
