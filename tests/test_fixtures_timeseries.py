"""Tests for the generated Bitcoin price fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data.fixtures.timeseries import BITCOIN_COLUMNS, write_bitcoin_prices
from helpers.data.registry import get_entry

REAL_HEADER = "Currency,Date,Closing Price (USD),24h Open (USD),24h High (USD),24h Low (USD)"


def _write(tmp_path, **kwargs) -> pd.DataFrame:
    entry = get_entry("bitcoin_prices")
    write_bitcoin_prices(tmp_path, np.random.default_rng(0), entry, **kwargs)
    path = tmp_path / entry.files[0].path
    assert path.read_text().splitlines()[0] == REAL_HEADER
    return pd.read_csv(path, parse_dates=["Date"])


def test_fixture_has_real_columns_and_daily_dates(tmp_path):
    frame = _write(tmp_path)
    assert tuple(frame.columns) == BITCOIN_COLUMNS
    assert len(frame) == 800
    assert frame["Date"].iloc[0] == pd.Timestamp("2013-10-01")
    assert (frame["Date"].diff().dropna() == pd.Timedelta(days=1)).all()
    assert (frame["Currency"] == "BTC").all()


def test_fixture_prices_are_consistent_and_drift_up(tmp_path):
    frame = _write(tmp_path)
    close, high, low = frame["Closing Price (USD)"], frame["24h High (USD)"], frame["24h Low (USD)"]
    assert (close > 0).all()
    assert (high >= close).all() and (low <= close).all()
    np.testing.assert_allclose(frame["24h Open (USD)"].iloc[1:].to_numpy(), close.iloc[:-1].to_numpy())
    assert close.iloc[-100:].mean() > close.iloc[:100].mean()  # upward drift


def test_fixture_is_reproducible(tmp_path):
    a = _write(tmp_path / "a", n_days=50)
    b = _write(tmp_path / "b", n_days=50)
    pd.testing.assert_frame_equal(a, b)


def test_fixture_rejects_too_few_days(tmp_path):
    with pytest.raises(ValueError, match="n_days >= 2"):
        write_bitcoin_prices(tmp_path, np.random.default_rng(0), get_entry("bitcoin_prices"), n_days=1)


def test_fast_profile_offline_fetch_writes_a_parseable_fixture(offline_fast, capsys):
    from helpers import data

    fetched = data.fetch("bitcoin_prices")
    assert fetched.is_fixture
    assert "GENERATED FIXTURE" in capsys.readouterr().out
    prices = pd.read_csv(fetched.path, parse_dates=["Date"], index_col="Date")["Closing Price (USD)"]
    assert len(prices) == 800 and prices.index[0] == pd.Timestamp("2013-10-01")
