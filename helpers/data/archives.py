"""Unpacking a downloaded zip or (compressed) tar, checked to its last byte and for unsafe members.

:func:`unpack` is what the data layer runs on a staged archive before anything of it
enters the cache:

- the archive kind is recognised by its bytes, not its name (TF Hub's compressed
  downloads end in ``?tf-hub-format=compressed``);
- every compressed stream is read to its end first, so that a wrong gzip/bz2/xz
  trailer (a corrupt or cut transfer) is refused even though the tar end marker comes
  before it; every zip member's CRC is checked;
- unsafe members are refused, never silently rewritten: absolute paths, ``..``
  components, links that point out of the archive's folder, device files. The message
  says the archive is unsafe (running again cannot help);
- messages name the URL, never the staging folder (it is gone by then).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import posixpath
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path

from helpers.data.checks import FormatError, looks_like_html

_NOTHING = "Nothing was written to the cache"
_STREAMS = ((b"\x1f\x8b", gzip.open, "gzip"), (b"BZh", bz2.open, "bzip2"), (b"\xfd7zXZ\x00", lzma.open, "xz"))


class UnsafeArchiveError(FormatError):
    """An archive member would land outside its folder (absolute path, ``..``, outbound link)."""


def _unsafe_name(name: str) -> str | None:
    """Why the member name ``name`` is unsafe, or ``None``."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "a '..' component that climbs out of the folder"
    return None


def _check_stream(archive: Path, url: str) -> None:
    """Read a compressed file's every stream to its end (its trailer checks length and CRC)."""
    with open(archive, "rb") as handle:
        head = handle.read(6)
    for magic, opener, kind in _STREAMS:
        if head.startswith(magic):
            try:
                with opener(archive, "rb") as stream:
                    while stream.read(1 << 20):
                        pass
            except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as error:
                raise FormatError(
                    f"The archive {url} is truncated or corrupt: its {kind} stream does not decompress "
                    f"to a valid end ({error}). {_NOTHING}; run again later, or download it by hand."
                ) from None
            return


def _unsafe(url: str, member: str, why: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(
        f"The archive {url} is unsafe: its member {member!r} has {why}, so unpacking it could write "
        f"outside its folder. It was refused and {_NOTHING[0].lower() + _NOTHING[1:]}. Running again "
        "will not help: report it to whoever publishes the archive, or unpack a trusted copy by hand."
    )


def _check_tar_members(tar: tarfile.TarFile, url: str) -> None:
    for member in tar.getmembers():
        if why := _unsafe_name(member.name):
            raise _unsafe(url, member.name, why)
        if member.issym() or member.islnk():
            target = member.linkname
            base = posixpath.dirname(member.name) if member.issym() else ""
            resolved = posixpath.normpath(posixpath.join(base, target))
            if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
                raise _unsafe(url, member.name, f"a link to {target!r}, outside the archive's folder")
        elif member.ischr() or member.isblk() or member.isfifo():
            raise _unsafe(url, member.name, "a device or pipe file type")


def _check_zip_members(zf: zipfile.ZipFile, url: str) -> None:
    for info in zf.infolist():
        if why := _unsafe_name(info.filename):
            raise _unsafe(url, info.filename, why)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _unsafe(url, info.filename, "a symbolic link")


def unpack(archive: Path, into: Path, url: str) -> None:
    """Extract the zip or (compressed) tar ``archive`` into ``into``, checked whole (see module doc).

    Raises:
        UnsafeArchiveError: a member with an absolute path, ``..``, an outbound link or a device type.
        FormatError: an HTML page, neither archive kind, or a truncated/corrupt archive.
    """
    archive, into = Path(archive), Path(into)
    later = f"{_NOTHING}; run again later, or download it by hand."
    if archive.stat().st_size and looks_like_html(archive):
        raise FormatError(
            f"The download of {url} is an HTML page (an error or login page served instead of the "
            f"archive). {later}"
        )
    if zipfile.is_zipfile(archive):
        try:
            with zipfile.ZipFile(archive) as zf:
                _check_zip_members(zf, url)
                bad = zf.testzip()
                if bad is not None:
                    raise FormatError(
                        f"The archive {url} is corrupt: member {bad!r} fails its CRC check. {later}"
                    )
                zf.extractall(into)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
            raise FormatError(f"The archive {url} is truncated or corrupt ({error}). {later}") from None
        return
    _check_stream(archive, url)
    try:
        is_tar = tarfile.is_tarfile(archive)
    except (OSError, EOFError):
        is_tar = False
    if not is_tar:
        raise FormatError(
            f"The download of {url} is not a complete zip or tar archive (a truncated transfer, or an "
            f"error page?). {later}"
        )
    try:
        with tarfile.open(archive) as tar:  # any compression
            _check_tar_members(tar, url)
            tar.extractall(into, filter="data")
    except tarfile.FilterError as error:  # the data filter's own refusal (belt and braces)
        member = getattr(getattr(error, "tarinfo", None), "name", "?")
        raise _unsafe(url, member, type(error).__name__) from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        message = str(error).replace(str(into), "<archive>")
        raise FormatError(f"The archive {url} is truncated or corrupt ({message}). {later}") from None
