"""Helpers given input they cannot handle say so, naming the argument and what was expected.

Property-based tests (``hypothesis``) generate arrays of many shapes and NaN positions:
each either gives the right answer or the documented error, never a NumPy or
matplotlib traceback from deep inside.
"""

from __future__ import annotations

import gzip

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from PIL import Image  # noqa: E402

from helpers import evaluation, image_folders, plotting, text  # noqa: E402
from helpers import timeseries as ts  # noqa: E402

FAST = settings(max_examples=25, deadline=None)
CLASSES = ["cat", "dog", "fox"]
RCT = "###101\nOBJECTIVE\tto test .\nRESULTS\tit works .\n\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------ confusion matrix


def _matrix(ax) -> np.ndarray:
    return np.asarray(ax.images[0].get_array())


def test_confusion_matrix_refuses_one_hot_labels():
    one_hot = np.eye(3)[[0, 1, 2, 1]]
    expected = r"y_true must hold one label per example, shape \(n,\), got shape \(4, 3\).*argmax"
    with pytest.raises(ValueError, match=expected):
        plotting.plot_confusion_matrix(one_hot, [0, 1, 2, 1])
    with pytest.raises(ValueError, match=r"y_pred must hold one label per example.*\(4, 3\)"):
        plotting.plot_confusion_matrix([0, 1, 2, 1], one_hot)


def test_confusion_matrix_accepts_class_names_as_labels():
    ax = plotting.plot_confusion_matrix(["cat", "dog", "dog", "fox"], ["cat", "dog", "fox", "fox"], CLASSES)
    np.testing.assert_array_equal(_matrix(ax), [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    with pytest.raises(ValueError, match=r"y_pred holds labels that are not in class_names: \['cow'\]"):
        plotting.plot_confusion_matrix(["cat", "dog"], ["cat", "cow"], CLASSES)
    with pytest.raises(ValueError, match="non-integer values.*argmax"):
        plotting.plot_confusion_matrix([0, 1], [0.2, 0.9], CLASSES)


@FAST
@given(
    labels=hnp.arrays(
        np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), elements=st.integers(0, 2)
    )
)
def test_confusion_matrix_shapes_give_counts_or_the_documented_error(labels):
    flat = labels.reshape(len(labels), -1)
    if labels.ndim == 1 or (labels.ndim == 2 and labels.shape[1] == 1):
        ax = plotting.plot_confusion_matrix(labels, labels, CLASSES)
        counts = np.bincount(flat[:, 0], minlength=3)
        np.testing.assert_array_equal(_matrix(ax), np.diag(counts))
    else:
        with pytest.raises(ValueError, match="y_true must hold one label per example"):
            plotting.plot_confusion_matrix(labels, labels, CLASSES)
    plt.close("all")


# ------------------------------------------------------------------ regression plots


@FAST
@given(
    true_shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4),
    pred_shape=hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4),
)
def test_predicted_vs_actual_needs_matching_shapes(true_shape, pred_shape):
    def squeezed(shape):
        return shape[:1] if len(shape) == 2 and shape[1] == 1 else shape

    y_true, y_pred = np.ones(true_shape), np.ones(pred_shape)
    if squeezed(true_shape) == squeezed(pred_shape):
        plotting.plot_predicted_vs_actual(y_true, y_pred)
    else:
        with pytest.raises(ValueError, match=r"y_true has shape .* but y_pred has shape .*must match"):
            plotting.plot_predicted_vs_actual(y_true, y_pred)
    plt.close("all")


def test_predicted_vs_actual_refuses_two_outputs_for_one_target():
    with pytest.raises(ValueError, match=r"y_true has shape \(3,\) but y_pred has shape \(3, 2\)"):
        plotting.plot_predicted_vs_actual([1.0, 2.0, 3.0], np.ones((3, 2)))


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: plotting.plot_confusion_matrix([], []), "y_true"),
        (lambda: plotting.plot_predicted_vs_actual([1.0], []), "y_pred"),
        (lambda: plotting.plot_predictions([], [], [1], [1], [1]), "train_x"),
        (lambda: plotting.plot_decision_boundary(object(), np.empty((0, 2)), []), "X"),
        (
            lambda: plotting.plot_random_predictions(np.empty((0, 4, 4)), [], np.empty((0, 3)), CLASSES),
            "images",
        ),
    ],
)
def test_plots_refuse_empty_arrays(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument} is empty .*nothing to plot"):
        call()


def test_random_predictions_refuse_a_label_without_a_class_name():
    images, probabilities = np.zeros((4, 8, 8)), np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"y_true holds label 5, but class_names has 3 names .*0 to 2"):
        plotting.plot_random_predictions(images, [0, 1, 5, 2], probabilities, CLASSES, n=4)


# ------------------------------------------------------------------ training curves


def test_loss_curves_with_validation_every_second_epoch():
    history = {"loss": [1.0, 0.8, 0.6, 0.5, 0.4, 0.35], "val_loss": [0.9, 0.55, 0.45]}
    fig = plotting.plot_loss_curves(history)  # fit(..., validation_freq=2)
    validation = fig.axes[0].lines[1]
    np.testing.assert_array_equal(validation.get_xdata(), [2, 4, 6])


def test_loss_curves_ask_for_validation_freq_when_it_cannot_be_inferred():
    history = {"loss": list(np.linspace(1, 0.1, 10)), "val_loss": [0.2]}
    expected = r"10 training epochs but 1 validation values; pass the validation_freq"
    with pytest.raises(ValueError, match=expected):
        plotting.plot_loss_curves(history)
    fig = plotting.plot_loss_curves(history, validation_freq=10)
    np.testing.assert_array_equal(fig.axes[0].lines[1].get_xdata(), [10])
    with pytest.raises(ValueError, match=r"validation_freq=3 means 3 validation values over 10 epochs"):
        plotting.plot_loss_curves(history, validation_freq=3)


def test_empty_metric_lists_are_refused():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}
    with pytest.raises(ValueError, match="metrics is empty: name at least one metric"):
        plotting.compare_histories(history, history, metrics=())
    with pytest.raises(ValueError, match="metrics is empty"):
        plotting.plot_loss_curves(history, metrics=[])
    with pytest.raises(ValueError, match="'loss' is empty: fit\\(\\) ran no epoch"):
        plotting.plot_loss_curves({"loss": [], "val_loss": []})


# ------------------------------------------------------------------ image folders


def _png(path, value=128):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), value, dtype=np.uint8)).save(path)


def test_image_folder_ignores_and_names_top_level_images(tmp_path, capsys):
    for name in ("pizza/1.png", "pizza/2.png", "steak/1.png", "loose.png"):
        _png(tmp_path / name)
    loaded = image_folders.image_folder_dataset(tmp_path, image_size=(8, 8), batch_size=2, shuffle=False)
    assert loaded.count == 3 == sum(int(x.shape[0]) for x, _ in loaded.dataset)
    assert "Ignoring 1 image file(s) at the top level" in capsys.readouterr().out


def test_image_folder_refuses_a_class_without_a_readable_image(tmp_path):
    _png(tmp_path / "pizza" / "1.png")
    (tmp_path / "steak").mkdir()
    (tmp_path / "steak" / "1.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match=r"Class folder\(s\) steak under .* hold no readable image"):
        image_folders.image_folder_dataset(tmp_path, image_size=(8, 8))
    (tmp_path / "steak" / "1.jpg").unlink()  # an empty class folder is the same mistake
    with pytest.raises(ValueError, match=r"Class folder\(s\) steak under"):
        image_folders.image_folder_dataset(tmp_path, image_size=(8, 8))


# ------------------------------------------------------------------ time series


def test_block_reward_refuses_a_missing_date():
    expected = r"dates holds 1 missing value\(s\) \(NaT\), the first at position 1"
    with pytest.raises(ValueError, match=expected):
        ts.block_reward(["2020-01-01", None, "2021-01-01"])
    with pytest.raises(ValueError, match="missing value"):
        ts.block_reward(pd.Series(pd.to_datetime(["2020-01-01", pd.NaT])))


def test_make_windows_refuses_a_float_window():
    with pytest.raises(ValueError, match=r"window must be an integer >= 1 \(a number of steps\), got 3\.0"):
        ts.make_windows(np.arange(10.0), window=3.0)
    with pytest.raises(ValueError, match="window must be an integer"):
        ts.make_windows(np.arange(10.0), window=True)


@FAST
@given(n=st.integers(4, 40), window=st.integers(1, 3), where=st.data())
def test_make_windows_with_nan_or_without(n, window, where):
    series = np.arange(n, dtype="float64")
    inputs, targets = ts.make_windows(series, window=window)
    assert inputs.shape == (n - window, window) and targets.shape == (n - window, 1)
    np.testing.assert_array_equal(targets[:, 0], series[window:])
    position = where.draw(st.integers(0, n - 1))
    series[position] = where.draw(st.sampled_from([np.nan, np.inf]))
    with pytest.raises(ValueError, match=rf"NaN or infinite values \(the first at step {position}\)"):
        ts.make_windows(series, window=window)


@FAST
@given(n=st.integers(3, 30), which=st.sampled_from(["y_true", "y_pred", "y_insample"]), where=st.data())
def test_mase_names_nan_wherever_it_is(n, which, where):
    arrays = {k: np.linspace(1, 2, n) + i for i, k in enumerate(["y_true", "y_pred", "y_insample"])}
    assert ts.mase(**arrays) > 0
    arrays[which][where.draw(st.integers(0, n - 1))] = np.nan
    if which == "y_insample":
        expected = r"scaling series \(y_insample\) holds 1 NaN"
    else:
        expected = r"y_true and y_pred must be finite \(found NaN or inf\)"
    with pytest.raises(ValueError, match=expected):
        ts.mase(**arrays)


# ------------------------------------------------------------------ evaluation


@FAST
@given(n=st.integers(1, 30), where=st.data())
def test_classification_metrics_name_nan_predictions(n, where):
    y_true = np.arange(n) % 2
    y_pred = y_true.astype("float64")
    assert evaluation.classification_metrics(y_true, y_pred)["accuracy"] == 1.0
    y_pred[where.draw(st.integers(0, n - 1))] = np.nan
    with pytest.raises(ValueError, match=r"y_pred holds 1 NaN or infinite value\(s\).*diverged"):
        evaluation.classification_metrics(y_true, y_pred)


# ------------------------------------------------------------------ PubMed RCT files


def test_read_pubmed_rct_names_a_latin1_file(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes(RCT.replace("to test", "to test caf\u00e9").encode("latin-1"))
    expected = r"train\.txt is not UTF-8 text .*b'\\xe9'.*Re-save it as UTF-8"
    with pytest.raises(text.RCTFormatError, match=expected):
        text.read_pubmed_rct(path)


def test_read_pubmed_rct_names_a_gzipped_file(tmp_path):
    path = tmp_path / "dev.txt"
    path.write_bytes(gzip.compress(RCT.encode()))
    expected = r"dev\.txt is gzip-compressed, not text: decompress it first"
    with pytest.raises(text.RCTFormatError, match=expected):
        text.read_pubmed_rct(path)


def test_read_pubmed_rct_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "test.txt"
    path.write_bytes(b"\xef\xbb\xbf" + RCT.encode())
    frame = text.read_pubmed_rct(path)
    assert list(frame["abstract_id"]) == ["101", "101"] and list(frame["total_lines"]) == [1, 1]
