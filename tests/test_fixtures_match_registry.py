"""Every registry fixture writes all of its entry's files, in the format of the real data.

Where the real file is at hand (a mirror named by the documented ``COURSE_DATA_MIRROR``),
the fixture is compared with it (same CSV header and dtypes, same npz keys and dtypes,
same IDX magic number and item shape), and the real file must pass its registry entry's
format check and digest, which keeps the registry's row counts and shapes honest.
Without a mirror those comparisons are skipped, each saying what it needs; the
completeness check always runs.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.data import REGISTRY, store
from helpers.data.checks import check_format
from helpers.text import parse_pubmed_rct

WITH_FIXTURES = sorted(name for name, entry in REGISTRY.items() if entry.fixture)
MIRROR = store.mirror_dir()  # read once, before any test's monkeypatching of the environment
FILES = [
    (name, remote.path)
    for name in WITH_FIXTURES
    for remote in REGISTRY[name].files
    if not remote.is_dir and remote.check is not None
]


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fixtures")


def _fixture_file(name: str, path: str, fixture_root: Path) -> Path:
    root = fixture_root / name
    if not store._complete(root, REGISTRY[name]):
        root.mkdir(exist_ok=True)
        store._write_fixture(REGISTRY[name], root)
    return root / path


def _real(path: str) -> Path:
    if MIRROR is None:
        pytest.skip(f"needs COURSE_DATA_MIRROR (unset) pointing at a data mirror that holds {path}")
    real = MIRROR / path
    if not real.is_file():
        pytest.skip(f"needs {path} in the mirror COURSE_DATA_MIRROR={MIRROR}; it is not there")
    return real


@pytest.mark.parametrize("name", WITH_FIXTURES)
def test_fixture_writes_every_file_of_its_entry(name, fixture_root):
    entry = REGISTRY[name]
    root = fixture_root / name
    root.mkdir(exist_ok=True)
    store._write_fixture(entry, root)
    assert store._complete(root, entry)


def _idx_header(path: Path) -> tuple[int, list[int]]:
    with gzip.open(path) as handle:
        head = handle.read(4)
        dims = np.frombuffer(handle.read(4 * head[3]), ">u4")
    return head[2] << 8 | head[3], [int(d) for d in dims]


@pytest.mark.parametrize("name, path", FILES, ids=[f"{n}:{p}" for n, p in FILES])
def test_fixture_has_the_real_on_disk_format(name, path, fixture_root):
    kind = next(r.check.kind for r in REGISTRY[name].files if r.path == path)
    real = _real(path)
    generated = _fixture_file(name, path, fixture_root)
    if kind == "csv":
        fake, true = pd.read_csv(generated), pd.read_csv(real)
        assert list(fake.columns) == list(true.columns)
        assert fake.dtypes.to_dict() == true.dtypes.to_dict()
    elif kind == "npz":
        with np.load(generated) as fake, np.load(real) as true:
            assert sorted(fake.files) == sorted(true.files)
            for key in true.files:
                assert fake[key].dtype == true[key].dtype and fake[key].shape[1:] == true[key].shape[1:]
    elif kind == "idx":
        (fake_magic, fake_dims), (true_magic, true_dims) = _idx_header(generated), _idx_header(real)
        assert fake_magic == true_magic and fake_dims[1:] == true_dims[1:]
    elif kind == "rct":
        fake = parse_pubmed_rct(generated.read_text(encoding="utf-8"))
        true = parse_pubmed_rct(real.read_text(encoding="utf-8"))
        assert {r["target"] for r in fake} <= {r["target"] for r in true}
    elif kind == "movielens":  # same separator, field count and encoding on every line; both parse
        fake, true = (p.read_bytes().decode("latin-1").splitlines() for p in (generated, real))
        separator = "\t" if "\t" in true[0] else "|"
        assert {len(line.split(separator)) for line in fake if line} == {len(true[0].split(separator))}
        check_format(generated, next(r.check for r in REGISTRY[name].files if r.path == path))
    elif kind == "spoken_digits":  # the same member layout and WAV encoding; both pass the check
        import tarfile

        from scipy.io import wavfile

        def layout(archive):
            with tarfile.open(archive) as tar:
                member = next(m for m in tar.getmembers() if m.name.endswith(".wav"))
                rate, samples = wavfile.read(io.BytesIO(tar.extractfile(member).read()))
                return member.name.split("/")[-2], rate, samples.dtype, samples.ndim

        assert layout(generated) == layout(real)
        check_format(generated, next(r.check for r in REGISTRY[name].files if r.path == path))
    else:
        pytest.fail(f"{name}:{path}: no comparison written for the {kind!r} format")


@pytest.mark.parametrize("name, path", FILES, ids=[f"{n}:{p}" for n, p in FILES])
def test_the_real_file_passes_its_registry_check_and_digest(name, path):
    entry = REGISTRY[name]
    remote = next(r for r in entry.files if r.path == path)
    real = _real(path)
    check_format(real, remote.check)  # the registry's real row counts and shapes
    store.verify(real, remote, "in the mirror", entry)
    assert remote.sha256, f"{name}:{path} is in the mirror, so its sha256 belongs in the registry"
