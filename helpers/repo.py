"""Where the course lives on GitHub: one constant, used for every Colab/GitHub link.

Change ``GITHUB_REPO`` (and run ``make format``) to move the course elsewhere.
"""

from __future__ import annotations

GITHUB_REPO = "deep-learning-course/tensorflow-course"
BRANCH = "main"


def github_url(path: str) -> str:
    """URL of a file of the repository on GitHub, e.g. ``notebooks/00_x.ipynb``."""
    return f"https://github.com/{GITHUB_REPO}/blob/{BRANCH}/{path.lstrip('/')}"


def colab_url(path: str) -> str:
    """URL that opens a notebook of the repository in Google Colab."""
    return f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/{BRANCH}/{path.lstrip('/')}"


def pip_spec() -> str:
    """The ``pip install`` argument that installs the helpers package from GitHub."""
    return f"course-helpers @ git+https://github.com/{GITHUB_REPO}@{BRANCH}"
