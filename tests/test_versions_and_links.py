"""One version, in helpers.__version__; links and installs follow it; the changelog and citation agree."""

from __future__ import annotations

import re

import nbformat
import pytest

import helpers
from helpers import repo
from tests.test_notebook_format import _good_notebook, _write
from tools import course

ROOT = course.ROOT


def test_pyproject_reads_the_version_from_helpers_and_names_its_licence():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "helpers.__version__"}
    assert project["project"]["license"] == "Apache-2.0"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").lstrip().startswith("Apache License")


@pytest.mark.parametrize(
    "version, ref", [("1.0.0", "v1.0.0"), ("12.3.40", "v12.3.40"), ("1.1.0.dev0", "main")]
)
def test_a_release_points_at_its_tag_and_a_development_version_at_main(version, ref):
    assert repo.ref(version) == ref
    assert repo.pip_spec(version).endswith(f"tensorflow-course@{ref}")
    assert f"/blob/{ref}/notebooks/x.ipynb" in repo.colab_url("notebooks/x.ipynb", version)
    assert f"/blob/{ref}/notebooks/x.ipynb" in repo.github_url("/notebooks/x.ipynb", version)


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0rc1", "1.0.0.dev", ""])
def test_a_malformed_version_is_refused(version):
    with pytest.raises(ValueError, match="is not a course version: write MAJOR.MINOR.PATCH"):
        repo.ref(version)


def test_the_repository_version_is_well_formed_and_used_by_default():
    assert repo.ref() == repo.ref(helpers.__version__)
    assert repo.pip_spec() in course.SETUP_SOURCE


def _changelog_releases() -> list[str]:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d\d-\d\d$", text, flags=re.MULTILINE)


def test_changelog_and_citation_describe_this_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = _changelog_releases()
    assert releases, "CHANGELOG.md has no '## [X.Y.Z] - YYYY-MM-DD' release heading"
    if repo.RELEASE_RE.match(helpers.__version__):
        assert releases[0] == helpers.__version__, "a release needs its CHANGELOG.md section, newest first"
        latest = helpers.__version__
    else:
        unreleased = re.search(r"^## \[Unreleased\]$", text, flags=re.MULTILINE)
        assert unreleased, "CHANGELOG.md needs an '## [Unreleased]' section"
        base = helpers.__version__.split(".dev")[0]
        assert base not in releases, f"{base} is released: the development version must move past it"
        latest = releases[0]
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf"^version: \"?{re.escape(latest)}\"?$", citation, flags=re.MULTILINE), (
        f"CITATION.cff must name the latest release, {latest}"
    )
    assert re.search(r"^license: Apache-2.0$", citation, flags=re.MULTILINE)


def _point_at(nb, old: str, new: str, where: str):
    for cell in nb.cells:
        if where == "links" and cell.cell_type == "markdown":
            cell.source = cell.source.replace(f"/blob/{old}/", f"/blob/{new}/")
        if where == "install" and "setup" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace(f"tensorflow-course@{old}", f"tensorflow-course@{new}")
    return nb


@pytest.mark.parametrize("where", ["links", "install"])
def test_format_check_refuses_links_or_install_of_another_version(tmp_path, where):
    path = _write(tmp_path, _good_notebook())
    nb = nbformat.read(path, as_version=4)
    assert course.pointed_refs(nb) == {repo.ref()}
    path.write_text(course._dump(_point_at(nb, repo.ref(), "v0.9.0", where)), encoding="utf-8")
    problems = course.check(path)
    assert any(f"point at v0.9.0, but the repository's version {helpers.__version__} is served from "
               f"{repo.ref()}: run `make format`" in p for p in problems), problems


def test_after_a_release_bump_format_moves_links_and_install_to_the_tag(tmp_path, monkeypatch):
    path = _write(tmp_path, _good_notebook())  # links and install at the current version's ref
    old = repo.ref()
    monkeypatch.setattr(helpers, "__version__", "7.0.0")
    # SETUP_SOURCE is built once, at import: rebuild it as a fresh import at 7.0.0 would.
    monkeypatch.setattr(course, "SETUP_SOURCE", course.SETUP_SOURCE.replace(f'@{old}"', '@v7.0.0"'))
    assert repo.ref() == "v7.0.0"
    assert any("is served from v7.0.0: run `make format`" in p for p in course.check(path))
    nb = course.normalize(nbformat.read(path, as_version=4), path)
    assert course.pointed_refs(nb) == {"v7.0.0"}
    path.write_text(course._dump(nb), encoding="utf-8")
    assert course.check(path) == []


def test_with_version_rewrites_the_one_version_line():
    text = '"""Doc."""\n\n__version__ = "1.1.0.dev0"\nX = 1\n'
    assert course.with_version(text, "1.1.0") == '"""Doc."""\n\n__version__ = "1.1.0"\nX = 1\n'
    with pytest.raises(ValueError, match="is not a course version"):
        course.with_version(text, "1.1")
    with pytest.raises(ValueError, match="exactly one line"):
        course.with_version("X = 1\n", "1.1.0")


def test_with_links_at_moves_every_repository_link_to_the_ref():
    base = f"{repo.GITHUB_REPO}"
    text = (f"[a](https://colab.research.google.com/github/{base}/blob/main/notebooks/00_x.ipynb) "
            f"[b](https://github.com/{base}/tree/v1.0.0/notebooks) [c](https://github.com/other/repo/blob/main/x)")
    moved = course.with_links_at(text, "v1.1.0")
    assert f"github/{base}/blob/v1.1.0/notebooks/00_x.ipynb" in moved
    assert f"github.com/{base}/tree/v1.1.0/notebooks" in moved
    assert "github.com/other/repo/blob/main/x" in moved


def test_set_version_refuses_a_malformed_version_before_writing_anything():
    before = (ROOT / "helpers" / "__init__.py").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="is not a course version"):
        course.main(["set-version", "2.0"])
    assert (ROOT / "helpers" / "__init__.py").read_text(encoding="utf-8") == before
