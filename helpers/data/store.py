"""Finding a registry entry's files: cache, then mirror, then origin, then (fast) fixture.

- cache: ``COURSE_DATA_DIR``, else the repository's ``data/`` folder, else
  ``~/.keras/datasets/course`` (Colab, pip installs);
- mirror: a read-only directory named by ``COURSE_DATA_MIRROR`` (classrooms, offline
  machines), in the same layout as the cache; used in place, never copied;
- origin: downloaded with ``keras.utils.get_file`` into a temporary folder inside the
  cache, checked for its format (``helpers.data.checks``: an HTML error page or a
  truncated body is refused even where no digest is known) and against the registry's
  sha256 (and Keras' md5 for weight files), then moved into place with one
  ``os.replace``: an interrupted or corrupt download never lands in the cache. Staging
  folders left behind by a process that was killed are removed on the next fetch;
- fixture: only in the ``fast`` profile, and announced loudly.

Relative ``COURSE_DATA_DIR`` and ``COURSE_DATA_MIRROR`` paths are resolved against the
repository root (not the folder a notebook kernel runs in); outside a checkout they
must be absolute.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tarfile
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from helpers import profile
from helpers.data.checks import FormatError, check_format, looks_like_html
from helpers.data.registry import Entry, RemoteFile, get_entry

CACHE_ENV = "COURSE_DATA_DIR"
MIRROR_ENV = "COURSE_DATA_MIRROR"
OFFLINE_ENV = "COURSE_OFFLINE"
FAST_DOWNLOAD_LIMIT_MB = 50  # bigger downloads are not worth it for a smoke run
FIXTURE_DIR = "fixtures"  # under the cache; never confused with real data
FIXTURE_SEED = 1234
STAGING_PREFIX = ".partial-"  # + "<pid>-": staging folders inside the cache
STALE_AFTER_S = 3600  # a staging folder without a pid is stale after an hour


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


def _env_path(variable: str) -> Path | None:
    """The path in environment variable ``variable`` (``None`` when unset or blank).

    A relative path is resolved against the repository root, so that a notebook kernel
    (which runs in ``notebooks/``) and a shell at the root mean the same folder.

    Raises:
        ValueError: a relative path outside a repository checkout (pip install, Colab).
    """
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        repo_data = _repo_data_dir()
        if repo_data is None:
            raise ValueError(
                f"{variable}={value!r} is a relative path, and there is no repository checkout to "
                f"resolve it against; set {variable} to an absolute path."
            )
        path = repo_data.parent / path
    return path.resolve()


def cache_dir() -> Path:
    """The download cache: ``$COURSE_DATA_DIR``, the repo's ``data/``, or ``~/.keras/datasets/course``.

    Raises:
        NotADirectoryError: ``COURSE_DATA_DIR`` names an existing file.
        ValueError: ``COURSE_DATA_DIR`` is relative outside a repository checkout.
    """
    path = _env_path(CACHE_ENV)
    if path is None:
        return _repo_data_dir() or Path.home() / ".keras" / "datasets" / "course"
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"{CACHE_ENV}={os.environ[CACHE_ENV].strip()!r} names {path}, which is a file, not a folder. "
            f"Point {CACHE_ENV} at a folder (it is created when missing), or unset it to use the "
            "default cache."
        )
    return path


def mirror_dir() -> Path | None:
    """The mirror named by ``$COURSE_DATA_MIRROR``, or ``None`` (unset or blank).

    Raises:
        NotADirectoryError: if the variable names something that is not a directory.
        ValueError: a relative path outside a repository checkout.
    """
    path = _env_path(MIRROR_ENV)
    if path is None:
        return None
    value = os.environ[MIRROR_ENV].strip()
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
    mirror = f"mirror from ${MIRROR_ENV}" if os.environ.get(MIRROR_ENV, "").strip() else "no mirror"
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


def _md5(entry: Entry, remote: RemoteFile) -> str | None:
    """Keras' published md5 of a one-file weights entry (``extra["md5"]``), else ``None``."""
    md5 = entry.extra.get("md5")
    return md5 if md5 and len(entry.files) == 1 and not remote.is_dir else None


def verify(
    path: Path, remote: RemoteFile, where: str, entry: Entry | None = None, origin: str | None = None
) -> None:
    """Check ``path`` against the registry's digests (no-op when none are known).

    ``where`` is ``"in the cache"``, ``"in the mirror"`` or ``"downloaded"``; the advice
    in the message depends on it (a mirror is read-only, a download never landed).
    With ``entry``, Keras' published md5 of a weights file is checked too. A download is
    named by its ``origin`` URL (its staging path is gone by the time anyone reads it).

    Raises:
        ChecksumError: naming the file's full path, both digests and what to do about it.
    """
    if remote.is_dir:
        return
    origin_of_file = remote.url or "the entry's archive"
    if where == "in the mirror":
        advice = (
            f"The mirror is read-only here: ask whoever maintains it to replace the file with the one "
            f"from {origin_of_file}, or unset {MIRROR_ENV} to use the cache (and download it there)."
        )
    elif where == "downloaded":
        advice = "The origin changed or the transfer was corrupted. Nothing was written to the cache."
    else:
        advice = (
            f"Delete it and run again to download it (this needs internet), or replace it with "
            f"the file from {origin_of_file}."
        )
    checks = []
    if remote.sha256:
        checks.append(("sha256", remote.sha256, "the registry expects"))
    if entry is not None and (md5 := _md5(entry, remote)):
        checks.append(("md5", (md5,), "Keras publishes"))
    subject = f"The download of {origin or origin_of_file}" if where == "downloaded" else f"{path} ({where})"
    for algorithm, expected, who in checks:
        actual = file_digest(path, algorithm)
        if actual not in expected:
            raise ChecksumError(
                f"{subject} has {algorithm} {actual}, but {who} {' or '.join(expected)} "
                f"for it: the file is corrupt, truncated or a different version. {advice}"
            )


def _complete(root: Path, entry: Entry) -> bool:
    """True when every file of the entry is there (a folder counts only if it holds something)."""
    for remote in entry.files:
        path = root / remote.path
        if remote.is_dir:
            if not path.is_dir() or not any(path.iterdir()):
                return False
        elif not path.is_file():
            return False
    return True


def _staging_owner(folder: Path) -> int | None:
    rest = folder.name[len(STAGING_PREFIX):]
    head = rest.split("-", 1)[0]
    return int(head) if head.isdigit() and "-" in rest else None


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_staging(cache: Path) -> list[Path]:
    """Remove staging folders (``.partial-<pid>-*``) whose process no longer runs.

    A download or fixture writer killed hard (``kill -9``, a kernel restart) cannot clean
    up after itself; the next fetch does. Folders without a pid in their name are removed
    once they are older than ``STALE_AFTER_S``. Returns the folders removed.
    """
    if not cache.is_dir():
        return []
    removed = []
    for folder in cache.glob(STAGING_PREFIX + "*"):
        if not folder.is_dir():
            continue
        pid = _staging_owner(folder)
        if pid is not None:
            stale = pid != os.getpid() and not _is_running(pid)
        else:
            stale = time.time() - folder.stat().st_mtime > STALE_AFTER_S
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _staging(root: Path) -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(dir=root, prefix=f"{STAGING_PREFIX}{os.getpid()}-")


def _check_staged(path: Path, remote: RemoteFile, origin: str, cache: Path) -> None:
    """Run the registry's format check on a staged download; name the origin, never the staging path."""
    if remote.check is None:
        return
    try:
        check_format(path, remote.check)
    except FormatError as error:
        raise FormatError(
            f"The download of {origin} is not a valid {remote.path} ({remote.check.kind}): {error}. "
            f"Nothing was written to the cache. Run again later (the origin or the network may have "
            f"failed); if it keeps failing, get the file by hand and put it at {cache / remote.path}."
        ) from None


def _result(entry: Entry, root: Path, source: str) -> Fetched:
    if len(entry.files) == 1:
        path = root / entry.files[0].path
    else:
        path = root / os.path.commonpath([f.path for f in entry.files])
    return Fetched(entry.name, path, source)


def _download(url: str, into: Path, expected: tuple[str, ...] = ()) -> Path:
    """Download ``url`` into the folder ``into``, check its sha256 against ``expected`` when given.

    The data layer passes no digest here: it runs the format check first (an HTML page
    or a cut transfer gets its own message), then the digests.
    """
    name = url.rstrip("/").split("/")[-1].split("?")[0] or "download"
    # get_file falls back to a shared /tmp/.keras when cache_dir does not exist yet, and
    # reuses any file already there: create the folder and force a fresh download.
    into.mkdir(parents=True, exist_ok=True)
    path = Path(
        keras.utils.get_file(name, origin=url, cache_dir=str(into), cache_subdir="", force_download=True)
    )
    if path.parent.resolve() != into.resolve():
        raise RuntimeError(f"keras.utils.get_file wrote {path}, outside the staging folder {into}.")
    _check_archive_digest(path, url, expected)
    return path


def _check_archive_digest(archive: Path, url: str, expected: tuple[str, ...]) -> None:
    """Raise :class:`ChecksumError` when ``expected`` digests are given and ``archive`` matches none."""
    if expected and (actual := file_digest(archive)) not in expected:
        raise ChecksumError(
            f"The download of {url} has sha256 {actual}, expected "
            f"{' or '.join(expected)}: the origin changed or the transfer was corrupted. "
            "Nothing was written to the cache."
        )


def _unpack(archive: Path, into: Path, url: str) -> None:
    """Extract a zip or (compressed) tar, recognised by its bytes, not its name, checking it whole.

    TF Hub's compressed downloads end in ``.../4?tf-hub-format=compressed``: no extension.
    Every zip member's CRC is checked; a tar is read to its end (a truncated gzip stream
    fails there). Tar members that would land outside ``into`` are refused (the "data"
    filter). Messages name ``url``, never the staging folder (it is gone by then).

    Raises:
        FormatError: an HTML page, neither archive kind, or a truncated/corrupt archive.
    """
    nothing = "Nothing was written to the cache; run again later, or download it by hand."
    if archive.stat().st_size and looks_like_html(archive):
        raise FormatError(
            f"The download of {url} is an HTML page (an error or login page served instead of the "
            f"archive). {nothing}"
        )
    if zipfile.is_zipfile(archive):
        try:
            with zipfile.ZipFile(archive) as zf:
                bad = zf.testzip()
                if bad is not None:
                    raise FormatError(
                        f"The archive {url} is corrupt: member {bad!r} fails its CRC check. {nothing}"
                    )
                zf.extractall(into)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
            raise FormatError(f"The archive {url} is truncated or corrupt ({error}). {nothing}") from None
    elif tarfile.is_tarfile(archive):
        try:
            with tarfile.open(archive) as tar:  # any compression
                tar.extractall(into, filter="data")
        except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
            message = str(error).replace(str(into), "<archive>")
            raise FormatError(f"The archive {url} is truncated or corrupt ({message}). {nothing}") from None
    else:
        raise FormatError(
            f"The download of {url} is not a complete zip or tar archive (a truncated transfer, or an "
            f"error page?). {nothing}"
        )


def _top_level(folder: Path) -> str:
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()) if folder.is_dir() else []
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return shown or "nothing"


def _fetch_from_origin(entry: Entry, cache: Path) -> None:
    """Download the entry's missing files into the cache, atomically per file/folder.

    Every staged file passes its format check, its sha256 and (weights) Keras' md5
    before the first one is moved into the cache.
    """
    cache.mkdir(parents=True, exist_ok=True)
    with _staging(cache) as tmp:
        tmp = Path(tmp)
        staged: list[tuple[Path, RemoteFile, str]] = []
        if entry.archive_url:
            archive = _download(entry.archive_url, tmp, ())
            unpacked = tmp / "unpacked"
            _unpack(archive, unpacked, entry.archive_url)  # an error page or a cut transfer: say so
            _check_archive_digest(archive, entry.archive_url, entry.archive_sha256)
            for remote in entry.files:
                name = remote.member or Path(remote.path).name
                member = unpacked / name
                if not member.exists():
                    raise DataNotFoundError(
                        f"The archive {entry.archive_url} has no member {name!r} (its top level holds "
                        f"{_top_level(unpacked)}): its layout changed. Nothing was written to the cache."
                    )
                staged.append((member, remote, f"{entry.archive_url} (member {name})"))
        else:
            for remote in entry.files:
                if (cache / remote.path).exists():
                    continue
                if not remote.url:
                    raise DataNotFoundError(f"No origin URL is known for {remote.path}.")
                path = _download(remote.url, tmp / str(len(staged)), ())
                staged.append((path, remote, remote.url))
        for source, remote, origin in staged:
            _check_staged(source, remote, origin, cache)
            verify(source, remote, "downloaded", entry, origin)
        for source, remote, _ in staged:
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
    with _staging(root.parent) as tmp:
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
    missing = [f.path for f in entry.files if not (cache / f.path).exists()] or [f.path for f in entry.files]
    lines = [f"{entry.name!r} is not available: {why}; missing {', '.join(missing)}."]
    lines.append(f"({entry.description})")
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
        helpers.data.checks.FormatError: a download is not in its registered format
            (an HTML error page, a truncated body); nothing was written to the cache.
        DataNotFoundError: full profile and the data is nowhere; the message names each
            file, its origin and where to put it.
    """
    entry = get_entry(name)
    cache, mirror = cache_dir(), mirror_dir()
    remove_stale_staging(cache)
    for root, source in ((cache, "cache"), (mirror, "mirror")):
        if root is not None and _complete(root, entry):
            for remote in entry.files:
                verify(root / remote.path, remote, f"in the {source}", entry)
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
        except (ChecksumError, FormatError):  # the origin answered, with the wrong bytes
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
