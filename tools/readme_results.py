"""Hold the README to the committed outputs: every number it quotes must be one a notebook printed.

The README's results table has a first column ``nb`` naming the notebook each row comes
from (a blank cell repeats the row above). Every number in a row's "this course" cell must
appear in that notebook's committed outputs, equal to a printed number rounded to the
README's precision (``86.3%`` matches a printed ``86.3%``, ``86.33%`` or ``0.8633``). The
notebook table's full-run times are checked against the time ``tools/course.py run
--inplace`` stores in a notebook's metadata, for every notebook that has one.

Usage: ``python tools/readme_results.py`` prints every mismatch and exits 1 if any.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NOTEBOOK_DIR = ROOT / "notebooks"
RESULTS_HEADING = "## Results on real data"
NOTEBOOKS_HEADING = "## Notebooks"
OURS_COLUMN = "this course"
NUMBER_RE = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?%?")
PERCENT_SPREAD_RE = re.compile(r"(-?\d[\d,]*(?:\.\d+)?)(\s*±\s*\d[\d,]*(?:\.\d+)?%)")
RUN_TIME_RE = re.compile(r"(\d+(?:\.\d+)?) (s|min) on a 2-core CPU")


@dataclass(frozen=True)
class Row:
    notebook: str
    task: str
    model: str
    ours: str


def _table(text: str, heading: str) -> list[list[str]]:
    """The cells of the first markdown table under ``heading``, header row first."""
    if heading not in text:
        raise ValueError(f"README has no section {heading!r}.")
    rows, started = [], False
    for line in text.split(heading, 1)[1].splitlines():
        if line.startswith("|"):
            started = True
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= set("-: ") for cell in cells):
                rows.append(cells)
        elif started:
            break
    if not rows:
        raise ValueError(f"README's {heading!r} section has no table.")
    return rows


def results_rows(text: str) -> list[Row]:
    """The results table's rows, with the notebook column filled down."""
    header, *body = _table(text, RESULTS_HEADING)
    if header[0] != "nb" or OURS_COLUMN not in header:
        raise ValueError(
            f"The results table needs a first column 'nb' and a column {OURS_COLUMN!r}; got {header}."
        )
    ours, rows, notebook, task = header.index(OURS_COLUMN), [], "", ""
    for cells in body:
        notebook = cells[0] or notebook
        task = cells[1] or task
        if not re.fullmatch(r"\d\d", notebook):
            raise ValueError(f"Results row {cells} names no notebook: put its two-digit number in 'nb'.")
        rows.append(Row(notebook, task, cells[2], cells[ours]))
    return rows


def numbers(text: str) -> list[str]:
    """The number tokens of ``text`` (``9,528``, ``-1,273.7``, ``86.3%``), as written.

    In ``94.0 ± 1.2%`` both numbers are percentages.
    """
    text = PERCENT_SPREAD_RE.sub(r"\1%\2", text.replace("−", "-"))
    return NUMBER_RE.findall(text)


def _value(token: str) -> tuple[float, int]:
    plain = token.rstrip("%").replace(",", "")
    return float(plain), len(plain.split(".")[1]) if "." in plain else 0


def printed_values(nb) -> set[float]:
    """Every number printed in the notebook's outputs (text, HTML tables, markdown)."""
    found: set[float] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                texts = [output.get("text", "")]
            else:
                data = output.get("data", {})
                texts = [str(data[k]) for k in ("text/plain", "text/html", "text/markdown") if k in data]
            for text in texts:
                found.update(_value(token)[0] for token in numbers(text))
    return found


def appears(token: str, printed: set[float]) -> bool:
    """Whether README ``token`` equals a printed number rounded to the token's precision.

    A percentage also matches a printed fraction (``86.3%`` and ``0.8633``).
    """
    value, decimals = _value(token)
    scales = (1.0, 100.0) if token.endswith("%") else (1.0,)
    return any(abs(round(x * scale, decimals) - value) < 1e-9 for x in printed for scale in scales)


def mismatches(readme_text: str, notebook_dir: Path) -> list[str]:
    """Every README number the cited notebook's outputs do not show, as one message each."""
    problems, cache = [], {}
    for row in results_rows(readme_text):
        paths = sorted(notebook_dir.glob(f"{row.notebook}_*.ipynb"))
        if not paths:
            problems.append(
                f"row {row.task!r} / {row.model!r} cites notebook {row.notebook}, which does not exist"
            )
            continue
        if row.notebook not in cache:
            cache[row.notebook] = printed_values(nbformat.read(paths[0], as_version=4))
        printed = cache[row.notebook]
        for token in numbers(row.ours):
            if not appears(token, printed):
                problems.append(
                    f"{paths[0].name}: README says {token} for {row.task!r} / {row.model!r}, "
                    "but no committed output of that notebook shows it; re-derive the row from the outputs"
                )
    return problems + run_time_mismatches(readme_text, notebook_dir)


def run_time_mismatches(readme_text: str, notebook_dir: Path) -> list[str]:
    """Full-run times in the notebook table that differ from the time stored by ``course.py run``."""
    header, *body = _table(readme_text, NOTEBOOKS_HEADING)
    column = next((i for i, cell in enumerate(header) if cell.startswith("full run")), None)
    if column is None:
        raise ValueError(f"The notebook table needs a 'full run' column; got {header}.")
    problems = []
    for cells in body:
        paths = sorted(notebook_dir.glob(f"{cells[0]}_*.ipynb"))
        if not paths:
            continue
        stored = nbformat.read(paths[0], as_version=4).metadata.get("course", {}).get("full_run_seconds")
        if stored is None:
            continue
        quoted = RUN_TIME_RE.search(cells[column])
        expected = format_run_time(stored)
        if quoted is None or quoted.group(0) != expected:
            problems.append(f"{paths[0].name}: README's full run says {cells[column]!r}, the stored run took "
                            f"{stored:.0f} s: write {expected!r}")
    return problems


def format_run_time(seconds: float) -> str:
    """How the README quotes a full run: ``"45 s on a 2-core CPU"`` or ``"3.3 min on a 2-core CPU"``."""
    return f"{seconds:.0f} s on a 2-core CPU" if seconds < 90 else f"{seconds / 60:.1f} min on a 2-core CPU"


def main() -> int:
    problems = mismatches(README.read_text(encoding="utf-8"), NOTEBOOK_DIR)
    print("\n".join(problems) or "README results agree with the committed outputs.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
