"""Maintainer tool for the course notebooks: normalize, check and run them.

    python tools/course.py format [--clear] [NOTEBOOK ...]   # rewrite into the normalized form
    python tools/course.py check [NOTEBOOK ...]              # exit 1 and list every problem
    python tools/course.py run [--profile fast|full] [--filter TEXT] [--inplace] [--solutions] [NOTEBOOK ...]
    python tools/course.py terms-table                       # the README's "Data and their terms" table
    python tools/course.py set-version VERSION               # helpers.__version__, README links, notebooks

With no NOTEBOOK, ``format`` and ``check`` take every ``notebooks/*.ipynb`` and
``solutions/*_solutions.ipynb``; ``run`` takes the notebooks, or with ``--solutions`` the
solutions notebooks. A solutions notebook answers its notebook's numbered exercises, each
under ``## Exercise K`` with the exercise quoted verbatim, so the check can match them.
``make format``, ``make run`` and the test suite call this file; the format rules live here and nowhere else.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import helpers  # noqa: E402
from helpers import profile, repo, versions  # noqa: E402

NOTEBOOK_DIR = ROOT / "notebooks"
SOLUTIONS_DIR = ROOT / "solutions"
SOLUTIONS_SUFFIX = "_solutions.ipynb"
SOLUTIONS_PLACEHOLDER = "<!-- solutions -->"
SOLUTIONS_LINE_START = "**Worked solutions**"
EXERCISES_HEADING = "## Exercises"
EXERCISE_ITEM_RE = re.compile(r"^(\d+)\.\s+(.*)$")
EXERCISE_HEADING_RE = re.compile(r"^## Exercise (\d+)\s*$")
ANSWER_START = "**Answer.**"
RUNS_DIR = ROOT / "runs"
LINKS_PLACEHOLDER = "<!-- links -->"
TITLE_RE = re.compile(r"^# (\d\d) · \S.*$")
REQUIRED_HEADINGS = ("## Results", "## Exercises", "## Further reading")
ACCELERATORS = {"GPU": {"gpuType": "T4"}, "TPU": {"gpuType": "V28"}}
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
KEPT_CELL_METADATA = ("tags",)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# Output text that must never be committed: machine paths, fast-profile and fixture runs.
FORBIDDEN_OUTPUT = {
    "a fast-profile run": profile.FAST_OUTPUT_MARKER,
    "a generated fixture": profile.FIXTURE_OUTPUT_MARKER,
    "random weights": profile.RANDOM_WEIGHTS_OUTPUT_MARKER,
}
# TensorFlow's C++ start-up and runtime log lines: noise with timestamps and process ids.
TF_LOG_LINE_RE = re.compile(
    r"^([IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] .*"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .* with the appropriate compiler flags\.)\n?",
    flags=re.MULTILINE,
)
# nbval compares a cell marked like this only when it has stored outputs; without them the
# marker checks nothing, so the format check refuses it.
CHECK_OUTPUT_RE = re.compile(r"^\s*#\s*NBVAL_CHECK_OUTPUT\b", flags=re.MULTILINE)
# Output that differs between supported library versions cannot be compared by nbval
# (pandas 3 prints its string dtype as "str", pandas 2 as "object").
VERSION_DEPENDENT_OUTPUT = {
    "pandas 3's string dtype": re.compile(r"dtype: str$|^\S+\s+str$|\bStringDtype\b", re.MULTILINE),
}
# The git refs a notebook's links and its setup cell's install line point at.
_REPO = re.escape(repo.GITHUB_REPO)
POINTED_REF_RES = (
    re.compile(rf"github(?:\.com)?/{_REPO}/blob/([^/\s)]+)/"),  # GitHub and Colab links
    re.compile(rf"git\+https://github\.com/{_REPO}@([^\s\"']+)"),
)
MACHINE_PATH_RE = re.compile(r"(/root/|/home/[\w.-]+/|/Users/[\w.-]+/|/work/|/tmp/|[A-Z]:\\Users\\)")

_MINIMUMS = ", ".join(f'{name}="{version}"' for name, version in versions.MINIMUM_VERSIONS.items())
SETUP_SOURCE = f'''\
# Setup (the same in every notebook): on Colab, install the course's helpers package and, on a
# TPU runtime, the TensorFlow build a TPU needs; everywhere, check versions, seed every random
# generator and say what this run uses.
import sys

if "google.colab" in sys.modules:
    %pip install -q --no-deps "{repo.pip_spec()}"
    import helpers.colab
    helpers.colab.prepare_runtime()

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import tensorflow as tf

import helpers

helpers.require_versions({_MINIMUMS})
RUN = helpers.setup_notebook(seed=42)'''


def links_line(relative_path: str) -> str:
    """The Open-in-Colab and View-on-GitHub badges for a notebook at ``relative_path``."""
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({repo.colab_url(relative_path)}) "
        f"[![View on GitHub](https://img.shields.io/badge/View%20on-GitHub-181717?logo=github)]"
        f"({repo.github_url(relative_path)})"
    )


def solutions_path(notebook: Path) -> Path:
    """Where ``notebooks/NN_x.ipynb``'s exercises are answered: ``solutions/NN_x_solutions.ipynb``."""
    return SOLUTIONS_DIR / f"{notebook.stem}{SOLUTIONS_SUFFIX}"


def notebook_of_solutions(path: Path) -> Path:
    """The notebook (in ``notebooks/`` beside ``solutions/``) whose exercises ``path`` answers."""
    return path.resolve().parent.parent / NOTEBOOK_DIR.name / (path.name[: -len(SOLUTIONS_SUFFIX)] + ".ipynb")


def is_solutions(path: Path) -> bool:
    return path.name.endswith(SOLUTIONS_SUFFIX)


def solutions_line(notebook_relative: str) -> str:
    """The line under a notebook's ``## Exercises`` heading that links to its solutions notebook."""
    target = f"solutions/{Path(notebook_relative).stem}{SOLUTIONS_SUFFIX}"
    return (f"{SOLUTIONS_LINE_START} to these exercises, run in CI like this notebook: "
            f"[open in Colab]({repo.colab_url(target)}) · [view on GitHub]({repo.github_url(target)})")


def _normalize_text(text: str) -> str:
    return " ".join(text.split())


def exercises(nb) -> list[str]:
    """The numbered items under the notebook's ``## Exercises`` heading, whitespace-normalized.

    Raises:
        ValueError: the items are not numbered 1, 2, 3, ... in order.
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.split("\n")
        if EXERCISES_HEADING not in [line.strip() for line in lines]:
            continue
        start = [line.strip() for line in lines].index(EXERCISES_HEADING) + 1
        items: list[list[str]] = []
        for line in lines[start:]:
            if line.startswith("#"):
                break
            match = EXERCISE_ITEM_RE.match(line)
            if match:
                if int(match.group(1)) != len(items) + 1:
                    raise ValueError(f"exercise {match.group(1)} follows exercise {len(items)}: "
                                     "number them 1, 2, 3, ...")
                items.append([match.group(2)])
            elif items and line.strip() and not line.startswith(SOLUTIONS_LINE_START):
                items[-1].append(line)
        return [_normalize_text(" ".join(item)) for item in items]
    return []


def solution_sections(nb) -> list[tuple[int, str, bool]]:
    """``(K, quoted text, has an answer)`` for each ``## Exercise K`` section of a solutions notebook.

    The quoted text is the blockquote that follows the heading (whitespace-normalized); a
    section has an answer when a markdown cell of it starts with ``**Answer.**``.
    """
    sections: list[list] = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.split("\n")
        match = EXERCISE_HEADING_RE.match(lines[0])
        if match:
            quote = []
            for line in lines[1:]:
                if not line.strip() and not quote:
                    continue
                if not line.startswith(">"):
                    break
                quote.append(line[1:])
            sections.append([int(match.group(1)), _normalize_text(" ".join(quote)), False])
        elif sections and cell.source.lstrip().startswith(ANSWER_START):
            sections[-1][2] = True
    return [tuple(section) for section in sections]


def _solutions_problems(nb, path: Path) -> list[str]:
    notebook = notebook_of_solutions(path)
    if not notebook.is_file():
        return [f"answers {_relative(notebook)}, which does not exist"]
    wanted = exercises(nbformat.read(notebook, as_version=4))
    problems = []
    found = solution_sections(nb)
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(wanted) + 1)):
        problems.append(f"has sections '## Exercise K' for K = {numbers}, but {_relative(notebook)} has "
                        f"{len(wanted)} exercises: one section per exercise, in order")
    for number, quote, answered in found:
        if 1 <= number <= len(wanted) and quote != wanted[number - 1]:
            problems.append(f"exercise {number}'s quote differs from {_relative(notebook)}'s exercise "
                            f"{number}: quote it verbatim as a '> ' blockquote under the heading")
        if not answered:
            problems.append(f"exercise {number} has no markdown cell starting '{ANSWER_START}'")
    return problems


def _relative(path: Path) -> str:
    """The notebook's path in the repository (``notebooks/<name>`` or ``solutions/<name>`` for a copy)."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return f"{'solutions' if is_solutions(path) else 'notebooks'}/{path.name}"


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _stable_id(cell, index: int, taken: set[str]) -> str:
    digest = hashlib.sha1(f"{index}:{cell.source}".encode()).hexdigest()[:8]
    while digest in taken:
        digest = hashlib.sha1(digest.encode()).hexdigest()[:8]
    return digest


def normalize(nb, path: Path, clear: bool = False):
    """Return a normalized copy of notebook ``nb`` stored at ``path``."""
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    accelerator = nb.metadata.get("accelerator")
    course_metadata = nb.metadata.get("course")
    metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    if course_metadata and not clear:  # the stored full run's time (see run_notebook)
        metadata["course"] = dict(course_metadata)
    if accelerator in ACCELERATORS:
        metadata["accelerator"] = accelerator
        metadata["colab"] = {"provenance": [], **ACCELERATORS[accelerator]}
    nb.metadata = nbformat.from_dict(metadata)

    taken: set[str] = set()
    for index, cell in enumerate(nb.cells):
        kept = {k: v for k, v in cell.get("metadata", {}).items() if k in KEPT_CELL_METADATA and v}
        cell.metadata = nbformat.from_dict(kept)
        if not cell.get("id") or cell.id in taken:
            cell.id = _stable_id(cell, index, taken)
        taken.add(cell.id)
        if not cell.get("attachments"):
            cell.pop("attachments", None)
        if cell.cell_type != "code":
            continue
        if "setup" in _tags(cell):
            cell.source = SETUP_SOURCE
        if clear:
            cell.outputs, cell.execution_count = [], None
        outputs = []
        for output in cell.outputs:
            output.get("data", {}).pop(WIDGET_MIME, None)
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output.text = TF_LOG_LINE_RE.sub("", output.text)
                if not output.text.strip():
                    continue
            previous = outputs[-1] if outputs else {}
            if output.get("output_type") == "stream" and previous.get("output_type") == "stream" \
                    and previous.get("name") == output.get("name"):
                previous.text += output.text  # one stream, however the kernel flushed it
                continue
            outputs.append(output)
        cell.outputs = outputs

    for cell in nb.cells:  # the link from a notebook's exercises to their solutions
        lines = cell.source.split("\n") if cell.cell_type == "markdown" else []
        if not is_solutions(path) and EXERCISES_HEADING in [line.strip() for line in lines]:
            cell.source = "\n".join(
                solutions_line(_relative(path))
                if line.strip() == SOLUTIONS_PLACEHOLDER or line.startswith(SOLUTIONS_LINE_START) else line
                for line in lines
            )

    if nb.cells and nb.cells[0].cell_type == "markdown":
        lines = nb.cells[0].source.split("\n")
        for i, line in enumerate(lines):
            if line.strip() == LINKS_PLACEHOLDER or "colab-badge.svg" in line:
                lines[i] = links_line(_relative(path))
                break
        nb.cells[0].source = "\n".join(lines)
    return nb


def pointed_refs(nb) -> set[str]:
    """The git refs (tags or branches) the notebook's title-cell links and setup cell point at."""
    texts = [c.source for c in nb.cells[:1] if c.cell_type == "markdown"]
    texts += [c.source for c in nb.cells if c.cell_type == "code" and "setup" in _tags(c)]
    return {m for pattern in POINTED_REF_RES for text in texts for m in pattern.findall(text)}


def _dump(nb) -> str:
    return nbformat.writes(nb) + "\n"


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    data = output.get("data", {})
    return "\n".join(str(data[k]) for k in ("text/plain", "text/html", "text/markdown") if k in data)


def check(path: Path) -> list[str]:
    """Every way the notebook at ``path`` breaks the course format (empty list: none)."""
    problems: list[str] = []
    try:
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # unreadable or invalid JSON is one problem, reported plainly
        return [f"cannot be read as a valid notebook: {error}"]

    if text != _dump(normalize(nb, path)):
        problems.append("is not normalized (metadata, links or setup cell): run `make format`")
    stale = sorted(pointed_refs(nb) - {repo.ref()})
    if stale:
        problems.append(
            f"links or the Colab install line point at {', '.join(stale)}, but the repository's version "
            f"{helpers.__version__} is served from {repo.ref()}: run `make format`"
        )
    cells = nb.cells
    header = cells[0].source if cells and cells[0].cell_type == "markdown" else ""
    title = TITLE_RE.match(header.split("\n", 1)[0]) if header else None
    if not title:
        problems.append("first cell must be markdown starting with '# NN · Title'")
    elif not path.name.startswith(title.group(1) + "_"):
        problems.append(f"title number {title.group(1)} does not match the file name")
    if links_line(_relative(path)) not in header:
        problems.append(f"header must hold the Colab/GitHub links (write {LINKS_PLACEHOLDER!r}, then format)")
    if "**Expected run time:**" not in header:
        problems.append("header must state '**Expected run time:**'")
    if len(cells) < 3 or "setup" not in _tags(cells[1]) or "parameters" not in _tags(cells[2]):
        problems.append("cell 2 must be the 'setup'-tagged cell and cell 3 the 'parameters'-tagged cell")
    if sum("parameters" in _tags(c) for c in cells) != 1:
        problems.append("exactly one cell must be tagged 'parameters'")
    markdown = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    if is_solutions(path):
        problems += _solutions_problems(nb, path)
    else:
        for heading in REQUIRED_HEADINGS:
            if not re.search(rf"^{re.escape(heading)}\b", markdown, flags=re.MULTILINE):
                problems.append(f"missing the section heading {heading!r}")
        try:
            items = exercises(nb)
        except ValueError as error:
            items = []
            problems.append(f"its exercises cannot be read: {error}")
        if items and solutions_line(_relative(path)) not in markdown:
            problems.append(f"its exercises must link to their solutions: write {SOLUTIONS_PLACEHOLDER!r} "
                            "under '## Exercises', then format")

    code = [c for c in cells if c.cell_type == "code"]
    has_outputs = any(c.outputs for c in code)
    for number, cell in enumerate(code, start=1):
        if CHECK_OUTPUT_RE.search(cell.source):
            if not cell.outputs:
                problems.append(
                    f"code cell {number} is marked '# NBVAL_CHECK_OUTPUT' but has no stored output, so "
                    "nbval compares nothing: commit full-run outputs, or assert the facts in the cell "
                    "and remove the marker"
                )
            for what, pattern in VERSION_DEPENDENT_OUTPUT.items():
                if any(pattern.search(_output_text(o)) for o in cell.outputs):
                    problems.append(
                        f"code cell {number} is marked '# NBVAL_CHECK_OUTPUT' but prints {what}, "
                        "which other supported versions print differently"
                    )
        if cell.outputs and cell.execution_count is None:
            problems.append(f"code cell {number} has outputs but no execution count (nbval rejects it)")
        for output in cell.outputs:
            text = _output_text(output)
            if output.get("output_type") == "error":
                problems.append(f"code cell {number} has a committed error output")
            for what, marker in FORBIDDEN_OUTPUT.items():
                if marker in text:
                    problems.append(f"code cell {number} has output from {what} ({marker!r}): "
                                    "commit outputs of a full run on real data only, or clear them")
            if MACHINE_PATH_RE.search(text):
                problems.append(f"code cell {number} output shows a path of the machine it ran on")
    if has_outputs:
        setup_text = "".join(_output_text(o) for o in code[0].outputs) if code else ""
        if "profile: full" not in setup_text:
            problems.append("has outputs, but the setup cell's output does not show 'profile: full'")
    return problems


def course_notebooks() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def solutions_notebooks() -> list[Path]:
    return sorted(SOLUTIONS_DIR.glob(f"*{SOLUTIONS_SUFFIX}"))


def all_notebooks() -> list[Path]:
    """The course notebooks, then the solutions notebooks."""
    return course_notebooks() + solutions_notebooks()


def _paths(args_paths: list[str], name_filter: str | None = None,
           default: list[Path] | None = None) -> list[Path]:
    paths = [Path(p) for p in args_paths] or (all_notebooks() if default is None else default)
    if name_filter:
        paths = [p for p in paths if name_filter in p.name]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"No such notebook: {', '.join(missing)}")
    return paths


def cmd_format(args) -> int:
    for path in _paths(args.notebooks):
        nb = nbformat.read(path, as_version=4)
        new = _dump(normalize(nb, path, clear=args.clear))
        if path.read_text(encoding="utf-8") != new:
            path.write_text(new, encoding="utf-8")
            print(f"formatted {_relative(path)}")
    return 0


def cmd_check(args) -> int:
    failed = 0
    for path in _paths(args.notebooks):
        for problem in check(path):
            print(f"{_relative(path)}: {problem}")
            failed += 1
    print(f"{failed} problem(s)" if failed else "all notebooks are in the course format")
    return 1 if failed else 0


@dataclass
class RunResult:
    """What one headless run did: ``status`` is ``"ok"`` or ``"FAILED"``.

    ``headline`` is the ``Headline metric: ...`` line the run printed, only for a run
    that finished (``"-"`` otherwise); ``failure`` says which cell failed and why.
    """

    name: str
    status: str
    seconds: float
    headline: str
    failure: str = ""
    saved_to: Path | None = None


def _first_line(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def clear_outputs(nb) -> None:
    """Remove every code cell's outputs and execution count, in place.

    A run starts from a notebook with no outputs, so that nothing committed earlier
    (a metric, a plot) can be read back as if this run had produced it.
    """
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None


def failure_report(nb, error: BaseException | None = None) -> str:
    """Where and how a run of ``nb`` failed: the failing cell and the exception's first line.

    The failing cell is the first code cell with an ``error`` output, else (a timeout or
    a dead kernel leaves none) the first non-empty code cell the run did not finish.
    Empty when no cell failed and ``error`` is ``None``.
    """
    code = [(number, index, cell) for number, (index, cell) in enumerate(
        ((i, c) for i, c in enumerate(nb.cells, start=1) if c.cell_type == "code"), start=1)]
    failed = [(n, i, c, o) for n, i, c in code for o in c.outputs if o.get("output_type") == "error"]
    if failed:
        number, index, cell, output = failed[0]
        ename, evalue = output.get("ename", "Error"), output.get("evalue", "")
    else:
        if error is None:
            return ""
        ename = getattr(error, "ename", None) or type(error).__name__
        evalue = getattr(error, "evalue", None) or str(error)
        pending = [(n, i, c) for n, i, c in code if c.execution_count is None and c.source.strip()]
        if not pending:
            return f"{ename}: {_first_line(evalue)}"
        number, index, cell = pending[0]
    return f"cell {index} (code cell {number}): {_first_line(cell.source)!r}\n{ename}: {_first_line(evalue)}"


def run_notebook(path: Path, run_profile: str, inplace: bool, timeout: int) -> RunResult:
    """Execute one notebook headless with ``COURSE_PROFILE=run_profile``; save the executed copy.

    Outputs are cleared first, so the executed copy holds this run's outputs only (cells
    after a failure stay empty) and the headline metric is one this run printed. Only a
    run that finished is saved over the notebook (``inplace``); otherwise the copy goes
    to ``runs/<profile>/``.
    """
    from nbclient import NotebookClient

    os.environ[profile.PROFILE_ENV] = run_profile
    nb = nbformat.read(path, as_version=4)
    clear_outputs(nb)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start, status, failure = time.perf_counter(), "ok", ""
    try:
        client.execute()
    except Exception as error:  # CellExecutionError, CellTimeoutError, DeadKernelError, ...
        status, failure = "FAILED", failure_report(nb, error)
    seconds = time.perf_counter() - start
    headline = "-"
    if status == "ok":
        outputs = "\n".join(_output_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        found = re.findall(r"Headline metric: (.+)", outputs)
        headline = found[-1] if found else "-"
    if inplace and status == "ok":  # the README's full-run time is checked against this
        nb.metadata["course"] = {"full_run_seconds": round(seconds), "cpu_cores": os.cpu_count()}
    target = path if inplace and status == "ok" else RUNS_DIR / run_profile / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_dump(normalize(nb, path)), encoding="utf-8")
    return RunResult(path.name, status, seconds, headline, failure, target)


def _result_line(r: RunResult, width: int = 0) -> str:
    text = f"{r.name:<{width}} {r.status:<8} {r.seconds:7.1f} s  {r.headline}"
    if r.failure:
        text += "".join(f"\n    {line}" for line in r.failure.splitlines())
    return text.lstrip() if not width else text


def cmd_run(args) -> int:
    if args.inplace and args.profile != "full":
        raise SystemExit("--inplace only with --profile full: committed outputs come from full runs.")
    results = []
    default = solutions_notebooks() if args.solutions else course_notebooks()
    for path in _paths(args.notebooks, args.filter, default):
        print(f"running {path.name} ({args.profile}) ...", flush=True)
        results.append(run_notebook(path, args.profile, args.inplace, args.timeout))
        r = results[-1]
        print(f"  {_result_line(r)}", flush=True)
        if r.status != "ok":
            print(f"    executed copy (outputs up to the failure): {_relative(r.saved_to)}", flush=True)
    lines = [_result_line(r, 48) for r in results]
    summary = "\n".join([f"Summary ({args.profile} profile):", *lines])
    print(summary)
    (RUNS_DIR / args.profile).mkdir(parents=True, exist_ok=True)
    (RUNS_DIR / args.profile / "summary.txt").write_text(summary + "\n", encoding="utf-8")
    return 0 if all(r.status == "ok" for r in results) else 1


def cmd_terms_table(args) -> int:
    from helpers.data import terms  # imports Keras: only this command needs it

    print(terms.terms_table())
    return 0


VERSION_LINE_RE = re.compile(r'^__version__ = "[^"]*"$', flags=re.MULTILINE)


def with_version(init_source: str, version: str) -> str:
    """``helpers/__init__.py``'s text ``init_source`` with its ``__version__`` line set to ``version``.

    Raises:
        ValueError: ``version`` is not a course version, or the text has no single version line.
    """
    repo.ref(version)  # refuses a malformed version, naming the forms it takes
    if len(VERSION_LINE_RE.findall(init_source)) != 1:
        raise ValueError("init_source must hold exactly one line '__version__ = \"...\"'.")
    return VERSION_LINE_RE.sub(f'__version__ = "{version}"', init_source)


def with_links_at(text: str, ref: str) -> str:
    """``text`` with every link into the repository's files (GitHub or Colab) moved to ``ref``."""
    pattern = re.compile(rf"(github(?:\.com)?/{_REPO}/(?:blob|tree)/)[^/\s)]+/")
    return pattern.sub(lambda m: f"{m.group(1)}{ref}/", text)


def cmd_set_version(args) -> int:
    """Write the version into helpers/__init__.py, move the README's links to its ref, format notebooks."""
    init = ROOT / "helpers" / "__init__.py"
    init.write_text(with_version(init.read_text(encoding="utf-8"), args.version), encoding="utf-8")
    readme = ROOT / "README.md"
    text = with_links_at(readme.read_text(encoding="utf-8"), repo.ref(args.version))
    readme.write_text(text, encoding="utf-8")
    print(f"version {args.version}: links and installs point at {repo.ref(args.version)}")
    # A fresh process imports the new version, so the setup cell's install line follows it.
    return subprocess.run([sys.executable, str(Path(__file__).resolve()), "format"], check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fmt = sub.add_parser("format", help="normalize notebooks in place")
    fmt.add_argument("--clear", action="store_true", help="also clear outputs and execution counts")
    fmt.add_argument("notebooks", nargs="*")
    chk = sub.add_parser("check", help="report notebooks that break the course format")
    chk.add_argument("notebooks", nargs="*")
    run = sub.add_parser("run", help="execute notebooks headless and summarize")
    run.add_argument("--profile", choices=profile.PROFILES, default="fast")
    run.add_argument("--filter", help="only notebooks whose file name contains this text")
    run.add_argument("--inplace", action="store_true", help="save outputs into the notebook (full only)")
    run.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    run.add_argument("--solutions", action="store_true", help="solutions notebooks instead of notebooks")
    run.add_argument("notebooks", nargs="*")
    sub.add_parser("terms-table", help="print the README's 'Data and their terms' table from the registry")
    release = sub.add_parser("set-version", help="set the course's version; links and installs follow it")
    release.add_argument("version", help="X.Y.Z for a release (links at tag vX.Y.Z), X.Y.Z.devN after it")
    args = parser.parse_args(argv)
    commands = {"format": cmd_format, "check": cmd_check, "run": cmd_run, "terms-table": cmd_terms_table,
                "set-version": cmd_set_version}
    return commands[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
