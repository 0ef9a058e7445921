"""The data layer: a registry of datasets/models and one way to get their files.

``helpers.data.fetch("insurance").path`` is all a notebook needs; see ``store`` for the
lookup order (cache -> mirror -> origin -> fast-profile fixture) and ``checks`` for
the format check every download passes before it enters the cache, and ``terms`` for each
entry's licence, citation and whether it may be redistributed
(``helpers.data.print_terms("insurance")``).
"""

from helpers.data.checks import FormatError
from helpers.data.registry import REGISTRY, Check, Entry, RemoteFile, get_entry
from helpers.data.store import (
    ChecksumError,
    DataNotFoundError,
    Fetched,
    cache_dir,
    describe_sources,
    fetch,
    fetch_optional,
    mirror_dir,
)
from helpers.data.terms import print_terms, terms_line

__all__ = [
    "REGISTRY",
    "Check",
    "ChecksumError",
    "DataNotFoundError",
    "Entry",
    "Fetched",
    "FormatError",
    "RemoteFile",
    "cache_dir",
    "describe_sources",
    "fetch",
    "fetch_optional",
    "get_entry",
    "mirror_dir",
    "print_terms",
    "terms_line",
]
