"""Text helpers for the NLP notebooks (07 disaster tweets, 08 SkimLit).

- :func:`parse_pubmed_rct` / :func:`read_pubmed_rct`: the PubMed 200k/20k RCT line format
  (``###<abstract id>``, then ``LABEL<TAB>sentence`` lines, a blank line between
  abstracts) into one record per sentence, with its position in the abstract;
- :func:`split_chars`: a sentence as space-separated characters, for character-level
  ``TextVectorization``;
- :func:`split_sentences`: a light, offline sentence splitter for raw abstracts;
- :func:`most_wrong`: the confidently wrong predictions of a binary classifier;
- :func:`export_embeddings`: an embedding matrix and its vocabulary as the two TSV files
  the TensorBoard Embedding Projector (projector.tensorflow.org) reads;
- :func:`disaster_tweets_split`: the published course's train/validation split of the tweets
  (duplicates kept; notebook 07 counts the copies it leaves across the split);
- :func:`disaster_tweets_three_way_split`: notebook 07's train/validation/test split of the
  tweets, after removing exact duplicate texts;
- :func:`make_text_dataset`: the batched, prefetched ``tf.data`` pipeline of texts (or
  named inputs) and labels;
- :func:`train_and_record`: fit a text classifier and record its validation metrics in a
  :class:`helpers.evaluation.Results`;
- :func:`text_classifier`: string tweet -> tokens -> a fresh ``Embedding`` -> your layers ->
  probability of the positive class, compiled (notebook 07's models are built with it);
- :func:`dense_average_classifier`: notebook 07's dense model (the average of the word
  embeddings), used by notebooks 07 and 13;
- :func:`conv1d_classifier`: notebook 07's 1D convolution, with optional parallel kernel
  sizes and dropout (one branch per kernel size, each max-pooled over the tokens).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

RCT_LABELS: tuple[str, ...] = ("BACKGROUND", "OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS")


class RCTFormatError(ValueError):
    """A PubMed RCT file does not follow the ``###id`` / ``LABEL<TAB>sentence`` format."""


def _rct_error(source: str, line_number: int, line: str, problem: str) -> RCTFormatError:
    shown = line if len(line) <= 80 else line[:77] + "..."
    return RCTFormatError(f"{source}, line {line_number}: {problem} (line: {shown!r})")


def parse_pubmed_rct(
    lines: str | Iterable[str],
    labels: Sequence[str] | None = RCT_LABELS,
    source: str = "<text>",
) -> list[dict]:
    """Parse PubMed RCT text into one dict per sentence.

    Each abstract starts with a ``###<id>`` line, followed by one ``LABEL<TAB>sentence``
    line per sentence; abstracts are separated by blank lines. Each returned record has
    ``abstract_id``, ``target`` (the label), ``text`` (the sentence, lower-cased as in the
    course), ``line_number`` (0-based position in the abstract) and ``total_lines``
    (the abstract's number of sentences minus one, the convention of the SkimLit paper
    replication).

    Args:
        lines: the whole text, or an iterable of lines (e.g. an open file).
        labels: the allowed labels; ``None`` accepts any non-empty label.
        source: a name for the input used in error messages (e.g. the file name).

    Raises:
        RCTFormatError: naming the line number, for a sentence line before any ``###id``,
            a line without a tab, an empty label or sentence, an unknown label, or an
            abstract with no sentences.
        TypeError: ``lines`` is bytes, or yields lines that are not strings (a file
            opened in binary mode).
    """
    if isinstance(lines, bytes | bytearray | memoryview):
        raise TypeError(
            "lines is bytes, not text: decode it first (data.decode('utf-8')), or use read_pubmed_rct(path), "
            "which reads the file as UTF-8."
        )
    if isinstance(lines, str):
        lines = lines.splitlines()
    allowed = None if labels is None else set(labels)
    records: list[dict] = []
    current: list[dict] = []
    current_id: str | None = None
    id_line = 0

    def close_abstract() -> None:
        if current_id is None:
            return
        if not current:
            raise RCTFormatError(
                f"{source}, line {id_line}: abstract {current_id!r} has no sentences; every "
                "'###id' line must be followed by at least one 'LABEL<TAB>sentence' line."
            )
        for record in current:
            record["total_lines"] = len(current) - 1
        records.extend(current)

    for number, raw in enumerate(lines, start=1):
        if not isinstance(raw, str):
            raise TypeError(
                f"{source}, line {number}: lines yields {type(raw).__name__}, not str (a file opened in "
                "binary mode?): open it with open(path, encoding='utf-8'), or use read_pubmed_rct(path)."
            )
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if line.startswith("###"):
            close_abstract()
            current, current_id, id_line = [], line[3:].strip(), number
            if not current_id:
                raise _rct_error(source, number, line, "an abstract header needs an id after '###'")
            continue
        if current_id is None:
            raise _rct_error(
                source, number, line,
                "a sentence line comes before any '###<abstract id>' header; is this a PubMed RCT file?",
            )
        if "\t" not in line:
            raise _rct_error(
                source, number, line,
                "expected 'LABEL<TAB>sentence' but found no tab (were tabs converted to spaces?)",
            )
        label, text = line.split("\t", 1)
        label, text = label.strip(), text.strip()
        if not label or not text:
            raise _rct_error(source, number, line, "both the label and the sentence must be non-empty")
        if allowed is not None and label not in allowed:
            raise _rct_error(
                source, number, line,
                f"unknown label {label!r}; expected one of {', '.join(labels)}",
            )
        current.append(
            {"abstract_id": current_id, "target": label, "text": text.lower(), "line_number": len(current)}
        )
    close_abstract()
    if not records:
        raise RCTFormatError(f"{source}: no abstracts found; the input is empty.")
    return records


def read_pubmed_rct(path: str | Path, labels: Sequence[str] | None = RCT_LABELS) -> pd.DataFrame:
    """Read a PubMed RCT file (``train.txt``, ``dev.txt`` or ``test.txt``) into a DataFrame.

    Columns: ``abstract_id, target, text, line_number, total_lines``.

    The file must be UTF-8 text; a leading byte-order mark is accepted.

    Raises:
        FileNotFoundError: the file does not exist.
        RCTFormatError: the file is not in the PubMed RCT format (see :func:`parse_pubmed_rct`),
            is compressed (gzip), or is not UTF-8 text; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No PubMed RCT file at {path}: expected train.txt, dev.txt or test.txt.")
    with open(path, "rb") as handle:
        if handle.read(2) == b"\x1f\x8b":
            raise RCTFormatError(
                f"{path} is gzip-compressed, not text: decompress it first (e.g. `gunzip -k {path.name}`) "
                "and read the .txt file."
            )
    try:
        with open(path, encoding="utf-8-sig") as handle:  # -sig: a byte-order mark is not a line
            records = parse_pubmed_rct(handle, labels=labels, source=path.name)
    except UnicodeDecodeError as error:
        raise RCTFormatError(
            f"{path} is not UTF-8 text (it holds the byte {error.object[error.start:error.start + 1]!r}, "
            f"which UTF-8 cannot decode): the PubMed RCT files are UTF-8. Re-save it as UTF-8 (e.g. "
            f"`iconv -f latin1 -t utf-8`) or get the original file again."
        ) from None
    return pd.DataFrame.from_records(
        records, columns=["abstract_id", "target", "text", "line_number", "total_lines"]
    )


def split_chars(text: str) -> str:
    """Return ``text`` with a space between characters: ``"abc" -> "a b c"``.

    Spaces in the input become runs of spaces, which a whitespace-splitting
    ``TextVectorization`` ignores.

    Raises:
        TypeError: ``text`` is not a string (pass one sentence; map over a list).
    """
    if not isinstance(text, str):
        raise TypeError(f"split_chars takes one string, got {type(text).__name__}; map it over a list.")
    return " ".join(text)


# A sentence ends at . ! or ? followed by whitespace and an upper-case letter, digit or
# opening bracket/quote; common abbreviations do not end a sentence.
_ABBREVIATIONS = (
    "e.g", "i.e", "et al", "vs", "fig", "figs", "no", "dr", "mr", "mrs", "ms", "approx", "ca", "cf",
)
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'])")


def split_sentences(text: str) -> list[str]:
    """Split raw prose (e.g. an abstract) into sentences, offline and without a model.

    A rule-based splitter: a sentence ends at ``.``, ``!`` or ``?`` followed by white
    space and a capital letter, digit, bracket or quote, except after common
    abbreviations (``e.g.``, ``i.e.``, ``et al.``, ``vs.``, ``Fig.`` ...). Good enough for
    abstracts; use spaCy or NLTK's punkt for harder text.

    Raises:
        TypeError: ``text`` is not a string.
        ValueError: ``text`` is empty or only white space.
    """
    if not isinstance(text, str):
        raise TypeError(f"split_sentences takes a string, got {type(text).__name__}.")
    text = " ".join(text.split())
    if not text:
        raise ValueError("split_sentences got an empty text: there is nothing to split.")
    pieces = _BOUNDARY.split(text)
    sentences: list[str] = []
    for piece in pieces:
        previous = sentences[-1] if sentences else ""
        last_word = previous.rstrip(".!?").rsplit(" ", 1)[-1].lower() if previous else ""
        tail = previous.lower()
        if previous and (
            last_word in _ABBREVIATIONS or any(tail.endswith(" " + a + ".") for a in _ABBREVIATIONS)
        ):
            sentences[-1] = f"{previous} {piece}"
        else:
            sentences.append(piece)
    return sentences


def most_wrong(
    texts: Sequence[str],
    y_true: Sequence[int] | np.ndarray,
    probabilities: Sequence[float] | np.ndarray,
    n: int = 10,
    threshold: float = 0.5,
) -> pd.DataFrame:
    """The ``n`` wrong predictions of a binary classifier the model was surest about.

    Returns a DataFrame with ``text, target, pred, probability`` sorted from the most
    confident false positives and false negatives down (confidence = distance of the
    probability from ``threshold``).

    Raises:
        ValueError: the inputs have different lengths, probabilities are not 1-D, not
            finite or lie outside [0, 1], ``y_true`` holds anything but 0 and 1 (e.g.
            probabilities), ``threshold`` is not strictly between 0 and 1 (e.g. 50), or
            ``n`` is not a positive whole number.
    """
    numeric = isinstance(threshold, int | float | np.number) and not isinstance(threshold, bool)
    if not numeric or not 0 < threshold < 1:
        raise ValueError(
            f"threshold must be a probability strictly between 0 and 1 (e.g. 0.5), got {threshold!r}; "
            "a percentage such as 50 would call every prediction negative."
        )
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
        raise ValueError(f"n must be a positive whole number of rows, got {n!r}.")
    try:
        probs = np.asarray(probabilities, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("probabilities must be numbers (the model's sigmoid outputs).") from None
    if probs.ndim == 2 and probs.shape[1] == 1:
        probs = probs[:, 0]
    if probs.ndim != 1:
        raise ValueError(
            "probabilities must be 1-D (one probability of the positive class per example), "
            f"got shape {probs.shape}."
        )
    labels = np.asarray(y_true)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.dtype.kind not in "biuf" or labels.ndim != 1:
        raise ValueError(
            f"y_true must be a 1-D array of the labels 0 and 1, got dtype {labels.dtype} and shape "
            f"{labels.shape}."
        )
    if not np.isin(labels, (0, 1)).all():
        odd = labels[~np.isin(labels, (0, 1))][0].item()
        raise ValueError(
            f"y_true must hold the labels 0 and 1 only, found {odd!r}: pass the true labels, not "
            "probabilities or scores (they would be cast to wrong labels)."
        )
    y = labels.astype(int)
    if not len(texts) == len(y) == len(probs):
        raise ValueError(
            f"texts ({len(texts)}), y_true ({len(y)}) and probabilities ({len(probs)}) "
            "must have the same length."
        )
    if not np.isfinite(probs).all():
        raise ValueError(
            "probabilities hold NaN or infinite values: the model diverged; pass finite sigmoid outputs."
        )
    if probs.size and (probs.min() < 0 or probs.max() > 1):
        raise ValueError("probabilities must lie in [0, 1]: pass sigmoid outputs, not logits.")
    frame = pd.DataFrame(
        {"text": list(texts), "target": y, "pred": (probs > threshold).astype(int), "probability": probs}
    )
    wrong = frame[frame.target != frame.pred].copy()
    wrong["confidence"] = (wrong.probability - threshold).abs()
    return wrong.sort_values("confidence", ascending=False).head(n).drop(columns="confidence")


def export_embeddings(
    vocabulary: Sequence[str], weights: np.ndarray, directory: str | Path
) -> tuple[Path, Path]:
    """Write ``vectors.tsv`` and ``metadata.tsv`` for the Embedding Projector.

    Row ``i`` of ``weights`` is the vector of ``vocabulary[i]``. Padding (``""``) and
    out-of-vocabulary (``"[UNK]"``) tokens are written too, so the rows stay aligned.

    Returns:
        The paths of the vectors and metadata files.

    Raises:
        ValueError: ``weights`` is not 2-D or its row count differs from the vocabulary.
    """
    weights = np.asarray(weights)
    if weights.ndim != 2:
        raise ValueError(f"weights must be a 2-D embedding matrix, got shape {weights.shape}.")
    if len(vocabulary) != weights.shape[0]:
        raise ValueError(
            f"The vocabulary has {len(vocabulary)} tokens but the embedding matrix has "
            f"{weights.shape[0]} rows: pass vectorizer.get_vocabulary() of the same model."
        )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vectors, metadata = directory / "vectors.tsv", directory / "metadata.tsv"
    np.savetxt(vectors, weights, delimiter="\t", fmt="%.6f")
    with open(metadata, "w", encoding="utf-8") as handle:
        for token in vocabulary:
            handle.write((token or "[PAD]").replace("\t", " ").replace("\n", " ") + "\n")
    return vectors, metadata


def disaster_tweets_split(
    frame: pd.DataFrame, validation_fraction: float, seed: int = 42
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A train/validation split of the labelled disaster tweets, without deduplication.

    Shuffles the rows with ``frame.sample(frac=1, random_state=seed)``, then holds out
    ``validation_fraction`` of them with ``sklearn.model_selection.train_test_split(...,
    random_state=seed)``, the recipe of the published course. Notebooks 07 and 13 train on
    :func:`disaster_tweets_three_way_split` instead, which removes duplicate texts first
    (some validation tweets here have an exact copy in the training rows) and keeps a test
    split; notebook 07 uses this one only to count those copies.

    Returns:
        ``train_sentences, val_sentences, train_labels, val_labels`` (NumPy arrays).

    Raises:
        ValueError: ``frame`` lacks the ``text`` or ``target`` column, has fewer than two
            rows, or ``validation_fraction`` is not strictly between 0 and 1.
    """
    from sklearn.model_selection import train_test_split

    missing = [column for column in ("text", "target") if column not in frame.columns]
    if missing:
        raise ValueError(
            f"The tweets frame lacks the column(s) {missing}; pass the DataFrame of "
            "nlp_getting_started/train.csv (columns id, keyword, location, text, target)."
        )
    if not 0 < validation_fraction < 1:
        raise ValueError(
            f"validation_fraction must lie strictly between 0 and 1, got {validation_fraction}."
        )
    if len(frame) < 2:
        raise ValueError(f"Need at least two tweets to split, got {len(frame)}.")
    shuffled = frame.sample(frac=1, random_state=seed)
    train_sentences, val_sentences, train_labels, val_labels = train_test_split(
        shuffled["text"].to_numpy(),
        shuffled["target"].to_numpy(),
        test_size=validation_fraction,
        random_state=seed,
    )
    return train_sentences, val_sentences, train_labels, val_labels


class TweetSplits(NamedTuple):
    """The three splits of :func:`disaster_tweets_three_way_split`, and what deduplication removed.

    ``report`` counts rows: ``rows`` (given), ``conflicting_texts`` (distinct texts whose
    copies carry both labels), ``dropped_conflicting`` (their rows, all dropped),
    ``dropped_copies`` (extra copies of texts whose copies agree; one copy kept), ``kept``
    (``rows`` minus both drops), then ``train``, ``validation`` and ``test`` (which add up
    to ``kept``).
    """

    train_sentences: np.ndarray
    train_labels: np.ndarray
    val_sentences: np.ndarray
    val_labels: np.ndarray
    test_sentences: np.ndarray
    test_labels: np.ndarray
    report: dict[str, int]


def disaster_tweets_three_way_split(
    frame: pd.DataFrame, validation_fraction: float, test_fraction: float, seed: int = 42
) -> TweetSplits:
    """Deduplicate the labelled tweets by exact text, then split them into train, validation and test.

    Deduplication comes first, so that no text appears in two splits (a held-out tweet whose
    exact copy is in the training data is not held out). Texts are compared exactly, as
    strings. A text whose copies carry different labels is dropped entirely (every copy): its
    label is ambiguous, and keeping either copy would pick a label by chance. Of a text whose
    copies all agree, the first row is kept.

    The deduplicated rows are shuffled with ``frame.sample(frac=1, random_state=seed)``;
    ``sklearn.model_selection.train_test_split(..., random_state=seed)`` then holds out
    ``test_fraction`` of them as the test split and, from the rest, ``validation_fraction``
    (both fractions of the deduplicated rows) as the validation split.

    Returns:
        A :class:`TweetSplits`: sentences and labels (NumPy arrays) of each split, and a
        ``report`` dict of how many rows were dropped and why.

    Raises:
        ValueError: ``frame`` lacks the ``text`` or ``target`` column or has a missing value
            in one; a fraction is not strictly between 0 and 1, or the two add up to 1 or
            more; or too few distinct tweets are left for three non-empty splits.
    """
    from sklearn.model_selection import train_test_split

    missing = [column for column in ("text", "target") if column not in frame.columns]
    if missing:
        raise ValueError(
            f"The tweets frame lacks the column(s) {missing}; pass the DataFrame of "
            "nlp_getting_started/train.csv (columns id, keyword, location, text, target)."
        )
    for name, value in (("validation_fraction", validation_fraction), ("test_fraction", test_fraction)):
        if not 0 < value < 1:
            raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}.")
    if validation_fraction + test_fraction >= 1:
        raise ValueError(
            f"validation_fraction + test_fraction must be below 1 to leave training tweets, got "
            f"{validation_fraction} + {test_fraction}."
        )
    for column in ("text", "target"):
        if frame[column].isna().any():
            raise ValueError(
                f"The {column!r} column has {int(frame[column].isna().sum())} missing value(s); drop "
                "or fill those rows first."
            )
    labels_per_text = frame.groupby("text", sort=False)["target"].nunique()
    conflicting = labels_per_text.index[labels_per_text > 1]
    is_conflicting = frame["text"].isin(conflicting)
    agreeing = frame[~is_conflicting]
    unique = agreeing[~agreeing["text"].duplicated(keep="first")]
    n_val = round(validation_fraction * len(unique))
    n_test = round(test_fraction * len(unique))
    if min(n_val, n_test, len(unique) - n_val - n_test) < 1:
        raise ValueError(
            f"{len(unique)} distinct tweet(s) left after deduplication are too few for three non-empty "
            f"splits with validation_fraction={validation_fraction} and test_fraction={test_fraction}."
        )
    shuffled = unique.sample(frac=1, random_state=seed)
    texts, labels = shuffled["text"].to_numpy(), shuffled["target"].to_numpy()
    rest_x, test_x, rest_y, test_y = train_test_split(texts, labels, test_size=n_test, random_state=seed)
    train_x, val_x, train_y, val_y = train_test_split(rest_x, rest_y, test_size=n_val, random_state=seed)
    report = {
        "rows": len(frame),
        "conflicting_texts": len(conflicting),
        "dropped_conflicting": int(is_conflicting.sum()),
        "dropped_copies": len(agreeing) - len(unique),
        "kept": len(unique),
        "train": len(train_x),
        "validation": len(val_x),
        "test": len(test_x),
    }
    return TweetSplits(train_x, train_y, val_x, val_y, test_x, test_y, report)


def make_text_dataset(
    features,
    labels=None,
    batch_size: int = 32,
    shuffle: bool = False,
    shuffle_buffer: int | None = None,
    repeat: bool = False,
    seed: int = 42,
):
    """A batched, prefetched ``tf.data`` pipeline of texts (or named inputs) and labels.

    ``features`` is an array of strings, or a dict of named arrays for a model with several
    inputs; with ``labels`` the elements are ``(features, label)`` pairs. ``shuffle`` mixes
    the examples (buffer: every example unless ``shuffle_buffer`` is given, with ``seed``);
    ``repeat`` makes the pipeline endless (then pass ``steps_per_epoch`` to ``fit``). This
    is notebook 07's pipeline; notebook 08 adds a 10,000-example buffer and ``repeat``.

    Returns:
        A ``tf.data.Dataset``.

    Raises:
        ValueError: no examples, features and labels of different lengths, or a
            non-positive batch size or shuffle buffer.
    """
    import tensorflow as tf

    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive number of examples, got {batch_size}.")
    if shuffle_buffer is not None and shuffle_buffer < 1:
        raise ValueError(f"shuffle_buffer must be positive, got {shuffle_buffer}.")
    columns = features.values() if isinstance(features, dict) else [features]
    lengths = {len(column) for column in columns}
    if labels is not None:
        lengths.add(len(labels))
    if len(lengths) != 1:
        raise ValueError(
            f"Features and labels must have one row per example, got lengths {sorted(lengths)}."
        )
    size = lengths.pop()
    if size == 0:
        raise ValueError("make_text_dataset got no examples.")
    data = features if labels is None else (features, labels)
    dataset = tf.data.Dataset.from_tensor_slices(data)
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer or size, seed=seed)
    if repeat:
        dataset = dataset.repeat()
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def train_and_record(
    model,
    name: str,
    results,
    train_data,
    validation_data,
    validation_labels,
    epochs: int,
    **fit_kwargs,
):
    """Fit a text classifier, then record its metrics on every validation example.

    Trains with ``model.fit(train_data, validation_data=validation_data, epochs=epochs,
    verbose=0, **fit_kwargs)``, prints the last epoch's logs, predicts the whole
    ``validation_data`` (which must not shuffle or repeat, so that the predictions line
    up with ``validation_labels``) and records them in ``results`` (a
    :class:`helpers.evaluation.Results`) with ``add_probabilities``: positive-class
    scores for a sigmoid output, weighted averages for a softmax output.

    Returns:
        The training history (``keras.callbacks.History``).

    Raises:
        ValueError: ``epochs`` is not positive, or the number of predictions differs from
            the number of validation labels (e.g. a validation pipeline that repeats).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be a positive number, got {epochs}.")
    history = model.fit(
        train_data, validation_data=validation_data, epochs=epochs, verbose=0, **fit_kwargs
    )
    last = {key: round(float(values[-1]), 4) for key, values in history.history.items()}
    print(f"{name} after {epochs} epoch(s): {last}")
    probabilities = model.predict(validation_data, verbose=0)
    if len(probabilities) != len(validation_labels):
        raise ValueError(
            f"The model made {len(probabilities)} predictions for {len(validation_labels)} "
            "validation labels: validation_data must yield each example once, in order "
            "(no shuffle, no repeat)."
        )
    results.add_probabilities(name, validation_labels, probabilities)
    return history


def text_classifier(
    text_vectorizer,
    body: Sequence,
    *,
    name: str,
    max_tokens: int,
    embedding_dim: int,
    mask_padding: bool = False,
    learning_rate: float = 1e-3,
    seed: int | None = None,
):
    """A compiled binary text classifier: string -> tokens -> fresh embedding -> ``body`` -> sigmoid.

    The input is one string per example; ``text_vectorizer`` (an adapted
    ``keras.layers.TextVectorization`` with ``output_mode="int"``, shared between models: it
    has no trainable weights) turns it into token ids, a new ``Embedding(max_tokens,
    embedding_dim, name="embedding")`` into vectors, the layers of ``body`` are applied in
    order, and ``Dense(1, activation="sigmoid", name="probability")`` gives the probability
    of the positive class. Compiled with binary cross-entropy, Adam(``learning_rate``) and
    accuracy.

    Args:
        mask_padding: the embedding marks padding (index 0) with ``mask_zero=True`` so that
            layers which read masks (``LSTM``, ``GRU``, ``Bidirectional``) skip it.
        seed: when given, ``keras.utils.set_random_seed(seed)`` first, so the initial weights
            (and dropout) depend on it only.

    Raises:
        ValueError: ``max_tokens`` or ``embedding_dim`` is not positive, ``learning_rate`` is
            not positive, or ``body`` is a single layer instead of a sequence of layers.
    """
    import keras

    if max_tokens < 1 or embedding_dim < 1:
        raise ValueError(
            f"max_tokens and embedding_dim must be positive, got {max_tokens} and {embedding_dim}."
        )
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}.")
    if isinstance(body, keras.layers.Layer):
        raise ValueError("body must be a list of layers, e.g. [keras.layers.GlobalAveragePooling1D()].")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(), dtype="string", name="tweet")
    x = text_vectorizer(inputs)
    x = keras.layers.Embedding(max_tokens, embedding_dim, mask_zero=mask_padding, name="embedding")(x)
    for layer in body:
        x = layer(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="probability")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate),
        metrics=["accuracy"],
    )
    return model


def dense_average_classifier(
    text_vectorizer, *, max_tokens: int, embedding_dim: int, name: str = "dense", seed: int | None = None
):
    """Notebook 07's dense model: tokens -> embedding -> average over the tokens -> sigmoid.

    :func:`text_classifier` with one ``GlobalAveragePooling1D(name="average_tokens")`` as its
    body. Notebook 13 trains the same model as a reference for its transformer.
    """
    import keras

    body = [keras.layers.GlobalAveragePooling1D(name="average_tokens")]
    return text_classifier(
        text_vectorizer, body, name=name, max_tokens=max_tokens, embedding_dim=embedding_dim, seed=seed
    )


def conv1d_classifier(
    text_vectorizer,
    *,
    max_tokens: int,
    embedding_dim: int,
    filters: int = 32,
    kernel_sizes: Sequence[int] = (5,),
    embedding_dropout: float = 0.0,
    dropout: float = 0.0,
    name: str = "conv1d",
    seed: int | None = None,
):
    """Notebook 07's 1D convolution over the token embeddings, max-pooled over the tokens.

    One branch per kernel size: ``Conv1D(filters, kernel_size, padding="same",
    activation="relu")`` then ``GlobalMaxPooling1D`` (each filter's strongest response in
    the text); several branches are concatenated (Kim 2014's sentence CNN). Optional
    regularisation: ``SpatialDropout1D(embedding_dropout)`` on the embedded tokens (drops
    whole embedding channels) and ``Dropout(dropout)`` before the output.

    Raises:
        ValueError: no kernel size, a non-positive kernel size or filter count, or a dropout
            rate outside [0, 1).
    """
    import keras

    kernel_sizes = tuple(kernel_sizes)
    if not kernel_sizes or min(kernel_sizes) < 1 or filters < 1:
        raise ValueError(
            f"kernel_sizes must hold at least one positive width and filters must be positive, "
            f"got kernel_sizes={kernel_sizes}, filters={filters}."
        )
    for arg, rate in (("embedding_dropout", embedding_dropout), ("dropout", dropout)):
        if not 0 <= rate < 1:
            raise ValueError(f"{arg} must lie in [0, 1), got {rate}.")

    several = len(kernel_sizes) > 1

    def branches(x):
        pooled = []
        for k in kernel_sizes:
            suffix = f"_{k}" if several else ""
            y = keras.layers.Conv1D(filters, k, padding="same", activation="relu", name=f"conv1d{suffix}")(x)
            pooled.append(keras.layers.GlobalMaxPooling1D(name=f"max_over_tokens{suffix}")(y))
        return keras.layers.Concatenate(name="all_widths")(pooled) if several else pooled[0]

    body = []
    if embedding_dropout:
        body.append(keras.layers.SpatialDropout1D(embedding_dropout, name="embedding_dropout"))
    body.append(branches)
    if dropout:
        body.append(keras.layers.Dropout(dropout, name="dropout"))
    return text_classifier(
        text_vectorizer, body, name=name, max_tokens=max_tokens, embedding_dim=embedding_dim, seed=seed
    )
