"""Strategy and precision choices, tested without the hardware."""

from __future__ import annotations

import keras
import pytest

from helpers import device
from helpers.device import Hardware

CPU = Hardware()
ONE_T4 = Hardware(gpu_compute_capabilities=((7, 5),))
TWO_A100 = Hardware(gpu_compute_capabilities=((8, 0), (8, 0)))
OLD_K80 = Hardware(gpu_compute_capabilities=((3, 7),))
TPU = Hardware(tpu=True)


@pytest.mark.parametrize(
    ("hw", "kind"), [(CPU, "default"), (ONE_T4, "one_gpu"), (TWO_A100, "mirrored"), (TPU, "tpu")]
)
def test_choose_strategy_kind(hw, kind):
    assert device.choose_strategy_kind(hw) == kind


@pytest.mark.parametrize(
    ("hw", "policy"),
    [(CPU, "float32"), (ONE_T4, "mixed_float16"), (TWO_A100, "mixed_float16"),
     (OLD_K80, "float32"), (TPU, "mixed_bfloat16")],
)
def test_choose_precision_policy(hw, policy):
    chosen, reason = device.choose_precision_policy(hw)
    assert chosen == policy and reason


def test_cpu_strategy_is_the_default_one():
    import tensorflow as tf

    assert device.get_strategy(CPU) is tf.distribute.get_strategy()
    assert device.describe(CPU) == "CPU only" and device.describe(TWO_A100) == "2 GPUs (MirroredStrategy)"


def test_enable_mixed_precision_says_what_it_did(capsys):
    try:
        assert device.enable_mixed_precision(CPU) == "float32"
        assert keras.mixed_precision.dtype_policy().name == "float32"
        assert "Mixed precision: float32 (CPU" in capsys.readouterr().out
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def test_asking_for_an_absent_accelerator_is_an_actionable_error():
    device.require_accelerator(None, CPU)
    device.require_accelerator("cpu", CPU)
    device.require_accelerator("GPU", ONE_T4)
    with pytest.raises(device.AcceleratorNotFoundError, match="A TPU was asked for .*sees none"):
        device.require_accelerator("TPU", ONE_T4)
    with pytest.raises(device.AcceleratorNotFoundError, match=r"tensorflow\[and-cuda\]"):
        device.require_accelerator("gpu", CPU)
    with pytest.raises(ValueError, match="Unknown accelerator 'NPU'"):
        device.require_accelerator("NPU", CPU)


def test_detect_hardware_on_this_machine_runs():
    hw = device.detect_hardware()
    assert hw.n_gpus >= 0 and isinstance(hw.tpu, bool)
