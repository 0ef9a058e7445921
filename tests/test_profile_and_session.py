"""Run profiles, version checks and the setup cell's one line."""

from __future__ import annotations

import pytest

import helpers
from helpers import profile, session


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
    assert session._as_tuple("2.21.0rc1") == (2, 21, 0)
    assert session._as_tuple("3.15.1.dev2026") == (3, 15, 1)


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
        assert "Runtime > Change runtime type" in out


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
