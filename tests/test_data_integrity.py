"""The data layer trusts nothing it has not checked, never hangs, and survives two processes.

A real HTTP server on 127.0.0.1 stands in for the origins: it stalls, trickles, cuts a
body short, or holds a body back until the test lets it go. Two real Python processes
fetch the same entry at once. Every limit is set small so that each test takes seconds.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from helpers.data import (
    REGISTRY,
    ChecksumError,
    DataNotFoundError,
    Entry,
    FormatError,
    RemoteFile,
    fetch,
    store,
)
from helpers.data.archives import UnsafeArchiveError, unpack
from helpers.data.download import DownloadError, download
from helpers.data.registry import Check

REPO = Path(__file__).resolve().parents[1]
CSV = b"age,sex,bmi,children,smoker,region,charges\n19,female,27.9,0,yes,southwest,16884.924\n"
CSV_CHECK = Check("csv", columns=("age", "sex", "bmi", "children", "smoker", "region", "charges"))
HTML = b"<!DOCTYPE html>\n<html><body>Sign in to continue</body></html>\n"


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: dict[str, bytes] = {}
        self.modes: dict[str, str] = {}  # "ok", "stall", "trickle", "short", "held"
        self.requests: list[str] = []
        self.release = threading.Event()  # lets a "held" body go
        self.closing = threading.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        server = self.server
        server.requests.append(self.path)
        body, mode = server.bodies.get(self.path), server.modes.get(self.path, "ok")
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if mode == "stall":  # a few bytes, then silence
                self.wfile.write(body[:10])
                self.wfile.flush()
                server.closing.wait(10)
            elif mode == "trickle":  # a byte every 20 ms: never silent, never useful
                for byte in body:
                    if server.closing.wait(0.02):
                        break
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            elif mode == "short":  # half the announced bytes, then the connection closes
                self.wfile.write(body[: len(body) // 2])
            elif mode == "held":  # half, then the rest once the test says so
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                server.release.wait(20)
                self.wfile.write(body[len(body) // 2 :])
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    origin = _Server()
    thread = threading.Thread(target=origin.serve_forever, daemon=True)
    thread.start()
    yield origin
    origin.closing.set()
    origin.release.set()
    origin.shutdown()
    origin.server_close()


@pytest.fixture
def small_limits(monkeypatch):
    """Limits that end a bad download within about a second."""
    monkeypatch.setenv("COURSE_DOWNLOAD_CONNECT_TIMEOUT_S", "0.5")
    monkeypatch.setenv("COURSE_DOWNLOAD_STALL_S", "0.5")
    monkeypatch.setenv("COURSE_DOWNLOAD_MIN_BYTES_PER_S", "1000")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _register(monkeypatch, entry: Entry) -> str:
    monkeypatch.setitem(REGISTRY, entry.name, entry)
    return entry.name


def _csv_entry(url: str, sha256: tuple[str, ...] = ()) -> Entry:
    """A one-file CSV entry; without ``sha256``, as for entries whose digest nobody publishes."""
    return Entry(
        name="toycsv",
        description="a toy CSV",
        files=(RemoteFile("toycsv.csv", url=url, sha256=sha256, check=CSV_CHECK),),
        format="CSV like insurance.csv",
    )


def _folders_zip(classes=("a", "b"), splits=("train", "test"), top="toyfolders") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for split in splits:
            for name in classes:
                for i in range(2):
                    zf.writestr(f"{top}/{split}/{name}/{i}.jpg", b"\xff\xd8 not decoded by the check")
    return buffer.getvalue()


def _folder_entry(url: str) -> Entry:
    return Entry(
        name="toyfolders",
        description="two classes of images",
        files=(
            RemoteFile(
                "toyfolders", member="toyfolders", is_dir=True, check=Check("image_folders", classes=2)
            ),
        ),
        format="image folders",
        archive_url=url,
    )


# --- what is in the cache or the mirror is checked before every use -----------------------


def test_an_html_page_in_the_cache_is_refused_where_no_digest_is_known(data_env, full, monkeypatch):
    name = _register(monkeypatch, _csv_entry("http://127.0.0.1:9/toycsv.csv"))
    data_env.mkdir()
    (data_env / "toycsv.csv").write_bytes(HTML)  # put there by hand, or by an old version
    expected = (
        r"toycsv\.csv \(in the cache\) is not a valid toycsv\.csv \(csv\): it is an HTML page.*Delete it"
    )
    with pytest.raises(FormatError, match=expected):
        fetch(name)
    with pytest.raises(FormatError, match=expected):  # and again: nothing was recorded as good
        fetch(name)
    assert not (data_env / store.MARKER_DIR / "toycsv.json").exists()


def test_an_html_page_in_the_mirror_is_refused_with_read_only_advice(data_env, full, monkeypatch, tmp_path):
    name = _register(monkeypatch, _csv_entry("http://127.0.0.1:9/toycsv.csv"))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "toycsv.csv").write_bytes(HTML)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    with pytest.raises(
        FormatError, match=r"\(in the mirror\) is not a valid .*HTML page.*mirror is read-only"
    ):
        fetch(name)


def test_a_good_file_put_in_the_cache_by_hand_is_checked_once_then_recorded(data_env, full, monkeypatch):
    name = _register(monkeypatch, _csv_entry("http://127.0.0.1:9/toycsv.csv"))
    data_env.mkdir()
    (data_env / "toycsv.csv").write_bytes(CSV)
    assert fetch(name).source == "cache"
    marker = json.loads((data_env / store.MARKER_DIR / "toycsv.json").read_text())
    assert marker["files"]["toycsv.csv"] == {"bytes": len(CSV), "sha256": _sha(CSV)}
    # changed later (same format, other bytes): refused, it is not what was checked
    (data_env / "toycsv.csv").write_bytes(CSV.replace(b"19", b"20"))
    with pytest.raises(
        store.IncompleteInstallError, match=r"is not what was installed there: it has .*sha256"
    ):
        fetch(name)


def test_a_half_copied_folder_in_the_cache_is_refused_after_install(data_env, full, monkeypatch, server):
    server.bodies["/toyfolders.zip"] = _folders_zip()
    name = _register(monkeypatch, _folder_entry(server.url("/toyfolders.zip")))
    fetched = fetch(name)
    assert fetched.source == "origin" and (fetched.path / "test" / "b" / "1.jpg").is_file()
    assert fetch(name).source == "cache"
    (fetched.path / "test" / "b" / "1.jpg").unlink()  # a copy that stopped half-way
    expected = (
        r"toyfolders \(in the cache\) is not what was installed there: 1 file\(s\) missing \(test/b/1\.jpg\)"
    )
    for _ in range(2):  # every later run refuses it too
        with pytest.raises(
            store.IncompleteInstallError, match=expected + r".*Delete the folder and run again"
        ):
            fetch(name)


def test_a_hand_made_folder_without_its_test_split_is_refused(data_env, full, monkeypatch):
    name = _register(monkeypatch, _folder_entry("http://127.0.0.1:9/toyfolders.zip"))
    with zipfile.ZipFile(io.BytesIO(_folders_zip(splits=("train",)))) as zf:
        zf.extractall(data_env)
    with pytest.raises(
        FormatError, match=r"toyfolders \(in the cache\) is not a valid .*has no test/ folder"
    ):
        fetch(name)


# --- a first verified download is pinned where no digest is published ----------------------


def test_a_later_download_that_differs_from_the_pinned_first_one_is_refused(
    data_env, full, monkeypatch, tmp_path
):
    origin = tmp_path / "origin.csv"
    origin.write_bytes(CSV)
    name = _register(monkeypatch, _csv_entry(origin.as_uri()))
    assert fetch(name).source == "origin"
    pins = json.loads((data_env / store.PIN_DIR / "toycsv.json").read_text())
    assert pins == {"toycsv.csv": _sha(CSV)}
    (data_env / "toycsv.csv").unlink()
    origin.write_bytes(CSV.replace(b"female", b"male"))  # still a valid CSV, other bytes
    expected = (
        r"The download of file:.* has sha256 .*but the first verified download of it had "
        + _sha(CSV)
        + r".*pinned in .*toycsv\.json.*Nothing was written to the cache.*delete the pin file"
    )
    with pytest.raises(ChecksumError, match=expected):
        fetch(name)
    assert not (data_env / "toycsv.csv").exists()


def test_a_file_with_a_published_digest_is_not_pinned(data_env, full, monkeypatch, tmp_path):
    origin = tmp_path / "origin.csv"
    origin.write_bytes(CSV)
    name = _register(monkeypatch, _csv_entry(origin.as_uri(), sha256=(_sha(CSV),)))
    fetch(name)
    assert not (data_env / store.PIN_DIR / "toycsv.json").exists()


# --- no download hangs ---------------------------------------------------------------------


def test_a_stalled_download_ends_with_the_url_the_limit_and_the_mirror_option(server, small_limits, tmp_path):
    server.bodies["/big.bin"] = b"x" * 100_000
    server.modes["/big.bin"] = "stall"
    start = time.monotonic()
    with pytest.raises(DownloadError) as error:
        download(server.url("/big.bin"), tmp_path / "big.bin", quiet=True)
    assert time.monotonic() - start < 5
    message = str(error.value)
    assert server.url("/big.bin") in message and "stopped making progress" in message
    assert "COURSE_DOWNLOAD_STALL_S" in message and "COURSE_DATA_MIRROR" in message


def test_a_trickling_download_ends_too(server, small_limits, tmp_path):
    server.bodies["/slow.bin"] = b"y" * 100_000
    server.modes["/slow.bin"] = "trickle"
    start = time.monotonic()
    with pytest.raises(
        DownloadError, match=r"stopped making progress: fewer than 500 bytes arrived in 0\.5 s"
    ):
        download(server.url("/slow.bin"), tmp_path / "slow.bin", quiet=True)
    assert time.monotonic() - start < 5


def test_a_server_that_never_answers_ends_at_the_connect_timeout(small_limits, tmp_path):
    with socket.socket() as listener:  # accepts connections (the kernel does) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/x.csv"
        start = time.monotonic()
        with pytest.raises(
            DownloadError, match=r"got no answer within 0\.5 s \(COURSE_DOWNLOAD_CONNECT_TIMEOUT_S\)"
        ):
            download(url, tmp_path / "x.csv", quiet=True)
        assert time.monotonic() - start < 5


def test_a_body_shorter_than_announced_and_an_http_error_are_named(server, small_limits, tmp_path):
    server.bodies["/cut.bin"] = b"z" * 1000
    server.modes["/cut.bin"] = "short"
    with pytest.raises(DownloadError, match=r"was cut short: 500 of the 1000 bytes announced arrived"):
        download(server.url("/cut.bin"), tmp_path / "cut.bin", quiet=True)
    with pytest.raises(DownloadError, match=r"/gone\.bin failed: the server answered HTTP 404"):
        download(server.url("/gone.bin"), tmp_path / "gone.bin", quiet=True)


def test_a_stalled_origin_makes_fetch_fail_with_the_url_and_the_mirror_option(
    server, small_limits, data_env, full, monkeypatch
):
    server.bodies["/toycsv.csv"] = CSV * 1000
    server.modes["/toycsv.csv"] = "stall"
    name = _register(monkeypatch, _csv_entry(server.url("/toycsv.csv")))
    with pytest.raises(DataNotFoundError) as error:
        fetch(name)
    message = str(error.value)
    assert (
        f"the download failed (The download of {server.url('/toycsv.csv')} stopped making progress" in message
    )
    assert "COURSE_DATA_MIRROR" in message and ".partial-" not in message
    assert not (data_env / "toycsv.csv").exists() and not list(data_env.glob(".partial-*"))


@pytest.mark.parametrize("value", ["0", "-3", "soon", "inf"])
def test_a_bad_limit_names_the_variable(value, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DOWNLOAD_STALL_S", value)
    with pytest.raises(ValueError, match=r"COURSE_DOWNLOAD_STALL_S=.* is not a positive number of seconds"):
        download("http://127.0.0.1:9/x", tmp_path / "x")


# --- archives are checked to the end, unsafe members refused -------------------------------


def _tar_gz(members: dict[str, bytes], links: dict[str, tuple[str, bytes]] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, (target, kind) in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            tar.addfile(info)
    return buffer.getvalue()


def test_a_tar_gz_with_a_wrong_gzip_trailer_is_refused(tmp_path):
    good = _tar_gz({"folder/saved_model.pb": b"x" * 1000})
    bad = good[:-8] + bytes(b ^ 0xFF for b in good[-8:-4]) + good[-4:]  # the CRC32 of the trailer
    assert gzip.decompress(good)  # the good one is fine
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(bad)
    expected = (
        r"The archive https://example\.org/m is truncated or corrupt: its gzip stream does not decompress"
    )
    with pytest.raises(FormatError, match=expected):
        unpack(archive, tmp_path / "out", "https://example.org/m")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("members", "links", "why"),
    [
        ({"../evil.txt": b"x"}, None, r"'\.\./evil\.txt' has a '\.\.' component"),
        ({"/tmp/evil.txt": b"x"}, None, r"'/tmp/evil\.txt' has an absolute path"),
        (
            {"ok.txt": b"x"},
            {"link": ("../../etc/passwd", tarfile.SYMTYPE)},
            r"'link' has a link to '\.\./\.\./etc",
        ),
        ({"ok.txt": b"x"}, {"link": ("/etc/passwd", tarfile.SYMTYPE)}, r"'link' has a link to '/etc/passwd'"),
    ],
)
def test_unsafe_tar_members_are_refused_as_unsafe(members, links, why, tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(_tar_gz(members, links))
    with pytest.raises(
        UnsafeArchiveError, match=rf"The archive u is unsafe: its member {why}.*Running again will not"
    ):
        unpack(archive, tmp_path / "out", "u")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.txt").exists()


def test_unsafe_zip_members_are_refused_and_nothing_lands(data_env, full, monkeypatch, server):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("toyfolders/train/a/0.jpg", b"x")
        zf.writestr("../../outside.txt", b"x")
    server.bodies["/toyfolders.zip"] = buffer.getvalue()
    name = _register(monkeypatch, _folder_entry(server.url("/toyfolders.zip")))
    with pytest.raises(UnsafeArchiveError, match=r"is unsafe: its member '\.\./\.\./outside\.txt'"):
        fetch(name)
    assert not (data_env / "toyfolders").exists() and not list(data_env.glob(".partial-*"))


# --- two processes, one cache --------------------------------------------------------------

_CHILD = """
import json, sys
from helpers.data import REGISTRY, Check, Entry, RemoteFile, fetch, store
store.LOCK_NOTICE_AFTER_S = 0.2
REGISTRY["toyfolders"] = Entry(
    name="toyfolders", description="two classes", format="image folders", archive_url=sys.argv[1],
    files=(RemoteFile(
        "toyfolders", member="toyfolders", is_dir=True, check=Check("image_folders", classes=2)
    ),),
)
fetched = fetch("toyfolders")
print(json.dumps([fetched.source, str(fetched.path)]), flush=True)
"""


def test_two_processes_fetching_one_entry_take_turns_and_both_get_the_data(data_env, server):
    server.bodies["/toyfolders.zip"] = _folders_zip()
    server.modes["/toyfolders.zip"] = "held"  # the first download waits mid-body
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "COURSE_DATA_DIR": str(data_env),
        "COURSE_PROFILE": "full",
        "COURSE_OFFLINE": "0",
        "COURSE_DATA_MIRROR": "",
    }
    url = server.url("/toyfolders.zip")

    def start():
        return subprocess.Popen(
            [sys.executable, "-c", _CHILD, url],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = start()
    try:
        deadline = time.monotonic() + 20
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.requests, "the first process never reached the origin"
        second = start()  # the first one holds the lock, half-way through its download
        try:
            line = second.stdout.readline()  # the waiting notice comes before any result
            assert "Waiting for another process that is fetching 'toyfolders'" in line
            server.release.set()
            out_second, err_second = second.communicate(timeout=20)
        finally:
            second.kill()
        out_first, err_first = first.communicate(timeout=20)
    finally:
        server.release.set()
        first.kill()
    assert first.returncode == 0, err_first
    assert second.returncode == 0, err_second
    folder = str(data_env / "toyfolders")
    assert json.loads(out_first.strip().splitlines()[-1]) == ["origin", folder]
    assert json.loads(out_second.strip().splitlines()[-1]) == ["cache", folder]
    assert server.requests == ["/toyfolders.zip"]  # one download, not two
    assert sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*.jpg")) == [
        f"{s}/{c}/{i}.jpg" for s in ("test", "train") for c in ("a", "b") for i in range(2)
    ]
    assert not list(data_env.glob(".partial-*"))


def test_a_waiting_process_gives_up_after_the_lock_timeout(data_env, monkeypatch):
    from filelock import FileLock

    monkeypatch.setenv("COURSE_DATA_LOCK_TIMEOUT_S", "0.3")
    monkeypatch.setattr(store, "LOCK_NOTICE_AFTER_S", 0.1)
    (data_env / store.LOCK_DIR).mkdir(parents=True)
    code = (
        "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
        "print('held', flush=True); time.sleep(10)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(data_env / store.LOCK_DIR / "toy.lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(
            TimeoutError, match=r"Another process has been fetching 'toy' into .* for over 0\.3 s"
        ):
            with store.entry_lock(data_env, "toy"):
                pass
    finally:
        holder.kill()
        holder.wait(5)
    lock = FileLock(str(data_env / store.LOCK_DIR / "toy.lock"))
    lock.acquire(timeout=5)  # released by the system when its holder died
    lock.release()
