"""Finding a registry entry's files: cache, then mirror, then origin, then (fast) fixture.

- cache: ``COURSE_DATA_DIR``, else the repository's ``data/`` folder, else
  ``~/.keras/datasets/course`` (Colab, pip installs);
- mirror: a read-only directory named by ``COURSE_DATA_MIRROR`` (classrooms, offline
  machines), in the same layout as the cache; used in place, never copied;
- origin: downloaded with ``keras.utils.get_file`` into a temporary folder inside the
  cache, checked against the registry's sha256, then moved into place with one
  ``os.replace``: an interrupted or corrupt download never lands in the cache;
- fixture: only in the ``fast`` profile, and announced loudly.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from helpers import profile
from helpers.data.registry import Entry, RemoteFile, get_entry

CACHE_ENV = "COURSE_DATA_DIR"
MIRROR_ENV = "COURSE_DATA_MIRROR"
OFFLINE_ENV = "COURSE_OFFLINE"
FAST_DOWNLOAD_LIMIT_MB = 50  # bigger downloads are not worth it for a smoke run
FIXTURE_DIR = "fixtures"  # under the cache; never confused with real data
FIXTURE_SEED = 1234


class DataNotFoundError(FileNotFoundError):
    """The data is in no cache or mirror and could not be downloaded."""


class ChecksumError(ValueError):
    """A file's bytes are not the ones the registry expects."""


@dataclass(frozen=True)
class Fetched:
    """Where an entry's files are, and where they came from.

    ``path`` is the file itself for one-file entries, else the folder that holds them.
    ``source`` is one of ``"cache"``, ``"mirror"``, ``"origin"`` or ``"fixture"``.
    """

    name: str
    path: Path
    source: str

    @property
    def is_fixture(self) -> bool:
        return self.source == "fixture"


def _repo_data_dir() -> Path | None:
    candidate = Path(__file__).resolve().parents[2] / "data"
    return candidate if (candidate / "README.md").is_file() else None


def cache_dir() -> Path:
    """The download cache: ``$COURSE_DATA_DIR``, the repo's ``data/``, or ``~/.keras/datasets/course``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser().resolve()
    return _repo_data_dir() or Path.home() / ".keras" / "datasets" / "course"


def mirror_dir() -> Path | None:
    """The mirror named by ``$COURSE_DATA_MIRROR``, or ``None``.

    Raises:
        NotADirectoryError: if the variable names something that is not a directory.
    """
    value = os.environ.get(MIRROR_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise NotADirectoryError(
            f"{MIRROR_ENV}={value!r} is not a directory. Point it at a folder laid out like "
            f"the cache (e.g. insurance.csv, nlp_getting_started/train.csv) or unset it."
        )
    return path


def downloads_allowed() -> bool:
    """False when ``COURSE_OFFLINE`` is set to a true value (1, true, yes)."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in {"1", "true", "yes"}


def describe_sources() -> str:
    """One line for the setup cell: where data will come from."""
    cache = cache_dir()
    repo = _repo_data_dir()
    cache_text = "data/ (repo)" if repo and cache == repo else _short(cache)
    mirror = f"mirror from ${MIRROR_ENV}" if os.environ.get(MIRROR_ENV) else "no mirror"
    online = "downloads on" if downloads_allowed() else f"downloads off (${OFFLINE_ENV})"
    return f"cache {cache_text}, {mirror}, {online}"


def _short(path: Path) -> str:
    # Keep machine-specific paths out of notebook outputs.
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file (sha256 unless ``algorithm`` says otherwise), read in 1 MiB blocks."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, remote: RemoteFile, where: str) -> None:
    """Check ``path`` against the registry's digests (no-op when none are known).

    Raises:
        ChecksumError: with both digests and what to do about it.
    """
    if remote.is_dir or not remote.sha256:
        return
    actual = file_digest(path)
    if actual not in remote.sha256:
        raise ChecksumError(
            f"{path} ({where}) has sha256 {actual}, but the registry expects "
            f"{' or '.join(remote.sha256)}. The file is corrupt, truncated or a different "
            f"version: delete it and run again to download it, or replace it with the "
            f"file from {remote.url or 'the entry archive'}."
        )


def _complete(root: Path, entry: Entry) -> bool:
    return all(
        (root / f.path).is_dir() if f.is_dir else (root / f.path).is_file() for f in entry.files
    )


def _result(entry: Entry, root: Path, source: str) -> Fetched:
    if len(entry.files) == 1:
        path = root / entry.files[0].path
    else:
        path = root / os.path.commonpath([f.path for f in entry.files])
    return Fetched(entry.name, path, source)


def _download(url: str, into: Path, expected: tuple[str, ...]) -> Path:
    """Download ``url`` into the folder ``into`` and check its digest; return the file."""
    name = url.rstrip("/").split("/")[-1].split("?")[0] or "download"
    # get_file falls back to a shared /tmp/.keras when cache_dir does not exist yet, and
    # reuses any file already there: create the folder and force a fresh download.
    into.mkdir(parents=True, exist_ok=True)
    path = Path(
        keras.utils.get_file(name, origin=url, cache_dir=str(into), cache_subdir="", force_download=True)
    )
    if path.parent.resolve() != into.resolve():
        raise RuntimeError(f"keras.utils.get_file wrote {path}, outside the staging folder {into}.")
    if expected and (actual := file_digest(path)) not in expected:
        raise ChecksumError(
            f"The download of {url} has sha256 {actual}, expected "
            f"{' or '.join(expected)}: the origin changed or the transfer was corrupted. "
            "Nothing was written to the cache."
        )
    return path


def _unpack(archive: Path, into: Path) -> None:
    """Extract a zip or (compressed) tar, recognised by its bytes, not its name.

    TF Hub's compressed downloads end in ``.../4?tf-hub-format=compressed``: no extension.
    Tar members that would land outside ``into`` are refused (the "data" filter).
    """
    if zipfile.is_zipfile(archive):
        shutil.unpack_archive(str(archive), str(into), format="zip")
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:  # any compression
            tar.extractall(into, filter="data")
    else:
        raise DataNotFoundError(
            f"The download {archive.name} is neither a zip nor a tar archive (an error page?). "
            "Nothing was written to the cache."
        )


def _fetch_from_origin(entry: Entry, cache: Path) -> None:
    """Download the entry's missing files into the cache, atomically per file/folder."""
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".partial-") as tmp:
        tmp = Path(tmp)
        staged: list[tuple[Path, RemoteFile]] = []
        if entry.archive_url:
            archive = _download(entry.archive_url, tmp, entry.archive_sha256)
            unpacked = tmp / "unpacked"
            _unpack(archive, unpacked)
            for remote in entry.files:
                member = unpacked / (remote.member or Path(remote.path).name)
                if not member.exists():
                    raise DataNotFoundError(
                        f"The archive {entry.archive_url} has no {remote.member!r}: its layout "
                        "changed. Nothing was written to the cache."
                    )
                staged.append((member, remote))
        else:
            for remote in entry.files:
                if (cache / remote.path).exists():
                    continue
                if not remote.url:
                    raise DataNotFoundError(f"No origin URL is known for {remote.path}.")
                staged.append((_download(remote.url, tmp / str(len(staged)), remote.sha256), remote))
        for source, remote in staged:
            verify(source, remote, "downloaded")
        for source, remote in staged:
            target = cache / remote.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(source, target)


def _write_fixture(entry: Entry, root: Path) -> None:
    if entry.fixture is None:
        raise DataNotFoundError(f"No fixture is defined for {entry.name!r}.")
    module_name, func_name = entry.fixture.split(":")
    writer = getattr(importlib.import_module(module_name), func_name)
    with tempfile.TemporaryDirectory(dir=root.parent, prefix=".partial-") as tmp:
        tmp = Path(tmp)
        writer(tmp, np.random.default_rng(FIXTURE_SEED), entry)
        if not _complete(tmp, entry):
            raise RuntimeError(f"The fixture writer {entry.fixture} did not write every file.")
        for remote in entry.files:
            target = root / remote.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(tmp / remote.path, target)


def _announce_fixture(entry: Entry, why: str) -> None:
    profile.announce(
        profile.FIXTURE_OUTPUT_MARKER,
        f"{entry.name!r} is not in the cache or a mirror and {why}.\nThe fast profile goes on "
        f"with a small generated stand-in in the same on-disk format ({entry.format}).\nEvery "
        "number computed from it only shows that the code runs; none says anything about the real data.",
    )


def _missing_message(entry: Entry, cache: Path, mirror: Path | None, why: str) -> str:
    lines = [f"{entry.name!r} ({entry.description}) is not available: {why}."]
    lines.append("Get these files and put them under the cache or a mirror directory:")
    for remote in entry.files:
        kind = "folder" if remote.is_dir else "file"
        origin = remote.url or f"{entry.archive_url} (member {remote.member or remote.path})"
        lines.append(f"  {kind} {remote.path}  <-  {origin}")
    lines.append(f"cache: {cache}   (set {CACHE_ENV} to move it)")
    lines.append(f"mirror: {mirror or f'none (set {MIRROR_ENV} to a folder in the same layout)'}")
    lines.append(f"Or run the fast profile ({profile.PROFILE_ENV}=fast) to use a generated fixture.")
    return "\n".join(lines)


def fetch(name: str) -> Fetched:
    """Return where the files of registry entry ``name`` are, getting them if needed.

    Looks in the cache, then the mirror, then downloads from the origin (not in the
    fast profile for downloads over ``FAST_DOWNLOAD_LIMIT_MB``, nor with
    ``COURSE_OFFLINE=1``). Failing all that, the fast profile writes a generated
    fixture and says so loudly; the full profile raises.

    Raises:
        KeyError: unknown ``name``.
        ChecksumError: a cached, mirrored or downloaded file has unexpected bytes.
        DataNotFoundError: full profile and the data is nowhere; the message names each
            file, its origin and where to put it.
    """
    entry = get_entry(name)
    cache, mirror = cache_dir(), mirror_dir()
    for root, source in ((cache, "cache"), (mirror, "mirror")):
        if root is not None and _complete(root, entry):
            for remote in entry.files:
                verify(root / remote.path, remote, f"in the {source}")
            return _result(entry, root, source)

    fast = profile.is_fast()
    if not downloads_allowed():
        why = f"downloads are off (${OFFLINE_ENV})"
    elif fast and entry.size_mb > FAST_DOWNLOAD_LIMIT_MB:
        why = f"the fast profile does not download {entry.size_mb:g} MB"
    else:
        try:
            _fetch_from_origin(entry, cache)
            return _result(entry, cache, "origin")
        except ChecksumError:
            raise
        except Exception as error:  # no network, HTTP error, moved file: say which
            why = f"the download failed ({error})"

    if not fast:
        raise DataNotFoundError(_missing_message(entry, cache, mirror, why))
    fixtures = cache / FIXTURE_DIR
    if not _complete(fixtures, entry):
        fixtures.mkdir(parents=True, exist_ok=True)
        _write_fixture(entry, fixtures)
    _announce_fixture(entry, why)
    return _result(entry, fixtures, "fixture")


def fetch_optional(name: str) -> Fetched | None:
    """Like :func:`fetch`, but return ``None`` (with a message) when the full profile lacks the data.

    For sections that need something unavailable on some machines (a pretrained
    module): the notebook skips them and says why instead of crashing.
    """
    try:
        return fetch(name)
    except DataNotFoundError as error:
        print(f"Skipped: {error}")
        return None
