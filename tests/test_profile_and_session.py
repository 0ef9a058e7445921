"""Run profiles, version checks and the setup cell's one line."""

from __future__ import annotations

import re
from importlib import metadata

import pytest

import helpers
from helpers import device, profile, versions


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "full"), ("fast", "fast"), (" FULL ", "full"), ("", "full")]
)
def test_current_profile(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("COURSE_PROFILE", raising=False)
    else:
        monkeypatch.setenv("COURSE_PROFILE", value)
    assert profile.current_profile() == expected


def test_pick_follows_the_profile(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    assert helpers.pick(full=100, fast=2) == 2 and helpers.is_fast()
    monkeypatch.setenv("COURSE_PROFILE", "full")
    assert helpers.pick(full=100, fast=2) == 100 and not helpers.is_fast()


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    expected = "COURSE_PROFILE='quick' is not a run profile; use one of full, fast"
    with pytest.raises(ValueError, match=expected):
        helpers.pick(full=1, fast=2)


def test_require_versions_accepts_installed_and_names_the_fix():
    helpers.require_versions(tensorflow="2.0", keras="3.0", numpy="1.20")
    expected = r"needs numpy >= 99\.0, but .* is installed: `pip install -U 'numpy>=99\.0'`"
    with pytest.raises(RuntimeError, match=expected):
        helpers.require_versions(numpy="99.0")
    with pytest.raises(RuntimeError, match="not-a-real-package is not installed"):
        helpers.require_versions(not_a_real_package="1.0")


def test_version_parsing_handles_suffixes():
    assert versions.as_tuple("2.21.0rc1") == (2, 21, 0)
    assert versions.as_tuple("3.15.1.dev2026") == (3, 15, 1)


def test_minimum_versions_are_met_by_this_stack_and_no_lower_than_the_colab_stack():
    """The claims: the oldest tested stack (requirements-colab.txt) is TF 2.20 / Keras 3.13."""
    helpers.require_versions(**versions.MINIMUM_VERSIONS)
    assert versions.as_tuple(versions.MINIMUM_VERSIONS["tensorflow"]) >= (2, 20)
    assert versions.as_tuple(versions.MINIMUM_VERSIONS["keras"]) >= (3, 13)


def _pins(text: str, operator: str) -> dict[str, str]:
    return {m[0].lower(): m[1] for m in re.findall(rf'^\s*"?([A-Za-z][\w.-]*){operator}([\d.]+)', text, re.M)}


def test_version_claims_are_the_oldest_tested_stack():
    """pyproject's minimums and the setup cell's equal requirements-colab.txt's pins (major.minor):
    never lower (an untested claim), never higher (the Colab stack would fail its own check)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    colab = _pins((root / "requirements-colab.txt").read_text(), "==")
    pyproject = (root / "pyproject.toml").read_text()
    declared = _pins(pyproject[pyproject.index("dependencies = ["):], ">=")
    assert set(declared) == {"tensorflow", "keras", "numpy", "pandas", "matplotlib", "scikit-learn"}
    for claims in (declared, versions.MINIMUM_VERSIONS):
        for package, minimum in claims.items():
            assert versions.as_tuple(minimum)[:2] == versions.as_tuple(colab[package])[:2], package


def test_tensorflow_tpu_counts_as_tensorflow(monkeypatch):
    real = metadata.version

    def only_the_tpu_build(name):
        if name == "tensorflow":
            raise metadata.PackageNotFoundError(name)
        return "2.20.0" if name == "tensorflow-tpu" else real(name)

    monkeypatch.setattr(metadata, "version", only_the_tpu_build)
    assert versions.installed_version("tensorflow") == "2.20.0"
    helpers.require_versions(tensorflow="2.19")
    with pytest.raises(RuntimeError, match=r"needs tensorflow >= 2\.21, but 2\.20\.0 is installed"):
        helpers.require_versions(tensorflow="2.21")


def test_stack_line_names_the_stack_and_the_installed_versions():
    line = versions.stack_line("pinned")
    assert re.fullmatch(r"stack: pinned python=\S+ tensorflow=\S+ keras=\S+ pandas=\S+ numpy=\S+", line)
    import platform

    import keras
    import numpy as np
    import pandas as pd

    assert f" keras={keras.__version__} " in line and line.endswith(f" numpy={np.__version__}")
    assert f" pandas={pd.__version__} " in line
    assert f" python={platform.python_version()} " in line


def test_stack_line_marks_a_missing_package(monkeypatch):
    monkeypatch.setattr(versions, "STACK_PACKAGES", ("numpy", "not-a-real-package"))
    assert versions.stack_line("colab").endswith(" not-a-real-package=missing")


@pytest.mark.parametrize("name", ["", "two words", "Pinned", "colab\nstack: x"])
def test_stack_line_refuses_a_name_that_is_not_one_word(name):
    with pytest.raises(ValueError, match="must be one lower-case word such as 'pinned' or 'colab'"):
        versions.stack_line(name)


def test_stack_line_command(capsys):
    assert versions.main(["colab"]) == 0
    assert capsys.readouterr().out.startswith("stack: colab python=")
    assert versions.main([]) == 2
    assert "usage: python -m helpers.versions NAME" in capsys.readouterr().err
    assert versions.main(["Bad Name"]) == 2
    assert "must be one lower-case word" in capsys.readouterr().err


def test_setup_notebook_prints_versions_device_profile_and_data(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_ACCELERATOR", raising=False)
    run = helpers.setup_notebook(seed=7)
    out = capsys.readouterr().out
    assert "TensorFlow " in out and "Keras " in out and "profile: fast" in out and "seed 7" in out
    assert "Data: cache" in out
    assert run.profile == "fast" and run.strategy is not None
    if run.device == "CPU only":
        assert "· mixed precision off (float32) ·" in out
        assert "Runtime > Change runtime type" in out and "tensorflow[and-cuda]==2.21.0" in out


def test_setup_line_reports_the_gpu_and_mixed_precision(monkeypatch, capsys):
    """Simulated hardware: one T4. The learner sees its name, capability and the precision advice."""
    import keras
    import tensorflow as tf

    t4 = device.Hardware(gpu_compute_capabilities=((7, 5),), gpu_names=("Tesla T4",))
    monkeypatch.delenv("COURSE_ACCELERATOR", raising=False)
    monkeypatch.setattr(device, "detect_hardware", lambda: t4)
    monkeypatch.setattr(device, "get_strategy", lambda hw=None: tf.distribute.get_strategy())
    run = helpers.setup_notebook()
    out = capsys.readouterr().out
    assert run.device == "1 GPU (Tesla T4, compute capability 7.5)"
    assert ("device: 1 GPU (Tesla T4, compute capability 7.5) · mixed precision off (float32; "
            "mixed_float16 would speed up this GPU: helpers.device.enable_mixed_precision()) · ") in out
    assert "No GPU or TPU found" not in out
    try:
        keras.mixed_precision.set_global_policy("mixed_float16")
        helpers.setup_notebook()
        assert "· mixed precision on (mixed_float16) ·" in capsys.readouterr().out
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_setup_notebook_seeds_reproducibly(monkeypatch, capsys):
    import numpy as np
    import tensorflow as tf

    helpers.setup_notebook(seed=3)
    first = (np.random.rand(), float(tf.random.uniform(())))
    helpers.setup_notebook(seed=3)
    assert (np.random.rand(), float(tf.random.uniform(()))) == first


def test_setup_notebook_fails_when_a_gpu_is_asked_for_but_absent(monkeypatch):
    from helpers import device

    monkeypatch.setenv("COURSE_ACCELERATOR", "GPU")
    monkeypatch.setattr(device, "detect_hardware", lambda: device.Hardware())
    expected = "A GPU was asked for .* Runtime > Change runtime type"
    with pytest.raises(device.AcceleratorNotFoundError, match=expected):
        helpers.setup_notebook()


def test_announce_frames_the_marker_line(capsys):
    profile.announce(profile.FIXTURE_OUTPUT_MARKER, "stand-in data")
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["!" * 78, "GENERATED FIXTURE: stand-in data", "!" * 78]
