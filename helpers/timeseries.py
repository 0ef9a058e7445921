"""Time series helpers: chronological splits, windows, forecast metrics, N-BEATS.

- :func:`split_index`, :func:`chronological_split`: the train/test cut, in time order;
- :func:`make_windows` (built on ``keras.utils.timeseries_dataset_from_array``) and
  :func:`split_windows`: ``(window, horizon)`` examples, and their split at a date
  so that no test day is ever a training target;
- :func:`mae`, :func:`mse`, :func:`rmse`, :func:`mape`, :func:`mase` and
  :func:`evaluate_forecast`: forecast metrics with checked inputs;
- :func:`block_reward`: Bitcoin's block subsidy on given dates (the halving feature);
- :class:`NBeatsBlock`: the generic N-BEATS block (Oreshkin et al. 2019,
  arXiv:1905.10437) as a Keras layer returning ``(backcast, forecast)``;
- :func:`window_splits` and :func:`fit_forecaster`: train/validation/test windows and
  early-stopped training; :func:`dense_forecaster`, :func:`conv1d_forecaster`,
  :func:`lstm_forecaster` and :func:`nbeats_model`: the forecasting models of notebook 09.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn import metrics as skm

# --------------------------------------------------------------------------- splits


def split_index(n: int, test_fraction: float = 0.2) -> int:
    """Index of the first test step when the last ``test_fraction`` of ``n`` steps is the test set.

    ``int(n * (1 - test_fraction))``, the same cut as ``values[:int(0.8 * n)]``.

    Raises:
        ValueError: ``test_fraction`` outside (0, 1), or a split that leaves one side empty.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1 (exclusive), got {test_fraction}.")
    cut = int(n * (1.0 - test_fraction))
    if cut < 1 or cut >= n:
        raise ValueError(
            f"Splitting {n} steps with test_fraction={test_fraction} leaves an empty train or test "
            "set; use a longer series or another test_fraction."
        )
    return cut


def _check_increasing(dates, name: str) -> None:
    """Raise unless ``dates`` strictly increase (what a chronological split assumes)."""
    stamps = pd.DatetimeIndex(pd.to_datetime(dates))
    if stamps.hasnans:
        raise ValueError(
            f"{name} holds {int(stamps.isna().sum())} missing date(s) (NaT): drop or fill them before "
            "splitting in time order."
        )
    steps = np.diff(stamps.asi8)
    if len(steps) and (steps <= 0).any():
        i = int(np.argmax(steps <= 0)) + 1
        what = "repeats" if steps[i - 1] == 0 else "comes before"
        raise ValueError(
            f"{name} are not increasing: step {i} ({stamps[i].date()}) {what} step {i - 1} "
            f"({stamps[i - 1].date()}). A chronological split of unsorted dates would put later days "
            "in training and earlier ones in the test set: sort by date first (e.g. "
            "frame.sort_index() or frame.sort_values('Date')) and drop duplicated days."
        )


def chronological_split(
    values: Sequence | np.ndarray | pd.Series | pd.DataFrame,
    test_fraction: float = 0.2,
    dates: Sequence | np.ndarray | pd.Index | pd.Series | None = None,
) -> tuple:
    """Split ``values`` in time order: the first steps train, the last ``test_fraction`` test.

    Never shuffled: a shuffled split lets the model see days after the ones it is tested on.
    Works on NumPy arrays, lists and pandas objects (positional slicing). The split is
    positional, so the steps must already be in time order: the dates in ``dates`` (one
    per step), or else the DatetimeIndex of a pandas ``values``, are checked to increase.

    Returns:
        ``(train, test)``, of the same type as ``values``.

    Raises:
        ValueError: see :func:`split_index`; dates that do not strictly increase (unsorted or
            repeated days) or ``dates`` of another length than ``values``.
    """
    if dates is not None:
        if len(dates) != len(values):
            raise ValueError(
                f"dates has {len(dates)} entries but values has {len(values)} steps: pass one date per step."
            )
        _check_increasing(dates, "dates")
    elif isinstance(values, pd.Series | pd.DataFrame) and isinstance(values.index, pd.DatetimeIndex):
        _check_increasing(values.index, "The dates in values' index")
    cut = split_index(len(values), test_fraction)
    if isinstance(values, pd.Series | pd.DataFrame):
        return values.iloc[:cut], values.iloc[cut:]
    return values[:cut], values[cut:]


# --------------------------------------------------------------------------- windows


def make_windows(
    series: Sequence[float] | np.ndarray, window: int, horizon: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Turn a series into supervised examples: ``window`` past steps -> the next ``horizon`` steps.

    Built on ``keras.utils.timeseries_dataset_from_array``. Example ``i`` uses steps
    ``i .. i+window-1`` as input and steps ``i+window .. i+window+horizon-1`` as target,
    so its first target step is ``i + window``.

    Args:
        series: shape ``(n,)`` (one variable) or ``(n, features)``; targets are taken from
            the first column of a 2-D series.
        window: number of input steps (>= 1).
        horizon: number of steps to forecast (>= 1).

    Returns:
        ``(inputs, targets)``: ``inputs`` of shape ``(n - window - horizon + 1, window)``
        (or ``(..., window, features)`` for a 2-D series) and ``targets`` of shape
        ``(n - window - horizon + 1, horizon)``, both float32.

    Raises:
        ValueError: ``window``/``horizon`` not integers >= 1 (``7.0`` included), a series
            of more than 2 dimensions, NaN or infinite values, or a series too short for a
            single example.
    """
    for name, value in (("window", window), ("horizon", horizon)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1 (a number of steps), got {value!r}.")
    window, horizon = int(window), int(horizon)
    values = np.asarray(series, dtype="float32")
    if values.ndim not in (1, 2):
        raise ValueError(f"series must be 1-D (n,) or 2-D (n, features), got shape {values.shape}.")
    finite = np.isfinite(values) if values.ndim == 1 else np.isfinite(values).all(axis=1)
    if not finite.all():
        raise ValueError(
            f"series holds {int((~finite).sum())} step(s) with NaN or infinite values (the first at "
            f"step {int(np.argmin(finite))}): fill or drop them (e.g. pandas' interpolate() or "
            "dropna()) before making windows, or every window touching them trains on NaN."
        )
    length = window + horizon
    if len(values) < length:
        raise ValueError(
            f"A series of {len(values)} steps is too short for window={window} + horizon={horizon}; "
            f"it needs at least {length} steps."
        )
    dataset = keras.utils.timeseries_dataset_from_array(
        values, targets=None, sequence_length=length, sequence_stride=1, shuffle=False, batch_size=1024
    )
    full = np.concatenate([np.asarray(batch) for batch in dataset], axis=0)
    inputs = full[:, :window]
    targets = full[:, window:, 0] if values.ndim == 2 else full[:, window:]
    return inputs, targets


def _windows_matching(inputs: np.ndarray, targets: np.ndarray) -> list[int]:
    """The window lengths ``w`` for which ``inputs``/``targets`` look like consecutive windows.

    For windows of ``w`` steps taken one step apart (what :func:`make_windows` returns), the
    last input step of example ``i + 1`` is the first target of example ``i``. Inputs with
    extra columns after the window (features appended) keep this; shuffled or rescaled
    ones match no ``w``, and a constant series matches every ``w``.
    """
    steps = inputs[..., 0] if inputs.ndim == 3 else inputs
    first_targets = targets[:, 0] if targets.ndim == 2 else targets
    if len(steps) < 2:
        return []
    return [
        w for w in range(1, steps.shape[1] + 1) if np.array_equal(steps[1:, w - 1], first_targets[:-1])
    ]


def split_windows(
    inputs: np.ndarray, targets: np.ndarray, *, window: int | None = None, test_start: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split windows from :func:`make_windows` at step ``test_start`` of the original series.

    Test examples are those whose first target step is ``>= test_start``; training examples
    are those whose *last* target step is ``< test_start``, so no test step is ever a
    training target (for ``horizon > 1`` a few windows straddling the cut belong to neither).
    Inputs of test examples may reach back into the training period: that is the past,
    which a forecaster is allowed to see.

    The window length is read from the arrays: the last input step of each example is the
    first target of the one before. ``window`` may be left out; when given it must agree
    (a different one would shift the cut and let test-period targets into training). Where
    the arrays cannot tell (rescaled inputs), ``window`` is required and checked against
    the inputs' shape.

    Returns:
        ``(x_train, x_test, y_train, y_test)``.

    Raises:
        ValueError: mismatched lengths, inputs that are not windows, a ``window`` other than
            the one the arrays were built with, or a ``test_start`` that leaves a side empty.
    """
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    if len(inputs) != len(targets):
        raise ValueError(f"inputs and targets differ in length: {len(inputs)} vs {len(targets)}.")
    if inputs.ndim not in (2, 3):
        raise ValueError(
            f"inputs must be windows of shape (examples, window) or (examples, window, features), got shape "
            f"{inputs.shape}: pass the inputs make_windows returned."
        )
    if isinstance(window, bool) or not (window is None or isinstance(window, int | np.integer)):
        raise ValueError(f"window must be an integer number of steps (or left out), got {window!r}.")
    if isinstance(test_start, bool) or not isinstance(test_start, int | np.integer):
        raise ValueError(f"test_start must be an integer step of the series, got {test_start!r}.")
    matching = _windows_matching(inputs, targets)
    if window is None:
        if len(matching) == 1:
            window = matching[0]
        elif inputs.ndim == 3:
            window = inputs.shape[1]
        else:
            raise ValueError(
                "The window length cannot be read from these arrays (rescaled or reordered inputs, or a "
                "constant series): pass window=<the window make_windows was given>."
            )
    elif window not in matching and (len(matching) == 1 or (matching == [] and (
        window > inputs.shape[1] or (inputs.ndim == 3 and window != inputs.shape[1])
    ))):
        built = matching[0] if matching else inputs.shape[1]
        raise ValueError(
            f"window={window} does not match the arrays, which are windows of {built} steps: the cut "
            f"would be {'late' if window > built else 'early'} by {abs(window - built)} step(s), letting "
            f"test-period targets into training. Pass window={built}, or leave window out (it is read "
            "from the arrays)."
        )
    window = int(window)
    horizon = targets.shape[1] if targets.ndim == 2 else 1
    first_target = np.arange(len(targets)) + window
    test = first_target >= test_start
    train = first_target + horizon - 1 < test_start
    if not test.any() or not train.any():
        raise ValueError(
            f"test_start={test_start} leaves no {'test' if not test.any() else 'training'} windows "
            f"(window={window}, horizon={horizon}, {len(targets)} windows)."
        )
    return inputs[train], inputs[test], targets[train], targets[test]


# --------------------------------------------------------------------------- metrics


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    true = np.asarray(y_true, dtype="float64")
    pred = np.asarray(y_pred, dtype="float64")
    if true.shape != pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {true.shape} and {pred.shape}; "
            "align forecasts with the days they forecast (e.g. squeeze a (n, 1) prediction)."
        )
    if true.size == 0:
        raise ValueError("y_true and y_pred are empty; there is nothing to evaluate.")
    if not (np.isfinite(true).all() and np.isfinite(pred).all()):
        raise ValueError("y_true and y_pred must be finite (found NaN or inf).")
    return true.ravel(), pred.ravel()


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error, in the units of the series (``sklearn.metrics``).

    Raises:
        ValueError: different shapes, empty or non-finite input.
    """
    true, pred = _pair(y_true, y_pred)
    return float(skm.mean_absolute_error(true, pred))


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error (``sklearn.metrics``). Raises ``ValueError`` as :func:`mae`."""
    true, pred = _pair(y_true, y_pred)
    return float(skm.mean_squared_error(true, pred))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error (``sklearn.metrics``). Raises ``ValueError`` as :func:`mae`."""
    true, pred = _pair(y_true, y_pred)
    return float(skm.root_mean_squared_error(true, pred))


def mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute percentage error, in percent (100 * mean |(y - ŷ) / y|).

    Raises:
        ValueError: as :func:`mae`, and when ``y_true`` contains a zero (the percentage
            error is undefined there; sklearn would silently divide by a tiny epsilon).
    """
    true, pred = _pair(y_true, y_pred)
    if np.any(true == 0):
        raise ValueError(
            f"MAPE is undefined when y_true contains zeros ({int(np.sum(true == 0))} found); "
            "use MAE or MASE for such series."
        )
    return 100.0 * float(skm.mean_absolute_percentage_error(true, pred))


def naive_scale(series: ArrayLike, seasonality: int = 1) -> float:
    """MAE of the seasonal naive forecast on ``series``: mean |y[t] - y[t - seasonality]|.

    This is the denominator of :func:`mase`.

    Raises:
        ValueError: a series of fewer than ``seasonality + 1`` finite values, or
            ``seasonality`` < 1.
    """
    if int(seasonality) != seasonality or seasonality < 1:
        raise ValueError(f"seasonality must be an integer >= 1, got {seasonality}.")
    values = np.asarray(series, dtype="float64").ravel()
    if not np.isfinite(values).all():
        raise ValueError(
            f"The scaling series (y_insample) holds {int((~np.isfinite(values)).sum())} NaN or infinite "
            f"value(s) among its {len(values)}; fill or drop them first."
        )
    if len(values) <= seasonality:
        raise ValueError(
            f"The scaling series (y_insample) needs more than {seasonality} values for "
            f"seasonality={seasonality}, got {len(values)}."
        )
    return float(np.mean(np.abs(values[seasonality:] - values[:-seasonality])))


def mase(y_true: ArrayLike, y_pred: ArrayLike, y_insample: ArrayLike, seasonality: int = 1) -> float:
    """Mean absolute scaled error: MAE divided by the in-sample MAE of the naive forecast.

    ``mase = mae(y_true, y_pred) / naive_scale(y_insample, seasonality)`` (Hyndman &
    Koehler 2006). Below 1, the forecast beats the one-step naive forecast *on the series
    used for scaling*. Pass the training series for the textbook definition, or the test
    series itself to scale by the naive forecast's own error on the test period.

    Raises:
        ValueError: as :func:`mae` and :func:`naive_scale`, and when the scale is zero
            (a constant scaling series), where MASE is undefined.
    """
    error = mae(y_true, y_pred)
    scale = naive_scale(y_insample, seasonality)
    if scale == 0:
        raise ValueError(
            "MASE is undefined: the naive forecast has zero error on the scaling series (it is "
            "constant); report MAE instead, or scale by a series that varies."
        )
    return error / scale


def evaluate_forecast(
    y_true: ArrayLike, y_pred: ArrayLike, y_insample: ArrayLike, seasonality: int = 1
) -> dict[str, float]:
    """All five metrics at once: ``{"mae", "mse", "rmse", "mape", "mase"}``.

    Multi-step forecasts (shape ``(n, horizon)``) are scored over every forecast step.

    Raises:
        ValueError: see :func:`mae`, :func:`mape` and :func:`mase`.
    """
    return {
        "mae": mae(y_true, y_pred),
        "mse": mse(y_true, y_pred),
        "rmse": rmse(y_true, y_pred),
        "mape": mape(y_true, y_pred),
        "mase": mase(y_true, y_pred, y_insample, seasonality),
    }


# --------------------------------------------------------------------------- features

#: Bitcoin's block subsidy (BTC per block) and the day each value starts (UTC).
HALVINGS: tuple[tuple[str, float], ...] = (
    ("2009-01-03", 50.0),  # genesis block
    ("2012-11-28", 25.0),
    ("2016-07-09", 12.5),
    ("2020-05-11", 6.25),
    ("2024-04-20", 3.125),
)


def block_reward(dates: ArrayLike | pd.DatetimeIndex) -> np.ndarray:
    """The Bitcoin block reward in force on each date (a step function of the halvings).

    The halving schedule is known years in advance, so a forecaster may use it as an
    input for the very day it forecasts without peeking at the future.

    Args:
        dates: anything ``pandas.to_datetime`` understands (a DatetimeIndex, strings...).

    Returns:
        float32 array of rewards, one per date.

    Raises:
        ValueError: a missing date (``None``, ``NaN``, ``NaT``), a date before the genesis
            block (2009-01-03), or unparseable dates.
    """
    try:
        stamps = pd.DatetimeIndex(pd.to_datetime(dates))
    except (ValueError, TypeError) as error:
        raise ValueError(f"block_reward could not read the dates: {error}") from None
    if stamps.hasnans:
        missing = np.flatnonzero(stamps.isna())
        raise ValueError(
            f"dates holds {len(missing)} missing value(s) (NaT), the first at position {int(missing[0])}: "
            "a missing date has no block reward; drop or fill those rows first."
        )
    starts = pd.DatetimeIndex([pd.Timestamp(day) for day, _ in HALVINGS])
    if stamps.tz is not None:
        stamps = stamps.tz_convert(None)
    if len(stamps) and stamps.min() < starts[0]:
        raise ValueError(f"{stamps.min().date()} is before Bitcoin's genesis block (2009-01-03).")
    rewards = np.array([reward for _, reward in HALVINGS], dtype="float32")
    which = starts.searchsorted(stamps, side="right") - 1
    return rewards[which]


# --------------------------------------------------------------------------- N-BEATS


@keras.saving.register_keras_serializable(package="course")
class NBeatsBlock(keras.layers.Layer):
    """The generic N-BEATS block (Oreshkin et al. 2019, arXiv:1905.10437, section 3.1).

    A stack of ``n_layers`` fully connected ReLU layers, then one linear layer producing
    the expansion coefficients θ of size ``input_size + horizon``. With the *generic*
    basis the basis functions are learnt linear maps, so the coefficients are split
    directly into the backcast (the block's reconstruction of its input, size
    ``input_size``) and the forecast (size ``horizon``). The model subtracts each block's
    backcast from the input of the next block and sums the blocks' forecasts (doubly
    residual stacking).

    Call returns ``(backcast, forecast)``.
    """

    def __init__(self, input_size: int, horizon: int, n_neurons: int = 512, n_layers: int = 4, **kwargs):
        super().__init__(**kwargs)
        for name, value in (
            ("input_size", input_size),
            ("horizon", horizon),
            ("n_neurons", n_neurons),
            ("n_layers", n_layers),
        ):
            if int(value) != value or value < 1:
                raise ValueError(f"NBeatsBlock {name} must be an integer >= 1, got {value}.")
        self.input_size = int(input_size)
        self.horizon = int(horizon)
        self.n_neurons = int(n_neurons)
        self.n_layers = int(n_layers)
        self.hidden = [
            keras.layers.Dense(self.n_neurons, activation="relu", name=f"fc{i + 1}")
            for i in range(self.n_layers)
        ]
        self.theta = keras.layers.Dense(self.input_size + self.horizon, name="theta")

    def build(self, input_shape) -> None:
        if input_shape[-1] != self.input_size:
            raise ValueError(
                f"NBeatsBlock expects inputs with {self.input_size} features (its input_size), "
                f"got shape {tuple(input_shape)}."
            )
        shape = tuple(input_shape)
        for layer in self.hidden:
            layer.build(shape)
            shape = (*shape[:-1], self.n_neurons)
        self.theta.build(shape)
        super().build(input_shape)

    def call(self, inputs):
        x = inputs
        for layer in self.hidden:
            x = layer(x)
        theta = self.theta(x)
        return theta[..., : self.input_size], theta[..., self.input_size :]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.input_size), (*input_shape[:-1], self.horizon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_size": self.input_size,
            "horizon": self.horizon,
            "n_neurons": self.n_neurons,
            "n_layers": self.n_layers,
        }


# --------------------------------------------------------------------------- models and training


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
    return int(value)


def window_splits(values: ArrayLike, *, window: int, test_start: int, horizon: int = 1,
                  val_fraction: float = 0.1):
    """Windows of a series split in time order into training, validation and test examples.

    :func:`make_windows` cuts ``values`` into ``(window, horizon)`` examples,
    :func:`split_windows` splits them at step ``test_start``, and the last ``val_fraction``
    of the training windows (still in time order) become the validation examples that
    decide early stopping.

    Returns:
        ``((x_train, y_train), (x_val, y_val), (x_test, y_test))``.

    Raises:
        ValueError: a bad ``window``, ``horizon``, ``test_start`` or ``val_fraction`` (the
            message names it).
    """
    window, horizon = _positive_int("window", window), _positive_int("horizon", horizon)
    x, y = make_windows(np.asarray(values, dtype=float), window=window, horizon=horizon)
    x_train, x_test, y_train, y_test = split_windows(x, y, window=window, test_start=test_start)
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction!r}.")
    cut = split_index(len(x_train), val_fraction)
    return (x_train[:cut], y_train[:cut]), (x_train[cut:], y_train[cut:]), (x_test, y_test)


def fit_forecaster(model: keras.Model, data, *, loss: str = "mae", epochs: int, patience: int,
                   batch_size: int = 128, learning_rate: float = 1e-3, name: str | None = None,
                   callbacks: Sequence[keras.callbacks.Callback] = ()) -> keras.callbacks.History:
    """Compile with Adam, train with early stopping on the validation windows, keep the best weights.

    ``data`` is what :func:`window_splits` returns (the test pair is not used). Prints the
    number of epochs run and the best validation loss. ``callbacks`` run besides the early
    stopping (for example ``keras.callbacks.ReduceLROnPlateau``).

    Raises:
        ValueError: ``data`` is not ``(train, validation, test)`` pairs, or a bad ``epochs``,
            ``patience`` or ``batch_size``.
    """
    if not isinstance(data, tuple | list) or len(data) != 3 or any(len(pair) != 2 for pair in data[:2]):
        raise ValueError("data must be ((x_train, y_train), (x_val, y_val), (x_test, y_test)), "
                         "as window_splits returns it.")
    epochs, patience = _positive_int("epochs", epochs), _positive_int("patience", patience)
    batch_size = _positive_int("batch_size", batch_size)
    (x_train, y_train), (x_val, y_val), _ = data
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(learning_rate=learning_rate))
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                        batch_size=batch_size, callbacks=[stop, *callbacks], verbose=0)
    best = int(np.argmin(history.history["val_loss"]))
    print(f"{name or model.name}: {len(history.history['loss'])} epochs, best validation "
          f"{loss} {history.history['val_loss'][best]:.2f} at epoch {best + 1}")
    return history


def dense_forecaster(window: int, horizon: int = 1, units: int = 128,
                     name: str | None = None) -> keras.Model:
    """One hidden ReLU layer from ``window`` inputs to ``horizon`` forecasts.

    Named ``dense_w{window}_h{horizon}`` unless ``name`` is given.
    """
    window, horizon, units = (_positive_int(n, v) for n, v in (("window", window), ("horizon", horizon),
                                                                ("units", units)))
    return keras.Sequential(
        [keras.Input(shape=(window,)), keras.layers.Dense(units, activation="relu"),
         keras.layers.Dense(horizon)],
        name=name or f"dense_w{window}_h{horizon}",
    )


def conv1d_forecaster(window: int = 7, horizon: int = 1, filters: int = 128, kernel_size: int = 5,
                      name: str | None = None) -> keras.Model:
    """A causal Conv1D over the window read as a sequence of one feature, then a linear forecast."""
    window, horizon = _positive_int("window", window), _positive_int("horizon", horizon)
    filters, kernel_size = _positive_int("filters", filters), _positive_int("kernel_size", kernel_size)
    return keras.Sequential(
        [
            keras.Input(shape=(window,)),
            keras.layers.Reshape((window, 1)),
            keras.layers.Conv1D(filters, kernel_size=kernel_size, padding="causal", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(horizon),
        ],
        name=name or f"conv1d_w{window}_h{horizon}",
    )


def lstm_forecaster(window: int = 7, horizon: int = 1, units: int = 128,
                    name: str | None = None) -> keras.Model:
    """An LSTM with a ReLU activation (raw prices do not saturate it), then a linear forecast."""
    window, horizon, units = (_positive_int(n, v) for n, v in (("window", window), ("horizon", horizon),
                                                                ("units", units)))
    return keras.Sequential(
        [
            keras.Input(shape=(window,)),
            keras.layers.Reshape((window, 1)),
            keras.layers.LSTM(units, activation="relu"),
            keras.layers.Dense(horizon),
        ],
        name=name or f"lstm_w{window}_h{horizon}",
    )


def nbeats_model(input_size: int = 7, horizon: int = 1, *, blocks: int = 6, neurons: int = 256,
                 layers: int = 4, name: str = "nbeats") -> keras.Model:
    """N-BEATS (generic): ``blocks`` :class:`NBeatsBlock` layers joined by doubly residual stacking.

    Each block receives what the previous blocks could not explain (input minus backcast,
    ``keras.layers.subtract``); the model's forecast is the sum of the blocks' forecasts
    (``keras.layers.add``).
    """
    blocks = _positive_int("blocks", blocks)
    inputs = keras.Input(shape=(_positive_int("input_size", input_size),), name="window")
    residual, forecast = inputs, None
    for i in range(blocks):
        block = NBeatsBlock(input_size, horizon, neurons, layers, name=f"block_{i}")
        backcast, block_forecast = block(residual)
        residual = keras.layers.subtract([residual, backcast], name=f"residual_{i}")
        forecast = block_forecast if forecast is None else keras.layers.add([forecast, block_forecast],
                                                                            name=f"forecast_{i}")
    return keras.Model(inputs, forecast, name=name)
