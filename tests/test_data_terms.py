"""Every registry entry states its terms; notebooks and the README show them from the registry."""

from __future__ import annotations

import ast
import dataclasses

import nbformat
import pytest

from helpers.data import print_terms, terms_line
from helpers.data.registry import ENTRIES, REGISTRY, UNSTATED
from helpers.data.terms import (
    README_END,
    README_START,
    missing_terms,
    readme_terms_section,
    redistribution_text,
    terms_table,
)
from tools import course


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_every_registry_entry_states_its_terms(entry):
    assert missing_terms(entry) == [], f"{entry.name} lacks {missing_terms(entry)}"


def test_missing_terms_names_each_unfilled_field():
    bare = dataclasses.replace(REGISTRY["mnist"], licence=" ", terms_url="", citation="", redistribution=None)
    assert missing_terms(bare) == ["licence", "terms_url", "citation", "redistribution"]
    plain_http = dataclasses.replace(REGISTRY["mnist"], terms_url="http://example.org/terms")
    assert missing_terms(plain_http) == ["terms_url"]


def test_redistribution_text():
    assert redistribution_text(REGISTRY["fashion_mnist"]) == "allowed"
    assert redistribution_text(REGISTRY["food101"]) == "not allowed"
    unstated = dataclasses.replace(REGISTRY["mnist"], redistribution=UNSTATED)
    assert redistribution_text(unstated) == "not stated"
    with pytest.raises(ValueError, match="redistribution=None: set it to True, False or 'unstated'"):
        redistribution_text(dataclasses.replace(REGISTRY["mnist"], redistribution=None))


def test_terms_line_comes_from_the_registry():
    entry = REGISTRY["fashion_mnist"]
    line = terms_line("fashion_mnist")
    assert "\n" not in line
    assert line.startswith("Terms of fashion_mnist: MIT; copyright Zalando SE.")
    for fact in (entry.terms_url, entry.citation, "Copies may be passed on: allowed"):
        assert fact in line


def test_terms_line_refuses_unknown_names_and_unfilled_entries(monkeypatch):
    with pytest.raises(KeyError, match="No dataset or model called 'nope'"):
        terms_line("nope")
    monkeypatch.setitem(REGISTRY, "mnist", dataclasses.replace(REGISTRY["mnist"], citation=""))
    with pytest.raises(ValueError, match="'mnist' lacks citation: fill them in"):
        terms_line("mnist")


def test_print_terms_prints_one_line_per_name(capsys):
    print_terms("mnist", "insurance")
    assert capsys.readouterr().out.splitlines() == [terms_line("mnist"), terms_line("insurance")]
    with pytest.raises(ValueError, match="needs at least one registry name"):
        print_terms()


def test_terms_table_has_a_row_per_entry_and_escapes_pipes():
    table = terms_table()
    lines = table.splitlines()
    assert lines[0] == README_START and lines[-1] == README_END
    assert len(lines) == len(ENTRIES) + 4
    for entry, row in zip(ENTRIES, lines[3:-1], strict=True):
        assert row.startswith(f"| `{entry.name}` |") and f"([terms]({entry.terms_url}))" in row
    piped = dataclasses.replace(REGISTRY["mnist"], description="a | b")
    assert "| a \\| b |" in terms_table([piped])
    with pytest.raises(ValueError, match="'mnist' lacks licence"):
        terms_table([dataclasses.replace(REGISTRY["mnist"], licence="")])


def test_readme_terms_section_needs_both_markers():
    text = f"intro\n{README_START}\n| a |\n{README_END}\noutro"
    assert readme_terms_section(text) == f"{README_START}\n| a |\n{README_END}"
    for broken in ("no markers", f"{README_END}\n{README_START}", README_START):
        with pytest.raises(ValueError, match="paste the output of `python tools/course.py terms-table`"):
            readme_terms_section(broken)


def test_readme_table_equals_the_generated_one():
    readme = (course.ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_terms_section(readme) == terms_table(), (
        "README.md's 'Data and their terms' table differs from the registry: paste the output of "
        "`python tools/course.py terms-table` into it"
    )


def test_terms_table_command_prints_the_table(capsys):
    assert course.main(["terms-table"]) == 0
    assert capsys.readouterr().out == terms_table() + "\n"


def _terms_cells():
    """(notebook, names, outputs) of every code cell that calls helpers.data.print_terms."""
    for path in sorted(course.NOTEBOOK_DIR.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and "helpers.data.print_terms(" in cell.source:
                call = next(n for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Call))
                yield path.name, [ast.literal_eval(a) for a in call.args], cell.outputs


def test_committed_terms_outputs_match_the_registry():
    cells = list(_terms_cells())
    assert cells, "no notebook prints its data's terms"
    for name, names, outputs in cells:
        if outputs:  # notebooks committed without outputs have none to compare
            expected = "".join(terms_line(n) + "\n" for n in names)
            assert outputs[0]["text"] == expected, (
                f"{name}: the printed terms of {names} are stale; re-run the cell (the registry changed)"
            )
