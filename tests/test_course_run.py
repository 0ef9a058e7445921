"""``tools/course.py run``: a failed run names the failing cell and never reports a stale metric."""

from __future__ import annotations

import nbformat
import pytest

from tools import course


def _notebook(path, cells):
    """Write a notebook whose code cells carry *committed* outputs from an earlier run."""
    nb = nbformat.v4.new_notebook()
    for source, committed in cells:
        cell = nbformat.v4.new_code_cell(source)
        if committed:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=committed)]
            cell.execution_count = 1
        nb.cells.append(cell)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# 99 · A tiny notebook"))
    nbformat.write(nb, path)
    return path


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setattr(course, "RUNS_DIR", tmp_path / "runs")
    monkeypatch.setenv("COURSE_PROFILE", "fast")  # run_notebook sets it; restored afterwards
    return tmp_path / "runs"


def test_a_failed_run_reports_the_cell_and_no_stale_metric(tmp_path, runs):
    path = _notebook(
        tmp_path / "99_tiny.ipynb",
        [
            ("x = 1\nprint('Headline metric: early = 1')", "Headline metric: early = 1\n"),
            (
                "# load the data\nraise FileNotFoundError('No such file: insurance.csv\\nsecond line')",
                "loaded\n",
            ),
            ("print('Headline metric: test MAE = 1677')", "Headline metric: test MAE = 1677\n"),
        ],
    )
    committed = path.read_text()
    result = course.run_notebook(path, "fast", inplace=True, timeout=60)
    assert result.status == "FAILED" and result.headline == "-"
    assert result.failure == (
        "cell 3 (code cell 2): '# load the data'\nFileNotFoundError: No such file: insurance.csv"
    )
    assert path.read_text() == committed  # a failed run never writes over the notebook
    copy = nbformat.read(result.saved_to, as_version=4)
    assert result.saved_to == runs / "fast" / "99_tiny.ipynb"
    texts = [[o.get("text", o.get("ename")) for o in c.outputs] for c in copy.cells if c.cell_type == "code"]
    assert texts == [["Headline metric: early = 1\n"], ["FileNotFoundError"], []]  # nothing committed left


def test_cmd_run_prints_the_failure_and_exits_non_zero(tmp_path, runs, capsys):
    path = _notebook(tmp_path / "98_tiny.ipynb", [("1 / 0", "Headline metric: stale = 3\n")])
    code = course.main(["run", "--profile", "fast", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "cell 2 (code cell 1): '1 / 0'" in out and "ZeroDivisionError: division by zero" in out
    assert "Headline metric" not in out and "stale" not in out and "= 3" not in out
    assert "FAILED" in (runs / "fast" / "summary.txt").read_text()


def test_failure_report_without_an_error_output_names_the_first_unfinished_cell():
    nb = nbformat.v4.new_notebook()
    done = nbformat.v4.new_code_cell("a = 1")
    done.execution_count = 1
    nb.cells = [done, nbformat.v4.new_code_cell(""), nbformat.v4.new_code_cell("train(model)\nmore()")]
    report = course.failure_report(nb, TimeoutError("Cell execution timed out after 60 s\ndetails"))
    assert report == "cell 3 (code cell 3): 'train(model)'\nTimeoutError: Cell execution timed out after 60 s"
    assert course.failure_report(nbformat.v4.new_notebook()) == ""
