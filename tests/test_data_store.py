"""The data layer: lookup order, checksums, atomic downloads, fixtures and errors."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
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

INSURANCE_COLUMNS = ["age", "sex", "bmi", "children", "smoker", "region", "charges"]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def toy(monkeypatch, tmp_path):
    """Register a one-file entry whose origin is a local file:// URL; return (name, bytes, origin)."""
    content = b"age,sex,bmi,children,smoker,region,charges\n19,female,27.9,0,yes,southwest,16884.924\n"
    origin = tmp_path / "origin" / "toy.csv"
    origin.parent.mkdir()
    origin.write_bytes(content)
    entry = Entry(
        name="toy",
        description="a toy CSV",
        files=(RemoteFile("toy.csv", url=origin.as_uri(), sha256=(_sha(content),)),),
        format="CSV like insurance.csv",
        fixture="helpers.data.fixtures.tabular:write_insurance",
    )
    monkeypatch.setitem(REGISTRY, "toy", entry)
    return "toy", content, origin


def _leftovers(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.name.startswith(".partial-")] if cache.exists() else []


def test_downloads_from_origin_into_cache_then_reuses_it(data_env, full, toy):
    name, content, origin = toy
    first = fetch(name)
    assert first.source == "origin" and first.path == data_env / "toy.csv"
    assert first.path.read_bytes() == content
    origin.unlink()  # the cache alone must now be enough
    assert fetch(name).source == "cache"
    assert _leftovers(data_env) == []


def test_mirror_takes_precedence_over_the_network(data_env, full, toy, tmp_path, monkeypatch):
    name, content, _ = toy
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "toy.csv").write_bytes(content)
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))

    def no_network(*args, **kwargs):
        raise AssertionError("the origin must not be contacted when the mirror has the file")

    monkeypatch.setattr(store, "download", no_network)
    fetched = fetch(name)
    assert (fetched.source, fetched.path) == ("mirror", mirror / "toy.csv")
    assert not (data_env / "toy.csv").exists()  # used in place, not copied


def test_checksum_mismatch_in_the_cache_is_reported(data_env, full, toy):
    name, content, _ = toy
    data_env.mkdir(parents=True)
    (data_env / "toy.csv").write_bytes(content[:-5])  # truncated
    expected = r"toy\.csv \(in the cache\) has sha256 .* Delete it and run again"
    with pytest.raises(ChecksumError, match=expected):
        fetch(name)


def test_checksum_mismatch_in_the_mirror_is_reported(data_env, full, toy, tmp_path, monkeypatch):
    name, _, _ = toy
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "toy.csv").write_bytes(b"something else\n")
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "m"))
    with pytest.raises(ChecksumError, match=r"\(in the mirror\) has sha256 .* but the registry expects"):
        fetch(name)


def test_corrupt_download_leaves_nothing_in_the_cache(data_env, full, toy):
    name, _, origin = toy
    origin.write_bytes(b"the origin now serves different bytes\n")
    with pytest.raises(ChecksumError, match="Nothing was written to the cache"):
        fetch(name)
    assert not (data_env / "toy.csv").exists()
    assert _leftovers(data_env) == []


def test_interrupted_download_leaves_no_half_file(data_env, full, toy, monkeypatch):
    name, content, _ = toy
    real_download = store.download

    def interrupted(url, target, **kwargs):
        target.write_bytes(content[:10])  # half a file, then the connection drops
        raise OSError(f"URL fetch failure on {url}: connection reset")

    monkeypatch.setattr(store, "download", interrupted)
    with pytest.raises(DataNotFoundError, match="the download failed .*connection reset"):
        fetch(name)
    assert not (data_env / "toy.csv").exists()
    assert _leftovers(data_env) == []
    monkeypatch.setattr(store, "download", real_download)
    assert fetch(name).path.read_bytes() == content  # a later run succeeds


def test_missing_file_in_full_profile_names_file_origin_and_place(data_env, full, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(DataNotFoundError) as error:
        fetch("insurance")
    message = str(error.value)
    assert "downloads are off ($COURSE_OFFLINE)" in message
    assert "file insurance.csv  <-  https://raw.githubusercontent.com/stedy/" in message
    assert f"cache: {data_env}" in message and "COURSE_DATA_MIRROR" in message
    assert not data_env.exists() or not any(data_env.iterdir())


def test_fast_profile_writes_an_announced_fixture_in_the_real_format(offline_fast, capsys):
    data_env = offline_fast
    fetched = fetch("insurance")
    assert fetched.is_fixture and fetched.path == data_env / "fixtures" / "insurance.csv"
    assert "GENERATED FIXTURE: 'insurance'" in capsys.readouterr().out
    frame = pd.read_csv(fetched.path)
    assert list(frame.columns) == INSURANCE_COLUMNS
    assert set(frame["smoker"]) == {"yes", "no"} and frame["charges"].gt(0).all()
    # learnable: smokers pay clearly more, as in the real data
    mean_charges = frame.groupby("smoker")["charges"].mean()
    assert mean_charges["yes"] > 2 * mean_charges["no"]
    assert not (data_env / "insurance.csv").exists()  # never confused with the real file


def test_fast_profile_does_not_download_big_entries(data_env, fast, toy, monkeypatch):
    name, _, _ = toy
    monkeypatch.setitem(REGISTRY, name, Entry(**{**REGISTRY[name].__dict__, "size_mb": 500}))
    monkeypatch.setattr(store, "download", lambda *a, **k: pytest.fail("no download in fast"))
    assert fetch(name).is_fixture


def test_fetch_optional_returns_none_and_says_why(data_env, full, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert store.fetch_optional("insurance") is None
    assert "Skipped: 'insurance'" in capsys.readouterr().out


def test_unknown_entry_lists_known_ones(data_env):
    with pytest.raises(KeyError, match="No dataset or model called 'nope'.*Known: .*insurance"):
        fetch("nope")


def test_mirror_that_is_not_a_directory(data_env, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "missing"))
    with pytest.raises(NotADirectoryError, match="COURSE_DATA_MIRROR=.* is not a directory"):
        fetch("insurance")


def test_archive_entries_extract_members_into_place(data_env, full, tmp_path, monkeypatch):
    import zipfile

    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("train.csv", "id,text,target\n1,fire,1\n")
        zf.writestr("sample_submission.csv", "id,target\n")
    entry = Entry(
        name="bundle",
        description="zip of CSVs",
        files=(RemoteFile("bundle/train.csv", member="train.csv"),),
        format="CSV",
        archive_url=archive.as_uri(),
    )
    monkeypatch.setitem(REGISTRY, "bundle", entry)
    fetched = fetch("bundle")
    assert fetched.path == data_env / "bundle" / "train.csv"
    assert fetched.path.read_text().startswith("id,text,target")
    assert not (data_env / "bundle" / "sample_submission.csv").exists()


def test_registry_entries_are_complete():
    for entry in REGISTRY.values():
        assert entry.files, entry.name
        for remote in entry.files:
            assert remote.url or entry.archive_url or entry.extra, f"{entry.name}: no origin"
            if not remote.sha256 and not remote.is_dir and not entry.sha256_note:
                pytest.fail(f"{entry.name}/{remote.path}: unknown sha256 must be explained")
        assert entry.fixture is None or ":" in entry.fixture, entry.name


def test_describe_sources_hides_machine_paths(data_env, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_MIRROR", os.fspath(data_env.parent))
    monkeypatch.setenv("COURSE_OFFLINE", "yes")
    text = store.describe_sources()
    assert "mirror from $COURSE_DATA_MIRROR" in text and "downloads off" in text


def test_extensionless_tar_gz_archive_like_tf_hub(data_env, full, tmp_path, monkeypatch):
    import tarfile

    module = tmp_path / "module"
    (module / "variables").mkdir(parents=True)
    (module / "saved_model.pb").write_bytes(b"pb")
    served = tmp_path / "served" / "4"  # what ...?tf-hub-format=compressed looks like
    served.parent.mkdir()
    with tarfile.open(served, "w:gz") as tar:
        for item in module.iterdir():
            tar.add(item, arcname=item.name)
    entry = Entry(
        name="hubby",
        description="a SavedModel archive",
        files=(RemoteFile("hub/hubby_4", member=".", is_dir=True),),
        format="SavedModel folder",
        archive_url=served.as_uri(),  # the real one adds ?tf-hub-format=compressed
    )
    monkeypatch.setitem(REGISTRY, "hubby", entry)
    fetched = fetch("hubby")
    assert fetched.path == data_env / "hub" / "hubby_4"
    assert (fetched.path / "saved_model.pb").read_bytes() == b"pb" and (fetched.path / "variables").is_dir()


def test_a_download_that_is_not_an_archive_is_refused(data_env, full, tmp_path, monkeypatch):
    page = tmp_path / "page.zip"
    page.write_text("<html>rate limited</html>")
    entry = Entry(name="page", description="d", files=(RemoteFile("page/x.csv", member="x.csv"),),
                  format="CSV", archive_url=page.as_uri())
    monkeypatch.setitem(REGISTRY, "page", entry)
    with pytest.raises(FormatError, match=r"page\.zip is an HTML page .*Nothing was written to the cache"):
        fetch("page")
    assert not (data_env / "page").exists()
    page.write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(FormatError, match="not a complete zip or tar archive"):
        fetch("page")
    assert not (data_env / "page").exists() and _leftovers(data_env) == []


def test_mirror_checksum_error_does_not_ask_to_delete_a_read_only_file(
    data_env, full, toy, tmp_path, monkeypatch
):
    name, _, _ = toy
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "toy.csv").write_bytes(b"something else\n")
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "m"))
    with pytest.raises(ChecksumError, match="mirror is read-only.*unset COURSE_DATA_MIRROR") as error:
        fetch(name)
    assert "delete" not in str(error.value).lower()


def test_cache_dir_that_is_a_file_is_a_clear_error(monkeypatch, tmp_path):
    a_file = tmp_path / "data.txt"
    a_file.write_text("not a folder")
    monkeypatch.setenv("COURSE_DATA_DIR", str(a_file))
    with pytest.raises(NotADirectoryError, match=r"COURSE_DATA_DIR=.*data\.txt.* is a file, not a folder"):
        store.cache_dir()


def test_relative_cache_dir_is_resolved_against_the_repository(monkeypatch, tmp_path):
    repo = Path(store.__file__).resolve().parents[2]
    monkeypatch.chdir(tmp_path)  # a notebook kernel runs in notebooks/, not at the root
    monkeypatch.setenv("COURSE_DATA_DIR", "some_cache")
    assert store.cache_dir() == repo / "some_cache"
    monkeypatch.setenv("COURSE_DATA_MIRROR", "../mirror_that_is_not_there")
    with pytest.raises(NotADirectoryError, match="COURSE_DATA_MIRROR='../mirror_that_is_not_there'"):
        store.mirror_dir()


def test_relative_cache_dir_outside_a_checkout_is_refused(monkeypatch):
    monkeypatch.setattr(store, "_repo_data_dir", lambda: None)
    monkeypatch.setenv("COURSE_DATA_DIR", "data")
    with pytest.raises(ValueError, match="COURSE_DATA_DIR='data' is a relative path.*absolute path"):
        store.cache_dir()


def test_an_empty_dataset_folder_in_the_cache_is_not_complete(data_env, full, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    (data_env / "pizza_steak").mkdir(parents=True)  # what an interrupted manual unzip leaves
    assert not store._complete(data_env, REGISTRY["pizza_steak"])
    with pytest.raises(DataNotFoundError, match="'pizza_steak'.*is not available"):
        fetch("pizza_steak")


def test_a_blank_mirror_is_reported_as_unset(data_env, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_MIRROR", "   ")
    assert store.mirror_dir() is None
    assert "no mirror" in store.describe_sources()


def test_stale_staging_folders_are_removed_under_the_entry_lock(data_env, full, toy):
    """The lock, not a process id, says a staging folder is stale: whoever holds it may clear it."""
    name, _, _ = toy
    stale = data_env / ".partial-toy+abc123"  # a killed fetch of this entry, however recent
    (stale / "0").mkdir(parents=True)
    (stale / "0" / "toy.csv").write_bytes(b"half a fi")
    other = data_env / ".partial-toy2+inuse"  # another entry's: its own lock guards it, kept
    other.mkdir()
    old = data_env / ".partial-4242-xyz"  # the old pid naming, a day old: removed
    old.mkdir()
    os.utime(old, (0, 0))
    young = data_env / ".partial-4242-new"  # the old naming, recent: kept (it may be in use)
    young.mkdir()
    assert fetch(name).source == "origin"
    assert not stale.exists() and not old.exists() and other.exists() and young.exists()
