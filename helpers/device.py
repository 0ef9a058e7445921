"""Devices and distribution: one strategy for CPU, one or more GPUs, or a Colab TPU.

The decisions (which strategy, which mixed-precision policy, what to tell the learner
when a TPU is there but TensorFlow cannot use it) are pure functions of what the
hardware reports, so they are unit-tested without the hardware; the thin wrappers below
ask TensorFlow what is there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import tensorflow as tf

from helpers import colab

ACCELERATOR_ENV = "COURSE_ACCELERATOR"  # "GPU" or "TPU": fail fast when it is absent; "CPU": use the CPU
ACCELERATORS = ("CPU", "GPU", "TPU")
COLAB_HINT = (
    "On Colab: Runtime > Change runtime type > choose a GPU (e.g. T4) or a TPU, then "
    "run the notebook again from the top."
)
LOCAL_GPU_HINT = (
    "On your own machine with an NVIDIA GPU (Linux or WSL2), install TensorFlow with its CUDA "
    "libraries: `pip install 'tensorflow[and-cuda]==2.21.0'`, and check that `nvidia-smi` works."
)


class AcceleratorNotFoundError(RuntimeError):
    """An accelerator was asked for but TensorFlow cannot see one."""


class TPUInitializationError(RuntimeError):
    """A TPU is present but TensorFlow could not initialise it (the message says what to do)."""


@dataclass(frozen=True)
class Hardware:
    """What TensorFlow can see: a TPU (and its cores) or not, and each GPU's capability and name."""

    tpu: bool = False
    gpu_compute_capabilities: tuple[tuple[int, int], ...] = ()
    gpu_names: tuple[str, ...] = ()
    tpu_cores: int = 0

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


def _logical_tpu_devices() -> list:
    return tf.config.list_logical_devices("TPU")


def tpu_failure_message(signs: Sequence[str], error: BaseException, installed: tuple[str, str] | None) -> str:
    """What the learner reads when a TPU is present but TensorFlow cannot initialise it.

    Args:
        signs: the signs of a TPU that :func:`helpers.colab.tpu_signs` found.
        error: what TensorFlow raised while connecting to the TPU.
        installed: the TensorFlow build, as :func:`helpers.colab.tensorflow_distribution` reports it.
    """
    detail = (str(error).strip().splitlines() or [""])[0][:300]
    build = f"{installed[0]} {installed[1]}" if installed else "no TensorFlow distribution"
    if installed is None or installed[0] != "tensorflow-tpu":
        fix = (
            f"The installed TensorFlow ({build}) has no TPU kernels. On Colab, restart the session "
            f"(Runtime > Restart session) and run the setup cell again: it installs {colab.TENSORFLOW_TPU} "
            f"and {colab.LIBTPU}. By hand: `pip install {colab.TENSORFLOW_TPU} {colab.LIBTPU} "
            f"--find-links {colab.LIBTPU_FIND_LINKS}`, then restart."
        )
    else:
        fix = (
            f"{build} is installed, so the TPU itself did not answer: it may still be held by an earlier "
            "session. Restart the session (Runtime > Restart session) and run again, or switch to a GPU "
            "(Runtime > Change runtime type)."
        )
    return (
        f"A TPU is present ({', '.join(signs)}) but TensorFlow could not initialise it: "
        f"{type(error).__name__}: {detail}\n{fix}\n"
        f"To run on the CPU instead, knowing it is slow, set {ACCELERATOR_ENV}=CPU before the setup cell."
    )


def detect_hardware(signs: Sequence[str] | None = None) -> Hardware:
    """Ask TensorFlow which accelerators it can use.

    Args:
        signs: signs of a TPU (default: :func:`helpers.colab.tpu_signs` of this machine).
            With none, no TPU is looked for, so CPU and GPU machines never wait on a TPU resolver.

    Raises:
        TPUInitializationError: a TPU is present but TensorFlow cannot initialise it; the message
            has TensorFlow's error and what to do. With ``COURSE_ACCELERATOR=CPU`` the same message
            is printed as a warning and the CPU is used instead.
    """
    signs = colab.tpu_signs() if signs is None else list(signs)
    tpu_cores = 0
    if signs:
        try:
            _connect_tpu()
            tpu_cores = len(_logical_tpu_devices())
            if not tpu_cores:
                raise RuntimeError("the TPU system initialised, but TensorFlow lists no TPU devices")
        except Exception as error:  # any failure here must reach the learner, never turn into "CPU only"
            message = tpu_failure_message(signs, error, colab.tensorflow_distribution())
            if (os.environ.get(ACCELERATOR_ENV) or "").strip().upper() != "CPU":
                raise TPUInitializationError(message) from error
            print(f"WARNING: {message}\nUsing the CPU, as {ACCELERATOR_ENV}=CPU asks.")
            tpu_cores = 0
    capabilities, names = [], []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capabilities.append(tuple(details.get("compute_capability", (0, 0))))
        names.append(str(details.get("device_name", "")))
    return Hardware(tpu=tpu_cores > 0, gpu_compute_capabilities=tuple(capabilities),
                    gpu_names=tuple(names), tpu_cores=tpu_cores)


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
            f"{COLAB_HINT} {LOCAL_GPU_HINT} Or unset {ACCELERATOR_ENV}."
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


def _gpu_list(hw: Hardware) -> str:
    items = []
    for i, cc in enumerate(hw.gpu_compute_capabilities):
        name = hw.gpu_names[i] if i < len(hw.gpu_names) and hw.gpu_names[i] else "GPU"
        items.append(f"{name}, compute capability {cc[0]}.{cc[1]}")
    return "; ".join(items)


def describe(hw: Hardware) -> str:
    """One human line: what the notebook will run on, e.g. ``1 GPU (Tesla T4, compute capability 7.5)``."""
    kind = choose_strategy_kind(hw)
    if kind == "tpu":
        return f"TPU, {hw.tpu_cores} cores (TPUStrategy)" if hw.tpu_cores else "TPU (TPUStrategy)"
    if kind == "mirrored":
        return f"{hw.n_gpus} GPUs (MirroredStrategy: {_gpu_list(hw)})"
    if kind == "one_gpu":
        return f"1 GPU ({_gpu_list(hw)})"
    return "CPU only"


def describe_precision(hw: Hardware, policy: str | None = None) -> str:
    """Whether mixed precision is on, and whether it would help here when it is off.

    ``policy`` defaults to Keras' global dtype policy. Examples: ``mixed precision on
    (mixed_float16)``; ``mixed precision off (float32; mixed_float16 would speed up this GPU:
    helpers.device.enable_mixed_precision())``; ``mixed precision off (float32)``.
    """
    policy = policy or keras.mixed_precision.global_policy().name
    if policy != "float32":
        return f"mixed precision on ({policy})"
    recommended, _ = choose_precision_policy(hw)
    if recommended == "float32":
        return "mixed precision off (float32)"
    where = "TPU" if hw.tpu else "GPU"
    return (f"mixed precision off (float32; {recommended} would speed up this {where}: "
            "helpers.device.enable_mixed_precision())")


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
