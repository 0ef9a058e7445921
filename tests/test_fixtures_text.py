"""The text fixtures are in the real on-disk formats and carry a learnable signal."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

from helpers.data.fixtures.text import write_disaster_tweets, write_pubmed_rct
from helpers.data.registry import get_entry
from helpers.text import RCT_LABELS, read_pubmed_rct


@pytest.fixture(scope="module")
def tweets_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("tweets")
    write_disaster_tweets(root, np.random.default_rng(0), get_entry("disaster_tweets"))
    return root


@pytest.fixture(scope="module")
def rct_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("rct")
    write_pubmed_rct(root, np.random.default_rng(0), get_entry("pubmed_20k_rct"))
    return root


def test_tweets_files_and_columns(tweets_root):
    train = pd.read_csv(tweets_root / "nlp_getting_started" / "train.csv")
    test = pd.read_csv(tweets_root / "nlp_getting_started" / "test.csv")
    assert list(train.columns) == ["id", "keyword", "location", "text", "target"]
    assert list(test.columns) == ["id", "keyword", "location", "text"]
    assert set(train.target) == {0, 1}
    assert train.id.is_unique and train.keyword.isna().any() and train.location.isna().any()
    assert 0.3 < train.target.mean() < 0.6


def test_tweets_csv_uses_real_quoting(tweets_root):
    with open(tweets_root / "nlp_getting_started" / "train.csv", newline="", encoding="utf-8") as handle:
        raw = handle.read()
        handle.seek(0)
        rows = list(csv.reader(handle))
    assert '"' in raw  # some texts hold commas or quotes and must be quoted
    assert all(len(row) == 5 for row in rows)


def test_tweets_signal_is_learnable(tweets_root):
    train = pd.read_csv(tweets_root / "nlp_getting_started" / "train.csv")
    model = make_pipeline(TfidfVectorizer(), MultinomialNB()).fit(train.text[:600], train.target[:600])
    assert model.score(train.text[600:], train.target[600:]) > 0.8


def test_pubmed_files_parse_with_the_real_parser(rct_root):
    for name in ("train.txt", "dev.txt", "test.txt"):
        path = rct_root / "pubmed_20k_rct" / name
        text = path.read_text(encoding="utf-8")
        assert text.startswith("###") and "\n\n###" in text and "\t" in text
        frame = read_pubmed_rct(path)
        assert set(frame.target) == set(RCT_LABELS)


def test_pubmed_signal_positional_and_lexical(rct_root):
    train = read_pubmed_rct(rct_root / "pubmed_20k_rct" / "train.txt")
    dev = read_pubmed_rct(rct_root / "pubmed_20k_rct" / "dev.txt")
    position = (train.line_number / train.total_lines.clip(lower=1)).groupby(train.target).mean()
    assert position["BACKGROUND"] < position["METHODS"] < position["CONCLUSIONS"]
    model = make_pipeline(TfidfVectorizer(), MultinomialNB()).fit(train.text, train.target)
    assert model.score(dev.text, dev.target) > 0.5
