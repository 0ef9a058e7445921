"""The committed notebooks follow the course format; the checker catches each defect."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import course

NOTEBOOKS = course.course_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_in_course_format(path):
    assert course.check(path) == []


def test_notebooks_are_numbered_uniquely():
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert numbers and len(numbers) == len(set(numbers)) and all(n.isdigit() for n in numbers)


def _good_notebook() -> nbformat.NotebookNode:
    setup = new_code_cell("")
    setup.metadata["tags"] = ["setup"]
    params = new_code_cell("EPOCHS = helpers.pick(full=10, fast=1)")
    params.metadata["tags"] = ["parameters"]
    return new_notebook(cells=[
        new_markdown_cell("# 42 · A test notebook\n<!-- links -->\n\nOverview.\n\n"
                          "**Expected run time:** 1 min · **Accelerator:** none"),
        setup,
        params,
        new_code_cell("print(EPOCHS)"),
        new_markdown_cell("## Results\n\n## Exercises\n\n## Further reading"),
    ])


def _write(tmp_path: Path, nb, name="42_test_notebook.ipynb") -> Path:
    path = tmp_path / name
    path.write_text(course._dump(course.normalize(nb, path)), encoding="utf-8")
    return path


def _with_outputs(nb, setup_text: str, cell_text: str, count: int | None = 1):
    nb.cells[1].outputs = [new_output("stream", name="stdout", text=setup_text)]
    nb.cells[1].execution_count = 1
    nb.cells[3].outputs = [new_output("stream", name="stdout", text=cell_text)]
    nb.cells[3].execution_count = count
    return nb


def test_a_normalized_notebook_passes_and_gets_links_and_setup(tmp_path):
    path = _write(tmp_path, _good_notebook())
    assert course.check(path) == []
    nb = nbformat.read(path, as_version=4)
    assert "colab.research.google.com/github/" in nb.cells[0].source
    assert "notebooks/42_test_notebook.ipynb" in nb.cells[0].source
    assert nb.cells[1].source == course.SETUP_SOURCE
    assert nb.metadata.kernelspec.name == "python3"


def test_accelerator_metadata_is_kept_for_colab(tmp_path):
    nb = _good_notebook()
    nb.metadata["accelerator"] = "GPU"
    nb = nbformat.read(_write(tmp_path, nb), as_version=4)
    assert nb.metadata.accelerator == "GPU" and nb.metadata.colab.gpuType == "T4"


def _problems(tmp_path, nb) -> str:
    path = tmp_path / "42_test_notebook.ipynb"
    path.write_text(course._dump(nb), encoding="utf-8")
    return "\n".join(course.check(path))


def test_full_run_outputs_pass(tmp_path):
    nb = course.normalize(_with_outputs(_good_notebook(), "profile: full\n", "10\n"), tmp_path / "42_x.ipynb")
    assert _problems(tmp_path, course.normalize(nb, tmp_path / "42_test_notebook.ipynb")) == ""


@pytest.mark.parametrize(
    ("setup_text", "cell_text", "count", "expected"),
    [
        ("profile: fast\n", "1\n", 1, "output from a fast-profile run"),
        ("profile: full\n", "GENERATED FIXTURE: 'x'\n", 1, "output from a generated fixture"),
        ("profile: full\n", "RANDOM WEIGHTS: backbone\n", 1, "output from random weights"),
        ("profile: full\n", "saved to /home/alice/x\n", 1, "path of the machine"),
        ("profile: full\n", "10\n", None, "outputs but no execution count"),
        ("no profile line\n", "10\n", 1, "does not show 'profile: full'"),
    ],
)
def test_bad_outputs_are_caught(tmp_path, setup_text, cell_text, count, expected):
    nb = _with_outputs(_good_notebook(), setup_text, cell_text, count)
    nb = course.normalize(nb, tmp_path / "42_test_notebook.ipynb")
    assert expected in _problems(tmp_path, nb)


def test_check_output_marker_needs_a_stored_output(tmp_path):
    nb = _good_notebook()
    nb.cells[3].source = "# NBVAL_CHECK_OUTPUT\nprint(EPOCHS)"
    nb = course.normalize(nb, tmp_path / "42_test_notebook.ipynb")
    assert "code cell 3 is marked '# NBVAL_CHECK_OUTPUT' but has no stored output" in _problems(tmp_path, nb)
    # With the output of a full run stored, the same cell passes.
    nb = course.normalize(_with_outputs(nb, "profile: full\n", "10\n"), tmp_path / "42_test_notebook.ipynb")
    assert _problems(tmp_path, nb) == ""


@pytest.mark.parametrize("printed", ["sex     str\nage   int64\n", "Name: sex, dtype: str\n"])
def test_check_output_cell_must_not_print_version_dependent_dtypes(tmp_path, printed):
    nb = _with_outputs(_good_notebook(), "profile: full\n", printed)
    nb.cells[3].source = "# NBVAL_CHECK_OUTPUT\nprint(frame.dtypes)"
    nb = course.normalize(nb, tmp_path / "42_test_notebook.ipynb")
    assert "prints pandas 3's string dtype" in _problems(tmp_path, nb)
    nb.cells[3].source = "print(frame.dtypes)"  # unmarked cells are not compared, so they may
    assert _problems(tmp_path, nb) == ""


def test_structure_defects_are_caught(tmp_path):
    nb = course.normalize(_good_notebook(), tmp_path / "42_test_notebook.ipynb")
    nb.cells[4].source = "## Results"
    nb.cells[0].source = nb.cells[0].source.replace("# 42 ·", "# 43 ·").replace("**Expected run time:**", "")
    problems = _problems(tmp_path, nb)
    assert "missing the section heading '## Exercises'" in problems
    assert "title number 43 does not match the file name" in problems
    assert "must state '**Expected run time:**'" in problems


def test_edited_setup_cell_or_stale_links_need_format(tmp_path):
    nb = course.normalize(_good_notebook(), tmp_path / "42_test_notebook.ipynb")
    nb.cells[1].source = "import tensorflow as tf"
    assert "is not normalized" in _problems(tmp_path, nb)


def test_missing_parameters_cell_and_unreadable_file(tmp_path):
    nb = _good_notebook()
    nb.cells[2].metadata = {}
    assert "'parameters'-tagged cell" in "\n".join(course.check(_write(tmp_path, nb)))
    broken = tmp_path / "42_broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    assert "cannot be read as a valid notebook" in course.check(broken)[0]


def test_tf_log_lines_are_stripped_from_stderr(tmp_path):
    nb = _good_notebook()
    nb.cells[3].execution_count = 1
    nb.cells[3].outputs = [new_output(
        "stream", name="stderr",
        text="I0000 00:00:1795239879.244291   21477 port.cc:153] oneDNN custom operations are on.\n",
    ), new_output("stream", name="stderr", text="UserWarning: a real warning\n")]
    cleaned = course.normalize(nb, tmp_path / "42_test_notebook.ipynb").cells[3].outputs
    assert [o.text for o in cleaned] == ["UserWarning: a real warning\n"]


def test_run_refuses_fast_outputs_in_place():
    with pytest.raises(SystemExit, match="--inplace only with --profile full"):
        course.main(["run", "--profile", "fast", "--inplace", str(NOTEBOOKS[0])])


def test_readme_and_colab_runner_point_at_the_repository():
    from helpers import repo

    readme = (course.ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        relative = f"notebooks/{path.name}"
        assert f"({relative})" in readme, f"README's notebook table lacks {relative}"
        assert repo.colab_url(relative) in readme, f"README's Colab link for {relative} is stale"
        solutions = course._relative(course.solutions_path(path))
        assert f"({solutions})" in readme, f"README's notebook table lacks {solutions}"
    runner = (course.ROOT / "colab" / "run_course_tests.ipynb").read_text(encoding="utf-8")
    assert f"https://github.com/{repo.GITHUB_REPO}.git" in runner
    assert "make test" in readme and "make lab" in readme


def test_a_stream_flushed_in_pieces_is_stored_as_one(tmp_path):
    nb = _good_notebook()
    nb.cells[3].execution_count = 1
    nb.cells[3].outputs = [new_output("stream", name="stdout", text="placed on:"),
                           new_output("stream", name="stdout", text=" CPU\n"),
                           new_output("stream", name="stderr", text="a warning\n"),
                           new_output("stream", name="stdout", text="done\n")]
    cleaned = course.normalize(nb, tmp_path / "42_test_notebook.ipynb").cells[3].outputs
    assert [(o.name, o.text) for o in cleaned] == [("stdout", "placed on: CPU\n"), ("stderr", "a warning\n"),
                                                   ("stdout", "done\n")]
