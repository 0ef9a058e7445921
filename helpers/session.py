"""The setup cell's work: version checks, seeding, quiet logs, and one line of facts."""

from __future__ import annotations

import logging
import os
import random
import re
import warnings
from dataclasses import dataclass
from importlib import metadata

# Quiet TensorFlow's C++ start-up chatter before it is first imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import data, device, profile  # noqa: E402

MINIMUM_VERSIONS = {"tensorflow": "2.16", "keras": "3.3"}


def _as_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:3]:
        digits = re.match(r"\d+", piece)  # "0rc1" -> 0
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def require_versions(**minimums: str) -> None:
    """Assert installed package versions, e.g. ``require_versions(tensorflow="2.16")``.

    Raises:
        RuntimeError: naming the package, the installed and the needed version, and
            the command that upgrades it.
    """
    for package, minimum in minimums.items():
        dist = package.replace("_", "-")
        try:
            installed = metadata.version(dist)
        except metadata.PackageNotFoundError:
            if dist == "tensorflow":  # tensorflow-cpu and friends provide the module
                installed = tf.__version__
            else:
                raise RuntimeError(f"{dist} is not installed: `pip install '{dist}>={minimum}'`.") from None
        if _as_tuple(installed) < _as_tuple(minimum):
            raise RuntimeError(
                f"This course needs {dist} >= {minimum}, but {installed} is installed: "
                f"`pip install -U '{dist}>={minimum}'`, then restart the kernel."
            )


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
        f"profile: {run_profile} · seed {seed}\nData: {data.describe_sources()}"
    )
    if where == "CPU only":
        print(f"No GPU or TPU found; CPU is fine for small notebooks. {device.COLAB_HINT}")
    return RunInfo(run_profile, seed, strategy, hardware, where)
