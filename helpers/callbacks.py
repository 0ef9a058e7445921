"""Keras callbacks the course uses: a learning-rate finder and TensorBoard logging."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np


class LearningRateFinder(keras.callbacks.Callback):
    """Raise the learning rate exponentially each batch and record each batch's loss.

    Train for about ``num_steps`` batches with this callback, then look at
    :meth:`plot`: a good learning rate sits where the loss falls fastest, roughly ten
    times below the rate at which the (smoothed) loss is lowest. Training stops by itself
    once the smoothed loss explodes (four times its best value) or a loss is NaN.

    Keras passes callbacks the running mean of the loss since the start of the epoch, not
    the loss of the batch. So that :attr:`losses` holds each batch's own loss, the
    callback resets the model's metrics before every batch (the metrics that ``fit``
    prints while it runs are then per batch too). Per-batch losses are noisy:
    :attr:`smoothed_losses` holds their exponential moving average (weight
    ``smoothing`` on the past, bias-corrected, never restarted at an epoch boundary),
    which the suggestion and the stopping rule use.
    """

    def __init__(
        self, start_lr: float = 1e-6, end_lr: float = 1.0, num_steps: int = 100, smoothing: float = 0.9
    ):
        super().__init__()
        if not 0 < start_lr < end_lr:
            raise ValueError(f"Need 0 < start_lr < end_lr, got start_lr={start_lr}, end_lr={end_lr}.")
        if num_steps < 2:
            raise ValueError(f"num_steps must be at least 2, got {num_steps}.")
        if not 0 <= smoothing < 1:
            raise ValueError(f"smoothing must lie in [0, 1) (0: no smoothing), got {smoothing}.")
        self.start_lr, self.end_lr, self.num_steps = start_lr, end_lr, num_steps
        self.smoothing = smoothing
        self.factor = (end_lr / start_lr) ** (1 / (num_steps - 1))
        self.learning_rates: list[float] = []
        self.losses: list[float] = []
        self.smoothed_losses: list[float] = []
        self._step = 0
        self._best = math.inf
        self._average = 0.0

    def on_train_begin(self, logs=None):
        self._step, self._best, self._average = 0, math.inf, 0.0
        self.learning_rates, self.losses, self.smoothed_losses = [], [], []
        self.model.optimizer.learning_rate.assign(self.start_lr)

    def on_train_batch_begin(self, batch, logs=None):
        # Without this, logs["loss"] at the batch's end is the mean over the epoch so far.
        self.model.reset_metrics()

    def on_train_batch_end(self, batch, logs=None):
        loss = float((logs or {}).get("loss", math.nan))
        lr = self.start_lr * self.factor**self._step
        self._step += 1
        self._average = self.smoothing * self._average + (1 - self.smoothing) * loss
        smoothed = self._average / (1 - self.smoothing**self._step)
        self.learning_rates.append(lr)
        self.losses.append(loss)
        self.smoothed_losses.append(smoothed)
        self._best = min(self._best, smoothed)
        if math.isnan(loss) or smoothed > 4 * self._best or self._step >= self.num_steps:
            self.model.stop_training = True
            return
        self.model.optimizer.learning_rate.assign(self.start_lr * self.factor**self._step)

    def suggestion(self) -> float:
        """The learning rate ten times below the one with the lowest smoothed loss."""
        if not self.losses:
            raise ValueError("No losses recorded yet: call fit() with this callback first.")
        return self.learning_rates[int(np.nanargmin(self.smoothed_losses))] / 10

    def plot(self, ax=None):
        """Plot each batch's loss and its smoothed curve against the learning rate (log scale)."""
        if not self.losses:
            raise ValueError("No losses recorded yet: call fit() with this callback first.")
        ax = ax or plt.subplots(figsize=(7, 4))[1]
        ax.semilogx(self.learning_rates, self.losses, color="tab:blue", alpha=0.35, label="each batch")
        ax.semilogx(self.learning_rates, self.smoothed_losses, color="tab:blue", label="smoothed")
        ax.axvline(self.suggestion(), color="tab:red", linestyle="--", label="suggestion")
        ax.set(xlabel="learning rate (log scale)", ylabel="loss", title="Learning-rate finder")
        ax.legend()
        return ax


def tensorboard_callback(experiment: str, log_root: str | Path = "logs") -> keras.callbacks.TensorBoard:
    """A TensorBoard callback writing to ``<log_root>/<experiment>/<YYYYmmdd-HHMMSS>``.

    View the logs with ``%load_ext tensorboard`` then ``%tensorboard --logdir logs``.
    TensorBoard must be installed (TensorFlow 2.21 no longer pulls it in).

    Raises:
        ValueError: an experiment that is not a plain, non-empty name (a path separator,
            ``.`` or ``..``, which would write outside ``log_root``, or a non-string).
        ImportError: tensorboard is not installed, with the command that installs it.
    """
    if (
        not isinstance(experiment, str)
        or not experiment.strip()
        or "/" in experiment
        or "\\" in experiment
        or experiment.strip() in {".", ".."}
        or experiment != experiment.strip()
    ):
        raise ValueError(
            f"experiment must be a plain, non-empty name (letters, digits, '_', '-'), got {experiment!r}: "
            "a path separator, '.' or '..' would put the logs outside log_root or mix them with "
            "another run's. Use e.g. model.name."
        )
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise ImportError("The TensorBoard callback needs tensorboard: `pip install tensorboard`.") from None
    log_dir = Path(log_root) / experiment / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    print(f"TensorBoard logs: {log_dir}")
    return keras.callbacks.TensorBoard(log_dir=str(log_dir))
