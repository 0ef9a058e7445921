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


def _tweets(n: int = 50):
    import pandas as pd

    return pd.DataFrame(
        {"id": range(n), "text": [f"tweet number {i}" for i in range(n)], "target": [i % 2 for i in range(n)]}
    )


def test_disaster_tweets_split_is_notebook_07s_split():
    from sklearn.model_selection import train_test_split

    from helpers.text import disaster_tweets_split

    frame = _tweets()
    train_x, val_x, train_y, val_y = disaster_tweets_split(frame, 0.1)
    shuffled = frame.sample(frac=1, random_state=42)
    expected = train_test_split(
        shuffled["text"].to_numpy(), shuffled["target"].to_numpy(), test_size=0.1, random_state=42
    )
    for got, want in zip((train_x, val_x, train_y, val_y), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(val_x) == 5 and set(train_x).isdisjoint(val_x)
    # Another seed gives another split; the same seed the same one.
    assert list(disaster_tweets_split(frame, 0.1, seed=1)[1]) != list(val_x)
    assert list(disaster_tweets_split(frame, 0.1)[1]) == list(val_x)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"validation_fraction": 0.0}, "strictly between 0 and 1, got 0.0"),
        ({"validation_fraction": 1.5}, "strictly between 0 and 1, got 1.5"),
        ({"validation_fraction": 0.1, "frame": "no_target"}, r"lacks the column\(s\) \['target'\]"),
        ({"validation_fraction": 0.1, "frame": "one_row"}, "at least two tweets"),
    ],
)
def test_disaster_tweets_split_bad_input(kwargs, message):
    from helpers.text import disaster_tweets_split

    frame = {"no_target": _tweets().drop(columns="target"), "one_row": _tweets(1)}.get(
        kwargs.pop("frame", None), _tweets()
    )
    with pytest.raises(ValueError, match=message):
        disaster_tweets_split(frame, **kwargs)


def test_make_text_dataset_batches_shuffles_and_repeats():
    from helpers.text import make_text_dataset

    texts, labels = np.array([f"t{i}" for i in range(10)]), np.arange(10)
    plain = make_text_dataset(texts, labels, batch_size=4)
    batches = [(x.numpy(), y.numpy()) for x, y in plain]
    assert [len(y) for _, y in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), labels)  # in order
    shuffled = np.concatenate([y.numpy() for _, y in make_text_dataset(texts, labels, shuffle=True)])
    assert sorted(shuffled) == list(labels) and list(shuffled) != list(labels)
    only_texts = make_text_dataset(texts, batch_size=3)
    assert only_texts.element_spec.shape.as_list() == [None]
    named = make_text_dataset({"a": texts, "b": labels}, labels, batch_size=5, repeat=True, shuffle=True,
                              shuffle_buffer=3)
    assert len(list(named.take(7))) == 7  # endless


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"features": ["a", "b"], "labels": [1]}, r"one row per example, got lengths \[1, 2\]"),
        ({"features": {"a": ["x"], "b": ["y", "z"]}}, r"got lengths \[1, 2\]"),
        ({"features": []}, "got no examples"),
        ({"features": ["a"], "batch_size": 0}, "batch_size must be a positive"),
        ({"features": ["a"], "shuffle": True, "shuffle_buffer": 0}, "shuffle_buffer must be positive"),
    ],
)
def test_make_text_dataset_bad_input(kwargs, message):
    from helpers.text import make_text_dataset

    with pytest.raises(ValueError, match=message):
        make_text_dataset(**kwargs)


def test_train_and_record_fits_predicts_and_records(capsys):
    import keras

    from helpers.evaluation import Results
    from helpers.text import make_text_dataset, train_and_record

    texts = np.array(["fire flood help"] * 8 + ["happy song fun"] * 8)
    labels = np.array([1] * 8 + [0] * 8)
    vectorizer = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=3)
    vectorizer.adapt(texts)
    inputs = keras.Input(shape=(), dtype="string")
    x = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(vectorizer(inputs)))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.1), metrics=["accuracy"])
    results = Results()
    history = train_and_record(
        model, "tiny", results, make_text_dataset(texts, labels, batch_size=4, shuffle=True),
        make_text_dataset(texts, labels, batch_size=4), labels, epochs=3,
    )
    assert len(history.history["loss"]) == 3
    assert results["tiny"]["accuracy"] == pytest.approx(1.0)
    assert results.probabilities["tiny"].shape == (16,)
    assert "tiny after 3 epoch(s)" in capsys.readouterr().out
    with pytest.raises(ValueError, match="must yield each example once"):
        train_and_record(model, "bad", results, make_text_dataset(texts, labels),
                         make_text_dataset(texts, labels), labels[:5], epochs=1)
    with pytest.raises(ValueError, match="epochs must be a positive number"):
        train_and_record(model, "bad", results, None, None, labels, epochs=0)


def _tweets_with_duplicates():
    import pandas as pd

    frame = _tweets(40)
    extra = pd.DataFrame(
        {
            "id": range(100, 106),
            # "tweet number 0" twice more with its label 0 (agreeing copies); "tweet number 1"
            # once more with label 0 against its 1 (conflicting), "new" three times agreeing.
            "text": ["tweet number 0", "tweet number 0", "tweet number 1", "new", "new", "new"],
            "target": [0, 0, 0, 1, 1, 1],
        }
    )
    return pd.concat([frame, extra], ignore_index=True)


def test_disaster_tweets_three_way_split_deduplicates_then_splits():
    from helpers.text import disaster_tweets_three_way_split

    frame = _tweets_with_duplicates()
    split = disaster_tweets_three_way_split(frame, 0.2, 0.1)
    train, val, test = set(split.train_sentences), set(split.val_sentences), set(split.test_sentences)
    assert train.isdisjoint(val) and train.isdisjoint(test) and val.isdisjoint(test)
    everything = [*split.train_sentences, *split.val_sentences, *split.test_sentences]
    assert len(everything) == len(set(everything))  # one copy of each kept text
    assert "tweet number 1" not in everything  # its copies disagree: every copy dropped
    assert "tweet number 0" in everything and "new" in everything  # agreeing copies: one kept
    assert split.report == {
        "rows": 46, "conflicting_texts": 1, "dropped_conflicting": 2, "dropped_copies": 4,
        "kept": 40, "train": 28, "validation": 8, "test": 4,
    }
    assert split.report["train"] + split.report["validation"] + split.report["test"] == split.report["kept"]
    # Labels travel with their texts.
    label_of = dict(zip(frame["text"], frame["target"], strict=True))
    pairs = ((split.train_sentences, split.train_labels), (split.test_sentences, split.test_labels))
    for texts, labels in pairs:
        assert [label_of[t] for t in texts] == list(labels)


def test_disaster_tweets_three_way_split_is_deterministic_for_a_seed():
    from helpers.text import disaster_tweets_three_way_split

    frame = _tweets_with_duplicates()
    first, again = (disaster_tweets_three_way_split(frame, 0.2, 0.2, seed=3) for _ in range(2))
    for got, want in zip(first[:6], again[:6], strict=True):
        np.testing.assert_array_equal(got, want)
    other = disaster_tweets_three_way_split(frame, 0.2, 0.2, seed=4)
    assert list(other.test_sentences) != list(first.test_sentences)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"validation_fraction": 0.0, "test_fraction": 0.1}, "validation_fraction must lie strictly between"),
        ({"validation_fraction": 0.1, "test_fraction": 1.0}, "test_fraction must lie strictly .* got 1.0"),
        ({"validation_fraction": 0.5, "test_fraction": 0.5}, r"leave training tweets, got 0.5 \+ 0.5"),
        ({"frame": "no_text"}, r"lacks the column\(s\) \['text'\]"),
        ({"frame": "missing_target"}, "The 'target' column has 1 missing value"),
        ({"frame": "two_rows"}, "2 distinct tweet.s. left after deduplication are too few"),
    ],
)
def test_disaster_tweets_three_way_split_bad_input(kwargs, message):
    from helpers.text import disaster_tweets_three_way_split

    missing_target = _tweets().astype({"target": float})
    missing_target.loc[3, "target"] = np.nan
    frame = {
        "no_text": _tweets().drop(columns="text"),
        "missing_target": missing_target,
        "two_rows": _tweets(2),
    }.get(kwargs.pop("frame", None), _tweets())
    fractions = {"validation_fraction": 0.1, "test_fraction": 0.1, **kwargs}
    with pytest.raises(ValueError, match=message):
        disaster_tweets_three_way_split(frame, **fractions)


def _vectorizer(max_tokens=50, length=6):
    import keras

    vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens, output_sequence_length=length)
    vectorizer.adapt(["a forest fire near the town", "i love this song", "flood warning for the coast"])
    return vectorizer


def test_text_classifier_builds_a_compiled_string_to_probability_model():
    import keras
    import tensorflow as tf

    from helpers.text import text_classifier

    model = text_classifier(_vectorizer(), [keras.layers.LSTM(3)], name="toy", max_tokens=50,
                            embedding_dim=4, mask_padding=True, seed=0)
    assert model.name == "toy" and model.get_layer("embedding").mask_zero
    assert model.get_layer("embedding").count_params() == 50 * 4
    probabilities = model.predict(tf.constant(["fire in the town", "a song"]), verbose=0)
    assert probabilities.shape == (2, 1) and ((probabilities > 0) & (probabilities < 1)).all()
    assert model.loss == "binary_crossentropy"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_tokens": 0}, "must be positive"),
        ({"embedding_dim": -1}, "must be positive"),
        ({"learning_rate": 0}, "learning_rate must be positive"),
        ({"body": "layer"}, "body must be a list of layers"),
    ],
)
def test_text_classifier_bad_input(kwargs, message):
    import keras

    from helpers.text import text_classifier

    arguments = {"body": [keras.layers.GlobalAveragePooling1D()], "max_tokens": 50, "embedding_dim": 4}
    arguments.update(kwargs)
    if arguments["body"] == "layer":
        arguments["body"] = keras.layers.GlobalAveragePooling1D()
    with pytest.raises(ValueError, match=message):
        text_classifier(_vectorizer(), name="bad", **arguments)


def test_dense_average_classifier_is_embedding_average_sigmoid_and_seeded():
    from helpers.text import dense_average_classifier

    vectorizer = _vectorizer()
    first = dense_average_classifier(vectorizer, max_tokens=50, embedding_dim=4, seed=1)
    second = dense_average_classifier(vectorizer, max_tokens=50, embedding_dim=4, seed=1)
    assert [layer.name for layer in first.layers[-2:]] == ["average_tokens", "probability"]
    assert first.count_params() == 50 * 4 + 4 + 1
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_conv1d_classifier_one_or_several_widths():
    import tensorflow as tf

    from helpers.text import conv1d_classifier

    vectorizer = _vectorizer()
    single = conv1d_classifier(vectorizer, max_tokens=50, embedding_dim=4, filters=3, kernel_sizes=(5,))
    assert single.get_layer("conv1d").kernel_size == (5,)
    assert single.count_params() == 50 * 4 + (5 * 4 * 3 + 3) + (3 + 1)
    several = conv1d_classifier(vectorizer, max_tokens=50, embedding_dim=4, filters=2, kernel_sizes=(3, 4),
                                embedding_dropout=0.3, dropout=0.5)
    names = {layer.name for layer in several.layers}
    assert {"conv1d_3", "conv1d_4", "all_widths", "embedding_dropout", "dropout"} <= names
    assert several.get_layer("all_widths").output.shape == (None, 4)
    assert several.predict(tf.constant(["fire near the coast"]), verbose=0).shape == (1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel_sizes": ()}, "at least one positive width"),
        ({"kernel_sizes": (0, 3)}, "at least one positive width"),
        ({"filters": 0}, "filters must be positive"),
        ({"dropout": 1.0}, r"dropout must lie in \[0, 1\)"),
        ({"embedding_dropout": -0.1}, r"embedding_dropout must lie in \[0, 1\)"),
    ],
)
def test_conv1d_classifier_bad_input(kwargs, message):
    from helpers.text import conv1d_classifier

    with pytest.raises(ValueError, match=message):
        conv1d_classifier(_vectorizer(), max_tokens=50, embedding_dim=4, **kwargs)
