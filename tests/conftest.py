"""Shared fixtures for the unit tests: an isolated cache, no mirror, a chosen profile."""

from __future__ import annotations

import pytest


@pytest.fixture
def data_env(tmp_path, monkeypatch):
    """A fresh cache folder, no mirror, downloads allowed; returns the cache path."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_DATA_DIR", str(cache))
    monkeypatch.delenv("COURSE_DATA_MIRROR", raising=False)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    return cache


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")


@pytest.fixture
def full(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "full")


@pytest.fixture
def offline_fast(data_env, fast, monkeypatch):
    """What CI sees without a mirror: fast profile, downloads off, a fresh empty cache."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    return data_env
