"""Format checks: is a staged download really the file its registry entry describes?

A digest catches every corrupt byte, but only where the digest is known. These checks
catch what a flaky transfer leaves behind wherever it is not: an HTML error page served
with status 200, a body cut short without a ``Content-Length`` header, an empty file.
:func:`check_format` runs on the staged copy, before the atomic move into the cache
(see ``helpers.data.store``), so that such a file never lands there.

Each check reads the file the way the course reads it (``pandas.read_csv``,
``numpy.load``, ``gzip``, ``h5py``, ``tf.saved_model.load``), in full.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from helpers.data.registry import Check

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")


class FormatError(ValueError):
    """A file is not in the format its registry entry describes (truncated, an error page...)."""


def looks_like_html(path: Path) -> bool:
    """True when the file starts like an HTML/XML page (what servers send instead of an error code)."""
    with open(path, "rb") as handle:
        head = handle.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(_HTML_STARTS)


def _in_range(count: int, bounds: tuple[int, int] | None) -> bool:
    return bounds is None or bounds[0] <= count <= bounds[1]


def _expected(bounds: tuple[int, int]) -> str:
    return str(bounds[0]) if bounds[0] == bounds[1] else f"{bounds[0]} to {bounds[1]}"


def _check_csv(path: Path, check: Check) -> None:
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except Exception as error:  # ParserError, UnicodeDecodeError, EmptyDataError
        raise FormatError(f"it is not a readable CSV file ({type(error).__name__}: {error})") from None
    if check.columns and tuple(frame.columns) != check.columns:
        raise FormatError(f"its header is {list(frame.columns)}, expected {list(check.columns)}")
    if not _in_range(len(frame), check.rows):
        raise FormatError(f"it holds {len(frame)} rows, expected {_expected(check.rows)}: it is truncated")
    if len(frame) and pd.isna(frame.iloc[-1, -1]):
        raise FormatError(f"its last row has no {frame.columns[-1]!r}: the file ends mid-row (truncated)")


def _check_npz(path: Path, check: Check) -> None:
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            shapes = {name: archive[name].shape for name, _ in check.arrays if name in names}
    except Exception as error:  # BadZipFile, EOFError, OSError, a plain .npy, ...
        raise FormatError(
            f"it is not a readable .npz archive: truncated or corrupt ({type(error).__name__}: {error})"
        ) from None
    for name, pattern in check.arrays:
        if name not in shapes:
            raise FormatError(f"it has no array {name!r} (it holds {', '.join(names) or 'nothing'})")
        shape = shapes[name]
        fits = len(shape) == len(pattern) and all(
            p is None or p == s for p, s in zip(pattern, shape, strict=True)
        )
        if not fits:
            wanted = tuple("any" if p is None else p for p in pattern)
            raise FormatError(f"its array {name!r} has shape {shape}, expected {wanted}")


def _check_idx(path: Path, check: Check) -> None:
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise FormatError(f"it is not a complete gzip file: truncated or corrupt ({error})") from None
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise FormatError("it does not start with an IDX header of unsigned bytes (magic 0x0000 08 nn)")
    n_dims = data[3]
    header = 4 + 4 * n_dims
    if len(data) < header:
        raise FormatError(f"it holds {len(data)} bytes, shorter than its {header}-byte IDX header")
    dims = [int(v) for v in np.frombuffer(data, ">u4", count=n_dims, offset=4)]
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise FormatError(
            f"it holds {len(data)} bytes but its IDX header (dimensions {dims}) announces {expected}: "
            "it is truncated or corrupt"
        )
    if tuple(dims[1:]) != tuple(check.shape):
        raise FormatError(f"its items have shape {tuple(dims[1:])}, expected {tuple(check.shape)}")
    if not _in_range(dims[0], check.rows):
        raise FormatError(f"it holds {dims[0]} items, expected {_expected(check.rows)}")


def _check_rct(path: Path, check: Check) -> None:
    from helpers.text import parse_pubmed_rct

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormatError(f"it is not UTF-8 text ({error})") from None
    if not text.endswith("\n"):
        tail = text.rstrip("\n").rsplit("\n", 1)[-1]
        raise FormatError(
            f"it does not end with a complete line (it ends with {tail[-40:]!r}): the transfer was cut short"
        )
    try:
        records = parse_pubmed_rct(text, source="the file")
    except ValueError as error:  # RCTFormatError names the line
        raise FormatError(f"it is not in the PubMed RCT format ({error})") from None
    abstracts = len({record["abstract_id"] for record in records})
    if not _in_range(abstracts, check.rows):
        raise FormatError(
            f"it holds {abstracts} abstracts, expected {_expected(check.rows)}: it is truncated"
        )


def _check_movielens(path: Path, check: Check) -> None:
    from helpers import recsys

    if not path.read_bytes().endswith(b"\n"):
        raise FormatError("it does not end with a complete line: the transfer was cut short")
    try:
        recsys.check_file(path, check.columns)
    except recsys.MovieLensFormatError as error:  # names the line
        raise FormatError(f"it is not in the MovieLens 100K format ({error})") from None


def _check_spoken_digits(path: Path, check: Check) -> None:
    """A .tar.gz read to its end, holding ``recordings/<digit>_<speaker>_<index>.wav`` for every digit."""
    import re
    import tarfile

    name = re.compile(r"(^|/)recordings/([0-9])_[a-z]+_[0-9]+\.wav$")
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            digits = [m.group(2) for m in map(name.search, tar.getnames()) if m]
    except (tarfile.TarError, EOFError, OSError) as error:
        raise FormatError(f"it is not a readable .tar.gz archive: truncated or corrupt ({error})") from None
    if set(digits) != set("0123456789"):
        raise FormatError(f"it holds recordings of digits {sorted(set(digits))}, expected all of 0-9")
    if not _in_range(len(digits), check.rows):
        raise FormatError(f"it holds {len(digits)} recordings, expected {_expected(check.rows)}")


def _check_hdf5(path: Path, check: Check) -> None:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            empty = len(handle.keys()) == 0 and len(handle.attrs) == 0
    except OSError as error:
        raise FormatError(f"it is not a readable HDF5 file: truncated or corrupt ({error})") from None
    if empty:
        raise FormatError("it is an HDF5 file with nothing in it")


def _check_saved_model(path: Path, check: Check) -> None:
    if not (path / "saved_model.pb").is_file():
        found = ", ".join(sorted(p.name for p in path.iterdir())[:10]) if path.is_dir() else "nothing"
        raise FormatError(f"it has no saved_model.pb at its top level (it holds {found or 'nothing'})")
    import tensorflow as tf

    try:
        tf.saved_model.load(str(path))
    except Exception as error:  # any TensorFlow error while loading
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise FormatError(
            f"TensorFlow cannot load it as a SavedModel ({type(error).__name__}: {first})"
        ) from None


def _check_image_folders(path: Path, check: Check) -> None:
    for split in ("train", "test"):
        folder = path / split
        if not folder.is_dir():
            raise FormatError(f"it has no {split}/ folder (expected {split}/<class>/<images>)")
        classes = sorted(p for p in folder.iterdir() if p.is_dir())
        if check.classes is not None and len(classes) != check.classes:
            raise FormatError(f"{split}/ has {len(classes)} class folders, expected {check.classes}")
        for class_folder in classes:
            if not any(p.suffix.lower() in IMAGE_SUFFIXES for p in class_folder.iterdir()):
                raise FormatError(f"{split}/{class_folder.name}/ holds no image")


def _check_tfds(path: Path, check: Check) -> None:
    if not any(path.glob("*/dataset_info.json")):
        raise FormatError("it is not a TFDS-prepared folder (no <version>/dataset_info.json)")


_CHECKS = {
    "csv": _check_csv,
    "npz": _check_npz,
    "idx": _check_idx,
    "rct": _check_rct,
    "hdf5": _check_hdf5,
    "saved_model": _check_saved_model,
    "image_folders": _check_image_folders,
    "tfds": _check_tfds,
    "movielens": _check_movielens,
    "spoken_digits": _check_spoken_digits,
}
FILE_KINDS = ("csv", "npz", "idx", "rct", "hdf5", "movielens", "spoken_digits")


def check_format(path: Path, check: Check) -> None:
    """Raise :class:`FormatError` unless ``path`` is in the format ``check`` describes.

    The message says what is wrong, not where the file is: the caller names it.

    Raises:
        FormatError: an empty file, an HTML page, or a file that fails its kind's check.
        ValueError: ``check.kind`` is not a known kind.
    """
    if check.kind not in _CHECKS:
        raise ValueError(f"Unknown format check {check.kind!r}; known: {', '.join(_CHECKS)}.")
    path = Path(path)
    if check.kind in FILE_KINDS:
        if not path.is_file():
            raise FormatError("it is not a file")
        if path.stat().st_size == 0:
            raise FormatError("it is empty (0 bytes)")
        if looks_like_html(path):
            raise FormatError("it is an HTML page (an error or login page served instead of the file)")
    elif not path.is_dir():
        raise FormatError("it is not a folder")
    _CHECKS[check.kind](path, check)
