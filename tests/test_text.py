"""Tests for helpers.text: the PubMed RCT parser, split_chars, split_sentences, most_wrong."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.text import (
    RCT_LABELS,
    RCTFormatError,
    export_embeddings,
    most_wrong,
    parse_pubmed_rct,
    read_pubmed_rct,
    split_chars,
    split_sentences,
)

# A handmade snippet in the exact on-disk format of PubMed 20k RCT (tabs, '###' ids,
# a blank line after each abstract, numbers replaced with @).
SNIPPET = (
    "###24293578\n"
    "OBJECTIVE\tTo investigate the efficacy of @ weeks of daily low-dose oral prednisolone .\n"
    "METHODS\tA total of @ patients with knee OA were randomized @:@ .\n"
    "RESULTS\tPain was reduced significantly ( p < @ ) .\n"
    "CONCLUSIONS\tLow-dose oral prednisolone had both a short-term and a longer sustained effect .\n"
    "\n"
    "###24854809\n"
    "BACKGROUND\tEmotional eating is associated with overeating .\n"
    "RESULTS\tThe intervention group improved .\n"
    "\n"
)


def test_parse_snippet_records_and_positions():
    records = parse_pubmed_rct(SNIPPET)
    assert len(records) == 6
    first = records[0]
    assert first["abstract_id"] == "24293578"
    assert first["target"] == "OBJECTIVE"
    assert first["text"].startswith("to investigate the efficacy of @ weeks")
    assert [r["line_number"] for r in records] == [0, 1, 2, 3, 0, 1]
    assert [r["total_lines"] for r in records] == [3, 3, 3, 3, 1, 1]
    assert {r["target"] for r in records} <= set(RCT_LABELS)


def test_parse_accepts_lines_and_crlf():
    records = parse_pubmed_rct(SNIPPET.replace("\n", "\r\n").splitlines(keepends=True))
    assert len(records) == 6 and records[-1]["text"] == "the intervention group improved ."


def test_read_pubmed_rct(tmp_path):
    path = tmp_path / "dev.txt"
    path.write_text(SNIPPET, encoding="utf-8")
    frame = read_pubmed_rct(path)
    assert list(frame.columns) == ["abstract_id", "target", "text", "line_number", "total_lines"]
    assert len(frame) == 6


def test_read_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="No PubMed RCT file"):
        read_pubmed_rct(tmp_path / "train.txt")


def test_error_names_file_and_line(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("###1\nMETHODS no tab here\n", encoding="utf-8")
    message = r"train\.txt, line 2: expected 'LABEL<TAB>sentence' but found no tab"
    with pytest.raises(RCTFormatError, match=message):
        read_pubmed_rct(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "METHODS\tA sentence before any id .\n",
            r"line 1: a sentence line comes before any '###<abstract id>'",
        ),
        (
            "###1\nMETHODS    spaces instead of a tab .\n",
            r"line 2: expected 'LABEL<TAB>sentence' but found no tab",
        ),
        (
            "###1\nMETHODS\tok .\nMETHOD\ttypo in the label .\n",
            r"line 3: unknown label 'METHOD'; expected one of BACKGROUND",
        ),
        (
            "###1\n\t a sentence without a label .\n",
            r"line 2: both the label and the sentence must be non-empty",
        ),
        ("###1\nRESULTS\t   \n", r"line 2: both the label and the sentence must be non-empty"),
        ("###1\n\n###2\nRESULTS\tfine .\n", r"line 1: abstract '1' has no sentences"),
        ("###2\nRESULTS\tfine .\n\n###3\n", r"line 4: abstract '3' has no sentences"),
        ("###\nRESULTS\tfine .\n", r"line 1: an abstract header needs an id after '###'"),
        ("", r"no abstracts found; the input is empty"),
        ("\n\n", r"no abstracts found"),
    ],
)
def test_malformed_input_raises_clear_errors(text, message):
    with pytest.raises(RCTFormatError, match=message):
        parse_pubmed_rct(text, source="snippet")


def test_any_label_when_labels_is_none():
    records = parse_pubmed_rct("###1\nCUSTOM\tok .\n", labels=None)
    assert records[0]["target"] == "CUSTOM"


def test_split_chars():
    assert split_chars("ab c") == "a b   c"
    assert split_chars("") == ""
    with pytest.raises(TypeError, match="map it over a list"):
        split_chars(["ab"])  # type: ignore[arg-type]


def test_split_sentences_handles_abbreviations():
    text = (
        "We studied drugs, e.g. aspirin, in @ adults. Smith et al. reported pain (p < @). "
        "Fig. 2 shows it! Was it safe? Yes.\n  It was."
    )
    assert split_sentences(text) == [
        "We studied drugs, e.g. aspirin, in @ adults.",
        "Smith et al. reported pain (p < @).",
        "Fig. 2 shows it!",
        "Was it safe?",
        "Yes.",
        "It was.",
    ]
    assert split_sentences("no final stop") == ["no final stop"]


def test_split_sentences_bad_input():
    with pytest.raises(ValueError, match="empty text"):
        split_sentences("   \n ")
    with pytest.raises(TypeError, match="takes a string"):
        split_sentences(None)  # type: ignore[arg-type]


def test_most_wrong_orders_by_confidence():
    table = most_wrong(["a", "b", "c", "d"], [0, 1, 1, 0], [0.9, 0.05, 0.8, 0.6], n=5)
    assert list(table.text) == ["b", "a", "d"]
    assert list(table.pred) == [0, 1, 1]
    assert len(most_wrong(["a", "b"], [0, 1], np.array([[0.9], [0.2]]), n=1)) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"texts": ["a"], "y_true": [0, 1], "probabilities": [0.1, 0.2]}, "must have the same length"),
        ({"texts": ["a"], "y_true": [0], "probabilities": [1.5]}, r"must lie in \[0, 1\]"),
        ({"texts": ["a"], "y_true": [0], "probabilities": [[0.1, 0.9]]}, "must be 1-D"),
        ({"texts": ["a"], "y_true": [0], "probabilities": [0.1], "n": 0}, "n must be a positive"),
    ],
)
def test_most_wrong_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        most_wrong(**kwargs)


def test_export_embeddings(tmp_path):
    vectors, metadata = export_embeddings(["", "[UNK]", "fire"], np.eye(3), tmp_path / "emb")
    assert np.loadtxt(vectors, delimiter="\t").shape == (3, 3)
    assert metadata.read_text(encoding="utf-8").splitlines() == ["[PAD]", "[UNK]", "fire"]


def test_export_embeddings_bad_input(tmp_path):
    with pytest.raises(ValueError, match="vocabulary has 2 tokens but the embedding matrix has 3 rows"):
        export_embeddings(["a", "b"], np.eye(3), tmp_path)
    with pytest.raises(ValueError, match="must be a 2-D embedding matrix"):
        export_embeddings(["a"], np.ones(3), tmp_path)
