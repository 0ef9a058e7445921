"""Tests for helpers.dates: the human-date generator, its splits and the rule-based baseline."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from helpers.dates import (
    FIRST_DATE,
    HELD_OUT_FORMATS,
    LAST_DATE,
    TRAIN_FORMATS,
    date_splits,
    exact_match,
    format_date,
    rule_based_iso,
)

MARCH_3 = dt.date(2001, 3, 3)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("day month year", "3 March 2001"),
        ("short weekday, day month year", "Sat 3 March 2001"),
        ("the day-th of month, year", "the 3rd of March, 2001"),
        ("mm/dd/yy", "03/03/01"),
        ("dd.mm.yyyy", "03.03.2001"),
        ("yyyymmdd", "20010303"),
        ("yyyy/mm/dd", "2001/03/03"),
        ("month day-th, 'yy", "March 3rd, '01"),
    ],
)
def test_styles_without_noise(style, expected):
    assert format_date(MARCH_3, style) == expected


@pytest.mark.parametrize(("day", "ordinal"), [(1, "1st"), (2, "2nd"), (11, "11th"), (12, "12th"),
                                              (13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd")])
def test_ordinals(day, ordinal):
    assert format_date(dt.date(1999, 5, day), "the day-th of month, year") == f"the {ordinal} of May, 1999"


def test_train_and_held_out_styles_are_disjoint():
    assert not set(TRAIN_FORMATS) & set(HELD_OUT_FORMATS)
    written = {style: format_date(MARCH_3, style) for style in {**TRAIN_FORMATS, **HELD_OUT_FORMATS}}
    assert len(set(written.values())) == len(written), "two styles write the same text"


def test_splits_are_seeded_sized_and_date_disjoint():
    splits = date_splits(300, 50, 60, 70, seed=1)
    again = date_splits(300, 50, 60, 70, seed=1)
    other = date_splits(300, 50, 60, 70, seed=2)
    assert {k: len(v) for k, v in splits.items()} == {"train": 300, "val": 50, "test": 60, "test_unseen": 70}
    assert splits["train"].equals(again["train"]) and splits["test_unseen"].equals(again["test_unseen"])
    assert not splits["train"].equals(other["train"])
    train_dates = set(splits["train"].iso)
    assert not train_dates & set(splits["val"].iso)
    assert not train_dates & set(splits["test"].iso)
    assert not train_dates & set(splits["test_unseen"].iso)
    assert set(splits["test"]["style"]) <= set(TRAIN_FORMATS)
    assert set(splits["test_unseen"]["style"]) <= set(HELD_OUT_FORMATS)
    for frame in splits.values():
        assert list(frame.columns) == ["human", "iso", "style"]
        assert frame.iso.str.fullmatch(r"\d{4}-\d\d-\d\d").all()
        assert frame.iso.between(FIRST_DATE.isoformat(), LAST_DATE.isoformat()).all()


def test_noise_changes_some_texts_but_never_the_target():
    clean = date_splits(500, 1, 1, 1, noise=0.0, seed=3)["train"]
    noisy = date_splits(500, 1, 1, 1, noise=0.5, seed=3)["train"]
    assert (clean.iso == noisy.iso).all()
    pairs = zip(clean.iso, clean["style"], strict=True)
    rewritten = [format_date(dt.date.fromisoformat(iso), style) for iso, style in pairs]
    assert rewritten == list(clean.human)
    assert (clean.human != noisy.human).mean() > 0.3


def test_rule_based_baseline_follows_the_generators_conventions():
    assert rule_based_iso("the 5th of May, 1999") == "1999-05-05"
    assert rule_based_iso("Sat 3 March 2001") == "2001-03-03"
    assert rule_based_iso("03/04/01") == "2001-03-04"  # month first, 01 -> 2001
    assert rule_based_iso("03/04/75") == "1975-03-04"  # 75 -> 1975, whatever today's date
    assert rule_based_iso("03.04.2001", dayfirst=True) == "2001-04-03"
    assert rule_based_iso("no date in here at all") is None


def test_rule_based_baseline_rejects_non_strings():
    with pytest.raises(TypeError, match="map it over a list"):
        rule_based_iso(["03/04/01"])


def test_exact_match():
    assert exact_match(["2001-03-03", None, "x"], ["2001-03-03", "2001-03-04", "y"]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="2 predictions for 1 targets"):
        exact_match(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="nothing to score"):
        exact_match([], [])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"date": MARCH_3, "style": "dd/mm/yyyy"}, ValueError, "Unknown date style 'dd/mm/yyyy'"),
        ({"date": MARCH_3, "style": "mm/dd/yy", "noise": 1.5}, ValueError, r"must lie in \[0, 1\]"),
        ({"date": "2001-03-03", "style": "mm/dd/yy"}, TypeError, "must be a datetime.date"),
        ({"date": MARCH_3, "style": "mm/dd/yy", "noise": 0.5}, TypeError, "Pass rng="),
    ],
)
def test_format_date_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        format_date(**kwargs)


def test_format_date_noise_is_reproducible():
    a = [format_date(MARCH_3, "month day, year", 0.9, np.random.default_rng(5)) for _ in range(3)]
    b = [format_date(MARCH_3, "month day, year", 0.9, np.random.default_rng(5)) for _ in range(3)]
    assert a == b


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_train": 0, "n_val": 1, "n_test": 1}, "n_train must be a whole number of examples >= 1"),
        ({"n_train": 10, "n_val": 1, "n_test": 1, "n_unseen": 2.5}, "n_unseen must be a whole number"),
        ({"n_train": 10, "n_val": 1, "n_test": 1, "noise": -0.1}, r"noise is a probability"),
    ],
)
def test_date_splits_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        date_splits(**kwargs)


def test_date_codec_encodes_decodes_and_batches_for_teacher_forcing():
    import pandas as pd

    from helpers.dates import END, START, DateCodec

    codec = DateCodec(source_length=12, target_length=11)
    frame = pd.DataFrame({"human": ["03/04/01", "Mar 03 2001"], "iso": ["2001-03-04", "2001-03-03"]})
    source, target = codec.encode(frame)
    assert source.shape == (2, 12) and target.shape == (2, 12)
    assert source[0, 8:].tolist() == [0, 0, 0, 0]  # padding after 8 characters
    assert codec.target_characters[target[0, 0]] == START and codec.target_characters[target[0, -1]] == END
    assert codec.decode(target[:, 1:]) == ["2001-03-04", "2001-03-03"]
    assert codec.source_vocabulary == 2 + len(" abcdefghijklmnopqrstuvwxyz0123456789,./-'")
    (batch_source, decoder_input), decoder_target = next(iter(codec.teacher_forcing_dataset(frame, 2)))
    assert batch_source.shape == (2, 12)
    assert decoder_input.shape == (2, 11) and decoder_target.shape == (2, 11)
    np.testing.assert_array_equal(decoder_input.numpy()[:, 1:], decoder_target.numpy()[:, :-1])


def test_date_codec_translate_runs_greedy_decoding_through_the_model():
    import pandas as pd

    from helpers.dates import DateCodec

    codec = DateCodec()
    answer = codec.target_vectorizer(["2001-03-03$"]).numpy()[0, :11]

    def always_the_same(inputs, training=False):  # a "model" that always says 2001-03-03
        source, _ = inputs
        scores = np.eye(codec.target_vocabulary)[answer]
        return np.broadcast_to(scores, (len(source), *scores.shape))

    frame = pd.DataFrame({"human": ["3 March 2001", "03/03/01"], "iso": ["2001-03-03"] * 2})
    assert codec.translate(always_the_same, frame) == ["2001-03-03", "2001-03-03"]
    assert codec.translate(always_the_same, ["the 3rd of March, 2001"]) == ["2001-03-03"]


def test_date_codec_bad_input():
    import pandas as pd

    from helpers.dates import DateCodec

    with pytest.raises(ValueError, match="target_length must be at least 11"):
        DateCodec(target_length=10)
    with pytest.raises(ValueError, match="source_length must be positive"):
        DateCodec(source_length=0)
    codec = DateCodec()
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['iso'\]"):
        codec.encode(pd.DataFrame({"human": ["3 March 2001"]}))
    with pytest.raises(ValueError, match="batch_size must be positive"):
        codec.teacher_forcing_dataset(pd.DataFrame({"human": ["x"], "iso": ["2001-03-03"]}), batch_size=0)


def test_exact_match_by_style():
    import pandas as pd

    from helpers.dates import exact_match_by_style

    frame = pd.DataFrame({"iso": ["2001-03-03", "2002-04-04", "2003-05-05"], "style": ["a", "b", "a"]})
    table = exact_match_by_style(frame, {"model": ["2001-03-03", "2002-04-04", "wrong"], "rule": [None] * 3})
    assert table.loc["a", "examples"] == 2
    assert table.loc["a", "model"] == 0.5 and table.loc["b", "model"] == 1.0
    assert (table["rule"] == 0).all()
    with pytest.raises(ValueError, match="has 1 entries for 3 rows"):
        exact_match_by_style(frame, {"model": ["2001-03-03"]})
    with pytest.raises(ValueError, match="lacks the column"):
        exact_match_by_style(frame.drop(columns="style"), {})
