"""The setup cell's work: version checks, seeding, quiet logs, and one line of facts."""

from __future__ import annotations

import logging
import os
import random
import warnings
from dataclasses import dataclass

# Quiet TensorFlow's C++ start-up chatter before it is first imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import data, device, profile  # noqa: E402
from helpers.versions import MINIMUM_VERSIONS, require_versions  # noqa: E402

__all__ = ["MINIMUM_VERSIONS", "RunInfo", "require_versions", "setup_notebook"]


@dataclass(frozen=True)
class RunInfo:
    """What :func:`setup_notebook` found: the profile, the strategy and its description."""

    profile: str
    seed: int
    strategy: tf.distribute.Strategy
    hardware: device.Hardware
    device: str


def setup_notebook(seed: int = 42) -> RunInfo:
    """Seed everything, quiet logs, pick the strategy and print one line about the run.

    Seeds Python, NumPy and TensorFlow through ``keras.utils.set_random_seed``. The
    printed line names the TF/Keras versions, the device, the profile and the data
    sources; when there is no accelerator it adds how to get one on Colab.

    Raises:
        device.AcceleratorNotFoundError: ``COURSE_ACCELERATOR`` asks for a GPU/TPU that
            is not there.
        ValueError: ``COURSE_PROFILE`` is not ``full`` or ``fast``.
    """
    require_versions(**MINIMUM_VERSIONS)
    run_profile = profile.current_profile()
    # Keras 3 warns on every fit() on a tf.data.Dataset that its default shuffle=True is
    # ignored; the course's pipelines shuffle inside tf.data, so the warning is noise.
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    tf.get_logger().setLevel(logging.ERROR)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)

    hardware = device.detect_hardware()
    device.require_accelerator(os.environ.get(device.ACCELERATOR_ENV), hardware)
    strategy = device.get_strategy(hardware)
    where = device.describe(hardware)
    print(
        f"TensorFlow {tf.__version__} · Keras {keras.__version__} · device: {where} · "
        f"{device.describe_precision(hardware)} · profile: {run_profile} · seed {seed}\n"
        f"Data: {data.describe_sources()}"
    )
    if where == "CPU only":
        print(f"No GPU or TPU found; CPU is fine for small notebooks. {device.COLAB_HINT} "
              f"{device.LOCAL_GPU_HINT}")
    return RunInfo(run_profile, seed, strategy, hardware, where)
