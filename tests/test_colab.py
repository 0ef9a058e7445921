"""helpers.colab: TPU signs and the TensorFlow a Colab TPU runtime needs, on simulated machines."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers import colab

# What Colab's runtimes look like (environment variables and device files).
GPU_RUNTIME = {"COLAB_TPU_1VM": "", "COLAB_GPU": "1"}
TPU_V5E_RUNTIME = {"COLAB_TPU_1VM": "1", "TPU_ACCELERATOR_TYPE": "v5e-1"}
TPU_V2_DEVICES = [f"/dev/accel{i}" for i in range(4)]


@pytest.mark.parametrize(
    ("environ", "paths", "expected"),
    [
        ({}, [], []),
        (GPU_RUNTIME, ["/dev/vfio/vfio", "/dev/nvidia0"], []),  # the VFIO control file alone is no TPU
        (TPU_V5E_RUNTIME, ["/dev/vfio/0"], ["TPU_ACCELERATOR_TYPE=v5e-1", "COLAB_TPU_1VM=1", "/dev/vfio/0"]),
        ({}, TPU_V2_DEVICES, TPU_V2_DEVICES),
        ({"COLAB_TPU_ADDR": "10.0.0.2:8470"}, [], ["COLAB_TPU_ADDR=10.0.0.2:8470"]),
        ({"TPU_NAME": "local", "COLAB_TPU_1VM": "0"}, [], ["TPU_NAME=local"]),
    ],
)
def test_tpu_signs(environ, paths, expected):
    assert colab.tpu_signs(environ, paths) == expected


def test_tpu_signs_on_this_machine_run_without_tensorflow():
    code = "import sys, helpers.colab as c; c.tpu_signs(); sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_no_tpu_no_plan():
    assert colab.plan_tpu_install([], None) is None
    assert colab.plan_tpu_install([], ("tensorflow", "2.19.0")) is None


def test_tpu_with_tensorflow_tpu_needs_nothing():
    assert colab.plan_tpu_install(["/dev/accel0"], ("tensorflow-tpu", "2.20.0")) is None


def test_tpu_without_tensorflow_installs_the_matching_pair():
    plan = colab.plan_tpu_install(["/dev/accel0"], None)
    assert plan.reason == "this TPU runtime has no TensorFlow"
    pair = ("tensorflow-tpu==2.20.0", "libtpu==0.0.14")
    assert plan.commands == (("install", "--quiet", *pair, "--find-links", colab.LIBTPU_FIND_LINKS),)


def test_tpu_with_plain_tensorflow_replaces_it():
    plan = colab.plan_tpu_install(["/dev/accel0"], ("tensorflow", "2.19.0"))
    assert plan.reason == "tensorflow 2.19.0 has no TPU kernels; a TPU needs the tensorflow-tpu build"
    assert plan.commands[0] == ("uninstall", "--yes", "--quiet", "tensorflow")
    assert plan.commands[1][2:4] == ("tensorflow-tpu==2.20.0", "libtpu==0.0.14")


def test_prepare_runtime_without_tpu_changes_nothing(capsys):
    def pip_must_not_run(args):
        raise AssertionError(f"pip was run on a machine without a TPU: {args}")

    message = colab.prepare_runtime(GPU_RUNTIME, [], ("tensorflow", "2.19.0"), run_pip=pip_must_not_run,
                                    protobuf_pair=None)
    assert message == "No TPU here: nothing to install."
    assert capsys.readouterr().out == ""


def test_prepare_runtime_on_a_fresh_tpu_runtime_installs_and_needs_no_restart(capsys):
    ran = []
    message = colab.prepare_runtime(TPU_V5E_RUNTIME, ["/dev/vfio/0"], None, run_pip=ran.append,
                                    imported=["numpy"], protobuf_pair=None)
    assert [cmd[0] for cmd in ran] == ["install"]
    out = capsys.readouterr().out
    assert out.startswith("TPU found (TPU_ACCELERATOR_TYPE=v5e-1, COLAB_TPU_1VM=1, /dev/vfio/0), but "
                          "this TPU runtime has no TensorFlow: installing tensorflow-tpu==2.20.0 and "
                          "libtpu==0.0.14")
    assert message == "Installed tensorflow-tpu==2.20.0 and libtpu==0.0.14 for this TPU; no restart needed."
    assert message in out


def test_prepare_runtime_after_tensorflow_was_imported_asks_for_a_restart():
    ran = []
    expected = (r"but tensorflow had already been imported in this session\. Restart it "
                r"\(Runtime > Restart session\), then run the notebook again from the top")
    with pytest.raises(colab.RestartRequired, match=expected):
        colab.prepare_runtime({}, ["/dev/accel0"], ("tensorflow", "2.19.0"), run_pip=ran.append,
                              imported=["tensorflow", "tensorflow.python", "numpy"], protobuf_pair=None)
    assert [cmd[0] for cmd in ran] == ["uninstall", "install"]


def test_prepare_runtime_with_tensorflow_tpu_says_so():
    message = colab.prepare_runtime({}, ["/dev/accel0"], ("tensorflow-tpu", "2.20.0"), run_pip=None,
                                    protobuf_pair=None)
    assert message == "TPU runtime: tensorflow-tpu 2.20.0 is installed."


def test_failed_pip_is_not_swallowed():
    def failing_pip(args):
        raise subprocess.CalledProcessError(1, ["pip", *args])

    with pytest.raises(subprocess.CalledProcessError):
        colab.prepare_runtime({}, ["/dev/accel0"], None, run_pip=failing_pip, imported=[], protobuf_pair=None)


def test_setup_cell_prepares_a_colab_tpu_before_tensorflow_and_claims_the_tested_minimums():
    from helpers import versions
    from tools import course

    setup = course.SETUP_SOURCE
    assert '%pip install -q --no-deps "course-helpers @ git+' in setup  # never pulls plain tensorflow in
    assert setup.index("helpers.colab.prepare_runtime()") < setup.index("import tensorflow as tf")
    minimums = ", ".join(f'{k}="{v}"' for k, v in versions.MINIMUM_VERSIONS.items())
    assert f"helpers.require_versions({minimums})" in setup
    assert 'helpers.require_versions(tensorflow="2.20", keras="3.13")' in setup


# --- tensorflow-metadata against the installed protobuf (tensorflow/metadata issue 68) -----------
# What Colab's runtime of August 2026 ships: tensorflow-metadata 1.21.0, generated by protobuf
# 6.31.1, beside protobuf 5.29.6.
COLAB_BREAKAGE = ("6.31.1", "5.29.6")


@pytest.mark.parametrize(
    ("gencode", "runtime", "loads"),
    [
        ("6.31.1", "5.29.6", False),  # Colab's pair: runtime older than the generated code
        ("4.25.6", "5.29.6", True),  # tensorflow-metadata 1.17.3 on Colab's protobuf
        ("5.28.3", "5.29.6", True),  # TensorFlow 2.20's own generated code
        ("5.28.3", "6.31.1", True),  # one major newer: protobuf 6 only warns
        ("4.25.6", "6.31.1", False),  # two majors newer: protobuf 6 refuses
        ("6.31.1", "7.36.2", True),  # the pinned stack: TensorFlow 2.21 on protobuf 7
        ("5.28.3", "7.35.1", True),  # protobuf 7 checks only "not older"
        ("5.29.6", "5.29.6", True),
    ],
)
def test_protobuf_compatible(gencode, runtime, loads):
    assert colab.protobuf_compatible(gencode, runtime) is loads


def test_protobuf_compatible_agrees_with_the_installed_protobufs_own_check():
    runtime_version = pytest.importorskip("google.protobuf.runtime_version")
    import warnings

    runtime = f"{runtime_version.MAJOR}.{runtime_version.MINOR}.{runtime_version.PATCH}"
    for gencode in ("5.26.0", "5.28.3", "5.29.6", "6.31.1", "6.33.0", "7.36.2", "8.0.0", "99.0.0"):
        major, minor, patch = map(int, gencode.split("."))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                runtime_version.ValidateProtobufRuntimeVersion(
                    runtime_version.Domain.PUBLIC, major, minor, patch, "", "probe.proto")
                loads = True
            except runtime_version.VersionError:
                loads = False
        assert colab.protobuf_compatible(gencode, runtime) is loads, (gencode, runtime)


def test_the_breakage_colab_ships_is_repaired_with_the_metadata_built_for_protobuf_4():
    plan = colab.plan_metadata_repair(COLAB_BREAKAGE)
    assert plan.commands == (("install", "--quiet", "tensorflow-metadata==1.17.3"),)
    assert plan.reason == ("tensorflow-metadata was generated with protobuf 6.31.1, which protobuf 5.29.6 "
                           "cannot load (tensorflow/metadata issue 68)")
    assert colab.plan_metadata_repair(("4.25.6", "5.29.6")) is None  # what the repair leaves
    assert colab.plan_metadata_repair(None) is None  # tensorflow-metadata not installed


def test_an_unknown_mismatch_installs_nothing_and_warns(capsys):
    plan = colab.plan_metadata_repair(("7.40.0", "6.31.1"))
    assert plan.commands == ()
    assert plan.reason.endswith("and no repair is known: install a protobuf from 7.40.0 that TensorFlow "
                                "accepts, or a tensorflow-metadata built for protobuf 6; until then "
                                "`import tensorflow_datasets` fails")

    def pip_must_not_run(args):
        raise AssertionError(f"pip ran: {args}")

    message = colab.prepare_runtime({}, [], ("tensorflow", "2.20.0"), run_pip=pip_must_not_run,
                                    imported=[], protobuf_pair=("7.40.0", "6.31.1"))
    assert message == "No TPU here: nothing to install."
    assert capsys.readouterr().out.startswith("Warning: tensorflow-metadata was generated with protobuf 7.40")


def test_prepare_runtime_repairs_the_metadata_on_any_runtime(capsys):
    ran = []
    message = colab.prepare_runtime(GPU_RUNTIME, [], ("tensorflow", "2.20.0"), run_pip=ran.append,
                                    imported=["numpy"], protobuf_pair=COLAB_BREAKAGE)
    assert ran == [("install", "--quiet", "tensorflow-metadata==1.17.3")]
    assert message == ("No TPU here: nothing to install. Installed tensorflow-metadata==1.17.3: "
                       "tensorflow-metadata now runs on protobuf 5.29.6.")
    assert "installing tensorflow-metadata==1.17.3" in capsys.readouterr().out


def test_prepare_runtime_after_tfds_was_imported_asks_for_a_restart():
    with pytest.raises(colab.RestartRequired, match=r"tensorflow_datasets had already been imported"):
        colab.prepare_runtime({}, [], ("tensorflow", "2.20.0"), run_pip=lambda args: None,
                              imported=["tensorflow_datasets.core"], protobuf_pair=COLAB_BREAKAGE)


def test_tensorflow_metadata_loads_on_this_stacks_protobuf():
    """On the Colab stack this holds only after the repair `make venv-colab` runs (helpers.colab)."""
    pair = colab.metadata_protobuf()
    if pair is None:
        pytest.skip("tensorflow-metadata is not installed")
    assert colab.protobuf_compatible(*pair), pair
    code = "import tensorflow_metadata.proto.v0.schema_pb2"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_this_stacks_protobuf_is_in_tensorflows_own_range():
    """The repair keeps protobuf; whatever this stack has must satisfy TensorFlow's declared range."""
    from importlib import metadata

    from packaging.requirements import Requirement

    needs = [Requirement(r) for r in metadata.requires("tensorflow") or [] if r.startswith("protobuf")]
    assert needs, "tensorflow declares no protobuf requirement"
    installed = metadata.version("protobuf")
    assert needs[0].specifier.contains(installed), (needs[0], installed)
