"""Colab runtimes, before TensorFlow is imported: spot a TPU and install the TensorFlow it needs.

Since March 2025 Colab's TPU runtimes come without TensorFlow (googlecolab/colabtools
issue 5164; 5174, 5185 and 5228 are learners running into it). Plain ``tensorflow`` has
no TPU kernels, so a TPU runtime needs the ``tensorflow-tpu`` build and the ``libtpu``
that goes with it. The setup cell calls :func:`prepare_runtime` first thing on Colab:

- on a TPU runtime whose TensorFlow is not ``tensorflow-tpu``, it installs
  :data:`TENSORFLOW_TPU` and :data:`LIBTPU` (removing plain ``tensorflow`` first) and
  says whether the runtime must be restarted;
- anywhere else it does nothing.

This module never imports TensorFlow, so it can run before the first ``import tensorflow``.
Every decision is a pure function of what it is given, so the tests simulate TPU, GPU
and CPU machines.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata

__all__ = [
    "LIBTPU",
    "LIBTPU_FIND_LINKS",
    "TENSORFLOW_TPU",
    "RestartRequired",
    "TpuInstallPlan",
    "plan_tpu_install",
    "prepare_runtime",
    "tensorflow_distribution",
    "tpu_signs",
]

# A matching pair: tensorflow-tpu 2.20.0 (the newest on PyPI, with wheels for Python
# 3.10-3.13) declares `libtpu~=0.0.14`; pin that floor rather than let pip take the
# newest libtpu, which is built for JAX and moves on without TensorFlow.
TENSORFLOW_TPU = "tensorflow-tpu==2.20.0"
LIBTPU = "libtpu==0.0.14"
# Where Colab's own instructions (colabtools 5164) point pip for TensorFlow's libtpu builds.
LIBTPU_FIND_LINKS = "https://storage.googleapis.com/libtpu-tf-releases/index.html"

# Environment variables that only TPU machines set to a non-empty value: the legacy TPU
# node (COLAB_TPU_ADDR), Cloud TPU VMs (TPU_NAME, TPU_ACCELERATOR_TYPE) and Colab's TPU
# VMs (COLAB_TPU_1VM=1; Colab's GPU runtimes set it to "").
TPU_ENV_VARS = ("COLAB_TPU_ADDR", "TPU_NAME", "TPU_ACCELERATOR_TYPE", "COLAB_TPU_1VM")
# TPU chips appear as /dev/accel0... (v2-v4) or as VFIO groups /dev/vfio/0... (v5e, v6e).
TPU_DEVICE_GLOBS = ("/dev/accel[0-9]*", "/dev/vfio/[0-9]*")
_TPU_DEVICE_RE = re.compile(r"^/dev/(accel\d+|vfio/\d+)$")


class RestartRequired(RuntimeError):
    """TensorFlow was (re)installed after modules it replaces were imported: restart first."""


def tpu_signs(
    environ: Mapping[str, str] | None = None,
    device_paths: Sequence[str] | None = None,
) -> list[str]:
    """The signs of a TPU on this machine, e.g. ``["TPU_ACCELERATOR_TYPE=v5e-1", "/dev/vfio/0"]``.

    Args:
        environ: the environment to read (default: ``os.environ``).
        device_paths: the device files present (default: what :data:`TPU_DEVICE_GLOBS` match).

    An empty list means no TPU. Nothing here imports TensorFlow or waits on the network.
    """
    environ = os.environ if environ is None else environ
    if device_paths is None:
        device_paths = sorted(p for pattern in TPU_DEVICE_GLOBS for p in glob.glob(pattern))
    signs = [f"{k}={environ[k]}" for k in TPU_ENV_VARS if environ.get(k, "").strip() not in ("", "0")]
    signs += [p for p in device_paths if _TPU_DEVICE_RE.match(p)]
    return signs


def tensorflow_distribution() -> tuple[str, str] | None:
    """``(distribution, version)`` of the installed TensorFlow build, or ``None``.

    ``tensorflow-tpu`` is looked for first: it is the one that matters on a TPU.
    """
    for name in ("tensorflow-tpu", "tensorflow", "tensorflow-cpu"):
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


@dataclass(frozen=True)
class TpuInstallPlan:
    """What :func:`prepare_runtime` will do: the pip commands, in order, and why."""

    commands: tuple[tuple[str, ...], ...]
    reason: str


def plan_tpu_install(signs: Sequence[str], installed: tuple[str, str] | None) -> TpuInstallPlan | None:
    """Decide what a runtime needs before TensorFlow can use its TPU (``None``: nothing).

    Args:
        signs: what :func:`tpu_signs` found (empty: no TPU, nothing to do).
        installed: what :func:`tensorflow_distribution` found.
    """
    if not signs or (installed is not None and installed[0] == "tensorflow-tpu"):
        return None
    install = ("install", "--quiet", TENSORFLOW_TPU, LIBTPU, "--find-links", LIBTPU_FIND_LINKS)
    if installed is None:
        return TpuInstallPlan((install,), "this TPU runtime has no TensorFlow")
    name, version = installed
    return TpuInstallPlan(
        (("uninstall", "--yes", "--quiet", name), install),
        f"{name} {version} has no TPU kernels; a TPU needs the tensorflow-tpu build",
    )


def _pip(args: Sequence[str]) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def prepare_runtime(
    environ: Mapping[str, str] | None = None,
    device_paths: Sequence[str] | None = None,
    installed: tuple[str, str] | None | str = "detect",
    run_pip: Callable[[Sequence[str]], None] = _pip,
    imported: Sequence[str] | None = None,
) -> str:
    """Make TensorFlow usable on this runtime's accelerator; return (and print) what was done.

    On a TPU runtime without ``tensorflow-tpu`` it runs the pip commands of
    :func:`plan_tpu_install`. Elsewhere it changes nothing. The arguments exist for the
    tests; the setup cell calls it with none.

    Raises:
        RestartRequired: TensorFlow or Keras had already been imported in this kernel,
            so the new build can only be used after **Runtime > Restart session**.
        subprocess.CalledProcessError: pip failed; its own output above says why.
    """
    signs = tpu_signs(environ, device_paths)
    found = tensorflow_distribution() if installed == "detect" else installed
    plan = plan_tpu_install(signs, found)  # type: ignore[arg-type]
    if plan is None:
        message = (
            f"TPU runtime: {found[0]} {found[1]} is installed." if signs and found
            else "No TPU here: nothing to install."
        )
        return message
    print(f"TPU found ({', '.join(signs)}), but {plan.reason}: installing {TENSORFLOW_TPU} and {LIBTPU} "
          "(a minute or two) ...", flush=True)
    for command in plan.commands:
        run_pip(command)
    imported = sorted(sys.modules) if imported is None else imported
    stale = sorted({m.split(".")[0] for m in imported} & {"tensorflow", "keras", "tf_keras"})
    if stale:
        raise RestartRequired(
            f"Installed {TENSORFLOW_TPU} and {LIBTPU}, but {', '.join(stale)} had already been imported "
            "in this session. Restart it (Runtime > Restart session), then run the notebook again "
            "from the top: the setup cell will find tensorflow-tpu and go on."
        )
    message = f"Installed {TENSORFLOW_TPU} and {LIBTPU} for this TPU; no restart needed."
    print(message)
    return message
