"""Every registry entry refuses a bad download before it reaches the cache.

A local HTTP server on 127.0.0.1 serves each entry's files the way a flaky origin
would: cut short with no ``Content-Length`` header (so ``urllib`` cannot notice), or
replaced by an HTML error page with status 200. The fetch must fail with a message
that says so, and nothing may land in the cache, not even the files of the entry that
arrived whole. A well-formed body passes, so that the refusals are the format checks'
doing and not a broken test server.

The bodies are the entry's fast-profile fixture (packed the way the origin packs it;
tiny image folders, weights and TFDS folders where a fixture would be slow or is none),
and the entry's format check is given the fixture's own counts (rows, items,
abstracts) in place of the real data's; digests are dropped, so the format check
alone has to catch the problem, as it must for files whose digest is unknown.
"""

from __future__ import annotations

import dataclasses
import gzip
import http.server
import io
import tarfile
import threading
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from helpers.data import REGISTRY, ChecksumError, Entry, FormatError, fetch, store
from helpers.data.registry import Check
from helpers.text import parse_pubmed_rct

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Error 503</title></head>"
    b"<body><h1>Service temporarily unavailable</h1></body></html>\n"
)
SERVER_LIFETIME_S = 300  # the server stops by itself even if a test hangs


class _Origin(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: dict[str, bytes] = {}
        self.modes: dict[str, str] = {}  # path -> "ok" | "truncated" | "html"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the connection closes after each response

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0]
        body, mode = self.server.bodies.get(path), self.server.modes.get(path, "ok")
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        if mode == "html":
            body = HTML_PAGE
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
        elif mode == "truncated":
            body = body[: _cut(body)]  # and no Content-Length: urllib cannot tell
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def _cut(body: bytes) -> int:
    """Half the body, never right after a newline (a cut mid-line, as a dropped connection does)."""
    cut = len(body) // 2
    while cut > 1 and body[cut - 1 : cut] == b"\n":
        cut -= 1
    return cut


@pytest.fixture(scope="module")
def origin():
    server = _Origin()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    timer = threading.Timer(SERVER_LIFETIME_S, server.shutdown)
    timer.daemon = True
    timer.start()
    yield server
    timer.cancel()
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- good bodies per entry


def _tiny_weights(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as handle:
        handle.attrs["layer_names"] = np.array([b"dense"])
        handle.create_dataset("dense/kernel", data=np.arange(4096, dtype="float32"))


def _image_folders(path: Path, classes: int) -> None:
    """One tiny PNG per class and split: the layout the real archives unpack to, quick to write."""
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
    )
    for split in ("train", "test"):
        for k in range(classes):
            folder = path / split / f"class_{k}"
            folder.mkdir(parents=True)
            (folder / "0.png").write_bytes(png)


def _tfds_folder(path: Path) -> None:
    version = path / "2.0.0"
    version.mkdir(parents=True)
    (version / "dataset_info.json").write_text('{"name": "food101"}')
    (version / "food101-train.tfrecord-00000-of-00001").write_bytes(bytes(range(256)) * 64)


@pytest.fixture(scope="module")
def written(tmp_path_factory, hub_image_module_path, hub_text_module_path):
    """name -> root folder holding the entry's well-formed files (mostly its fast-profile fixture)."""
    cache: dict[str, Path] = {}

    def root_of(entry: Entry) -> Path:
        if entry.name in cache:
            return cache[entry.name]
        root = tmp_path_factory.mktemp(entry.name)
        check = entry.files[0].check
        if check.kind == "saved_model":
            module = hub_text_module_path if "sentence" in entry.name else hub_image_module_path
            target = root / entry.files[0].path
            target.parent.mkdir(parents=True)
            target.symlink_to(module, target_is_directory=True)
        elif check.kind == "hdf5":
            _tiny_weights(root / entry.files[0].path)
        elif check.kind == "tfds":
            _tfds_folder(root / entry.files[0].path)
        elif check.kind == "image_folders":
            _image_folders(root / entry.files[0].path, check.classes)
        else:
            store._write_fixture(entry, root)
        cache[entry.name] = root
        return root

    return root_of


def _own_counts(check: Check, path: Path) -> Check:
    """``check`` with the counts of the file at ``path`` (the fixture's) in place of the real data's."""
    if check.kind == "csv":
        n = len(pd.read_csv(path))
        return dataclasses.replace(check, rows=(n, n))
    if check.kind == "idx":
        with gzip.open(path) as handle:
            n = int(np.frombuffer(handle.read(8), ">u4")[1])
        return dataclasses.replace(check, rows=(n, n))
    if check.kind == "rct":
        n = len({r["abstract_id"] for r in parse_pubmed_rct(path.read_text(encoding="utf-8"))})
        return dataclasses.replace(check, rows=(n, n))
    if check.kind == "npz":
        with np.load(path) as arrays:
            return dataclasses.replace(check, arrays=tuple((k, arrays[k].shape) for k, _ in check.arrays))
    return check


def _pack(entry: Entry, root: Path) -> bytes:
    """The archive the origin serves for ``entry``: a zip, or a tar.gz for TF Hub and TFDS."""
    buffer = io.BytesIO()
    if entry.extra.get("hub_handle") or entry.extra.get("tfds_name"):
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for remote in entry.files:
                folder = (root / remote.path).resolve()
                if remote.member == ".":
                    for item in sorted(folder.iterdir()):
                        tar.add(item, arcname=item.name)
                else:
                    tar.add(folder, arcname=remote.member or folder.name)
        return buffer.getvalue()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for remote in entry.files:
            source = root / remote.path
            name = remote.member or Path(remote.path).name
            if source.is_dir():
                for item in sorted(source.rglob("*")):
                    if item.is_file():
                        zf.write(item, f"{name}/{item.relative_to(source).as_posix()}")
            else:
                zf.write(source, name)
    return buffer.getvalue()


def _serve(entry: Entry, root: Path, origin: _Origin, bad: str) -> tuple[Entry, list[str]]:
    """Point ``entry`` at the local origin; return it and the URL paths in serving order."""
    prefix = f"/{entry.name}"
    files = []
    for remote in entry.files:
        check = remote.check if remote.is_dir else _own_counts(remote.check, root / remote.path)
        url = None
        if remote.url is not None:
            path = f"{prefix}/{remote.path}"
            origin.bodies[path] = (root / remote.path).read_bytes()
            url = origin.base + path
        files.append(dataclasses.replace(remote, url=url, sha256=(), check=check))
    served = [f"{prefix}/{r.path}" for r in entry.files if r.url is not None]
    archive_url = None
    if entry.archive_url is not None:
        path = f"{prefix}/download?format=compressed"
        origin.bodies[path.split("?")[0]] = _pack(entry, root)
        archive_url = origin.base + path
        served = [path.split("?")[0]]
    extra = {k: v for k, v in entry.extra.items() if k != "md5"}
    # Several files: the first arrives as an error page, the last one cut short; the others whole.
    for path in served:
        origin.modes[path] = "ok"
    if bad != "ok":
        origin.modes[served[0] if bad == "html" else served[-1]] = bad
    changed = dataclasses.replace(
        entry, files=tuple(files), archive_url=archive_url, archive_sha256=(), extra=extra
    )
    return changed, served


def _files_in(cache: Path) -> list[Path]:
    """The files under ``cache``, less the entries' lock files (they hold no data)."""
    if not cache.exists():
        return []
    return sorted(p for p in cache.rglob("*") if p.is_file() and p.parent.name != store.LOCK_DIR)


MESSAGES = {
    "html": r"HTML page",
    "truncated": r"truncated|cut short|not a complete",
}


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("bad", ["truncated", "html"])
def test_a_bad_download_is_refused_and_nothing_lands(name, bad, origin, written, data_env, full, monkeypatch):
    entry, _ = _serve(REGISTRY[name], written(REGISTRY[name]), origin, bad)
    monkeypatch.setitem(REGISTRY, name, entry)
    with pytest.raises(FormatError, match=MESSAGES[bad]) as error:
        fetch(name)
    message = str(error.value)
    assert "Nothing was written to the cache" in message
    assert origin.base in message  # names what was downloaded...
    assert ".partial-" not in message  # ...not a staging path that no longer exists
    assert _files_in(data_env) == []
    assert not list(data_env.glob(".partial-*"))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_a_good_download_passes_its_format_check(name, origin, written, data_env, full, monkeypatch):
    entry, _ = _serve(REGISTRY[name], written(REGISTRY[name]), origin, "ok")
    monkeypatch.setitem(REGISTRY, name, entry)
    fetched = fetch(name)
    assert fetched.source == "origin"
    assert store._complete(data_env, entry) and not list(data_env.glob(".partial-*"))


def test_weights_with_the_wrong_md5_never_land(origin, written, data_env, full, monkeypatch):
    name = "efficientnetb0_notop"
    entry, _ = _serve(REGISTRY[name], written(REGISTRY[name]), origin, "ok")
    entry = dataclasses.replace(entry, extra={**entry.extra, "md5": "0" * 32})
    monkeypatch.setitem(REGISTRY, name, entry)
    expected = r"The download of http://127\.0\.0\.1.*has md5 .*Keras publishes 0{32}"
    with pytest.raises(ChecksumError, match=expected):
        fetch(name)
    assert _files_in(data_env) == []


def test_weights_with_the_wrong_md5_in_the_cache_name_the_full_path(written, data_env, full, monkeypatch):
    name = "efficientnetb0_notop"
    entry = REGISTRY[name]
    target = data_env / entry.files[0].path
    _tiny_weights(target)
    monkeypatch.setitem(REGISTRY, name, dataclasses.replace(entry, extra={**entry.extra, "md5": "0" * 32}))
    with pytest.raises(ChecksumError, match=rf"{target} \(in the cache\) has md5 .*Delete it and run again"):
        fetch(name)


def test_a_digest_mismatch_is_reported_after_the_format_check(origin, written, data_env, full, monkeypatch):
    name = "insurance"
    entry, _ = _serve(REGISTRY[name], written(REGISTRY[name]), origin, "ok")
    remote = dataclasses.replace(entry.files[0], sha256=("0" * 64,))
    monkeypatch.setitem(REGISTRY, name, dataclasses.replace(entry, files=(remote,)))
    expected = r"The download of http://127\.0\.0\.1.* has sha256 .*Nothing was written"
    with pytest.raises(ChecksumError, match=expected):
        fetch(name)
    assert _files_in(data_env) == []


def test_every_entry_has_a_format_check():
    for entry in REGISTRY.values():
        for remote in entry.files:
            assert remote.check is not None, f"{entry.name}/{remote.path} has no format check"
