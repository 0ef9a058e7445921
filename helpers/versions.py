"""Installed package versions, read without importing TensorFlow.

- :func:`require_versions`: the setup cell's check of minimum versions, with the fix in
  the error message;
- :func:`stack_line`: the one line that says which stack a test run used, printed by
  ``make test``, ``make test-colab`` and the Colab test runner before pytest starts::

      stack: pinned python=3.11.7 tensorflow=2.21.0 keras=3.15.1 pandas=3.1.1 numpy=2.4.6

Run ``python -m helpers.versions NAME`` to print the line for the stack named ``NAME``.
"""

from __future__ import annotations

import platform
import re
import sys
from importlib import metadata

__all__ = ["MINIMUM_VERSIONS", "STACK_PACKAGES", "as_tuple", "installed_version", "require_versions",
           "stack_line"]

# The oldest versions a test suite ran on: the Colab stack (requirements-colab.txt).
# The setup cell, helpers.setup_notebook and pyproject.toml claim these and no lower.
MINIMUM_VERSIONS = {"tensorflow": "2.20", "keras": "3.13"}
STACK_PACKAGES = ("tensorflow", "keras", "pandas", "numpy")
# Builds that provide the `tensorflow` module under another distribution name.
TENSORFLOW_BUILDS = ("tensorflow", "tensorflow-tpu", "tensorflow-cpu", "tensorflow-intel", "tf-nightly")
_STACK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def as_tuple(version: str) -> tuple[int, ...]:
    """``"2.21.0rc1"`` -> ``(2, 21, 0)``: the numeric release part, for comparisons."""
    parts = []
    for piece in version.split(".")[:3]:
        digits = re.match(r"\d+", piece)  # "0rc1" -> 0
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def installed_version(package: str) -> str | None:
    """The installed version of distribution ``package`` (``None`` if it is not installed).

    For ``tensorflow``, builds installed under another name (``tensorflow-tpu`` on a Colab
    TPU runtime, ``tensorflow-cpu``...) count too.
    """
    dist = package.replace("_", "-").lower()
    for name in TENSORFLOW_BUILDS if dist == "tensorflow" else (dist,):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def require_versions(**minimums: str) -> None:
    """Assert installed package versions, e.g. ``require_versions(tensorflow="2.20")``.

    Raises:
        RuntimeError: naming the package, the installed and the needed version, and
            the command that upgrades it.
    """
    for package, minimum in minimums.items():
        dist = package.replace("_", "-")
        installed = installed_version(dist)
        if installed is None:
            raise RuntimeError(f"{dist} is not installed: `pip install '{dist}>={minimum}'`.")
        if as_tuple(installed) < as_tuple(minimum):
            raise RuntimeError(
                f"This course needs {dist} >= {minimum}, but {installed} is installed: "
                f"`pip install -U '{dist}>={minimum}'`, then restart the kernel."
            )


def stack_line(name: str) -> str:
    """``stack: <name> python=<v> tensorflow=<v> keras=<v> pandas=<v> numpy=<v>``: this Python
    and the installed packages.

    A package that is not installed shows as ``missing``.

    Raises:
        ValueError: ``name`` is empty or has characters other than lower-case letters,
            digits, ``.``, ``_`` and ``-`` (it must stay one word on the line).
    """
    if not _STACK_NAME_RE.match(name or ""):
        raise ValueError(
            f"Stack name {name!r} must be one lower-case word such as 'pinned' or 'colab' "
            "(letters, digits, '.', '_' or '-')."
        )
    versions = " ".join(f"{p}={installed_version(p) or 'missing'}" for p in STACK_PACKAGES)
    return f"stack: {name} python={platform.python_version()} {versions}"


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.versions NAME``: print the stack line for the stack ``NAME``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m helpers.versions NAME   (e.g. pinned or colab)", file=sys.stderr)
        return 2
    try:
        print(stack_line(args[0]))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
