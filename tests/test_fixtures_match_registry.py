"""Every registry fixture writes all of its entry's files, in the format of the real data.

Where the real file is at hand (a mirror named by COURSE_TEST_MIRROR, or ../shared/data
beside the checkout), the fixture is compared with it: same CSV header, same npz keys and
dtypes. Without it those comparisons are skipped; the completeness check always runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.data import REGISTRY, store

WITH_FIXTURES = sorted(name for name, entry in REGISTRY.items() if entry.fixture)
_DEFAULT_MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"
MIRROR = Path(os.environ.get("COURSE_TEST_MIRROR", _DEFAULT_MIRROR))


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fixtures")


@pytest.mark.parametrize("name", WITH_FIXTURES)
def test_fixture_writes_every_file_of_its_entry(name, fixture_root):
    entry = REGISTRY[name]
    root = fixture_root / name
    root.mkdir()
    store._write_fixture(entry, root)
    assert store._complete(root, entry)


def _real(path: str) -> Path:
    real = MIRROR / path
    if not real.is_file():
        pytest.skip(f"no real copy of {path} at hand to compare with")
    return real


@pytest.mark.parametrize("name", WITH_FIXTURES)
def test_fixture_has_the_real_on_disk_format(name, fixture_root, tmp_path):
    entry = REGISTRY[name]
    for remote in entry.files:
        if remote.is_dir:
            continue
        if not (fixture_root / name / remote.path).exists():
            store._write_fixture(entry, tmp_path)
            generated = tmp_path / remote.path
        else:
            generated = fixture_root / name / remote.path
        if remote.path.endswith(".csv"):
            real = _real(remote.path)
            assert list(pd.read_csv(generated, nrows=5).columns) == list(pd.read_csv(real, nrows=5).columns)
            assert pd.read_csv(generated).dtypes.to_dict() == pd.read_csv(real).dtypes.to_dict()
        elif remote.path.endswith(".npz"):
            real = _real(remote.path)
            with np.load(generated) as fake, np.load(real) as true:
                assert sorted(fake.files) == sorted(true.files)
                for key in true.files:
                    assert fake[key].dtype == true[key].dtype and fake[key].shape[1:] == true[key].shape[1:]
        else:
            pytest.skip(f"{remote.path}: no real copy of this format here")
