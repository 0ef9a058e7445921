#!/usr/bin/env python3
"""Keep the Colab stack current: rewrite ``requirements-colab.txt`` from a ``pip freeze`` of Colab.

Usage (``make colab-stack FREEZE=... PYTHON_VERSION=... SOURCE=...`` runs the same)::

    python tools/colab_stack.py --freeze pip-freeze.txt --python-version 3.13.15 \\
        --source 'googlecolab/backend-info pip-freeze.txt, commit a724079 (2026-08-19)'

The freeze is either the file Google publishes in the public repository
googlecolab/backend-info (``pip-freeze.txt``; its ``os-info.txt`` gives the Python version,
``--os-info`` reads it) or what ``!pip freeze`` and ``!python --version`` print in a Colab cell.

What it rewrites, and what it keeps:

- every ``name==version`` line of ``requirements-colab.txt`` whose package Colab has gets
  Colab's version and the origin ``Colab's list``; a package Colab lacks keeps its pin and
  is marked ``not on Colab``. The rest of each comment (which notebooks need the package)
  is kept: adding or removing a package is a hand edit of that file;
- the ``# source:`` and ``# python:`` header lines (``make test-colab`` builds the stack on
  that Python's minor version);
- ``colab/constraints.txt``: every other ``name==version`` of the freeze, so that what the
  pinned packages pull in is installed at Colab's version too.

It prints what changed (nothing: "unchanged"). Only the standard library is used, so any
Python 3 runs it.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements-colab.txt"
CONSTRAINTS = ROOT / "colab" / "constraints.txt"

ON_COLAB = "Colab's list"
NOT_ON_COLAB = "not on Colab"
PIN_COLUMN = 28  # where the comment of a pin line starts
_NAME = r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)"
_PIN_RE = re.compile(rf"^{_NAME}==(?P<version>[^\s#;]+)\s*(?:#\s?(?P<comment>.*))?$")
_FREEZE_RE = re.compile(rf"^{_NAME}==(?P<version>[^\s#;]+)\s*$")
_PYTHON_RE = re.compile(r"^(?:Python\s+)?(?P<version>3\.\d+(?:\.\d+)?)\s*$")
_HEADER_RE = re.compile(r"^# (?P<key>source|python): ?(?P<value>.*)$")
_ORIGIN_RE = re.compile(rf"^(?:{re.escape(ON_COLAB)}|{re.escape(NOT_ON_COLAB)})\s*[;:]?\s*")


def normalize(name: str) -> str:
    """The comparable form of a package name (PEP 503): ``ML_Dtypes`` -> ``ml-dtypes``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_freeze(text: str) -> dict[str, tuple[str, str]]:
    """``{normalized name: (name as written, version)}`` of a ``pip freeze`` output.

    Lines that are not ``name==version`` (comments, ``name @ URL``, ``-e ...``) are skipped:
    they are not installable from a package index at a version.

    Raises:
        ValueError: ``text`` holds no ``name==version`` line at all (not a pip freeze).
    """
    packages = {}
    for line in text.splitlines():
        match = _FREEZE_RE.match(line.strip())
        if match:
            packages[normalize(match["name"])] = (match["name"], match["version"])
    if not packages:
        raise ValueError("The freeze holds no 'name==version' line: pass the output of `pip freeze`.")
    return packages


def parse_python_version(text: str) -> str:
    """``"3.13.15"`` from ``"3.13.15"``, ``"Python 3.13.15"`` or an ``os-info.txt`` holding that line.

    Raises:
        ValueError: no line of ``text`` is a Python 3 version.
    """
    for line in text.splitlines() or [text]:
        match = _PYTHON_RE.match(line.strip())
        if match:
            return match["version"]
    raise ValueError(
        f"No Python version in {text[:80]!r}: pass e.g. --python-version 3.13.15 "
        "(what `!python --version` prints on Colab) or --os-info os-info.txt."
    )


@dataclass
class Update:
    """The rewritten files and the human-readable list of what changed."""

    requirements: str
    constraints: str
    changes: list[str]


def _pin_line(name: str, version: str, origin: str, use: str) -> str:
    pin = f"{name}=={version}"
    comment = f"# {origin}; {use}" if use else f"# {origin}"
    return f"{pin.ljust(PIN_COLUMN - 1)} {comment}" if len(pin) < PIN_COLUMN - 1 else f"{pin}  {comment}"


def update(requirements: str, freeze: str, python_version: str, source: str) -> Update:
    """Rewrite the text of ``requirements-colab.txt`` for the Colab runtime described by ``freeze``.

    Args:
        requirements: the current ``requirements-colab.txt``.
        freeze: Colab's ``pip freeze``.
        python_version: Colab's Python, e.g. ``"3.13.15"``.
        source: where the freeze comes from (repository, commit, date), for the header.

    Raises:
        ValueError: ``freeze`` is no pip freeze, ``python_version`` no Python 3 version,
            ``source`` is empty, or ``requirements`` lacks the ``# source:`` / ``# python:``
            header lines or pins nothing.
    """
    colab = parse_freeze(freeze)
    python_version = parse_python_version(python_version)
    source = " ".join(source.split())
    if not source:
        raise ValueError("source is empty: say where the freeze comes from (repository, commit, date).")
    changes: list[str] = []
    lines, seen_headers, pinned = [], set(), set()
    for line in requirements.splitlines():
        header = _HEADER_RE.match(line)
        if header:
            key, old = header["key"], header["value"].strip()
            new = source if key == "source" else python_version
            seen_headers.add(key)
            if old != new:
                changes.append(f"{key}: {old or '(none)'} -> {new}")
            lines.append(f"# {key}: {new}")
            continue
        pin = _PIN_RE.match(line)
        if not pin:
            lines.append(line)
            continue
        name, old_version = pin["name"], pin["version"]
        comment = pin["comment"] or ""
        was_on_colab = comment.startswith(ON_COLAB)
        use = _ORIGIN_RE.sub("", comment, count=1).strip()
        key = normalize(name)
        pinned.add(key)
        if key in colab:
            version = colab[key][1]
            if version != old_version:
                changes.append(f"{name}: {old_version} -> {version}")
            elif not was_on_colab:
                changes.append(f"{name}: {version}, now on Colab")
            lines.append(_pin_line(name, version, ON_COLAB, use))
        else:
            if was_on_colab:
                changes.append(f"{name}: no longer on Colab, kept at {old_version}")
            lines.append(_pin_line(name, old_version, NOT_ON_COLAB, use))
    missing = {"source", "python"} - seen_headers
    if missing:
        raise ValueError(
            f"requirements-colab.txt has no '# {sorted(missing)[0]}: ...' header line: add it, "
            "then run this again."
        )
    if not pinned:
        raise ValueError("requirements-colab.txt pins no package (no 'name==version' line).")
    constraints = _constraints(colab, pinned, python_version, source)
    return Update("\n".join(lines) + "\n", constraints, changes)


def _constraints(colab: dict[str, tuple[str, str]], pinned: set[str], python_version: str,
                 source: str) -> str:
    head = [
        "# Every other package of Colab's list at Colab's version: pip installs what the packages",
        "# of requirements-colab.txt pull in at these versions. Generated by tools/colab_stack.py",
        "# (make colab-stack) from the list named below; do not edit by hand.",
        f"# source: {source}",
        f"# python: {python_version}",
    ]
    body = [f"{name}=={version}" for key, (name, version) in sorted(colab.items()) if key not in pinned]
    return "\n".join(head + body) + "\n"


def _constraint_changes(old: str, new: str) -> list[str]:
    def pins(text):
        return {normalize(m["name"]): m["version"] for m in map(_FREEZE_RE.match, text.splitlines()) if m}

    before, after = pins(old), pins(new)
    moved = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    added, removed = sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys())
    if not (moved or added or removed):
        return []
    return [f"colab/constraints.txt: {len(moved)} versions changed, {len(added)} packages added, "
            f"{len(removed)} removed"
            + (f" (e.g. {', '.join(f'{k} {before[k]} -> {after[k]}' for k in moved[:5])})" if moved else "")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--freeze", type=Path, required=True, help="Colab's `pip freeze` (a file)")
    version = parser.add_mutually_exclusive_group(required=True)
    version.add_argument("--python-version", help="Colab's Python, e.g. 3.13.15")
    version.add_argument("--os-info", type=Path, help="Colab's os-info.txt (holds 'Python 3.x.y')")
    parser.add_argument("--source", help="where the freeze comes from: repository, commit, date "
                        "(default: the freeze's file name)")
    parser.add_argument("--requirements", type=Path, default=REQUIREMENTS)
    parser.add_argument("--constraints", type=Path, default=CONSTRAINTS)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the files are not what the freeze gives")
    args = parser.parse_args(argv)
    try:
        freeze = args.freeze.read_text(encoding="utf-8")
        python = args.python_version or args.os_info.read_text(encoding="utf-8")
        old_constraints = args.constraints.read_text(encoding="utf-8") if args.constraints.exists() else ""
        result = update(args.requirements.read_text(encoding="utf-8"), freeze, python,
                        args.source or f"a `pip freeze` of Colab ({args.freeze.name})")
    except (OSError, ValueError) as error:
        print(f"colab_stack: {error}", file=sys.stderr)
        return 2
    changes = result.changes + _constraint_changes(old_constraints, result.constraints)
    if not changes and old_constraints == result.constraints:
        print("requirements-colab.txt: unchanged")
        return 0
    print("\n".join(changes) or "comments only")
    if args.check:
        print("colab_stack: the files differ from the freeze (run without --check to rewrite them)",
              file=sys.stderr)
        return 1
    args.requirements.write_text(result.requirements, encoding="utf-8")
    args.constraints.parent.mkdir(parents=True, exist_ok=True)
    args.constraints.write_text(result.constraints, encoding="utf-8")
    print(f"wrote {args.requirements.name} and {args.constraints.name}: rebuild with `make test-colab`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
