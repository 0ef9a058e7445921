"""Where the course lives on GitHub: one constant, used for every Colab/GitHub link and install.

Change ``GITHUB_REPO`` (and run ``make format``) to move the course elsewhere.

Links and the setup cell's ``pip install`` follow the course's version (``helpers.__version__``):
a release (``1.0.0``) points at its tag (``v1.0.0``), so a notebook from a release opens and
installs that release's files, not today's; a development version (``1.1.0.dev0``) points at
the ``main`` branch.
"""

from __future__ import annotations

import re

import helpers

GITHUB_REPO = "deep-learning-course/tensorflow-course"
BRANCH = "main"
RELEASE_RE = re.compile(r"^\d+\.\d+\.\d+$")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(\.dev\d+)?$")


def ref(version: str | None = None) -> str:
    """The git ref a notebook of ``version`` points at: ``"v1.0.0"`` for release 1.0.0, else ``BRANCH``.

    ``version`` defaults to ``helpers.__version__``, the repository's version.

    Raises:
        ValueError: ``version`` is neither ``MAJOR.MINOR.PATCH`` nor ``MAJOR.MINOR.PATCH.devN``.
    """
    version = helpers.__version__ if version is None else version
    if not _VERSION_RE.match(version):
        raise ValueError(
            f"version={version!r} is not a course version: write MAJOR.MINOR.PATCH for a release "
            "(e.g. '1.0.0') or MAJOR.MINOR.PATCH.devN between releases (e.g. '1.1.0.dev0')."
        )
    return f"v{version}" if RELEASE_RE.match(version) else BRANCH


def github_url(path: str, version: str | None = None) -> str:
    """URL of a file of the repository on GitHub, e.g. ``notebooks/00_x.ipynb``, at ``ref(version)``."""
    return f"https://github.com/{GITHUB_REPO}/blob/{ref(version)}/{path.lstrip('/')}"


def colab_url(path: str, version: str | None = None) -> str:
    """URL that opens a notebook of the repository, at ``ref(version)``, in Google Colab."""
    return f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/{ref(version)}/{path.lstrip('/')}"


def pip_spec(version: str | None = None) -> str:
    """The ``pip install`` argument that installs the helpers package of ``version`` from GitHub."""
    return f"course-helpers @ git+https://github.com/{GITHUB_REPO}@{ref(version)}"
