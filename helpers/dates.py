"""Human-written dates and their ISO form: a seeded generator for sequence-to-sequence models.

Notebook 13 translates dates as people write them ("Sat 3 March 2001", "03/04/01",
"the 5th of May, 1999") into ISO 8601 ("2001-03-03"). Everything here is generated, so
the notebook needs no download:

- :data:`TRAIN_FORMATS` / :data:`HELD_OUT_FORMATS`: the writing styles, by name; a model
  trains on the first and is tested on both (the second set it has never seen);
- :func:`format_date`: one date in one style, optionally with noise (case, spacing,
  dropped commas, a letter missing from the month's name);
- :func:`date_splits`: train / validation / test sets with disjoint dates, plus a test set
  of the held-out styles;
- :func:`rule_based_iso`: the rule-based baseline, ``dateutil.parser`` with the
  generator's conventions (month before day in slashed dates, two-digit years 1950-2049);
- :func:`exact_match`: the share of predictions equal to the target string;
- :class:`DateCodec`: characters to ids and back for a sequence-to-sequence model
  (``TextVectorization`` with fixed character vocabularies), teacher-forcing datasets, and
  greedy translation with :func:`helpers.transformer.greedy_decode`;
- :func:`exact_match_by_style`: exact match per writing style, for several predictors.

Conventions the data follows (a model learns them from examples, a rule must be told):
slashed dates are month first (US style), dotted dates are day first (European style),
and a two-digit year ``yy`` means 20yy below 50 and 19yy otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from dateutil import parser as dateutil_parser

__all__ = [
    "END",
    "FIRST_DATE",
    "SOURCE_CHARACTERS",
    "START",
    "TARGET_CHARACTERS",
    "DateCodec",
    "HELD_OUT_FORMATS",
    "LAST_DATE",
    "TRAIN_FORMATS",
    "date_splits",
    "exact_match",
    "exact_match_by_style",
    "format_date",
    "rule_based_iso",
]

FIRST_DATE = dt.date(1950, 1, 1)
LAST_DATE = dt.date(2049, 12, 31)
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _month(d: dt.date) -> str:
    return MONTHS[d.month - 1]


def _weekday(d: dt.date) -> str:
    return WEEKDAYS[d.weekday()]


Formatter = Callable[[dt.date], str]

TRAIN_FORMATS: dict[str, Formatter] = {
    "day month year": lambda d: f"{d.day} {_month(d)} {d.year}",  # 3 March 2001
    "short weekday, day month year": lambda d: f"{_weekday(d)[:3]} {d.day} {_month(d)} {d.year}",
    "month day, year": lambda d: f"{_month(d)} {d.day}, {d.year}",  # March 3, 2001
    "weekday, month day, year": lambda d: f"{_weekday(d)}, {_month(d)} {d.day}, {d.year}",
    "the day-th of month, year": lambda d: f"the {_ordinal(d.day)} of {_month(d)}, {d.year}",
    "mm/dd/yy": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",  # 03/03/01
    "m/d/yyyy": lambda d: f"{d.month}/{d.day}/{d.year}",  # 3/3/2001
    "dd.mm.yyyy": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",  # 03.03.2001
    "mon dd yyyy": lambda d: f"{_month(d)[:3]} {d.day:02d} {d.year}",  # Mar 03 2001
    "yyyymmdd": lambda d: f"{d.year}{d.month:02d}{d.day:02d}",  # 20010303
}
"""The styles a model trains on, by name (the comment shows 2001-03-03 in that style)."""

HELD_OUT_FORMATS: dict[str, Formatter] = {
    "yyyy/mm/dd": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",  # 2001/03/03
    "dd-mon-yyyy": lambda d: f"{d.day:02d}-{_month(d)[:3]}-{d.year}",  # 03-Mar-2001
    "month day-th, 'yy": lambda d: f"{_month(d)} {_ordinal(d.day)}, '{d.year % 100:02d}",
    "weekday the day-th of month year": lambda d: (
        f"{_weekday(d)} the {_ordinal(d.day)} of {_month(d)} {d.year}"
    ),
    "year month day": lambda d: f"{d.year} {_month(d)} {d.day}",  # 2001 March 3
}
"""Styles kept out of training entirely: the second test set uses only these."""

_ALL_FORMATS = {**TRAIN_FORMATS, **HELD_OUT_FORMATS}
_LONG_MONTH = re.compile("|".join(m for m in MONTHS if len(m) >= 5))


def _add_noise(text: str, rng: np.random.Generator, noise: float) -> str:
    """Each kind of noise with probability ``noise``: case, spacing, commas, a typo."""
    if rng.random() < noise:  # a letter missing from a long month name: "Febuary"
        match = _LONG_MONTH.search(text)
        if match:
            position = match.start() + int(rng.integers(1, len(match.group()) - 1))
            text = text[:position] + text[position + 1 :]
    if rng.random() < noise:
        text = text.replace(",", "")
    if rng.random() < noise:
        text = str(rng.choice([text.lower(), text.upper(), text.title()]))
    if rng.random() < noise:  # a doubled space somewhere, or padding around the text
        spaces = [i for i, c in enumerate(text) if c == " "]
        if spaces and rng.random() < 0.5:
            i = int(rng.choice(spaces))
            text = text[:i] + " " + text[i:]
        else:
            text = f" {text} " if rng.random() < 0.5 else f"{text} "
    return text


def format_date(
    date: dt.date, style: str, noise: float = 0.0, rng: np.random.Generator | None = None
) -> str:
    """Write ``date`` the way a person might, in the named ``style``.

    Args:
        date: the date to write.
        style: a key of :data:`TRAIN_FORMATS` or :data:`HELD_OUT_FORMATS`.
        noise: probability (0 to 1) of each kind of noise: a letter dropped from a long
            month name, commas dropped, the case changed, an extra space.
        rng: the random generator for the noise (needed when ``noise > 0``).

    Raises:
        ValueError: an unknown style, or ``noise`` outside [0, 1].
        TypeError: ``date`` is not a ``datetime.date``, or noise is asked for without ``rng``.
    """
    if not isinstance(date, dt.date):
        raise TypeError(f"date must be a datetime.date, got {type(date).__name__}.")
    if style not in _ALL_FORMATS:
        raise ValueError(
            f"Unknown date style {style!r}. Training styles: {', '.join(TRAIN_FORMATS)}; "
            f"held-out styles: {', '.join(HELD_OUT_FORMATS)}."
        )
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise is a probability and must lie in [0, 1], got {noise}.")
    text = _ALL_FORMATS[style](date)
    if noise > 0:
        if rng is None:
            raise TypeError("Pass rng=np.random.default_rng(seed) to add noise reproducibly.")
        text = _add_noise(text, rng, noise)
    return text


def _examples(
    dates: np.ndarray, styles: Sequence[str], n: int, rng: np.random.Generator, noise: float
) -> pd.DataFrame:
    chosen = rng.choice(dates, size=n, replace=n > len(dates))
    names = rng.choice(list(styles), size=n)
    rows = []
    for ordinal, style in zip(chosen, names, strict=True):
        date = dt.date.fromordinal(int(ordinal))
        rows.append((format_date(date, str(style), noise, rng), date.isoformat(), str(style)))
    return pd.DataFrame(rows, columns=["human", "iso", "style"])


def date_splits(
    n_train: int,
    n_val: int,
    n_test: int,
    n_unseen: int | None = None,
    noise: float = 0.2,
    seed: int = 42,
) -> dict[str, pd.DataFrame]:
    """Seeded train / validation / test sets of human-written dates and their ISO form.

    The days from :data:`FIRST_DATE` to :data:`LAST_DATE` are shuffled and cut 80/10/10
    into three pools, so no date of the validation or test sets appears in training (in
    any style). ``train``, ``val`` and ``test`` use the :data:`TRAIN_FORMATS` styles;
    ``test_unseen`` writes dates of the test pool in the :data:`HELD_OUT_FORMATS` styles
    only. Each frame has the columns ``human`` (the input), ``iso`` (the target, always 10
    characters) and ``style`` (the style's name). The same arguments give the same sets.

    Args:
        n_train, n_val, n_test: examples in each set.
        n_unseen: examples in ``test_unseen``; ``None`` means as many as ``n_test``.
        noise: probability of each kind of noise (see :func:`format_date`).
        seed: the seed of everything random here.

    Raises:
        ValueError: a size below 1, or ``noise`` outside [0, 1].
    """
    n_unseen = n_test if n_unseen is None else n_unseen
    sizes = {"n_train": n_train, "n_val": n_val, "n_test": n_test, "n_unseen": n_unseen}
    for name, size in sizes.items():
        if not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"{name} must be a whole number of examples >= 1, got {size!r}.")
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise is a probability and must lie in [0, 1], got {noise}.")
    rng = np.random.default_rng(seed)
    days = np.arange(FIRST_DATE.toordinal(), LAST_DATE.toordinal() + 1)
    rng.shuffle(days)
    cut1, cut2 = int(0.8 * len(days)), int(0.9 * len(days))
    pools = {"train": days[:cut1], "val": days[cut1:cut2], "test": days[cut2:]}
    return {
        "train": _examples(pools["train"], list(TRAIN_FORMATS), n_train, rng, noise),
        "val": _examples(pools["val"], list(TRAIN_FORMATS), n_val, rng, noise),
        "test": _examples(pools["test"], list(TRAIN_FORMATS), n_test, rng, noise),
        "test_unseen": _examples(pools["test"], list(HELD_OUT_FORMATS), n_unseen, rng, noise),
    }


class _CourseParserInfo(dateutil_parser.parserinfo):
    """dateutil's defaults, but two-digit years follow the generator (00-49 -> 20yy)."""

    def convertyear(self, year: int, century_specified: bool = False) -> int:
        if year < 100 and not century_specified:
            year += 2000 if year < 50 else 1900
        return year


_PARSER_INFO = _CourseParserInfo()
_DEFAULT = dt.datetime(1900, 1, 1)  # fills missing fields, so a partial parse is wrong, not random


def rule_based_iso(text: str, dayfirst: bool = False) -> str | None:
    """The rule-based baseline: ``dateutil.parser`` reads ``text``, returns ``YYYY-MM-DD``.

    ``fuzzy=True`` lets it skip words such as "the" and "of". Two-digit years follow the
    generator's convention (00-49 -> 2000s, 50-99 -> 1900s) instead of dateutil's
    "within 50 years of today", so the result does not depend on the day you run it.
    ``dayfirst`` is dateutil's switch for ambiguous numeric dates (03/04 = 3 April); one
    switch serves all styles, which is where a rule meets mixed conventions.

    Returns:
        The ISO date, or ``None`` where dateutil cannot read a date.

    Raises:
        TypeError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"rule_based_iso reads one string, got {type(text).__name__}; map it over a list.")
    try:
        parsed = dateutil_parser.parse(
            text, parserinfo=_PARSER_INFO, fuzzy=True, dayfirst=dayfirst, default=_DEFAULT
        )
    except (ValueError, OverflowError):  # dateutil's ParserError is a ValueError
        return None
    return parsed.date().isoformat()


def exact_match(predictions: Sequence[str | None], targets: Sequence[str]) -> float:
    """The share of predictions exactly equal to their target (``None`` counts as wrong).

    Raises:
        ValueError: the two sequences differ in length or are empty, a target is not a
            string (``None`` included), or a prediction is neither a string nor ``None``.
    """
    if isinstance(predictions, str) or isinstance(targets, str):
        raise ValueError(
            "predictions and targets must be sequences of strings (one per example), not a single string: "
            "wrap it in a list."
        )
    predictions, targets = list(predictions), list(targets)
    if len(predictions) != len(targets):
        raise ValueError(
            f"{len(predictions)} predictions for {len(targets)} targets: pass one prediction per example."
        )
    if not targets:
        raise ValueError("exact_match got no examples: there is nothing to score.")
    for i, target in enumerate(targets):
        if not isinstance(target, str):
            raise ValueError(
                f"targets[{i}] is {target!r}, not a string: every target must be the expected text "
                "(drop the examples without one before scoring)."
            )
    for i, prediction in enumerate(predictions):
        if prediction is not None and not isinstance(prediction, str):
            raise ValueError(
                f"predictions[{i}] is {prediction!r} ({type(prediction).__name__}): predictions must be "
                "strings, or None for no answer; decode model outputs to text first."
            )
    return float(np.mean([p is not None and p == t for p, t in zip(predictions, targets, strict=True)]))


START, END = "^", "$"
"""The decoder's start and end markers."""
SOURCE_CHARACTERS = " abcdefghijklmnopqrstuvwxyz0123456789,./-'"
"""Every character a (lower-cased) written date may hold; anything else maps to 1 (unknown)."""
TARGET_CHARACTERS = "0123456789-" + START + END
"""The characters of an ISO date, and the two markers."""


class DateCodec:
    """Characters to ids and back, for a model that translates written dates into ISO form.

    Two ``keras.layers.TextVectorization`` layers with vocabularies written out in full (not
    learned with ``adapt``, so every run gives the model the same shape): ``source_vectorizer``
    lower-cases a written date and splits it into characters (``source_length`` ids);
    ``target_vectorizer`` splits ``START + iso + END`` into characters (``target_length + 1``
    ids). Index 0 is padding, 1 an unknown character.

    Attributes:
        source_vocabulary, target_vocabulary: number of ids on each side.
        target_characters: NumPy array, id -> target character.
        start_id, end_id: the ids of ``START`` and ``END``.

    Raises:
        ValueError: a length that is not positive, or a ``target_length`` shorter than an ISO
            date plus its end marker (11).
    """

    def __init__(self, source_length: int = 40, target_length: int = 11):
        import keras

        if source_length < 1:
            raise ValueError(f"source_length must be positive, got {source_length}.")
        if target_length < 11:
            raise ValueError(
                f"target_length must be at least 11 (10 ISO characters and the end marker), "
                f"got {target_length}."
            )
        self.source_length, self.target_length = source_length, target_length
        self.source_vectorizer = keras.layers.TextVectorization(
            standardize="lower",
            split="character",
            output_sequence_length=source_length,
            vocabulary=list(SOURCE_CHARACTERS),
            name="source_characters",
        )
        self.target_vectorizer = keras.layers.TextVectorization(
            standardize=None,
            split="character",
            output_sequence_length=target_length + 1,
            vocabulary=list(TARGET_CHARACTERS),
            name="target_characters",
        )
        self.source_vocabulary = self.source_vectorizer.vocabulary_size()
        self.target_characters = np.array(self.target_vectorizer.get_vocabulary())
        self.target_vocabulary = len(self.target_characters)
        self.start_id = int(np.flatnonzero(self.target_characters == START)[0])
        self.end_id = int(np.flatnonzero(self.target_characters == END)[0])

    @staticmethod
    def _check_frame(frame: pd.DataFrame, columns: Sequence[str]) -> None:
        missing = [c for c in columns if c not in getattr(frame, "columns", ())]
        if missing:
            raise ValueError(
                f"frame lacks the column(s) {missing}: pass a DataFrame of date_splits "
                "(columns human, iso, style)."
            )

    def encode_source(self, texts) -> np.ndarray:
        """Written dates -> ``(batch, source_length)`` int array of character ids."""
        return self.source_vectorizer(np.asarray(texts, dtype=object).astype(str)).numpy()

    def encode(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Source ids ``(batch, source_length)`` and target ids ``(batch, target_length + 1)`` of a frame.

        Raises:
            ValueError: ``frame`` lacks the ``human`` or ``iso`` column.
        """
        self._check_frame(frame, ("human", "iso"))
        target = self.target_vectorizer((START + frame["iso"] + END).to_numpy()).numpy()
        return self.encode_source(frame["human"].to_numpy()), target

    def decode(self, ids) -> list[str]:
        """Target ids -> strings, each cut at the first end marker (padding decodes to nothing)."""
        return ["".join(self.target_characters[row]).split(END)[0] for row in np.asarray(ids)]

    def teacher_forcing_dataset(
        self, frame: pd.DataFrame, batch_size: int = 64, shuffle: bool = False, seed: int = 42
    ):
        """Batches of ``((source, target without its last id), target without its first id)``.

        The decoder gets the correct previous characters (``^2001-03-0``) and learns to predict
        each next one (``2001-03-03$``). ``shuffle`` mixes the whole frame with ``seed``.

        Raises:
            ValueError: ``frame`` lacks a column, or ``batch_size`` is not positive.
        """
        import tensorflow as tf

        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        source, target = self.encode(frame)
        data = tf.data.Dataset.from_tensor_slices(((source, target[:, :-1]), target[:, 1:]))
        if shuffle:
            data = data.shuffle(len(frame), seed=seed)
        return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)

    def translate(self, model, texts) -> list[str]:
        """Written dates (a sequence, or a frame with a ``human`` column) -> ISO strings, greedily.

        Uses :func:`helpers.transformer.greedy_decode` with ``model(inputs, training=False)``.
        """
        from helpers.transformer import greedy_decode

        if isinstance(texts, pd.DataFrame):
            self._check_frame(texts, ("human",))
            texts = texts["human"].to_numpy()
        ids = greedy_decode(
            lambda inputs: model(inputs, training=False),
            self.encode_source(texts),
            start_id=self.start_id,
            end_id=self.end_id,
            max_length=self.target_length,
        )
        return self.decode(ids)


def exact_match_by_style(frame: pd.DataFrame, predictions: dict[str, Sequence]) -> pd.DataFrame:
    """Exact match of each predictor, per writing style: one row per style, one column per name.

    ``predictions`` maps a name to one prediction per row of ``frame`` (a frame of
    :func:`date_splits`, with ``iso`` and ``style`` columns). An ``examples`` column counts
    the rows of each style.

    Raises:
        ValueError: ``frame`` lacks a column, or a prediction list does not have one entry per row.
    """
    DateCodec._check_frame(frame, ("iso", "style"))
    for name, predicted in predictions.items():
        if len(predicted) != len(frame):
            raise ValueError(
                f"predictions[{name!r}] has {len(predicted)} entries for {len(frame)} rows: pass one per row."
            )
    rows = {}
    for style, positions in frame.groupby("style", sort=True).indices.items():
        truth = frame["iso"].to_numpy()[positions]
        rows[style] = {"examples": len(positions)}
        for name, predicted in predictions.items():
            rows[style][name] = exact_match([predicted[i] for i in positions], truth)
    return pd.DataFrame(rows).T.rename_axis("style")
