"""Tests for helpers.transformer: masks, the encoder/decoder layers, .keras round trips, greedy decoding."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers.transformer import (
    PositionalEmbedding,
    TransformerDecoder,
    TransformerEncoder,
    attention_mask,
    causal_mask,
    greedy_decode,
    padding_mask,
    plot_attention,
)

TOKENS = np.array([[5, 3, 7, 0, 0], [2, 4, 0, 0, 0]])


def test_padding_and_attention_masks_on_a_toy_batch():
    padding = keras.ops.convert_to_numpy(padding_mask(TOKENS))
    np.testing.assert_array_equal(padding, TOKENS != 0)
    self_mask = keras.ops.convert_to_numpy(attention_mask(padding))
    assert self_mask.shape == (2, 5, 5)  # (batch, queries, keys)
    np.testing.assert_array_equal(self_mask[1], np.tile([True, True, False, False, False], (5, 1)))
    causal = keras.ops.convert_to_numpy(attention_mask(padding, causal=True))
    np.testing.assert_array_equal(causal[0, 1], [True, True, False, False, False])  # no future keys
    np.testing.assert_array_equal(causal[0, 4], [True, True, True, False, False])  # no padding keys
    cross = keras.ops.convert_to_numpy(attention_mask(padding, query_length=3))
    assert cross.shape == (2, 3, 5)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(causal_mask(3)), np.tril(np.ones((3, 3), bool)))


def test_attention_mask_bad_input():
    with pytest.raises(ValueError, match=r"key_padding must be \(batch, keys\)"):
        attention_mask(np.ones(5, bool))
    with pytest.raises(ValueError, match="A causal mask needs as many queries as keys"):
        attention_mask(np.ones((2, 5), bool), query_length=3, causal=True)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TransformerEncoder(30, 64, 4), r"embedding_dim \(30\) must be divisible by num_heads \(4\)"),
        (lambda: TransformerDecoder(32, 0, 4), "dense_dim must be a positive integer"),
        (lambda: TransformerEncoder(32, 64, 4, dropout=1.0), r"dropout is a rate in \[0, 1\)"),
        (lambda: PositionalEmbedding(0, 100, 16), "sequence_length must be a positive integer"),
    ],
)
def test_layers_reject_bad_sizes(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_encoder_ignores_what_sits_under_the_padding_mask():
    keras.utils.set_random_seed(0)
    encoder = TransformerEncoder(16, 32, 4, dropout=0.0)
    x = np.random.default_rng(0).normal(size=(2, 5, 16)).astype("float32")
    changed = x.copy()
    changed[:, 3:] = 100.0  # only padded positions differ
    mask = TOKENS != 0
    a = keras.ops.convert_to_numpy(encoder(x, padding_mask=mask))
    b = keras.ops.convert_to_numpy(encoder(changed, padding_mask=mask))
    np.testing.assert_allclose(a[0, :3], b[0, :3], atol=1e-5)
    np.testing.assert_allclose(a[1, :2], b[1, :2], atol=1e-5)
    assert not np.allclose(keras.ops.convert_to_numpy(encoder(changed)), a, atol=1e-3)  # no mask: it leaks


def _seq2seq(source_length=6, target_length=4, vocabulary=9):
    source = keras.Input((source_length,), dtype="int32")
    target = keras.Input((target_length,), dtype="int32")
    source_padding = padding_mask(source)
    encoded = TransformerEncoder(16, 32, 4)(PositionalEmbedding(source_length, 20, 16)(source),
                                            padding_mask=source_padding)
    decoded = TransformerDecoder(16, 32, 4)(PositionalEmbedding(target_length, vocabulary, 16)(target),
                                            encoded, encoder_padding_mask=source_padding)
    return keras.Model([source, target], keras.layers.Dense(vocabulary, activation="softmax")(decoded))


def test_decoder_is_causal():
    keras.utils.set_random_seed(1)
    model = _seq2seq()
    source = np.array([[3, 4, 5, 0, 0, 0]])
    target = np.array([[1, 2, 3, 4]])
    later_changed = np.array([[1, 2, 7, 8]])
    a, b = model.predict([source, target], verbose=0), model.predict([source, later_changed], verbose=0)
    np.testing.assert_allclose(a[:, :2], b[:, :2], atol=1e-6)  # positions 0, 1 cannot see 2, 3
    assert not np.allclose(a[:, 2:], b[:, 2:])


def test_models_with_the_layers_round_trip_through_keras_files(tmp_path):
    keras.utils.set_random_seed(2)
    tokens = keras.Input((5,), dtype="int32")
    hidden = TransformerEncoder(16, 32, 4, name="encoder")(PositionalEmbedding(5, 10, 16)(tokens),
                                                           padding_mask=padding_mask(tokens))
    pooled = keras.layers.GlobalAveragePooling1D()(hidden)
    classifier = keras.Model(tokens, keras.layers.Dense(1, activation="sigmoid")(pooled))
    seq2seq = _seq2seq()
    source, target = np.array([[3, 4, 5, 0, 0, 0]] * 2), np.array([[1, 2, 3, 4]] * 2)
    for model, inputs in ((classifier, TOKENS), (seq2seq, [source, target])):
        path = tmp_path / f"{model.name}.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_array_equal(model.predict(inputs, verbose=0), loaded.predict(inputs, verbose=0))
    config = classifier.get_layer("encoder").get_config()
    assert {k: config[k] for k in ("embedding_dim", "dense_dim", "num_heads", "dropout")} == {
        "embedding_dim": 16, "dense_dim": 32, "num_heads": 4, "dropout": 0.1}
    assert TransformerEncoder.from_config(config).get_config() == config


def _scripted(sequences: np.ndarray, vocabulary: int = 6):
    """A fake model that always predicts ``sequences`` (one row per example), one-hot."""
    calls = []

    def predict(inputs):
        source, target = inputs
        calls.append(target.copy())
        return np.eye(vocabulary)[sequences[: len(source)]]

    return predict, calls


def test_greedy_decode_feeds_its_own_tokens_and_stops_at_the_end_token():
    sequences = np.array([[3, 4, 2, 5], [4, 4, 4, 4]])  # 2 = end token
    predict, calls = _scripted(sequences)
    out = greedy_decode(predict, np.ones((2, 7), int), start_id=1, end_id=2, max_length=4)
    np.testing.assert_array_equal(out, [[3, 4, 2, 0], [4, 4, 4, 4]])  # padding after the end token
    np.testing.assert_array_equal(calls[-1], [[1, 3, 4, 2], [1, 4, 4, 4]])  # start + its own tokens
    predict, calls = _scripted(np.array([[2, 3, 3, 3]] * 3))
    greedy_decode(predict, np.ones((3, 7), int), start_id=1, end_id=2, max_length=4, batch_size=2)
    assert len(calls) == 2  # every example finished after one step, in each of the two batches


def test_greedy_decode_bad_input():
    predict, _ = _scripted(np.array([[3, 4, 2, 5]]))
    with pytest.raises(ValueError, match=r"source_ids must be a non-empty \(batch, length\) array"):
        greedy_decode(predict, np.ones(7, int), 1, 2, 4)
    with pytest.raises(ValueError, match="max_length must be a positive integer"):
        greedy_decode(predict, np.ones((1, 7), int), 1, 2, 0)
    with pytest.raises(ValueError, match=r"predict returned scores of shape \(1, 4, 6\); expected"):
        greedy_decode(predict, np.ones((1, 7), int), 1, 2, 5)


def test_plot_attention_draws_and_checks_shapes():
    import matplotlib

    matplotlib.use("Agg")
    ax = plot_attention(np.full((2, 3), 1 / 3), ["a", " ", "c"], ["x", "y"], title="toy")
    assert ax.get_title() == "toy" and len(ax.get_xticklabels()) == 3
    with pytest.raises(ValueError, match=r"weights must be \(queries, keys\)"):
        plot_attention(np.ones((1, 2, 3)), ["a", "b", "c"], ["x", "y"])
    with pytest.raises(ValueError, match="there are 2 query labels and 2 key labels"):
        plot_attention(np.ones((2, 3)), ["a", "b"], ["x", "y"])


def test_tweet_classifier_builds_saves_and_checks_its_head_dropout(tmp_path):
    import tensorflow as tf

    from helpers.transformer import tweet_classifier

    vectorizer = keras.layers.TextVectorization(max_tokens=30, output_sequence_length=6)
    vectorizer.adapt(["forest fire near the town", "i love this song"])
    model = tweet_classifier(vectorizer, sequence_length=6, max_tokens=30, embedding_dim=8, dense_dim=16,
                             num_heads=2, seed=0)
    texts = tf.constant(["fire in the town", "a song"])
    probabilities = model.predict(texts, verbose=0)
    assert probabilities.shape == (2, 1)
    assert isinstance(model.get_layer("encoder"), TransformerEncoder)
    model.save(tmp_path / "tweet.keras")
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "tweet.keras").predict(texts, verbose=0),
                               probabilities, atol=1e-6)
    with pytest.raises(ValueError, match="head_dropout is a rate"):
        tweet_classifier(vectorizer, sequence_length=6, max_tokens=30, embedding_dim=8, dense_dim=16,
                         num_heads=2, head_dropout=1.5)


SIZES = dict(source_length=7, source_vocabulary=12, target_length=5, target_vocabulary=9, embedding_dim=8,
             dense_dim=16, num_heads=2)


def test_date_translator_and_keras_hub_translator_match_in_shape_and_size():
    from helpers.transformer import date_translator, keras_hub_translator

    by_hand = date_translator(**SIZES, seed=0)
    hub = keras_hub_translator(**SIZES, seed=0)
    assert by_hand.count_params() == hub.count_params()
    source = np.array([[3, 4, 5, 0, 0, 0, 0]])
    target = np.array([[1, 2, 0, 0, 0]])
    for model in (by_hand, hub):
        scores = model.predict([source, target], verbose=0)
        assert scores.shape == (1, 5, 9)
        np.testing.assert_allclose(scores.sum(axis=-1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        date_translator(**{**SIZES, "num_heads": 3})


def test_cross_attention_weights_shape_and_padding():
    from helpers.transformer import cross_attention_weights, date_translator

    model = date_translator(**SIZES, seed=0)
    source = np.array([[3, 4, 5, 0, 0, 0, 0], [6, 7, 0, 0, 0, 0, 0]])
    target = np.array([[1, 2, 3, 0, 0], [1, 0, 0, 0, 0]])
    weights = cross_attention_weights(model, source, target)
    assert weights.shape == (2, 2, 5, 7)  # (batch, heads, target, source)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(weights[1, :, :, 2:], 0.0, atol=1e-7)  # padding of the source gets nothing
    toy = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="toy")
    with pytest.raises(ValueError, match="pass a model built by date_translator"):
        cross_attention_weights(toy, source, target)
