"""Strategy and precision choices, tested without the hardware."""

from __future__ import annotations

import keras
import pytest

from helpers import device
from helpers.device import Hardware

CPU = Hardware()
ONE_T4 = Hardware(gpu_compute_capabilities=((7, 5),), gpu_names=("Tesla T4",))
TWO_A100 = Hardware(gpu_compute_capabilities=((8, 0), (8, 0)), gpu_names=("NVIDIA A100-SXM4-40GB",) * 2)
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
    assert device.describe(CPU) == "CPU only"


def test_describe_names_each_gpu_and_its_compute_capability():
    assert device.describe(ONE_T4) == "1 GPU (Tesla T4, compute capability 7.5)"
    assert device.describe(TWO_A100) == (
        "2 GPUs (MirroredStrategy: NVIDIA A100-SXM4-40GB, compute capability 8.0; "
        "NVIDIA A100-SXM4-40GB, compute capability 8.0)"
    )
    assert device.describe(OLD_K80) == "1 GPU (GPU, compute capability 3.7)"
    assert device.describe(Hardware(tpu=True, tpu_cores=8)) == "TPU, 8 cores (TPUStrategy)"


@pytest.mark.parametrize(
    ("hw", "policy", "expected"),
    [
        (CPU, "float32", "mixed precision off (float32)"),
        (OLD_K80, "float32", "mixed precision off (float32)"),
        (ONE_T4, "float32", "mixed precision off (float32; mixed_float16 would speed up this GPU: "
                            "helpers.device.enable_mixed_precision())"),
        (TPU, "float32", "mixed precision off (float32; mixed_bfloat16 would speed up this TPU: "
                         "helpers.device.enable_mixed_precision())"),
        (ONE_T4, "mixed_float16", "mixed precision on (mixed_float16)"),
    ],
)
def test_describe_precision_says_whether_mixed_precision_is_on(hw, policy, expected):
    assert device.describe_precision(hw, policy) == expected


class _FakeGPU:
    name = "/physical_device:GPU:0"


def test_detect_hardware_reads_gpu_name_and_capability(monkeypatch):
    """Simulated GPU: what TensorFlow reports for a T4 becomes the Hardware the decisions use."""
    import tensorflow as tf

    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: [_FakeGPU()] if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda gpu: {"compute_capability": (7, 5), "device_name": "Tesla T4"})
    hw = device.detect_hardware(signs=[])
    assert hw == ONE_T4
    assert device.choose_strategy_kind(hw) == "one_gpu"
    assert device.choose_precision_policy(hw)[0] == "mixed_float16"


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
    local_gpu_fix = r"pip install 'tensorflow\[and-cuda\]==2\.21\.0'"
    with pytest.raises(device.AcceleratorNotFoundError, match=local_gpu_fix):
        device.require_accelerator("gpu", CPU)
    with pytest.raises(ValueError, match="Unknown accelerator 'NPU'"):
        device.require_accelerator("NPU", CPU)


def test_detect_hardware_on_this_machine_runs():
    hw = device.detect_hardware()
    assert hw.n_gpus >= 0 and isinstance(hw.tpu, bool)


# --- TPU detection with simulated machines: present and working, present without TPU kernels, absent ---

NO_KERNELS = (
    "No OpKernel was registered to support Op 'ConfigureDistributedTPU' used by {{node "
    "ConfigureDistributedTPU}} with these attrs: []\nRegistered devices: [CPU]"
)


@pytest.fixture
def tpu_machine(monkeypatch):
    """A machine with TPU signs; the test decides what connecting to the TPU does."""
    monkeypatch.delenv("COURSE_ACCELERATOR", raising=False)
    monkeypatch.setattr(device, "_TPU_RESOLVER", None)

    def connect_with(behaviour, installed=("tensorflow", "2.21.0")):
        monkeypatch.setattr(device, "_connect_tpu", behaviour)
        monkeypatch.setattr(device.colab, "tensorflow_distribution", lambda: installed)

    return connect_with


def test_tpu_present_and_initialisable(tpu_machine, monkeypatch):
    tpu_machine(lambda: object(), installed=("tensorflow-tpu", "2.20.0"))
    monkeypatch.setattr(device, "_logical_tpu_devices", lambda: [f"TPU:{i}" for i in range(8)])
    hw = device.detect_hardware(signs=["/dev/accel0"])
    assert hw == Hardware(tpu=True, tpu_cores=8)
    assert device.describe(hw) == "TPU, 8 cores (TPUStrategy)"
    assert device.choose_precision_policy(hw)[0] == "mixed_bfloat16"


def test_tpu_present_but_tensorflow_without_tpu_kernels_is_an_error_with_the_fix(tpu_machine):
    import tensorflow as tf

    def no_kernels():
        raise tf.errors.InvalidArgumentError(None, None, NO_KERNELS)

    tpu_machine(no_kernels)
    expected = (
        r"A TPU is present \(TPU_ACCELERATOR_TYPE=v5e-1, /dev/vfio/0\) but TensorFlow could not initialise "
        r"it: InvalidArgumentError: No OpKernel was registered to support Op 'ConfigureDistributedTPU'.*\n"
        r"The installed TensorFlow \(tensorflow 2\.21\.0\) has no TPU kernels\. On Colab, restart the "
        r"session \(Runtime > Restart session\) and run the setup cell again: it installs "
        r"tensorflow-tpu==2\.20\.0 and libtpu==0\.0\.14\..*\n"
        r"To run on the CPU instead, knowing it is slow, set COURSE_ACCELERATOR=CPU"
    )
    with pytest.raises(device.TPUInitializationError, match=expected):
        device.detect_hardware(signs=["TPU_ACCELERATOR_TYPE=v5e-1", "/dev/vfio/0"])


def test_tpu_failure_with_tensorflow_tpu_installed_points_at_the_tpu(tpu_machine):
    def busy():
        raise RuntimeError("TPU is already in use by process with pid 123")

    tpu_machine(busy, installed=("tensorflow-tpu", "2.20.0"))
    expected = (r"RuntimeError: TPU is already in use.*\ntensorflow-tpu 2\.20\.0 is installed, so the TPU "
                r"itself did not answer.*Runtime > Restart session")
    with pytest.raises(device.TPUInitializationError, match=expected):
        device.detect_hardware(signs=["/dev/accel0"])


def test_tpu_that_lists_no_devices_is_not_silently_cpu(tpu_machine, monkeypatch):
    tpu_machine(lambda: object(), installed=("tensorflow-tpu", "2.20.0"))
    monkeypatch.setattr(device, "_logical_tpu_devices", lambda: [])
    with pytest.raises(device.TPUInitializationError, match="TensorFlow lists no TPU devices"):
        device.detect_hardware(signs=["/dev/accel0"])


def test_tpu_failure_falls_back_to_cpu_only_when_asked_and_says_so(tpu_machine, monkeypatch, capsys):
    import tensorflow as tf

    def no_kernels():
        raise tf.errors.NotFoundError(None, None, "TPU not found in the cluster")

    tpu_machine(no_kernels)
    monkeypatch.setenv("COURSE_ACCELERATOR", "cpu")
    hw = device.detect_hardware(signs=["/dev/accel0"])
    assert hw.tpu is False and device.describe(hw) == "CPU only"
    out = capsys.readouterr().out
    assert out.startswith("WARNING: A TPU is present (/dev/accel0) but TensorFlow could not initialise it: "
                          "NotFoundError: TPU not found in the cluster")
    assert "has no TPU kernels" in out and "Using the CPU, as COURSE_ACCELERATOR=CPU asks." in out


def test_no_tpu_signs_never_touch_the_tpu_resolver(monkeypatch):
    def must_not_run():
        raise AssertionError("detect_hardware tried to connect to a TPU on a machine without one")

    monkeypatch.setattr(device, "_connect_tpu", must_not_run)
    hw = device.detect_hardware(signs=[])
    assert hw.tpu is False and hw.tpu_cores == 0
