"""Downloading one URL to a file, with a progress bar and limits that keep it from hanging.

``keras.utils.get_file`` has no network timeout: an origin that stops sending, or that
trickles a few bytes a second, would freeze a notebook without a word. :func:`download`
gives every transfer

- a connect timeout (``COURSE_DOWNLOAD_CONNECT_TIMEOUT_S``, default 30 s): no answer
  from the server within it ends the download;
- a limit on time without useful progress (``COURSE_DOWNLOAD_STALL_S``, default 60 s):
  the download ends when fewer than ``COURSE_DOWNLOAD_MIN_BYTES_PER_S`` (default 1024)
  bytes a second arrived over that long, whether the server went silent or trickles;
- a progress bar (``keras.utils.Progbar``) for downloads over 1 MB;
- a check that the body is as long as the ``Content-Length`` header announced.

Every failure is a :class:`DownloadError` naming the URL, the limit that ended it and
how to get the data without the network (a mirror folder, ``COURSE_DATA_MIRROR``).
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from pathlib import Path

CONNECT_TIMEOUT_ENV = "COURSE_DOWNLOAD_CONNECT_TIMEOUT_S"
STALL_ENV = "COURSE_DOWNLOAD_STALL_S"
MIN_RATE_ENV = "COURSE_DOWNLOAD_MIN_BYTES_PER_S"
DEFAULTS = {CONNECT_TIMEOUT_ENV: 30.0, STALL_ENV: 60.0, MIN_RATE_ENV: 1024.0}
CHUNK = 1 << 16
PROGRESS_FROM_BYTES = 1 << 20  # smaller downloads get no progress bar
MIRROR_ADVICE = (
    "To work without the network, put the files in a folder laid out like the cache and set "
    "COURSE_DATA_MIRROR to it (see the data section of the README)."
)


class DownloadError(OSError):
    """A download failed: no connection, an HTTP error, a stall or a body cut short."""


def limit(variable: str) -> float:
    """The positive number in environment variable ``variable``, else its default.

    Raises:
        ValueError: the variable is set to something that is not a positive number.
    """
    value = os.environ.get(variable, "").strip()
    if not value:
        return DEFAULTS[variable]
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number > 0 or number == float("inf"):
        raise ValueError(
            f"{variable}={value!r} is not a positive number of "
            f"{'bytes a second' if variable == MIN_RATE_ENV else 'seconds'}; set it to one "
            f"(default {DEFAULTS[variable]:g}) or unset it."
        )
    return number


def _set_read_timeout(response, seconds: float) -> None:
    """Let each read on an open HTTP response wait at most ``seconds`` (best effort)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def download(url: str, target: Path, *, quiet: bool = False) -> Path:
    """Download ``url`` to the file ``target`` (created or overwritten); return ``target``.

    Limits come from the environment (see the module docstring) and are read at each call.

    Raises:
        DownloadError: naming ``url``, what went wrong and the mirror option.
        ValueError: a limit variable holds something other than a positive number.
    """
    connect_s, stall_s, min_rate = (limit(v) for v in (CONNECT_TIMEOUT_ENV, STALL_ENV, MIN_RATE_ENV))
    target = Path(target)
    request = urllib.request.Request(url, headers={"User-Agent": "course-helpers"})

    def fail(what: str) -> DownloadError:
        return DownloadError(f"The download of {url} {what}. {MIRROR_ADVICE}")

    try:
        response = urllib.request.urlopen(request, timeout=connect_s)  # noqa: S310 (registry URLs)
    except urllib.error.HTTPError as error:
        raise fail(f"failed: the server answered HTTP {error.code} ({error.reason})") from None
    except (TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise fail(
                f"got no answer within {connect_s:g} s ({CONNECT_TIMEOUT_ENV}); the server or the "
                "network is down or blocked"
            ) from None
        raise fail(f"could not connect ({reason})") from None
    with response:
        _set_read_timeout(response, stall_s)
        header = response.headers.get("Content-Length") if response.headers else None
        expected = int(header) if header and header.isdigit() else None
        progress = None
        if not quiet and (expected is None or expected >= PROGRESS_FROM_BYTES):
            import keras

            print(f"Downloading {url}")
            progress = keras.utils.Progbar(expected, unit_name="byte")
        received, mark_time, mark_bytes = 0, time.monotonic(), 0
        needed = min_rate * stall_s  # bytes that must arrive in every stall window
        stalled = (
            f"stopped making progress: fewer than {needed:g} bytes arrived in {stall_s:g} s "
            f"({STALL_ENV}, {MIN_RATE_ENV}); the server stalled or the connection is too slow"
        )
        with open(target, "wb") as handle:
            while True:
                try:
                    block = response.read1(CHUNK) if hasattr(response, "read1") else response.read(CHUNK)
                except TimeoutError:
                    raise fail(stalled + f" after {received} bytes") from None
                except OSError as error:
                    raise fail(f"broke off after {received} bytes ({error})") from None
                if not block:
                    break
                handle.write(block)
                received += len(block)
                now = time.monotonic()
                if received - mark_bytes >= needed:
                    mark_time, mark_bytes = now, received
                elif now - mark_time > stall_s:
                    raise fail(stalled + f" after {received} bytes")
                if progress is not None:
                    progress.update(received)
        if expected is not None and received != expected:
            raise fail(f"was cut short: {received} of the {expected} bytes announced arrived")
    return target
