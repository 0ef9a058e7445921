"""Finding a registry entry's files: cache, then mirror, then origin, then (fast) fixture.

- cache: ``COURSE_DATA_DIR``, else the repository's ``data/`` folder, else
  ``~/.keras/datasets/course`` (Colab, pip installs);
- mirror: a read-only directory named by ``COURSE_DATA_MIRROR`` (classrooms, offline
  machines), in the same layout as the cache; used in place, never copied;
- origin: downloaded by ``helpers.data.download`` (a connect timeout, a limit on time
  without progress, a progress bar) into a staging folder inside the cache; archives
  are read to their last byte and refused when a member is unsafe
  (``helpers.data.archives``); every file is checked for its format
  (``helpers.data.checks``: an HTML error page or a truncated body is refused even
  where no digest is known), against the registry's sha256 (and Keras' md5 for weight
  files) and, where no digest is published, against the pin of its first verified
  download; then it is moved into place with one ``os.replace``, the install marker
  last: an interrupted or corrupt download never lands in the cache;
- fixture: only in the ``fast`` profile, and announced loudly.

What is already in the cache or the mirror is checked like a fresh download before
every use: published digests and pins, then the install marker (``.installed/<entry>.json``,
each file's size and sha256, each folder's member list with sizes); where there is no
marker (files put there by hand) the format check runs in full and a marker is written.

Two processes sharing a cache take turns per entry (a file lock in ``.locks/``); the
lock, not a process id, decides when a staging folder left behind is stale.

Relative ``COURSE_DATA_DIR`` and ``COURSE_DATA_MIRROR`` paths are resolved against the
repository root (not the folder a notebook kernel runs in); outside a checkout they
must be absolute.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import importlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers import profile
from helpers.data.archives import unpack
from helpers.data.checks import FormatError, check_format
from helpers.data.download import download
from helpers.data.registry import Entry, RemoteFile, get_entry

CACHE_ENV = "COURSE_DATA_DIR"
MIRROR_ENV = "COURSE_DATA_MIRROR"
OFFLINE_ENV = "COURSE_OFFLINE"
FAST_DOWNLOAD_LIMIT_MB = 50  # bigger downloads are not worth it for a smoke run
FIXTURE_DIR = "fixtures"  # under the cache; never confused with real data
FIXTURE_SEED = 1234
STAGING_PREFIX = ".partial-"  # + "<entry>+": staging folders inside the cache
STALE_AFTER_S = 3600  # a staging folder in the old naming (no entry) is stale after an hour
LOCK_DIR = ".locks"  # <cache>/.locks/<entry>.lock: one lock per entry
LOCK_TIMEOUT_ENV = "COURSE_DATA_LOCK_TIMEOUT_S"
LOCK_TIMEOUT_S = 3600.0  # how long to wait for another process fetching the same entry
LOCK_NOTICE_AFTER_S = 2.0  # waiting longer than this is announced
MARKER_DIR = ".installed"  # <root>/.installed/<entry>.json: what a complete install holds
PIN_DIR = ".pins"  # <cache>/.pins/<entry>.json: sha256 of first verified downloads
ARCHIVE_PIN = "<archive>"  # the pin key of an entry's archive


class DataNotFoundError(FileNotFoundError):
    """The data is in no cache or mirror and could not be downloaded."""


class ChecksumError(ValueError):
    """A file's bytes are not the ones the registry expects."""


class IncompleteInstallError(FormatError):
    """A cached file or folder is not what its install marker recorded (half-copied, changed)."""


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


def _has_any(root: Path, entry: Entry) -> bool:
    return root.is_dir() and any((root / remote.path).exists() for remote in entry.files)


# --- two processes, one cache: a lock per entry -------------------------------------------


def _lock_timeout() -> float:
    value = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    try:
        seconds = float(value) if value else LOCK_TIMEOUT_S
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise ValueError(
            f"{LOCK_TIMEOUT_ENV}={value!r} is not a positive number of seconds; set one or unset it."
        )
    return seconds


@contextlib.contextmanager
def entry_lock(cache: Path, key: str):
    """Hold the cache's lock for ``key`` (an entry name) while the body runs.

    Fetching and installing an entry happens under it, so that two kernels (two
    notebooks side by side, ``make run`` beside ``make lab``) fetching the same entry
    take turns: the second finds the first one's install and checks it. The lock is
    released by the operating system when its holder dies, so a killed process never
    blocks the next one; waiting is announced, and ends after ``COURSE_DATA_LOCK_TIMEOUT_S``.

    Raises:
        TimeoutError: another process held the lock for longer than the limit.
    """
    from filelock import FileLock, Timeout

    folder = cache / LOCK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / f"{key}.lock"))
    try:
        lock.acquire(timeout=LOCK_NOTICE_AFTER_S)
    except Timeout:
        limit_s = _lock_timeout()
        print(f"Waiting for another process that is fetching {key!r} into the cache (up to {limit_s:g} s)...")
        try:
            lock.acquire(timeout=limit_s)
        except Timeout:
            raise TimeoutError(
                f"Another process has been fetching {key!r} into {cache} for over {limit_s:g} s "
                f"({LOCK_TIMEOUT_ENV}); it holds {folder / f'{key}.lock'}. Wait for it to finish and run "
                f"again, or stop it (a notebook kernel or a run fetching the same data)."
            ) from None
    try:
        yield
    finally:
        lock.release()


def _staging_prefix(key: str) -> str:
    return f"{STAGING_PREFIX}{key}+"


def remove_stale_staging(cache: Path, key: str | None = None) -> list[Path]:
    """Remove staging folders a killed process left behind; return the folders removed.

    With ``key``, the caller holds that entry's lock (:func:`entry_lock`): no live
    process can be staging that entry, so all its staging folders go, however young.
    Without, only folders in the old ``.partial-<pid>-`` naming (no key) older than
    ``STALE_AFTER_S`` go. Whether a process id is alive is never asked: ids are reused,
    and a cache can be shared between machines.
    """
    if not cache.is_dir():
        return []
    removed = []
    if key is not None:
        candidates = list(cache.glob(glob.escape(_staging_prefix(key)) + "*"))
    else:
        candidates = [
            p for p in cache.glob(STAGING_PREFIX + "*")
            if "+" not in p.name and time.time() - p.stat().st_mtime > STALE_AFTER_S
        ]
    for folder in candidates:
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _staging(root: Path, key: str) -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(dir=root, prefix=_staging_prefix(key))


# --- what a complete install is: a marker written last, a pin for unpublished digests -----


def _fingerprint(path: Path, remote: RemoteFile) -> dict:
    """A file's size and sha256; a folder's member list with sizes (and its count and total)."""
    if not remote.is_dir:
        return {"bytes": path.stat().st_size, "sha256": file_digest(path)}
    members = {
        p.relative_to(path).as_posix(): p.lstat().st_size
        for p in sorted(path.rglob("*"))
        if not p.is_dir() or p.is_symlink()
    }
    return {"files": len(members), "bytes": sum(members.values()), "members": members}


def _marker_path(entry: Entry, root: Path, source: str, cache: Path) -> Path:
    if source == "mirror":  # the mirror is read-only: what was checked there is noted in the cache
        return cache / MARKER_DIR / "mirror" / f"{entry.name}.json"
    return root / MARKER_DIR / f"{entry.name}.json"


def _read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _write_json(path: Path, value: dict) -> None:
    """Write ``value`` to ``path`` atomically (a reader sees the old file or the new one, whole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".tmp-", suffix=".json", delete=False)
    with handle:
        json.dump(value, handle, indent=1, sort_keys=True)
    os.replace(handle.name, path)


def _difference(old: dict, new: dict) -> str:
    """What changed between two fingerprints, in words."""
    if "members" in old and "members" in new:
        before, after = old["members"], new["members"]
        missing = sorted(set(before) - set(after))
        added = sorted(set(after) - set(before))
        changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
        parts = []
        for what, names in (("missing", missing), ("not in the install", added), ("changed size", changed)):
            if names:
                shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
                parts.append(f"{len(names)} file(s) {what} ({shown})")
        return "; ".join(parts) or "its member list differs"
    return (
        f"it has {new.get('bytes')} bytes and sha256 {new.get('sha256')}, the install had "
        f"{old.get('bytes')} bytes and sha256 {old.get('sha256')}"
    )


def _needs_pin(entry: Entry, remote: RemoteFile) -> bool:
    """True for a file whose bytes no published digest covers (its first verified download is pinned)."""
    return not remote.is_dir and not remote.sha256 and _md5(entry, remote) is None


def _pins_path(entry: Entry, cache: Path) -> Path:
    return cache / PIN_DIR / f"{entry.name}.json"


def _pinned(entry: Entry, cache: Path, key: str) -> str | None:
    return (_read_json(_pins_path(entry, cache)) or {}).get(key)


def _check_pin(entry: Entry, cache: Path, key: str, actual: str, subject: str, advice: str) -> None:
    pinned = _pinned(entry, cache, key)
    if pinned is not None and pinned != actual:
        raise ChecksumError(
            f"{subject} has sha256 {actual}, but the first verified download of it had {pinned} (no digest "
            f"is published for it, so that one is pinned in {_pins_path(entry, cache)}): the origin changed "
            f"the file or it is corrupt. {advice} If the origin published a new version on purpose, delete "
            "the pin file and run again to accept it."
        )


def _add_pins(entry: Entry, cache: Path, digests: dict[str, str]) -> None:
    path = _pins_path(entry, cache)
    pins = _read_json(path) or {}
    new = {k: v for k, v in digests.items() if k not in pins}
    if new:
        _write_json(path, {**pins, **new})


def _advice(source: str, remote: RemoteFile, path: Path, marker: Path) -> str:
    if source == "mirror":
        return (
            f"The mirror is read-only here: ask whoever maintains it to replace it, or unset {MIRROR_ENV} "
            "to use the cache (and download it there)."
        )
    what = "the folder" if remote.is_dir else "it"
    return (
        f"Delete {what} and run again to download it (this needs internet), or put a good copy in its "
        f"place and delete {marker} too, so that it is checked afresh."
    )


def _check_installed(
    entry: Entry, root: Path, source: str, cache: Path, fresh: frozenset[str] = frozenset()
) -> None:
    """Check an entry's files in the cache or the mirror like a fresh download, before every use.

    Each file must match the registry's published digests; in the cache, a file without
    one must match the pin of its first verified download. Then each file or folder must
    still be what the install marker (written last at install) recorded: a file's size
    and sha256, a folder's member list with sizes. Where there is no marker (files put
    there by hand) or the mirror changed, the entry's format check runs in full and a
    new marker records the result. ``fresh`` names files whose format check already ran
    in staging.

    Raises:
        ChecksumError: a published digest or a pin does not match.
        IncompleteInstallError: a file or folder differs from its install marker.
        helpers.data.checks.FormatError: a file fails the entry's format check.
    """
    where = f"in the {source}"
    marker_path = _marker_path(entry, root, source, cache)
    marker = _read_json(marker_path) or {}
    if source == "mirror" and marker.get("root") != str(root):
        marker = {}
    recorded = marker.get("files", {}) if isinstance(marker.get("files"), dict) else {}
    prints = {}
    for remote in entry.files:
        path = root / remote.path
        verify(path, remote, where, entry)
        print_ = prints[remote.path] = _fingerprint(path, remote)
        old = recorded.get(remote.path)
        if old == print_:
            continue  # checked in full when installed, unchanged since
        advice = _advice(source, remote, path, marker_path)
        if old is not None and source == "cache" and not remote.sha256:
            raise IncompleteInstallError(
                f"{path} ({where}) is not what was installed there: {_difference(old, print_)}. It is "
                f"incomplete or was changed since (a half-finished copy?). {advice}"
            )
        if source == "cache" and _needs_pin(entry, remote):
            _check_pin(entry, cache, remote.path, print_["sha256"], f"{path} ({where})", advice)
        if remote.path not in fresh and remote.check is not None:
            try:
                check_format(path, remote.check)
            except FormatError as error:
                raise FormatError(
                    f"{path} ({where}) is not a valid {remote.path} ({remote.check.kind}): {error}. {advice}"
                ) from None
    if prints != recorded:
        _write_json(marker_path, {"entry": entry.name, "root": str(root), "files": prints})


# --- the origin ---------------------------------------------------------------------------


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
    """Download ``url`` into the folder ``into`` (see ``helpers.data.download``); check its sha256 when given.

    The data layer passes no digest here: it runs the format check first (an HTML page
    or a cut transfer gets its own message), then the digests.
    """
    name = url.rstrip("/").split("/")[-1].split("?")[0] or "download"
    into.mkdir(parents=True, exist_ok=True)
    path = download(url, into / name)
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


def _top_level(folder: Path) -> str:
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()) if folder.is_dir() else []
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return shown or "nothing"


def _fetch_from_origin(entry: Entry, cache: Path) -> frozenset[str]:
    """Download the entry's missing files into the cache; return the paths installed.

    The caller holds the entry's lock. Every staged file passes its format check, its
    sha256, (weights) Keras' md5 and any pin before the first one is moved into the
    cache; new pins are written after the move, the install marker after that.
    """
    cache.mkdir(parents=True, exist_ok=True)
    nothing = "Nothing was written to the cache."
    pins: dict[str, str] = {}
    with _staging(cache, entry.name) as tmp:
        tmp = Path(tmp)
        staged: list[tuple[Path, RemoteFile, str]] = []
        if entry.archive_url:
            archive = _download(entry.archive_url, tmp, ())
            unpacked = tmp / "unpacked"
            unpack(archive, unpacked, entry.archive_url)  # an error page, a cut transfer, unsafe members
            _check_archive_digest(archive, entry.archive_url, entry.archive_sha256)
            if not entry.archive_sha256 and any(_needs_pin(entry, r) or r.is_dir for r in entry.files):
                digest = pins[ARCHIVE_PIN] = file_digest(archive)
                _check_pin(entry, cache, ARCHIVE_PIN, digest, f"The download of {entry.archive_url}", nothing)
            for remote in entry.files:
                name = remote.member or Path(remote.path).name
                member = unpacked / name
                if not member.exists():
                    raise DataNotFoundError(
                        f"The archive {entry.archive_url} has no member {name!r} (its top level holds "
                        f"{_top_level(unpacked)}): its layout changed. {nothing}"
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
            if _needs_pin(entry, remote):
                digest = pins[remote.path] = file_digest(source)
                _check_pin(entry, cache, remote.path, digest, f"The download of {origin}", nothing)
        for source, remote, _ in staged:
            target = cache / remote.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(source, target)
    _add_pins(entry, cache, pins)
    return frozenset(remote.path for _, remote, _ in staged)


# --- the fast profile's fixtures ----------------------------------------------------------


def _write_fixture(entry: Entry, root: Path) -> None:
    """Write the entry's generated fixture under ``root``, its install marker last."""
    if entry.fixture is None:
        raise DataNotFoundError(f"No fixture is defined for {entry.name!r}.")
    module_name, func_name = entry.fixture.split(":")
    writer = getattr(importlib.import_module(module_name), func_name)
    root.mkdir(parents=True, exist_ok=True)
    with _staging(root.parent, f"fixture-{entry.name}") as tmp:
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
    prints = {remote.path: _fingerprint(root / remote.path, remote) for remote in entry.files}
    marker = {"entry": entry.name, "root": str(root), "files": prints}
    _write_json(_marker_path(entry, root, "fixture", root), marker)


def _fixture_intact(entry: Entry, root: Path) -> bool:
    """True when the fixture under ``root`` is complete and unchanged since it was written."""
    if not _complete(root, entry):
        return False
    recorded = (_read_json(_marker_path(entry, root, "fixture", root)) or {}).get("files")
    return recorded == {remote.path: _fingerprint(root / remote.path, remote) for remote in entry.files}


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
    ``COURSE_OFFLINE=1``). What is found in the cache or the mirror is checked like a
    fresh download before it is used (see :func:`_check_installed`). Fetching and
    installing hold the entry's lock, so two processes sharing a cache take turns.
    Failing all that, the fast profile writes a generated fixture and says so loudly;
    the full profile raises.

    Raises:
        KeyError: unknown ``name``.
        ChecksumError: a cached, mirrored or downloaded file has unexpected bytes.
        IncompleteInstallError: a cached file or folder is not what was installed.
        helpers.data.checks.FormatError: a file is not in its registered format (an HTML
            error page, a truncated body), or an archive is unsafe; nothing was written
            to the cache.
        DataNotFoundError: full profile and the data is nowhere; the message names each
            file, its origin and where to put it (a failed or stalled download included).
        TimeoutError: another process held the entry's lock too long.
    """
    entry = get_entry(name)
    cache, mirror = cache_dir(), mirror_dir()
    remove_stale_staging(cache)
    if _has_any(cache, entry):
        with entry_lock(cache, entry.name):
            if _complete(cache, entry):
                _check_installed(entry, cache, "cache", cache)
                return _result(entry, cache, "cache")
    if mirror is not None and _complete(mirror, entry):
        _check_installed(entry, mirror, "mirror", cache)
        return _result(entry, mirror, "mirror")

    fast = profile.is_fast()
    if not downloads_allowed():
        why = f"downloads are off (${OFFLINE_ENV})"
    elif fast and entry.size_mb > FAST_DOWNLOAD_LIMIT_MB:
        why = f"the fast profile does not download {entry.size_mb:g} MB"
    else:
        cache.mkdir(parents=True, exist_ok=True)
        with entry_lock(cache, entry.name):
            remove_stale_staging(cache, entry.name)
            if _complete(cache, entry):  # another process installed it while this one waited
                _check_installed(entry, cache, "cache", cache)
                return _result(entry, cache, "cache")
            try:
                fresh = _fetch_from_origin(entry, cache)
                _check_installed(entry, cache, "cache", cache, fresh)
                return _result(entry, cache, "origin")
            except (ChecksumError, FormatError):  # the origin answered, with the wrong bytes
                raise
            except Exception as error:  # no network, HTTP error, stall, moved file: say which
                why = f"the download failed ({error})"

    if not fast:
        raise DataNotFoundError(_missing_message(entry, cache, mirror, why))
    fixtures = cache / FIXTURE_DIR
    fixtures.mkdir(parents=True, exist_ok=True)
    with entry_lock(cache, f"fixture-{entry.name}"):
        remove_stale_staging(cache, f"fixture-{entry.name}")
        if not _fixture_intact(entry, fixtures):
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
