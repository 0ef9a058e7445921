"""Tests for helpers.timeseries: splits, windows, metrics, the halving feature, N-BEATS."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from helpers import timeseries as ts

# ------------------------------------------------------------------ splits


def test_split_index_matches_int_of_80_percent():
    assert ts.split_index(2787) == int(2787 * 0.8) == 2229
    assert ts.split_index(10, 0.3) == 7


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_split_index_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="test_fraction must be between 0 and 1"):
        ts.split_index(100, fraction)


def test_split_index_rejects_empty_side():
    with pytest.raises(ValueError, match="leaves an empty train or test set"):
        ts.split_index(1, 0.2)


def test_chronological_split_keeps_order_for_arrays_and_series():
    train, test = ts.chronological_split(np.arange(10), 0.2)
    np.testing.assert_array_equal(train, np.arange(8))
    np.testing.assert_array_equal(test, [8, 9])
    series = pd.Series(np.arange(5.0), index=pd.date_range("2020-01-01", periods=5))
    s_train, s_test = ts.chronological_split(series, 0.4)
    assert s_train.index.max() < s_test.index.min()
    assert len(s_train) == 3 and len(s_test) == 2


# ------------------------------------------------------------------ windows


def test_make_windows_hand_computed():
    inputs, targets = ts.make_windows([1, 2, 3, 4, 5, 6], window=3, horizon=2)
    np.testing.assert_array_equal(inputs, [[1, 2, 3], [2, 3, 4]])
    np.testing.assert_array_equal(targets, [[4, 5], [5, 6]])
    assert inputs.dtype == np.float32 and targets.dtype == np.float32


def test_make_windows_count_and_horizon_one():
    inputs, targets = ts.make_windows(np.arange(2787), window=7, horizon=1)
    assert inputs.shape == (2780, 7) and targets.shape == (2780, 1)
    np.testing.assert_array_equal(inputs[-1], np.arange(2779, 2786))
    assert targets[-1, 0] == 2786


def test_make_windows_multivariate_targets_first_column():
    series = np.stack([np.arange(5.0), 10 * np.arange(5.0)], axis=1)
    inputs, targets = ts.make_windows(series, window=2, horizon=1)
    assert inputs.shape == (3, 2, 2)
    np.testing.assert_array_equal(targets[:, 0], [2, 3, 4])


def test_make_windows_bad_input():
    with pytest.raises(ValueError, match="too short"):
        ts.make_windows([1, 2, 3], window=3, horizon=1)
    with pytest.raises(ValueError, match=r"window must be an integer >= 1 .*got 0"):
        ts.make_windows([1, 2, 3], window=0)
    with pytest.raises(ValueError, match=r"horizon must be an integer >= 1 .*got 1\.5"):
        ts.make_windows([1, 2, 3], window=1, horizon=1.5)
    with pytest.raises(ValueError, match="1-D"):
        ts.make_windows(np.zeros((5, 2, 2)), window=2)


def test_split_windows_never_trains_on_test_targets():
    series = np.arange(20)
    inputs, targets = ts.make_windows(series, window=3, horizon=2)
    x_tr, x_te, y_tr, y_te = ts.split_windows(inputs, targets, window=3, test_start=15)
    assert y_tr.max() < 15  # every training target is before the cut
    assert y_te[:, 0].min() == 15  # the first test window forecasts the first test day
    np.testing.assert_array_equal(x_te[0], [12, 13, 14])  # its inputs may be training days
    assert len(y_tr) + len(y_te) == len(targets) - 1  # the one straddling window is dropped


def test_split_windows_bad_input():
    inputs, targets = ts.make_windows(np.arange(10), window=2)
    with pytest.raises(ValueError, match="differ in length"):
        ts.split_windows(inputs, targets[:-1], window=2, test_start=5)
    with pytest.raises(ValueError, match="leaves no test windows"):
        ts.split_windows(inputs, targets, window=2, test_start=50)
    with pytest.raises(ValueError, match="leaves no training windows"):
        ts.split_windows(inputs, targets, window=2, test_start=1)


# ------------------------------------------------------------------ metrics

Y_TRUE = np.array([100.0, 110.0, 120.0, 130.0])
Y_PRED = np.array([110.0, 100.0, 120.0, 126.0])  # errors 10, -10, 0, -4


def test_metrics_hand_computed():
    assert ts.mae(Y_TRUE, Y_PRED) == pytest.approx(6.0)
    assert ts.mse(Y_TRUE, Y_PRED) == pytest.approx((100 + 100 + 0 + 16) / 4)
    assert ts.rmse(Y_TRUE, Y_PRED) == pytest.approx(np.sqrt(54.0))
    assert ts.mape(Y_TRUE, Y_PRED) == pytest.approx(100 * (0.1 + 10 / 110 + 0 + 4 / 130) / 4)
    # naive in-sample MAE of [100, 110, 120, 130] is 10 -> MASE = 6 / 10
    assert ts.naive_scale(Y_TRUE) == pytest.approx(10.0)
    assert ts.mase(Y_TRUE, Y_PRED, Y_TRUE) == pytest.approx(0.6)
    assert ts.naive_scale([1, 5, 2, 6], seasonality=2) == pytest.approx(1.0)


def test_naive_forecast_has_mase_one_on_its_own_series():
    series = np.array([3.0, 5.0, 4.0, 8.0, 7.0])
    assert ts.mase(series[1:], series[:-1], series) == pytest.approx(1.0)


def test_evaluate_forecast_keys_and_multistep():
    result = ts.evaluate_forecast(np.ones((3, 7)) * 2, np.ones((3, 7)), y_insample=[1.0, 2.0, 4.0])
    assert set(result) == {"mae", "mse", "rmse", "mape", "mase"}
    assert result["mae"] == pytest.approx(1.0)
    assert result["mape"] == pytest.approx(50.0)
    assert result["mase"] == pytest.approx(1.0 / 1.5)


@pytest.mark.parametrize("metric", [ts.mae, ts.mse, ts.rmse, ts.mape])
def test_metrics_reject_length_mismatch(metric):
    with pytest.raises(ValueError, match="same shape"):
        metric([1.0, 2.0, 3.0], [1.0, 2.0])


def test_metrics_reject_column_vs_flat_and_empty_and_nan():
    with pytest.raises(ValueError, match="squeeze"):
        ts.mae(np.ones(3), np.ones((3, 1)))
    with pytest.raises(ValueError, match="empty"):
        ts.mae([], [])
    with pytest.raises(ValueError, match="finite"):
        ts.mae([1.0, np.nan], [1.0, 2.0])


def test_mape_zero_denominator_raises():
    with pytest.raises(ValueError, match="MAPE is undefined when y_true contains zeros"):
        ts.mape([0.0, 1.0], [1.0, 1.0])


def test_mase_zero_scale_raises():
    with pytest.raises(ValueError, match="MASE is undefined"):
        ts.mase([1.0, 2.0], [1.0, 1.0], y_insample=[5.0, 5.0, 5.0])


def test_mase_bad_scaling_series():
    expected = r"scaling series \(y_insample\) needs more than 1 values for seasonality=1, got 1"
    with pytest.raises(ValueError, match=expected):
        ts.mase([1.0], [1.0], y_insample=[5.0])
    with pytest.raises(ValueError, match="seasonality must be an integer"):
        ts.naive_scale([1.0, 2.0, 3.0], seasonality=0)


# ------------------------------------------------------------------ halving feature


def test_block_reward_steps_at_halvings():
    rewards = ts.block_reward(["2012-11-27", "2012-11-28", "2016-07-08", "2016-07-09", "2020-05-10",
                               "2020-05-11", "2024-04-20"])
    np.testing.assert_array_equal(rewards, [50, 25, 25, 12.5, 12.5, 6.25, 3.125])
    assert rewards.dtype == np.float32
    assert ts.block_reward(pd.date_range("2013-10-01", periods=3)).tolist() == [25, 25, 25]


def test_block_reward_bad_dates():
    with pytest.raises(ValueError, match="before Bitcoin's genesis block"):
        ts.block_reward(["2008-12-31"])
    with pytest.raises(ValueError, match="could not read the dates"):
        ts.block_reward(["not a date"])


# ------------------------------------------------------------------ N-BEATS


def test_nbeats_block_shapes_and_split():
    block = ts.NBeatsBlock(input_size=7, horizon=2, n_neurons=8, n_layers=2)
    backcast, forecast = block(np.ones((4, 7), dtype="float32"))
    assert tuple(backcast.shape) == (4, 7) and tuple(forecast.shape) == (4, 2)
    # 2 hidden layers (7*8+8, 8*8+8) and theta (8*9+9)
    assert block.count_params() == 64 + 72 + 81


def test_nbeats_doubly_residual_stack_trains_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(7,))
    residual, forecast = inputs, None
    for i in range(2):
        backcast, block_forecast = ts.NBeatsBlock(7, 1, n_neurons=16, n_layers=2, name=f"block{i}")(residual)
        residual = keras.layers.subtract([residual, backcast])
        forecast = block_forecast if forecast is None else keras.layers.add([forecast, block_forecast])
    model = keras.Model(inputs, forecast)
    model.compile(loss="mae", optimizer=keras.optimizers.Adam(0.01))
    x, y = ts.make_windows(np.sin(np.arange(200) / 5), window=7)
    history = model.fit(x, y, epochs=20, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = tmp_path / "nbeats.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded.predict(x[:5], verbose=0), model.predict(x[:5], verbose=0), rtol=1e-5)


def test_nbeats_block_bad_config_and_input():
    with pytest.raises(ValueError, match="horizon must be an integer >= 1"):
        ts.NBeatsBlock(input_size=7, horizon=0)
    with pytest.raises(ValueError, match="expects inputs with 7 features"):
        ts.NBeatsBlock(input_size=7, horizon=1, n_neurons=4, n_layers=1)(np.ones((2, 5), dtype="float32"))


# ------------------------------------------------------------------ models and training


def test_window_splits_cuts_train_validation_test_in_time_order():
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = ts.window_splits(np.arange(40.0), window=3, test_start=30,
                                                                  val_fraction=0.25)
    assert len(x_tr) + len(x_val) == 27 and len(x_te) == 10
    assert y_tr[-1, 0] < y_val[0, 0] and y_val[-1, 0] == 29 and y_te[0, 0] == 30
    assert np.array_equal(x_te[0], [27.0, 28.0, 29.0])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"window": 0}, "window must be an integer >= 1"),
    ({"horizon": 1.5}, "horizon must be an integer >= 1"),
    ({"val_fraction": 1.0}, "val_fraction must be between 0 and 1"),
])
def test_window_splits_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ts.window_splits(np.arange(40.0), **{"window": 3, "test_start": 30, **kwargs})


def test_fit_forecaster_trains_and_reports(capsys):
    data = ts.window_splits(np.arange(60.0), window=3, test_start=50)
    keras.utils.set_random_seed(0)
    history = ts.fit_forecaster(ts.dense_forecaster(3, units=4), data, epochs=2, patience=1, name="tiny")
    assert len(history.history["loss"]) <= 2
    assert capsys.readouterr().out.startswith("tiny: ")


def test_fit_forecaster_rejects_bad_data_and_epochs():
    model = ts.dense_forecaster(3, units=4)
    with pytest.raises(ValueError, match="data must be"):
        ts.fit_forecaster(model, (np.zeros((4, 3)), np.zeros(4)), epochs=1, patience=1)
    data = ts.window_splits(np.arange(60.0), window=3, test_start=50)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        ts.fit_forecaster(model, data, epochs=0, patience=1)


def test_forecasters_have_the_notebook_shapes_and_names():
    assert ts.dense_forecaster(7).count_params() == 1153 and ts.dense_forecaster(7).name == "dense_w7_h1"
    assert ts.dense_forecaster(30, horizon=7).output_shape == (None, 7)
    assert ts.conv1d_forecaster().name == "conv1d_w7_h1" and ts.conv1d_forecaster().output_shape == (None, 1)
    assert ts.lstm_forecaster(horizon=2).output_shape == (None, 2)
    model = ts.nbeats_model(7, 2, blocks=2, neurons=8, layers=2)
    assert model.output_shape == (None, 2)
    assert len([layer for layer in model.layers if "block" in layer.name]) == 2


@pytest.mark.parametrize(("builder", "kwargs", "message"), [
    (ts.dense_forecaster, {"window": 0}, "window must be"),
    (ts.conv1d_forecaster, {"kernel_size": 0}, "kernel_size must be"),
    (ts.lstm_forecaster, {"units": -1}, "units must be"),
    (ts.nbeats_model, {"blocks": 0}, "blocks must be"),
])
def test_forecasters_reject_bad_sizes(builder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        builder(**kwargs)
