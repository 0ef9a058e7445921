"""One worker of a multi-worker Keras training run; started once per worker process.

Run as ``python -m helpers.distributed_worker --data DATA.npz --out RUN_DIR ...`` with
the ``TF_CONFIG`` environment variable naming the cluster and this worker's index
(:class:`helpers.distributed.WorkerCluster` starts it that way). Every worker builds the
same model inside ``tf.distribute.MultiWorkerMirroredStrategy``, trains on its shard of
each global batch and takes part in every gradient all-reduce. Only the chief (worker 0)
saves the trained model. Each worker writes:

- to stdout, lines starting with ``[worker N]`` (its log; ``READY_MARKER`` once its
  strategy exists);
- ``worker-N.json``: its history, validation scores, timings and whether it saved;
- ``worker-N.weights.npz``: its final weights, to check that all workers agree.

The model and data pipeline live here (``build_classifier``, ``make_dataset``) so that a
notebook trains exactly the same thing with one process and any strategy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers.distributed import READY_MARKER  # noqa: E402

MODEL_FILE = "model.keras"


def build_classifier(
    input_shape: tuple[int, ...] = (28, 28),
    n_classes: int = 10,
    hidden: int = 128,
    learning_rate: float = 1e-3,
) -> keras.Model:
    """A small dense classifier for 28x28 images, compiled with Adam and sparse cross-entropy.

    Build it inside ``strategy.scope()`` to distribute it. Pixels are scaled to [0, 1]
    by its first layer, so it takes raw ``uint8`` images.
    """
    if hidden < 1 or n_classes < 2:
        raise ValueError(f"Need hidden >= 1 and n_classes >= 2, got hidden={hidden}, n_classes={n_classes}.")
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(n_classes, activation="softmax"),
        ],
        name="fashion_dense",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def make_dataset(
    x: np.ndarray, y: np.ndarray, global_batch_size: int, shuffle_seed: int | None = None
) -> tf.data.Dataset:
    """Batches of ``global_batch_size`` examples, shuffled with a fixed seed when one is given.

    The batch size is the *global* one: a strategy splits each batch across its replicas.
    Auto-sharding is set to split by data, since the arrays are not files.
    """
    if global_batch_size < 1:
        raise ValueError(f"global_batch_size must be at least 1, got {global_batch_size}.")
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.batch(global_batch_size).prefetch(2).with_options(options)


def work_around_keras_multi_worker(model: keras.Model, sample_batch: Any) -> None:
    """Let ``model.fit`` and ``evaluate`` run under ``MultiWorkerMirroredStrategy`` on Keras 3.

    Keras 3's TensorFlow trainer has two steps that fail when more than one worker takes
    part (keras-team/keras#20585, tensorflow/tensorflow#72388), and this replaces both in
    this process only:

    1. before the first step it builds the model from one batch that it first averages
       across workers with ``strategy.reduce``, which rejects an ``(x, y)`` batch ("Attempt
       to convert a value (PerReplica...)"). Only shapes and dtypes matter for building,
       so the model is handed a local batch instead;
    2. after each step it averages the scalar logs (loss, accuracy) across workers with
       ``strategy.reduce("MEAN", value, axis=0)``, which fails on a scalar. Scalars are
       averaged with ``axis=None`` instead, which is what the call means.

    Gradients, variables and the all-reduce are untouched: the fix concerns only how
    Keras builds the model and reports its logs.
    """
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original_build = getattr(model, "_maybe_symbolic_build", None)
    if original_build is not None:

        def build_from_local_batch(iterator=None, data_batch=None):
            return original_build(data_batch=sample_batch if data_batch is None else data_batch)

        model._maybe_symbolic_build = build_from_local_batch

    original_reduce = tf_trainer.reduce_per_replica
    if getattr(original_reduce, "_multi_worker_fix", False):
        return

    def reduce_per_replica(values, strategy, reduction):
        multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        if multi_worker and reduction in ("auto", "mean"):

            def mean(value):
                if isinstance(value, tf.distribute.DistributedValues) or tf.is_tensor(value):
                    rank = strategy.experimental_local_results(value)[0].shape.rank
                    return strategy.reduce("MEAN", value, axis=0 if rank else None)
                return value

            return tf.nest.map_structure(mean, values)
        return original_reduce(values, strategy, reduction)

    reduce_per_replica._multi_worker_fix = True
    tf_trainer.reduce_per_replica = reduce_per_replica


class EpochTimer(keras.callbacks.Callback):
    """Record how long each epoch's training steps take (validation excluded).

    ``seconds[i]`` is the time from the start of epoch ``i`` to the end of its last
    training batch. The first epoch also pays for tracing and compiling the step, so
    :meth:`examples_per_second` leaves it out when there is more than one epoch.
    """

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []
        self._begin = self._last = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._begin = self._last = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._last = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(self._last - self._begin)

    def examples_per_second(self, examples_per_epoch: int) -> float:
        """Training throughput: examples per epoch over the median epoch time (first epoch left out).

        Raises:
            ValueError: no epoch was timed, or ``examples_per_epoch`` is not positive.
        """
        return float(np.median(self.throughputs(examples_per_epoch)))

    def throughputs(self, examples_per_epoch: int) -> np.ndarray:
        """Examples per second of each timed epoch (the first left out when there are several).

        Their spread shows how steady the timing was: a median of one epoch is one sample.

        Raises:
            ValueError: no epoch was timed, or ``examples_per_epoch`` is not positive.
        """
        if not self.seconds:
            raise ValueError("No epoch was timed: pass the timer to fit(callbacks=[...]) first.")
        if examples_per_epoch <= 0:
            raise ValueError(f"examples_per_epoch must be positive, got {examples_per_epoch}.")
        timed = self.seconds[1:] if len(self.seconds) > 1 else self.seconds
        return examples_per_epoch / np.asarray(timed, dtype=float)


class _Progress(keras.callbacks.Callback):
    """Log ``[worker N] epoch E step S loss L`` lines and keep ``progress-N.txt`` current.

    ``progress-N.txt`` holds ``epoch step`` (1-based, the last finished step), rewritten
    after every step (atomically), so whoever kills the worker knows exactly how far it got.
    """

    def __init__(self, tag: str, every: int, step_delay: float, progress_file: Path):
        super().__init__()
        self.tag, self.every, self.step_delay = tag, max(1, every), step_delay
        self.progress_file = progress_file
        self.first_epoch: int | None = None
        self.epoch = 0
        self.epochs_run = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        if self.first_epoch is None:
            self.first_epoch = epoch
            print(f"{self.tag} training starts at epoch {epoch + 1}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        # Written aside and renamed into place, so a kill never leaves a half-written file behind.
        partial = self.progress_file.with_suffix(".partial")
        partial.write_text(f"{self.epoch + 1} {batch + 1}\n")
        os.replace(partial, self.progress_file)
        if self.step_delay:
            time.sleep(self.step_delay)
        if (batch + 1) % self.every == 0:
            loss = float(logs["loss"])
            print(f"{self.tag} epoch {self.epoch + 1} step {batch + 1} loss {loss:.4f}", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_run += 1
        print(f"{self.tag} epoch {epoch + 1} done: loss {logs['loss']:.4f} "
              f"val_accuracy {logs.get('val_accuracy', float('nan')):.4f}", flush=True)


def _task() -> tuple[int, int]:
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise SystemExit("TF_CONFIG is not set: start workers with helpers.distributed.WorkerCluster.")
    config = json.loads(raw)
    return int(config["task"]["index"]), len(config["cluster"]["worker"])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The worker's command line (see the module docstring)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, help=".npz with x_train, y_train, x_val, y_val")
    parser.add_argument("--out", required=True, help="folder for results, the model and backups")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch size")
    parser.add_argument("--steps-per-epoch", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backup", action="store_true", help="use keras.callbacks.BackupAndRestore")
    parser.add_argument("--log-every", type=int, default=50, help="print progress every N steps")
    parser.add_argument("--step-delay", type=float, default=0.0, help="sleep after each step (seconds)")
    parser.add_argument("--timeout", type=float, default=120.0, help="collective timeout (seconds)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Train this worker's part of the run; return the process exit code."""
    args = parse_args(argv)
    index, n_workers = _task()
    tag = f"[worker {index}]"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=args.timeout)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    is_chief = index == 0
    print(f"{tag} {READY_MARKER} pid {os.getpid()}, {n_workers} workers, "
          f"{strategy.num_replicas_in_sync} replicas in sync, chief: {is_chief}", flush=True)

    with np.load(args.data) as arrays:
        x_train, y_train = arrays["x_train"], arrays["y_train"]
        x_val, y_val = arrays["x_val"], arrays["y_val"]
    train = make_dataset(x_train, y_train, args.batch_size, shuffle_seed=args.seed)
    if args.steps_per_epoch:
        train = train.repeat()
    val = make_dataset(x_val, y_val, args.batch_size)
    with strategy.scope():
        model = build_classifier(x_train.shape[1:], int(y_train.max()) + 1, args.hidden, args.learning_rate)

    work_around_keras_multi_worker(model, next(iter(train)))

    progress = _Progress(tag, args.log_every, args.step_delay, out / f"progress-{index}.txt")
    timer = EpochTimer()
    callbacks: list[keras.callbacks.Callback] = [progress, timer]
    if args.backup:
        # The workers stay in lockstep, so each backs up the same state at the same epoch
        # end; each writes its own folder, so that no two processes write one file.
        callbacks.append(keras.callbacks.BackupAndRestore(str(out / "backup" / f"worker-{index}")))
    start = time.perf_counter()
    history = model.fit(train, validation_data=val, epochs=args.epochs,
                        steps_per_epoch=args.steps_per_epoch, callbacks=callbacks, verbose=0)
    seconds = time.perf_counter() - start
    val_loss, val_accuracy = model.evaluate(val, verbose=0)
    if args.steps_per_epoch:
        examples_per_epoch = args.steps_per_epoch * args.batch_size
    else:
        examples_per_epoch = len(x_train)

    if is_chief:
        model.save(out / MODEL_FILE)
        print(f"{tag} chief: saved the model as {MODEL_FILE}", flush=True)
    else:
        print(f"{tag} not the chief: nothing saved", flush=True)
    np.savez(out / f"worker-{index}.weights.npz", *model.get_weights())
    result: dict[str, Any] = {
        "index": index,
        "n_workers": n_workers,
        "replicas": strategy.num_replicas_in_sync,
        "pid": os.getpid(),
        "first_epoch": None if progress.first_epoch is None else progress.first_epoch + 1,
        "epochs_run": progress.epochs_run,
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
        "val_loss": float(val_loss),
        "val_accuracy": float(val_accuracy),
        "fit_seconds": seconds,
        "epoch_seconds": timer.seconds,
        "examples_per_second": timer.examples_per_second(examples_per_epoch) if timer.seconds else None,
        "saved_model": is_chief,
    }
    (out / f"worker-{index}.json").write_text(json.dumps(result, indent=1))
    print(f"{tag} finished {progress.epochs_run} epoch(s) in {seconds:.1f} s: "
          f"val_accuracy {val_accuracy:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
