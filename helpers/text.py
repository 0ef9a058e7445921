"""Text helpers for the NLP notebooks (07 disaster tweets, 08 SkimLit).

- :func:`parse_pubmed_rct` / :func:`read_pubmed_rct`: the PubMed 200k/20k RCT line format
  (``###<abstract id>``, then ``LABEL<TAB>sentence`` lines, a blank line between
  abstracts) into one record per sentence, with its position in the abstract;
- :func:`split_chars`: a sentence as space-separated characters, for character-level
  ``TextVectorization``;
- :func:`split_sentences`: a light, offline sentence splitter for raw abstracts;
- :func:`most_wrong`: the confidently wrong predictions of a binary classifier;
- :func:`export_embeddings`: an embedding matrix and its vocabulary as the two TSV files
  the TensorBoard Embedding Projector (projector.tensorflow.org) reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

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
    """
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

    Raises:
        FileNotFoundError: the file does not exist.
        RCTFormatError: the file is not in the PubMed RCT format (see :func:`parse_pubmed_rct`).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No PubMed RCT file at {path}: expected train.txt, dev.txt or test.txt.")
    with open(path, encoding="utf-8") as handle:
        records = parse_pubmed_rct(handle, labels=labels, source=path.name)
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
        ValueError: the inputs have different lengths, probabilities are not 1-D or lie
            outside [0, 1], or ``n`` is not positive.
    """
    probs = np.asarray(probabilities, dtype=float)
    if probs.ndim == 2 and probs.shape[1] == 1:
        probs = probs[:, 0]
    if probs.ndim != 1:
        raise ValueError(
            "probabilities must be 1-D (one probability of the positive class per example), "
            f"got shape {probs.shape}."
        )
    y = np.asarray(y_true).astype(int)
    if not len(texts) == len(y) == len(probs):
        raise ValueError(
            f"texts ({len(texts)}), y_true ({len(y)}) and probabilities ({len(probs)}) "
            "must have the same length."
        )
    if probs.size and (probs.min() < 0 or probs.max() > 1):
        raise ValueError("probabilities must lie in [0, 1]: pass sigmoid outputs, not logits.")
    if n <= 0:
        raise ValueError(f"n must be a positive number of rows, got {n}.")
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
