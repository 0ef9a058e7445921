"""The Colab stack: tools/colab_stack.py, the committed requirements-colab.txt against Colab's
published lists, and the interpreter choice of tools/find-python.sh (what `make` runs first)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import colab
from tools import colab_stack

ROOT = Path(__file__).resolve().parents[1]
# Colab's published lists (googlecolab/backend-info): beside the checkout (../shared/colab) or
# where COURSE_COLAB_LISTS points.
PUBLISHED = Path(os.environ.get("COURSE_COLAB_LISTS", ROOT.parent / "shared" / "colab"))
needs_published = pytest.mark.skipif(not (PUBLISHED / "pip-freeze.txt").exists(),
                                     reason="Colab's published lists are not beside this checkout")

OLDER = """\
# header text is kept
# source: an older Colab list
# python: 3.12
-c colab/constraints.txt

tensorflow==2.19.0          # Colab's list; all notebooks
keras==3.10.0               # Colab's list; all notebooks
ml-dtypes==0.5.4            # Colab's list; TensorFlow
gone-from-colab==1.0        # Colab's list; a notebook
nbval==0.11.0               # not on Colab; the runner installs it
"""
FREEZE = """\
absl-py==1.4.0
google-colab @ file:///colabtools/dist/google_colab-1.0.0.tar.gz
keras==3.13.2
ml_dtypes==0.6.0
nbval==0.11.0
tensorflow==2.20.0
"""


def _pins(text: str) -> dict[str, str]:
    pins = re.finditer(r"^([A-Za-z0-9][\w.-]*)==(\S+)", text, re.M)
    return {colab_stack.normalize(m[1]): m[2] for m in pins}


def test_update_rewrites_versions_origins_and_header_and_says_what_changed():
    result = colab_stack.update(OLDER, FREEZE, "Python 3.13.15", "backend-info abc123 (2026-08-19)")
    assert result.changes == [
        "source: an older Colab list -> backend-info abc123 (2026-08-19)",
        "python: 3.12 -> 3.13.15",
        "tensorflow: 2.19.0 -> 2.20.0",
        "keras: 3.10.0 -> 3.13.2",
        "ml-dtypes: 0.5.4 -> 0.6.0",
        "gone-from-colab: no longer on Colab, kept at 1.0",
        "nbval: 0.11.0, now on Colab",
    ]
    lines = result.requirements.splitlines()
    assert lines[:4] == ["# header text is kept", "# source: backend-info abc123 (2026-08-19)",
                         "# python: 3.13.15", "-c colab/constraints.txt"]
    assert "tensorflow==2.20.0          # Colab's list; all notebooks" in lines
    assert "ml-dtypes==0.6.0            # Colab's list; TensorFlow" in lines  # the file's spelling stays
    assert "gone-from-colab==1.0        # not on Colab; a notebook" in lines
    assert "nbval==0.11.0               # Colab's list; the runner installs it" in lines
    # the constraints: everything else of the freeze that is installable at a version
    assert result.constraints.splitlines()[-1:] == ["absl-py==1.4.0"]
    assert "# source: backend-info abc123 (2026-08-19)" in result.constraints


def test_update_of_an_up_to_date_file_changes_nothing():
    once = colab_stack.update(OLDER, FREEZE, "3.13.15", "s")
    twice = colab_stack.update(once.requirements, FREEZE, "3.13.15", "s")
    assert twice.changes == [] and twice.requirements == once.requirements


@pytest.mark.parametrize(
    ("requirements", "freeze", "python", "source", "message"),
    [
        (OLDER, "# nothing\nfoo @ https://x", "3.13", "s",
         r"no 'name==version' line: pass the output of `pip freeze`"),
        (OLDER, FREEZE, "Python three", "s",
         r"No Python version in 'Python three': pass e.g\. --python-version"),
        (OLDER, FREEZE, "3.13", "  ", r"source is empty: say where the freeze comes from"),
        ("keras==3.10.0\n# python: 3.12\n", FREEZE, "3.13", "s", r"has no '# source: \.\.\.' header line"),
        ("# source: x\n# python: 3.12\n", FREEZE, "3.13", "s", r"pins no package"),
    ],
)
def test_update_rejects_bad_input(requirements, freeze, python, source, message):
    with pytest.raises(ValueError, match=message):
        colab_stack.update(requirements, freeze, python, source)


def test_command_writes_both_files_and_check_mode_reports_a_difference(tmp_path, capsys):
    requirements, constraints = tmp_path / "requirements-colab.txt", tmp_path / "constraints.txt"
    freeze = tmp_path / "pip-freeze.txt"
    requirements.write_text(OLDER)
    freeze.write_text(FREEZE)
    args = ["--freeze", str(freeze), "--python-version", "3.13.15", "--source", "test list",
            "--requirements", str(requirements), "--constraints", str(constraints)]
    assert colab_stack.main([*args, "--check"]) == 1
    assert requirements.read_text() == OLDER and not constraints.exists()
    assert colab_stack.main(args) == 0
    out = capsys.readouterr().out
    assert "tensorflow: 2.19.0 -> 2.20.0" in out
    assert "colab/constraints.txt: 0 versions changed, 1 packages added" in out
    assert _pins(requirements.read_text())["tensorflow"] == "2.20.0"
    assert colab_stack.main([*args, "--check"]) == 0
    assert capsys.readouterr().out == "requirements-colab.txt: unchanged\n"
    assert colab_stack.main([*args[:1], str(tmp_path / "missing.txt"), *args[2:]]) == 2
    assert "colab_stack: [Errno 2] No such file or directory" in capsys.readouterr().err


def test_committed_files_name_one_source_and_mark_every_pin():
    requirements = (ROOT / "requirements-colab.txt").read_text()
    constraints = (ROOT / "colab" / "constraints.txt").read_text()
    source = re.search(r"^# source: (.+)$", requirements, re.M)[1]
    python = re.search(r"^# python: (.+)$", requirements, re.M)[1]
    assert f"# source: {source}\n# python: {python}\n" in constraints
    assert "\n-c colab/constraints.txt\n" in requirements
    for line in requirements.splitlines():
        if re.match(r"^[A-Za-z0-9]", line):
            assert re.match(r"^\S+==\S+ +# (Colab's list|not on Colab); \S", line), line
    assert not set(_pins(requirements)) & set(_pins(constraints))


@needs_published
def test_committed_stack_is_colabs_published_list(capsys):
    """requirements-colab.txt and colab/constraints.txt are what the tool makes of Colab's list."""
    source = re.search(r"^# source: (.+)$", (ROOT / "requirements-colab.txt").read_text(), re.M)[1]
    args = ["--freeze", str(PUBLISHED / "pip-freeze.txt"), "--os-info", str(PUBLISHED / "os-info.txt"),
            "--source", source, "--check"]
    assert colab_stack.main(args) == 0, capsys.readouterr()
    pins = _pins((ROOT / "requirements-colab.txt").read_text())
    assert (pins["tensorflow"], pins["keras"]) == ("2.20.0", "3.13.2")


@needs_published
def test_gpu_runtime_has_the_default_runtimes_tensorflow_and_keras():
    default = colab_stack.parse_freeze((PUBLISHED / "pip-freeze.txt").read_text())
    gpu = colab_stack.parse_freeze((PUBLISHED / "pip-freeze.gpu.txt").read_text())
    for package in ("tensorflow", "keras", "tensorflow-datasets", "tensorflow-metadata", "protobuf"):
        assert gpu[package] == default[package], package
    assert colab_stack.parse_python_version((PUBLISHED / "os-info-gpu.txt").read_text()) == \
        colab_stack.parse_python_version((PUBLISHED / "os-info.txt").read_text())


@needs_published
def test_tpu_runtime_has_no_tensorflow_and_the_pinned_tpu_build_matches_the_default_runtime():
    default = colab_stack.parse_freeze((PUBLISHED / "pip-freeze.txt").read_text())
    tpu = colab_stack.parse_freeze((PUBLISHED / "pip-freeze.tpu.txt").read_text())
    assert not {"tensorflow", "tensorflow-tpu", "tensorflow-cpu"} & set(tpu)
    assert tpu["keras"] == default["keras"]
    tpu_build = colab.TENSORFLOW_TPU.split("==")[1]
    assert tpu_build == default["tensorflow"][1]  # the same TensorFlow as the tested default runtime


# --- tools/find-python.sh: which interpreter `make` builds a venv with ----------------------------

def _fake_python(folder: Path, name: str, version: str) -> None:
    """An executable that answers like Python ``version`` would to the questions the script asks."""
    path = folder / name
    path.write_text(f'#!/bin/sh\ncase "$*" in *version_info*) echo {version};; '
                    f'*) echo "Python {version}.0";; esac\n')
    path.chmod(0o755)


@pytest.fixture
def bare_path(tmp_path):
    """A PATH with the fakes first and only the tools the script and make need after them."""
    fakes, tools = tmp_path / "fakes", tmp_path / "tools"
    fakes.mkdir()
    tools.mkdir()
    for tool in ("sh", "cat", "make", "sed", "rm"):
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} is not installed")
        (tools / tool).symlink_to(found)
    env = {"PATH": f"{fakes}:{tools}", "HOME": str(tmp_path / "home"),
           "PYENV_ROOT": str(tmp_path / "no-pyenv")}
    return fakes, env


def _find(env, *args):
    return subprocess.run(["sh", str(ROOT / "tools" / "find-python.sh"), *args], env=env,
                          capture_output=True, text=True, check=False)


def test_an_unsupported_python3_stops_with_the_ways_out(bare_path):
    fakes, env = bare_path
    _fake_python(fakes, "python3", "3.14")
    result = _find(env, "3.11", "3.13")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(
        f"No supported Python found: python3 is Python 3.14 ({fakes}/python3), and no Python 3.11 "
        "to 3.13 on PATH, in pyenv or in uv.\n")
    for way_out in ("sudo apt install python3.13", "pyenv install 3.13", "uv python install 3.13",
                    "make <target> PYTHON=/path/to/python3.13", "open the notebooks on Colab"):
        assert way_out in result.stderr


def test_the_newest_supported_python_is_chosen_when_python3_is_not(bare_path):
    fakes, env = bare_path
    _fake_python(fakes, "python3", "3.14")
    _fake_python(fakes, "python3.11", "3.11")
    _fake_python(fakes, "python3.12", "3.12")
    assert _find(env, "3.11", "3.13").stdout == f"{fakes}/python3.12\n"
    _fake_python(fakes, "python3", "3.11")  # a supported python3 is used as it is
    assert _find(env, "3.11", "3.13").stdout == f"{fakes}/python3\n"


def test_pyenvs_newest_patch_release_is_found(bare_path, tmp_path):
    fakes, env = bare_path
    _fake_python(fakes, "python3", "3.9")
    for patch in ("3.13.2", "3.13.10"):
        folder = tmp_path / "no-pyenv" / "versions" / patch / "bin"
        folder.mkdir(parents=True)
        _fake_python(folder, "python3.13", "3.13")
    assert _find(env, "3.13", "3.13").stdout == f"{tmp_path}/no-pyenv/versions/3.13.10/bin/python3.13\n"


def test_make_venv_stops_before_pip_on_an_unsupported_python(bare_path, tmp_path):
    fakes, env = bare_path
    _fake_python(fakes, "python3", "3.14")
    checkout = tmp_path / "checkout"
    (checkout / "tools").mkdir(parents=True)
    (checkout / "colab").mkdir()
    for name in ("Makefile", "requirements.txt", "requirements-colab.txt", "pyproject.toml",
                 "tools/find-python.sh", "colab/constraints.txt"):
        shutil.copy(ROOT / name, checkout / name)
    for target, message in (("venv", "Python 3.11 to 3.13"), ("venv-colab", "no Python 3.13 on PATH")):
        result = subprocess.run(["make", "-C", str(checkout), target], env=env, capture_output=True,
                                text=True, check=False)
        assert result.returncode != 0
        assert "No supported Python found: " in result.stderr and message in result.stderr
        assert "pip" not in result.stdout + result.stderr.replace("pip install", "")
    assert not (checkout / ".venv").exists() and not (checkout / ".venv-colab").exists()
    assert "make <target> COLAB_PYTHON=/path/to/python3.13" in result.stderr


def test_makefile_and_pyproject_claim_the_same_python_range():
    makefile = (ROOT / "Makefile").read_text()
    low, high = re.search(r"^SUPPORTED_PYTHON := (3\.\d+) (3\.\d+)$", makefile, re.M).groups()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'requires-python = ">={low}"' in pyproject
    classifiers = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject)
    assert classifiers[0] == low and classifiers[-1] == high
    colab_python = re.search(r"^# python: (3\.\d+)", (ROOT / "requirements-colab.txt").read_text(), re.M)[1]

    def minor(version):
        return int(version.split(".")[1])

    assert minor(low) <= minor(colab_python) <= minor(high)  # both tested stacks lie in the claimed range

