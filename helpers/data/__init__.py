"""The data layer: a registry of datasets/models and one way to get their files.

``helpers.data.fetch("insurance").path`` is all a notebook needs; see ``store`` for the
lookup order (cache -> mirror -> origin -> fast-profile fixture) and ``checks`` for
the format check every download passes before it enters the cache.
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
]
