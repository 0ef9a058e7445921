"""Transformer building blocks written with Keras layers, and one greedy decoder.

Notebook 13 builds these by hand before using KerasHub's versions:

- :func:`padding_mask`, :func:`attention_mask`: boolean masks for
  ``keras.layers.MultiHeadAttention`` (``True`` = may attend), built explicitly so their
  shapes can be checked: ``(batch, queries, keys)``;
- :class:`PositionalEmbedding`: token embedding + learned position embedding;
- :class:`TransformerEncoder`: self-attention and a feed-forward block, each with a
  residual connection and layer normalization;
- :class:`TransformerDecoder`: causal self-attention, cross-attention over the encoder's
  outputs, and a feed-forward block;
- :func:`greedy_decode`: the one decoding loop every sequence-to-sequence model of the
  course uses;
- :func:`plot_attention`: attention weights as a heat map, queries down, keys across;
- :func:`tweet_classifier`: notebook 13's text classifier (token + position embeddings, one
  encoder layer, the average of the real tokens, a sigmoid);
- :func:`date_translator` / :func:`keras_hub_translator`: notebook 13's encoder-decoder
  transformer, built from these layers and from KerasHub's (same sizes, same weights count);
- :func:`cross_attention_weights`: what a trained translator's decoder looks at.

Masks are passed as explicit arguments instead of Keras' implicit ``_keras_mask``
propagation, so every attention call shows which positions it may see. The layers are
registered as Keras serializables with a ``get_config``, so models that use them save
to ``.keras`` and load again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

__all__ = [
    "PositionalEmbedding",
    "TransformerDecoder",
    "TransformerEncoder",
    "attention_mask",
    "causal_mask",
    "cross_attention_weights",
    "date_translator",
    "greedy_decode",
    "keras_hub_translator",
    "padding_mask",
    "plot_attention",
    "tweet_classifier",
]


def padding_mask(token_ids, pad_id: int = 0):
    """``True`` where ``token_ids`` holds a real token, ``False`` at padding: ``(batch, length)``."""
    return ops.not_equal(token_ids, pad_id)


def causal_mask(length: int):
    """``(length, length)`` lower-triangular boolean mask: query ``i`` sees keys ``0..i``."""
    rows = ops.expand_dims(ops.arange(length), 1)
    columns = ops.expand_dims(ops.arange(length), 0)
    return ops.greater_equal(rows, columns)


def attention_mask(key_padding, query_length=None, causal: bool = False):
    """The ``(batch, queries, keys)`` mask for ``MultiHeadAttention(attention_mask=...)``.

    Args:
        key_padding: ``(batch, keys)`` boolean, ``True`` for real (non-padding) keys.
        query_length: number of queries; ``None`` means as many as keys (self-attention).
        causal: also hide keys after each query (decoder self-attention; needs
            ``query_length`` equal to the number of keys).

    Raises:
        ValueError: ``key_padding`` is not 2-D, or a causal mask is asked for with
            different query and key lengths.
    """
    if len(key_padding.shape) != 2:
        raise ValueError(
            f"key_padding must be (batch, keys), got shape {tuple(key_padding.shape)}: "
            "build it with padding_mask(token_ids)."
        )
    keys = ops.shape(key_padding)[1]
    queries = keys if query_length is None else query_length
    mask = ops.expand_dims(ops.cast(key_padding, "bool"), 1)  # (batch, 1, keys)
    mask = ops.logical_and(mask, ops.ones((1, queries, 1), dtype="bool"))  # (batch, queries, keys)
    if causal:
        if isinstance(queries, int) and isinstance(keys, int) and queries != keys:
            raise ValueError(
                f"A causal mask needs as many queries as keys (self-attention), got {queries} and {keys}."
            )
        mask = ops.logical_and(mask, ops.expand_dims(causal_mask(keys), 0))
    return mask


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")


@keras.saving.register_keras_serializable(package="course")
class PositionalEmbedding(keras.layers.Layer):
    """Token embedding plus a learned embedding of each position ``0..sequence_length-1``.

    Attention on its own ignores word order; adding a vector that depends on the position
    lets the model tell "dog bites man" from "man bites dog".

    Raises:
        ValueError: a size that is not a positive integer.
    """

    def __init__(self, sequence_length: int, vocabulary_size: int, embedding_dim: int, **kwargs):
        super().__init__(**kwargs)
        _check_positive(
            sequence_length=sequence_length, vocabulary_size=vocabulary_size, embedding_dim=embedding_dim
        )
        self.sequence_length = sequence_length
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.token_embedding = keras.layers.Embedding(vocabulary_size, embedding_dim, name="token")
        self.position_embedding = keras.layers.Embedding(sequence_length, embedding_dim, name="position")

    def build(self, input_shape):
        self.token_embedding.build(input_shape)
        self.position_embedding.build((None,))
        self.built = True

    def call(self, token_ids):
        positions = ops.arange(ops.shape(token_ids)[-1])
        return self.token_embedding(token_ids) + self.position_embedding(positions)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.embedding_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "sequence_length": self.sequence_length,
            "vocabulary_size": self.vocabulary_size,
            "embedding_dim": self.embedding_dim,
        }


class _Block(keras.layers.Layer):
    """Shared constructor, config and feed-forward part of the encoder and decoder."""

    def __init__(self, embedding_dim: int, dense_dim: int, num_heads: int, dropout: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        _check_positive(embedding_dim=embedding_dim, dense_dim=dense_dim, num_heads=num_heads)
        if embedding_dim % num_heads:
            raise ValueError(
                f"embedding_dim ({embedding_dim}) must be divisible by num_heads ({num_heads}): "
                "each head gets embedding_dim // num_heads numbers."
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout is a rate in [0, 1), got {dropout}.")
        self.embedding_dim, self.dense_dim = embedding_dim, dense_dim
        self.num_heads, self.dropout_rate = num_heads, dropout
        self.feed_forward = keras.Sequential(
            [keras.layers.Dense(dense_dim, activation="relu"), keras.layers.Dense(embedding_dim)],
            name="feed_forward",
        )
        self.dropout = keras.layers.Dropout(dropout)

    def _attention(self, name: str) -> keras.layers.MultiHeadAttention:
        return keras.layers.MultiHeadAttention(
            self.num_heads, self.embedding_dim // self.num_heads, dropout=self.dropout_rate, name=name
        )

    def compute_output_shape(self, input_shape, *args, **kwargs):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "embedding_dim": self.embedding_dim,
            "dense_dim": self.dense_dim,
            "num_heads": self.num_heads,
            "dropout": self.dropout_rate,
        }


@keras.saving.register_keras_serializable(package="course")
class TransformerEncoder(_Block):
    """Self-attention + feed-forward, each followed by a residual add and layer normalization.

    Call it as ``encoder(x, padding_mask=mask)`` with ``x`` of shape ``(batch, length,
    embedding_dim)`` and ``mask`` of shape ``(batch, length)`` (``True`` for real tokens);
    the output has the shape of ``x``.

    Raises:
        ValueError: a size that is not a positive integer, ``embedding_dim`` not divisible
            by ``num_heads``, or a dropout rate outside [0, 1).
    """

    def __init__(self, embedding_dim: int, dense_dim: int, num_heads: int, dropout: float = 0.1, **kwargs):
        super().__init__(embedding_dim, dense_dim, num_heads, dropout, **kwargs)
        self.attention = self._attention("self_attention")
        self.norm_attention = keras.layers.LayerNormalization(name="norm_attention")
        self.norm_output = keras.layers.LayerNormalization(name="norm_output")

    def build(self, input_shape):
        self.attention.build(input_shape, input_shape)
        self.norm_attention.build(input_shape)
        self.feed_forward.build(input_shape)
        self.norm_output.build(input_shape)
        self.built = True

    def call(self, inputs, padding_mask=None, training=None, return_attention_scores=False):
        mask = None if padding_mask is None else attention_mask(padding_mask)
        attended, scores = self.attention(
            inputs, inputs, attention_mask=mask, training=training, return_attention_scores=True
        )
        x = self.norm_attention(inputs + self.dropout(attended, training=training))
        outputs = self.norm_output(x + self.dropout(self.feed_forward(x), training=training))
        return (outputs, scores) if return_attention_scores else outputs


@keras.saving.register_keras_serializable(package="course")
class TransformerDecoder(_Block):
    """Causal self-attention, cross-attention over the encoder outputs, feed-forward.

    Call it as ``decoder(y, encoder_outputs, decoder_padding_mask=..., encoder_padding_mask=...)``:
    position ``i`` of ``y`` sees positions ``0..i`` of ``y`` (never the future, the token
    it must predict) and every non-padding position of the encoder outputs. With
    ``return_attention_scores=True`` it also returns the cross-attention weights,
    ``(batch, heads, target length, source length)``.

    Raises:
        ValueError: as :class:`TransformerEncoder`.
    """

    def __init__(self, embedding_dim: int, dense_dim: int, num_heads: int, dropout: float = 0.1, **kwargs):
        super().__init__(embedding_dim, dense_dim, num_heads, dropout, **kwargs)
        self.self_attention = self._attention("causal_self_attention")
        self.cross_attention = self._attention("cross_attention")
        self.norm_self = keras.layers.LayerNormalization(name="norm_self_attention")
        self.norm_cross = keras.layers.LayerNormalization(name="norm_cross_attention")
        self.norm_output = keras.layers.LayerNormalization(name="norm_output")

    def build(self, inputs_shape, encoder_outputs_shape=None):
        encoder_shape = inputs_shape if encoder_outputs_shape is None else encoder_outputs_shape
        self.self_attention.build(inputs_shape, inputs_shape)
        self.cross_attention.build(inputs_shape, encoder_shape)
        for layer in (self.norm_self, self.norm_cross, self.norm_output, self.feed_forward):
            layer.build(inputs_shape)
        self.built = True

    def call(
        self,
        inputs,
        encoder_outputs,
        decoder_padding_mask=None,
        encoder_padding_mask=None,
        training=None,
        return_attention_scores=False,
    ):
        length = ops.shape(inputs)[1]
        if decoder_padding_mask is None:
            decoder_padding_mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        if encoder_padding_mask is None:
            encoder_padding_mask = ops.ones(ops.shape(encoder_outputs)[:2], dtype="bool")
        self_mask = attention_mask(decoder_padding_mask, causal=True)
        cross_mask = attention_mask(encoder_padding_mask, query_length=length)
        attended = self.self_attention(inputs, inputs, attention_mask=self_mask, training=training)
        x = self.norm_self(inputs + self.dropout(attended, training=training))
        crossed, scores = self.cross_attention(
            x, encoder_outputs, attention_mask=cross_mask, training=training, return_attention_scores=True
        )
        x = self.norm_cross(x + self.dropout(crossed, training=training))
        outputs = self.norm_output(x + self.dropout(self.feed_forward(x), training=training))
        return (outputs, scores) if return_attention_scores else outputs


def greedy_decode(
    predict: Callable,
    source_ids: np.ndarray,
    start_id: int,
    end_id: int,
    max_length: int,
    batch_size: int = 1024,
) -> np.ndarray:
    """Translate a batch greedily: feed the tokens chosen so far, keep the most likely next.

    ``predict([source_ids, target_ids])`` must return next-token scores of shape
    ``(batch, max_length, vocabulary)`` where position ``i`` is the prediction after
    seeing target tokens ``0..i`` (a teacher-forced seq2seq model, e.g. ``model.predict_on_batch``
    or the model itself). Decoding starts from ``start_id``; after ``end_id`` every token is
    set to padding (0). Works on ``batch_size`` examples at a time; the model always sees
    target inputs of the same length ``max_length``, so it compiles one graph.

    Returns:
        ``(batch, max_length)`` int array of predicted tokens (the start token not included).

    Raises:
        ValueError: ``source_ids`` is not 2-D or empty, ``max_length`` or ``batch_size``
            is not positive, or the model returns scores of the wrong shape.
    """
    source_ids = np.asarray(source_ids)
    if source_ids.ndim != 2 or len(source_ids) == 0:
        raise ValueError(
            "source_ids must be a non-empty (batch, length) array of token ids, "
            f"got shape {source_ids.shape}."
        )
    _check_positive(max_length=max_length, batch_size=batch_size)
    outputs = []
    for first in range(0, len(source_ids), batch_size):
        source = source_ids[first : first + batch_size]
        target = np.zeros((len(source), max_length), dtype="int64")
        target[:, 0] = start_id
        generated = np.zeros((len(source), max_length), dtype="int64")
        finished = np.zeros(len(source), dtype=bool)
        for i in range(max_length):
            scores = np.asarray(predict([source, target]))
            if scores.ndim != 3 or scores.shape[:2] != (len(source), max_length):
                raise ValueError(
                    f"predict returned scores of shape {scores.shape}; expected (batch={len(source)}, "
                    f"max_length={max_length}, vocabulary): one score vector per target position."
                )
            next_token = scores[:, i].argmax(axis=-1)
            next_token[finished] = 0
            generated[:, i] = next_token
            finished |= next_token == end_id
            if i + 1 < max_length:
                target[:, i + 1] = next_token
            if finished.all():
                break
        outputs.append(generated)
    return np.concatenate(outputs)


def plot_attention(
    weights,
    key_labels: Sequence[str],
    query_labels: Sequence[str],
    ax=None,
    title: str | None = None,
):
    """Draw attention weights as a heat map: one row per query, one column per key.

    Args:
        weights: ``(queries, keys)`` array (average or pick heads first).
        key_labels, query_labels: tick labels (tokens or characters).
        ax: the matplotlib Axes to draw on; a new figure when ``None``.
        title: the Axes title.

    Returns:
        The Axes.

    Raises:
        ValueError: ``weights`` is not 2-D or its shape does not match the labels.
    """
    import matplotlib.pyplot as plt

    weights = np.asarray(weights)
    if weights.ndim != 2:
        raise ValueError(
            f"weights must be (queries, keys), got shape {weights.shape}: "
            "pick one example and one head, or average over heads, first."
        )
    if weights.shape != (len(query_labels), len(key_labels)):
        raise ValueError(
            f"weights have shape {weights.shape} but there are {len(query_labels)} query labels "
            f"and {len(key_labels)} key labels."
        )
    if ax is None:
        width, height = max(3.0, 0.35 * len(key_labels) + 1.5), max(2.5, 0.35 * len(query_labels) + 1)
        _, ax = plt.subplots(figsize=(width, height))
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, aspect="auto")
    ax.set_xticks(range(len(key_labels)), [repr(k)[1:-1] if k == " " else k for k in key_labels])
    ax.set_yticks(range(len(query_labels)), list(query_labels))
    ax.set(xlabel="keys (attended to)", ylabel="queries")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def tweet_classifier(
    text_vectorizer,
    *,
    sequence_length: int,
    max_tokens: int,
    embedding_dim: int,
    dense_dim: int,
    num_heads: int,
    dropout: float = 0.1,
    head_dropout: float = 0.3,
    seed: int | None = None,
) -> keras.Model:
    """string -> tokens -> token + position embeddings -> encoder -> masked average -> probability.

    ``text_vectorizer`` is an adapted ``TextVectorization`` that pads or cuts every text to
    ``sequence_length`` tokens. One :class:`TransformerEncoder` layer reads the embedded
    tokens with a padding mask; ``GlobalAveragePooling1D`` averages the real (non-padding)
    tokens only; ``Dropout(head_dropout)`` and a sigmoid give the probability of the positive
    class. Compiled with binary cross-entropy, Adam and accuracy; ``seed`` (when given) seeds
    the initial weights.

    Raises:
        ValueError: as :class:`PositionalEmbedding` and :class:`TransformerEncoder`, or a
            ``head_dropout`` outside [0, 1).
    """
    if not 0.0 <= head_dropout < 1.0:
        raise ValueError(f"head_dropout is a rate in [0, 1), got {head_dropout}.")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(), dtype="string", name="tweet")
    token_ids = text_vectorizer(inputs)
    real_tokens = padding_mask(token_ids)
    x = PositionalEmbedding(sequence_length, max_tokens, embedding_dim, name="embedding")(token_ids)
    x = TransformerEncoder(embedding_dim, dense_dim, num_heads, dropout, name="encoder")(
        x, padding_mask=real_tokens
    )
    x = keras.layers.GlobalAveragePooling1D(name="average_real_tokens")(x, mask=real_tokens)
    x = keras.layers.Dropout(head_dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="probability")(x)
    model = keras.Model(inputs, outputs, name="tweet_transformer")
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(), metrics=["accuracy"])
    return model


def _compile_translator(model: keras.Model) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=0),
        metrics=["accuracy"],
    )
    return model


def date_translator(
    *,
    source_length: int,
    source_vocabulary: int,
    target_length: int,
    target_vocabulary: int,
    embedding_dim: int,
    dense_dim: int,
    num_heads: int,
    dropout: float = 0.1,
    seed: int | None = None,
    name: str = "date_translator",
) -> keras.Model:
    """An encoder-decoder transformer: ``(source ids, target ids so far)`` -> next-token probabilities.

    The encoder (:class:`PositionalEmbedding` ``"source_embedding"`` then
    :class:`TransformerEncoder` ``"encoder"``) reads the source with its padding mask; the
    decoder (``"target_embedding"``, :class:`TransformerDecoder` ``"decoder"``) reads the
    target so far with a causal mask and attends to the encoder's outputs; a softmax
    ``Dense`` (``"next_character"``) scores the next token at every target position. Inputs:
    ``"source"`` ``(batch, source_length)`` and ``"target_so_far"`` ``(batch, target_length)``,
    int64, 0 = padding. Compiled with Adam(1e-3) and a sparse cross-entropy that ignores
    padding (``ignore_class=0``), for teacher forcing.

    Raises:
        ValueError: as the layers it uses (a size that is not positive, ``embedding_dim``
            not divisible by ``num_heads``, a dropout rate outside [0, 1)).
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    source = keras.Input((source_length,), dtype="int64", name="source")
    target_so_far = keras.Input((target_length,), dtype="int64", name="target_so_far")
    real_source = padding_mask(source)
    x = PositionalEmbedding(source_length, source_vocabulary, embedding_dim, name="source_embedding")(source)
    encoded = TransformerEncoder(embedding_dim, dense_dim, num_heads, dropout, name="encoder")(
        x, padding_mask=real_source
    )
    y = PositionalEmbedding(target_length, target_vocabulary, embedding_dim, name="target_embedding")(
        target_so_far
    )
    decoded = TransformerDecoder(embedding_dim, dense_dim, num_heads, dropout, name="decoder")(
        y, encoded, decoder_padding_mask=padding_mask(target_so_far), encoder_padding_mask=real_source
    )
    outputs = keras.layers.Dense(target_vocabulary, activation="softmax", name="next_character")(decoded)
    return _compile_translator(keras.Model([source, target_so_far], outputs, name=name))


def keras_hub_translator(
    *,
    source_length: int,
    source_vocabulary: int,
    target_length: int,
    target_vocabulary: int,
    embedding_dim: int,
    dense_dim: int,
    num_heads: int,
    dropout: float = 0.1,
    seed: int | None = None,
) -> keras.Model:
    """:func:`date_translator` rebuilt from KerasHub's layers: same inputs, sizes and weights count.

    ``keras_hub.layers.TokenAndPositionEmbedding``, ``TransformerEncoder`` and
    ``TransformerDecoder`` (which adds the causal mask itself), with the same padding masks.

    Raises:
        ImportError: KerasHub is not installed (``pip install keras-hub``).
    """
    import keras_hub

    if seed is not None:
        keras.utils.set_random_seed(seed)
    source = keras.Input((source_length,), dtype="int64", name="source")
    target_so_far = keras.Input((target_length,), dtype="int64", name="target_so_far")
    real_source = padding_mask(source)
    x = keras_hub.layers.TokenAndPositionEmbedding(source_vocabulary, source_length, embedding_dim)(source)
    encoded = keras_hub.layers.TransformerEncoder(dense_dim, num_heads, dropout=dropout)(
        x, padding_mask=real_source
    )
    y = keras_hub.layers.TokenAndPositionEmbedding(target_vocabulary, target_length, embedding_dim)(
        target_so_far
    )
    decoded = keras_hub.layers.TransformerDecoder(dense_dim, num_heads, dropout=dropout)(
        y, encoded, decoder_padding_mask=padding_mask(target_so_far), encoder_padding_mask=real_source
    )
    outputs = keras.layers.Dense(target_vocabulary, activation="softmax", name="next_character")(decoded)
    return _compile_translator(keras.Model([source, target_so_far], outputs, name="keras_hub_translator"))


def cross_attention_weights(model: keras.Model, source_ids, target_ids) -> np.ndarray:
    """The decoder's cross-attention weights of a :func:`date_translator` model.

    Runs the model's named layers (``source_embedding``, ``encoder``, ``target_embedding``,
    ``decoder``) on ``source_ids`` ``(batch, source length)`` and ``target_ids`` ``(batch,
    target length)``, the decoder's input (start token first), in inference mode.

    Returns:
        ``(batch, heads, target length, source length)`` array: row ``i`` says which source
        positions target position ``i`` looked at.

    Raises:
        ValueError: the model lacks one of those layers (it is not a :func:`date_translator`).
    """
    names = ("source_embedding", "encoder", "target_embedding", "decoder")
    present = {layer.name for layer in model.layers}
    missing = [name for name in names if name not in present]
    if missing:
        raise ValueError(
            f"model {model.name!r} has no layer(s) {missing}: pass a model built by date_translator."
        )
    source_ids, target_ids = np.asarray(source_ids), np.asarray(target_ids)
    real_source = padding_mask(source_ids)
    encoded = model.get_layer("encoder")(
        model.get_layer("source_embedding")(source_ids), padding_mask=real_source
    )
    _, weights = model.get_layer("decoder")(
        model.get_layer("target_embedding")(target_ids),
        encoded,
        decoder_padding_mask=padding_mask(target_ids),
        encoder_padding_mask=real_source,
        return_attention_scores=True,
    )
    return ops.convert_to_numpy(weights)
