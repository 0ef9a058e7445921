"""Plot helpers return figures and refuse bad input clearly; the LR finder finds a rate."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import callbacks, plotting  # noqa: E402

HISTORY = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_loss_curves_one_panel_per_metric():
    fig = plotting.plot_loss_curves(HISTORY)
    assert len(fig.axes) == 2 and [a.get_title() for a in fig.axes] == ["loss", "accuracy"]


def test_loss_curves_without_validation_data():
    no_val = {"loss": [1.0, 0.5]}
    with pytest.raises(ValueError, match="no 'val_loss': pass validation_data to fit()"):
        plotting.plot_loss_curves(no_val)
    assert len(plotting.plot_loss_curves(no_val, require_validation=False).axes) == 1
    with pytest.raises(ValueError, match="'f1' is not in this history"):
        plotting.plot_loss_curves(HISTORY, metrics=["f1"])
    with pytest.raises(ValueError, match="Pass the History returned by model.fit"):
        plotting.plot_loss_curves({})


def test_compare_histories_marks_the_second_phase():
    fig = plotting.compare_histories(HISTORY, HISTORY)
    assert len(fig.axes[0].lines) == 3 and len(fig.axes[0].lines[0].get_xdata()) == 4
    with pytest.raises(ValueError, match="The second history has no 'val_accuracy'"):
        plotting.compare_histories(HISTORY, {"loss": [1], "val_loss": [1], "accuracy": [1]})


def test_confusion_matrix_counts_and_errors():
    ax = plotting.plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], class_names=["a", "b", "c"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="y_true has 3 labels but y_pred has 2"):
        plotting.plot_confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"Labels go from 0 to 3 but only 2 class_names .*0 to 1"):
        plotting.plot_confusion_matrix([0, 3], [0, 1], class_names=["a", "b"])


class _Threshold:
    """A stand-in classifier: class 1 right of x=0."""

    def predict(self, X, verbose=0):
        return (X[:, :1] > 0).astype("float32")


def test_decision_boundary_needs_two_features():
    X = np.random.default_rng(0).normal(size=(20, 2))
    ax = plotting.plot_decision_boundary(_Threshold(), X, (X[:, 0] > 0).astype(int), resolution=20)
    assert ax.get_title() == "Decision boundary"
    with pytest.raises(ValueError, match=r"needs X of shape \(n, 2\) \(two features\), got \(20, 3\)"):
        plotting.plot_decision_boundary(_Threshold(), np.zeros((20, 3)), np.zeros(20))
    with pytest.raises(ValueError, match="X has 20 rows but y has 5 labels"):
        plotting.plot_decision_boundary(_Threshold(), X, np.zeros(5))


def test_random_predictions_grid_and_errors():
    images = np.zeros((6, 8, 8))
    probs = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    fig = plotting.plot_random_predictions(images, [0, 1, 2, 0, 1, 1], probs, ["a", "b", "c"], n=4)
    assert sum(1 for ax in fig.axes if ax.get_title()) == 4
    with pytest.raises(ValueError, match="6 images, 5 labels"):
        plotting.plot_random_predictions(images, [0] * 5, probs, ["a", "b", "c"])
    with pytest.raises(ValueError, match=r"must have shape \(n, 2\)"):
        plotting.plot_random_predictions(images, [0] * 6, probs, ["a", "b"])
    with pytest.raises(ValueError, match="n must be between 1 and 6"):
        plotting.plot_random_predictions(images, [0] * 6, probs, ["a", "b", "c"], n=7)


def test_regression_plots_check_lengths():
    plotting.plot_predictions([1, 2], [1, 2], [3, 4], [3, 4], [3.1, 3.9])
    plotting.plot_predicted_vs_actual([1, 2, 3], [1, 2, 2])
    with pytest.raises(ValueError, match="1 predictions for 2 test inputs"):
        plotting.plot_predictions([1], [1], [3, 4], [3, 4], [3.1])
    with pytest.raises(ValueError, match=r"y_true has shape \(3,\) but y_pred has shape \(2,\)"):
        plotting.plot_predicted_vs_actual([1, 2, 3], [1, 2])


def test_learning_rate_finder_sweeps_and_suggests():
    keras.utils.set_random_seed(0)
    X = np.random.default_rng(0).normal(size=(512, 2)).astype("float32")
    y = (X.sum(axis=1) > 0).astype("float32")
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(), loss="binary_crossentropy")
    finder = callbacks.LearningRateFinder(start_lr=1e-4, end_lr=10.0, num_steps=40)
    model.fit(X, y, batch_size=16, epochs=2, callbacks=[finder], verbose=0)
    assert 2 <= len(finder.losses) <= 40
    assert finder.learning_rates == sorted(finder.learning_rates)
    best = int(np.nanargmin(finder.smoothed_losses))
    assert finder.suggestion() == pytest.approx(finder.learning_rates[best] / 10)
    assert len(finder.smoothed_losses) == len(finder.losses)
    assert min(finder.losses) < finder.losses[0]  # the sweep found rates that learn
    assert finder.plot().get_xscale() == "log"


def test_learning_rate_finder_records_each_batch_loss_across_epochs():
    # A frozen model that always predicts 0 has a known MSE per batch: the mean of y^2.
    model = keras.Sequential(
        [keras.Input(shape=(1,)), keras.layers.Dense(1, kernel_initializer="zeros", trainable=False)]
    )
    model.compile(optimizer=keras.optimizers.SGD(), loss="mse")
    x, y = np.ones((6, 1), "float32"), np.array([1, 1, 1.5, 1.5, 1.2, 1.2], "float32")
    finder = callbacks.LearningRateFinder(num_steps=10, smoothing=0.5)
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        model.fit(x, y, batch_size=2, epochs=2, shuffle=False, callbacks=[finder], verbose=0)
    # Each batch's own loss, restarting nowhere (Keras' running epoch mean would be 1, 1.625, 1.563).
    assert finder.losses == pytest.approx([1.0, 2.25, 1.44] * 2)
    ema, smoothed = 0.0, []
    for step, loss in enumerate(finder.losses, start=1):
        ema = 0.5 * ema + 0.5 * loss
        smoothed.append(ema / (1 - 0.5**step))
    assert finder.smoothed_losses == pytest.approx(smoothed)
    assert finder.smoothed_losses[0] == pytest.approx(1.0)  # bias-corrected from the first batch


def test_learning_rate_finder_bad_arguments():
    with pytest.raises(ValueError, match=r"smoothing must lie in \[0, 1\)"):
        callbacks.LearningRateFinder(smoothing=1.0)
    with pytest.raises(ValueError, match="Need 0 < start_lr < end_lr"):
        callbacks.LearningRateFinder(start_lr=1.0, end_lr=0.1)
    with pytest.raises(ValueError, match="num_steps must be at least 2"):
        callbacks.LearningRateFinder(num_steps=1)
    with pytest.raises(ValueError, match="call fit\\(\\) with this callback first"):
        callbacks.LearningRateFinder().suggestion()


def test_tensorboard_callback_makes_timestamped_dirs(tmp_path):
    cb = callbacks.tensorboard_callback("baseline", log_root=tmp_path)
    assert isinstance(cb, keras.callbacks.TensorBoard)
    assert str(cb.log_dir).startswith(str(tmp_path / "baseline"))
    with pytest.raises(ValueError, match="plain, non-empty name"):
        callbacks.tensorboard_callback("a/b")
