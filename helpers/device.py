"""Devices and distribution: one strategy for CPU, one or more GPUs, or a Colab TPU.

The decisions (which strategy, which mixed-precision policy) are pure functions of
what the hardware reports, so they are unit-tested without the hardware; the thin
wrappers below ask TensorFlow what is there.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import keras
import tensorflow as tf

ACCELERATOR_ENV = "COURSE_ACCELERATOR"  # "GPU" or "TPU": fail fast when it is absent
ACCELERATORS = ("CPU", "GPU", "TPU")
COLAB_HINT = (
    "On Colab: Runtime > Change runtime type > choose a GPU (e.g. T4) or a TPU, then "
    "run the notebook again from the top."
)


class AcceleratorNotFoundError(RuntimeError):
    """An accelerator was asked for but TensorFlow cannot see one."""


@dataclass(frozen=True)
class Hardware:
    """What TensorFlow can see: a TPU or not, and the compute capability of each GPU."""

    tpu: bool = False
    gpu_compute_capabilities: tuple[tuple[int, int], ...] = ()

    @property
    def n_gpus(self) -> int:
        return len(self.gpu_compute_capabilities)


def choose_strategy_kind(hw: Hardware) -> str:
    """Pick ``"tpu"``, ``"mirrored"`` (several GPUs), ``"one_gpu"`` or ``"default"`` (CPU)."""
    if hw.tpu:
        return "tpu"
    if hw.n_gpus > 1:
        return "mirrored"
    if hw.n_gpus == 1:
        return "one_gpu"
    return "default"


def choose_precision_policy(hw: Hardware) -> tuple[str, str]:
    """Return ``(policy, reason)`` for mixed precision on this hardware.

    ``mixed_bfloat16`` on TPU; ``mixed_float16`` only when every GPU has Tensor Cores
    (compute capability 7.0 or higher), where it speeds training up; otherwise
    ``float32``, because float16 on older GPUs or on CPU is slower, not faster.
    """
    if hw.tpu:
        return "mixed_bfloat16", "TPU: bfloat16 is native on TPU cores"
    if hw.n_gpus:
        if all(cc >= (7, 0) for cc in hw.gpu_compute_capabilities):
            return "mixed_float16", "GPU with Tensor Cores (compute capability >= 7.0)"
        return "float32", "GPU without Tensor Cores (compute capability < 7.0): no speed-up"
    return "float32", "CPU: mixed precision would only slow it down"


def _tpu_hinted() -> bool:
    # Cheap signs of a TPU, so CPU/GPU machines never wait on a TPU resolver.
    return bool(
        os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME") or glob.glob("/dev/accel*")
    )


_TPU_RESOLVER = None


def _connect_tpu():
    global _TPU_RESOLVER
    if _TPU_RESOLVER is None:
        tpu = "" if os.environ.get("COLAB_TPU_ADDR") else "local"
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        _TPU_RESOLVER = resolver
    return _TPU_RESOLVER


def detect_hardware() -> Hardware:
    """Ask TensorFlow which accelerators it can use."""
    tpu = False
    if _tpu_hinted():
        try:
            _connect_tpu()
            tpu = bool(tf.config.list_logical_devices("TPU"))
        except (ValueError, RuntimeError, tf.errors.OpError):
            tpu = False
    capabilities = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capabilities.append(tuple(details.get("compute_capability", (0, 0))))
    return Hardware(tpu=tpu, gpu_compute_capabilities=tuple(capabilities))


def require_accelerator(kind: str | None, hw: Hardware | None = None) -> None:
    """Raise :class:`AcceleratorNotFoundError` if ``kind`` ("GPU"/"TPU") is asked for but absent.

    ``kind=None`` (or "CPU") asks for nothing. Used with ``COURSE_ACCELERATOR``.
    """
    if kind is None or kind.upper() == "CPU":
        return
    kind = kind.upper()
    if kind not in ACCELERATORS:
        raise ValueError(f"Unknown accelerator {kind!r}; use one of {', '.join(ACCELERATORS)}.")
    hw = hw if hw is not None else detect_hardware()
    present = hw.tpu if kind == "TPU" else hw.n_gpus > 0
    if not present:
        raise AcceleratorNotFoundError(
            f"A {kind} was asked for ({ACCELERATOR_ENV}={kind}) but TensorFlow sees none. "
            f"{COLAB_HINT} Locally, check `nvidia-smi` and that TensorFlow was installed with "
            f"GPU support (`pip install 'tensorflow[and-cuda]'`), or unset {ACCELERATOR_ENV}."
        )


def get_strategy(hw: Hardware | None = None) -> tf.distribute.Strategy:
    """Return the distribution strategy for this machine.

    TPU -> ``TPUStrategy``; several GPUs -> ``MirroredStrategy``; one GPU ->
    ``OneDeviceStrategy("/gpu:0")``; otherwise TensorFlow's default strategy (CPU).
    Build and compile models inside ``with strategy.scope():``.
    """
    hw = hw if hw is not None else detect_hardware()
    kind = choose_strategy_kind(hw)
    if kind == "tpu":
        return tf.distribute.TPUStrategy(_connect_tpu())
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy()
    if kind == "one_gpu":
        return tf.distribute.OneDeviceStrategy("/gpu:0")
    return tf.distribute.get_strategy()


def describe(hw: Hardware) -> str:
    """One human line: what the notebook will run on."""
    kind = choose_strategy_kind(hw)
    if kind == "tpu":
        return "TPU (TPUStrategy)"
    if kind == "mirrored":
        return f"{hw.n_gpus} GPUs (MirroredStrategy)"
    if kind == "one_gpu":
        return "1 GPU"
    return "CPU only"


def enable_mixed_precision(hw: Hardware | None = None) -> str:
    """Set Keras' global dtype policy to what helps on this hardware; return the policy.

    Prints what it did and why, so that a notebook's output says which precision its
    timings were measured with.
    """
    hw = hw if hw is not None else detect_hardware()
    policy, reason = choose_precision_policy(hw)
    keras.mixed_precision.set_dtype_policy(policy)
    print(f"Mixed precision: {policy} ({reason}).")
    return policy
