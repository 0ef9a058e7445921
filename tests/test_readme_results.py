"""The README's results table and run times agree with the committed notebook outputs."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tools import readme_results

NOTEBOOK_TABLE = """## Notebooks

| # | topic | full run² |
|---|---|---|
| 42 | [A test](notebooks/42_test.ipynb) | {run_time} |
"""

RESULTS_TABLE = """## Results on real data

| nb | task (metric) | model | this course | published |
|---|---|---|---|---|
| 42 | test accuracy | network / baseline | {ours} | 80.0% |
| | | a second row | 9,528 | - |
"""


def _write_notebook(folder, printed: str, seconds: int | None = None) -> None:
    cell = new_code_cell("print(...)", execution_count=1)
    cell.outputs = [new_output("stream", name="stdout", text=printed)]
    nb = new_notebook(cells=[cell])
    if seconds is not None:
        nb.metadata["course"] = {"full_run_seconds": seconds}
    nbformat.write(nb, folder / "42_test.ipynb")


def _readme(ours: str, run_time: str = "not measured") -> str:
    return NOTEBOOK_TABLE.format(run_time=run_time) + "\n" + RESULTS_TABLE.format(ours=ours)


def test_the_committed_readme_agrees_with_the_committed_outputs():
    assert readme_results.mismatches(readme_results.README.read_text(encoding="utf-8"),
                                     readme_results.NOTEBOOK_DIR) == []


def test_numbers_rounded_from_the_outputs_pass(tmp_path):
    _write_notebook(tmp_path, "test accuracy 0.8633, baseline 0.7271 ± 0.0105\nMAE 9527.6\n")
    assert readme_results.mismatches(_readme("**86.3%** / 72.71 ± 1.05%"), tmp_path) == []


def test_a_wrong_readme_number_fails_and_says_which(tmp_path):
    _write_notebook(tmp_path, "test accuracy 0.8633\nMAE 9527.6\n")
    problems = readme_results.mismatches(_readme("**88.3%**"), tmp_path)
    assert len(problems) == 1
    assert "README says 88.3%" in problems[0] and "42_test.ipynb" in problems[0]


def test_a_second_row_inherits_the_notebook_and_is_checked_too(tmp_path):
    _write_notebook(tmp_path, "test accuracy 0.8633\n")
    problems = readme_results.mismatches(_readme("86.3%"), tmp_path)
    assert problems and "README says 9,528" in problems[0] and "a second row" in problems[0]


def test_a_row_that_cites_a_missing_notebook_fails(tmp_path):
    problems = readme_results.mismatches(_readme("86.3%"), tmp_path)
    assert problems and "does not exist" in problems[0]


def test_stored_run_time_must_match_the_notebook_table(tmp_path):
    _write_notebook(tmp_path, "0.8633 9528", seconds=200)
    assert readme_results.mismatches(_readme("86.3%", "3.3 min on a 2-core CPU"), tmp_path) == []
    problems = readme_results.mismatches(_readme("86.3%", "2 min on a 2-core CPU"), tmp_path)
    assert problems == ["42_test.ipynb: README's full run says '2 min on a 2-core CPU', the stored run took "
                        "200 s: write '3.3 min on a 2-core CPU'"]


@pytest.mark.parametrize("seconds, text", [(13, "13 s on a 2-core CPU"), (89, "89 s on a 2-core CPU"),
                                           (90, "1.5 min on a 2-core CPU")])
def test_run_times_are_quoted_one_way(seconds, text):
    assert readme_results.format_run_time(seconds) == text


def test_a_results_table_without_the_notebook_column_is_refused():
    with pytest.raises(ValueError, match="first column 'nb'"):
        readme_results.results_rows(
            "## Results on real data\n\n| task | model | this course |\n|---|---|---|\n| a | b | 1 |\n"
        )
