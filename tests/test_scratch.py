"""helpers.scratch: NumPy layers, loss, gradient checks and optimisers vs finite differences and Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import scratch

F64 = np.float64


@pytest.mark.parametrize("layer", [
    scratch.Dense(5, 3, dtype=F64, seed=1),
    scratch.Dense(4, 6, init="he_normal", dtype=F64, seed=2),
    scratch.ReLU(),
    scratch.Sigmoid(),
    scratch.Tanh(),
], ids=["dense", "dense_he", "relu", "sigmoid", "tanh"])
def test_every_layer_passes_its_gradient_check(layer):
    x = np.random.default_rng(0).normal(size=(7, 5 if not isinstance(layer, scratch.Dense) else layer.inputs))
    errors = scratch.check_layer_gradients(layer, x)
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < 1e-6, errors


def test_a_wrong_backward_pass_fails_the_gradient_check():
    class BrokenTanh(scratch.Tanh):
        def _backward(self, grad):
            return grad * (1 - self._cache)  # forgot the square

    errors = scratch.check_layer_gradients(BrokenTanh(), np.random.default_rng(0).normal(size=(4, 3)))
    assert errors["x"] > 1e-2


def test_softmax_cross_entropy_matches_keras_and_its_gradient_check():
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(size=(6, 4)) * 3, rng.integers(0, 4, 6)
    loss = scratch.SoftmaxCrossEntropy()
    value = loss.forward(logits, labels)
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")(labels, logits)
    assert value == pytest.approx(float(expected), rel=1e-12)
    numeric = scratch.numerical_gradient(lambda: loss.forward(logits, labels), logits)
    loss.forward(logits, labels)
    assert scratch.relative_error(loss.backward(), numeric) < 1e-8
    assert np.allclose(scratch.softmax(logits).sum(axis=1), 1.0)
    assert np.isfinite(scratch.softmax(np.array([[1000.0, -1000.0]]))).all()  # stable for huge logits


def test_sigmoid_is_stable_for_huge_inputs():
    out = scratch.Sigmoid().forward(np.array([[-1000.0, 0.0, 1000.0]]))
    assert out.tolist() == [[0.0, 0.5, 1.0]]


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_whole_network_gradients_match_finite_differences_and_gradient_tape(activation):
    net = scratch.Sequential.mlp([6, 5, 4, 3], activation=activation, seed=3, dtype=F64)
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, 8)
    errors = scratch.check_network_gradients(net, x, y)
    assert len(errors) == 6 and max(errors.values()) < 1e-6, errors

    model = scratch.keras_mlp([6, 5, 4, 3], activation=activation, dtype="float64")
    model.set_weights(net.parameters())
    with tf.GradientTape() as tape:
        tf_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")(y, model(x))
    tf_grads = tape.gradient(tf_loss, model.trainable_variables)
    loss, grads = net.loss_and_gradients(x, y)
    assert loss == pytest.approx(float(tf_loss), rel=1e-12)
    assert max(np.abs(g - t.numpy()).max() for g, t in zip(grads, tf_grads, strict=True)) < 1e-12


def test_sequential_weights_round_trip_predict_and_evaluate():
    net = scratch.Sequential.mlp([4, 8, 3], seed=0)
    assert [p.shape for p in net.parameters()] == [(4, 8), (8,), (8, 3), (3,)]
    assert all(p.dtype == np.float32 for p in net.parameters())
    new = [np.full_like(p, 0.5) for p in net.parameters()]
    net.set_parameters(new)
    assert all(np.array_equal(a, b) for a, b in zip(net.parameters(), new, strict=True))
    x = np.random.default_rng(0).normal(size=(10, 4)).astype("float32")
    y = np.arange(10) % 3
    assert net.predict(x, batch_size=3).shape == (10,)
    loss, accuracy = net.evaluate(x, y, batch_size=4)
    assert loss == pytest.approx(np.log(3), rel=1e-5) and 0 <= accuracy <= 1  # equal logits: log(3)


@pytest.mark.parametrize("scheme", scratch.INITIALIZERS)
def test_initialisers_have_the_promised_variance(scheme):
    kernel = scratch.init_kernel(400, 200, scheme, np.random.default_rng(0), dtype=F64)
    expected = {"glorot_uniform": 2 / 600, "glorot_normal": 2 / 600, "he_normal": 2 / 400,
                "he_uniform": 2 / 400, "small_normal": 1e-4}[scheme]
    assert kernel.shape == (400, 200) and kernel.var() == pytest.approx(expected, rel=0.02)


def test_minibatches_cover_every_index_once_in_seeded_order():
    batches = scratch.minibatches(10, 4, seed=0)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    again = scratch.minibatches(10, 4, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        scratch.minibatches(10, 0, seed=0)


def _trajectories(mine, theirs, steps=25, dtype="float64", rtol=1e-12):
    """Run a NumPy optimiser and a Keras one from the same start on the same problem, step by step."""
    rng = np.random.default_rng(0)
    target, scale = rng.normal(size=(3, 2)), rng.uniform(0.1, 5.0, size=(3, 2))
    start = [rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=(2,)).astype(dtype)]

    def grads_of(w, b):  # gradient of sum(scale * (w - target)^2) + sum(sin(b) b)
        return [(2 * scale * (w - target)).astype(dtype), (np.sin(b) + b * np.cos(b)).astype(dtype)]

    params = [p.copy() for p in start]
    variables = [keras.Variable(p.copy(), dtype=dtype) for p in start]
    for _ in range(steps):
        mine.apply(grads_of(*params), params)
        theirs.apply([tf.constant(g) for g in grads_of(*(v.numpy() for v in variables))], variables)
        for p, v in zip(params, variables, strict=True):
            np.testing.assert_allclose(p, v.numpy(), rtol=rtol, atol=rtol * 1e-2)
    return params


# In float64 the match is exact to rounding when every hyperparameter is a number float32 holds
# exactly: Keras keeps the learning rate in a float32 variable and, on the TensorFlow backend,
# converts momentum and the Adam betas of its bias correction through float32 constants.
@pytest.mark.parametrize(("mine", "theirs"), [
    (lambda: scratch.SGD(0.125), lambda: keras.optimizers.SGD(0.125)),
    (lambda: scratch.SGD(0.0625, momentum=0.875), lambda: keras.optimizers.SGD(0.0625, momentum=0.875)),
    (lambda: scratch.SGD(0.0625, momentum=0.875, nesterov=True),
     lambda: keras.optimizers.SGD(0.0625, momentum=0.875, nesterov=True)),
    (lambda: scratch.RMSprop(0.03125), lambda: keras.optimizers.RMSprop(0.03125)),
    (lambda: scratch.RMSprop(0.03125, rho=0.8, momentum=0.5, epsilon=1e-3),
     lambda: keras.optimizers.RMSprop(0.03125, rho=0.8, momentum=0.5, epsilon=1e-3)),
    (lambda: scratch.Adam(0.0625, beta_1=0.875, beta_2=0.9990234375),
     lambda: keras.optimizers.Adam(0.0625, beta_1=0.875, beta_2=0.9990234375)),
    (lambda: scratch.Adam(0.0625, beta_1=0.5, beta_2=0.75, epsilon=1e-2),
     lambda: keras.optimizers.Adam(0.0625, beta_1=0.5, beta_2=0.75, epsilon=1e-2)),
], ids=["sgd", "momentum", "nesterov", "rmsprop", "rmsprop_momentum_eps", "adam", "adam_betas_eps"])
def test_optimisers_follow_keras_trajectories_step_for_step_in_float64(mine, theirs):
    optimizer = mine()
    _trajectories(optimizer, theirs())
    assert optimizer.iterations == 25


@pytest.mark.parametrize(("mine", "theirs"), [
    (lambda: scratch.SGD(), lambda: keras.optimizers.SGD()),
    (lambda: scratch.SGD(0.05, momentum=0.9, nesterov=True),
     lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True)),
    (lambda: scratch.RMSprop(), lambda: keras.optimizers.RMSprop()),
    (lambda: scratch.Adam(), lambda: keras.optimizers.Adam()),
], ids=["sgd", "nesterov", "rmsprop", "adam"])
def test_optimisers_with_keras_defaults_follow_keras_in_float32(mine, theirs):
    _trajectories(mine(), theirs(), steps=50, dtype="float32", rtol=1e-5)


def test_epsilon_placement_matters():
    """Adam with epsilon inside the square root (RMSprop's place) would leave Keras' trajectory."""
    class WrongAdam(scratch.Adam):
        def _update(self, grads, params):
            t = self.iterations + 1
            alpha = self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
            slots = zip(grads, params, self._slot("m", params), self._slot("v", params), strict=True)
            for g, p, m, v in slots:
                m += (g - m) * (1 - self.beta_1)
                v += (np.square(g) - v) * (1 - self.beta_2)
                p -= (m * alpha) / np.sqrt(v + self.epsilon)

    with pytest.raises(AssertionError):
        _trajectories(WrongAdam(0.0625, beta_1=0.5, beta_2=0.75, epsilon=1e-2),
                      keras.optimizers.Adam(0.0625, beta_1=0.5, beta_2=0.75, epsilon=1e-2))


def test_layers_refuse_bad_input_with_clear_messages():
    dense = scratch.Dense(4, 2)
    with pytest.raises(ValueError, match="has 3 features per row, but this layer expects 4"):
        dense.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"non-empty 2-D batch .* flatten images first"):
        dense.forward(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="contains 1 NaN or infinite value"):
        dense.forward(np.array([[0.0, np.nan, 0.0, 0.0]]))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        scratch.Dense(4, 2).backward(np.zeros((1, 2)))
    dense.forward(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"gradient of shape \(5, 3\), but the forward output had shape"):
        dense.backward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="Unknown initialisation 'lecun'"):
        scratch.Dense(4, 2, init="lecun")
    with pytest.raises(ValueError, match="inputs >= 1 and units >= 1"):
        scratch.Dense(0, 2)


def test_loss_refuses_bad_labels_with_clear_messages():
    loss, logits = scratch.SoftmaxCrossEntropy(), np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"must lie in \[0, 3\] for 4 classes, got values from 0 to 4"):
        loss.forward(logits, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\]"):
        loss.forward(logits, np.array([-1, 1, 2]))
    with pytest.raises(ValueError, match="1-D array of 3 integer class ids .* not one-hot"):
        loss.forward(logits, np.eye(4)[:3])
    with pytest.raises(ValueError, match="must be integer class ids"):
        loss.forward(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="logits contains 1 NaN"):
        loss.forward(np.array([[0.0, np.nan], [0.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 0]))
    with pytest.raises(RuntimeError, match="before forward"):
        scratch.SoftmaxCrossEntropy().backward()


def test_networks_and_checks_refuse_bad_input_with_clear_messages():
    with pytest.raises(ValueError, match="Dense layer with 5 units is followed by one expecting 4"):
        scratch.Sequential([scratch.Dense(3, 5), scratch.ReLU(), scratch.Dense(4, 2)])
    with pytest.raises(ValueError, match="non-empty list of Layer"):
        scratch.Sequential([])
    with pytest.raises(ValueError, match="Unknown activation 'gelu'"):
        scratch.Sequential.mlp([3, 2], activation="gelu")
    with pytest.raises(ValueError, match="at least the inputs and the classes"):
        scratch.Sequential.mlp([3])
    net = scratch.Sequential.mlp([3, 4, 2])
    with pytest.raises(ValueError, match="Expected 4 arrays"):
        net.set_parameters([np.zeros((3, 4))])
    with pytest.raises(ValueError, match=r"Array 2 has shape \(2, 2\), the parameter needs \(4, 2\)"):
        net.set_parameters([np.zeros((3, 4)), np.zeros(4), np.zeros((2, 2)), np.zeros(2)])
    with pytest.raises(ValueError, match="needs a float64 NumPy array, got float32"):
        scratch.numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="not float64: build the layer with dtype=np.float64"):
        scratch.check_layer_gradients(scratch.Dense(2, 2), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\)"):
        scratch.relative_error(np.zeros(2), np.zeros(3))
    assert scratch.relative_error(np.zeros(2), np.zeros(2)) == 0.0


def test_optimisers_refuse_bad_input_with_clear_messages():
    params = [np.zeros(3)]
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        scratch.SGD(0.0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        scratch.SGD(0.1, momentum=1.5)
    with pytest.raises(ValueError, match="epsilon > 0"):
        scratch.Adam(epsilon=0.0)
    with pytest.raises(ValueError, match="rho < 1"):
        scratch.RMSprop(rho=1.0)
    with pytest.raises(ValueError, match="Got 2 gradients for 1 parameters"):
        scratch.SGD().apply([np.zeros(3), np.zeros(3)], params)
    with pytest.raises(ValueError, match=r"Gradient 0 has shape \(2,\), its parameter \(3,\)"):
        scratch.SGD().apply([np.zeros(2)], params)
    with pytest.raises(ValueError, match="Gradient 0 contains 1 NaN .* lower the learning rate"):
        scratch.Adam().apply([np.array([0.0, np.nan, 0.0])], params)
    adam = scratch.Adam()
    adam.apply([np.ones(3)], params)
    with pytest.raises(ValueError, match="not the ones this optimiser was used on"):
        adam.apply([np.ones(4)], [np.zeros(4)])


def test_train_epoch_lowers_the_loss_and_matches_keras_sgd():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    net = scratch.Sequential.mlp([5, 8, 3], seed=0)
    model = scratch.keras_mlp([5, 8, 3])
    model.set_weights(net.parameters())
    model.compile(optimizer=keras.optimizers.SGD(0.5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    order = np.concatenate(scratch.minibatches(len(x), 16, seed=0))
    first = scratch.train_epoch(net, scratch.SGD(0.5), x, y, batch_size=16, seed=0)
    history = model.fit(x[order], y[order], batch_size=16, shuffle=False, epochs=1, verbose=0)
    keras_loss = history.history["loss"][0]
    assert len(first) == 4 and np.mean(first) == pytest.approx(keras_loss, rel=1e-5)
    for a, b in zip(net.parameters(), model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    later = [np.mean(scratch.train_epoch(net, scratch.SGD(0.5), x, y, 16, seed=e)) for e in range(1, 20)]
    assert later[-1] < first[0]
    with pytest.raises(ValueError, match="x has 64 rows but labels has 3"):
        scratch.train_epoch(net, scratch.SGD(), x, y[:3], 16, seed=0)
    with pytest.raises(ValueError, match="Unknown activation 'elu'"):
        scratch.keras_mlp([5, 3], activation="elu")
    with pytest.raises(ValueError, match="at least the inputs and the classes"):
        scratch.keras_mlp([5])


def test_numerical_gradient_accepts_float32_only_when_asked():
    x = np.array([1.0, 2.0], dtype=np.float32)
    with pytest.raises(ValueError, match="allow_float32=True"):
        scratch.numerical_gradient(lambda: float((x**2).sum()), x)
    grad = scratch.numerical_gradient(lambda: float((x.astype(np.float64) ** 2).sum()), x, eps=1e-2,
                                      allow_float32=True)
    np.testing.assert_allclose(grad, [2.0, 4.0], rtol=1e-3)


def test_small_mlp_has_the_promised_layers_and_refuses_bad_settings():
    keras.utils.set_random_seed(0)
    plain = scratch.small_mlp(8)
    assert plain.count_params() == 784 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10
    keras.utils.set_random_seed(0)
    again = scratch.small_mlp(8)
    np.testing.assert_array_equal(plain.get_weights()[0], again.get_weights()[0])
    every = scratch.small_mlp(8, l2=1e-3, dropout=0.5, augment=True)
    kinds = [type(layer).__name__ for layer in every.layers]
    assert kinds[:2] == ["RandomFlip", "RandomTranslation"] and kinds.count("Dropout") == 2
    assert every.output_shape == (None, 10)
    with pytest.raises(ValueError, match="width must be a positive"):
        scratch.small_mlp(0)
    with pytest.raises(ValueError, match="dropout must be a rate"):
        scratch.small_mlp(8, dropout=1.0)
    with pytest.raises(ValueError, match="l2 must be 0"):
        scratch.small_mlp(8, l2=-1.0)


def test_train_on_budget_runs_exactly_the_budget_and_can_stop_early():
    rng = np.random.default_rng(0)
    x = rng.random((40, 28, 28, 1)).astype("float32")
    y = (x.reshape(40, -1).mean(1) > np.median(x.reshape(40, -1).mean(1))).astype("int64")
    keras.utils.set_random_seed(0)
    history = scratch.train_on_budget(scratch.small_mlp(4), x, y, (x[:10], y[:10]), seed=0,
                                      batch_size=8, steps_per_epoch=2, epochs=3)
    assert len(history["loss"]) == 3 and len(history["val_accuracy"]) == 3
    stopped = scratch.train_on_budget(scratch.small_mlp(4), x, y, (x[:10], y[:10]), seed=0,
                                      batch_size=8, steps_per_epoch=1, epochs=30, patience=0)
    assert 1 <= len(stopped["loss"]) <= 30
    with pytest.raises(ValueError, match="same, non-zero number of rows"):
        scratch.train_on_budget(scratch.small_mlp(4), x, y[:5], (x, y), seed=0, batch_size=8,
                                steps_per_epoch=1, epochs=1)
    with pytest.raises(ValueError, match="steps_per_epoch must be a positive"):
        scratch.train_on_budget(scratch.small_mlp(4), x, y, (x, y), seed=0, batch_size=8,
                                steps_per_epoch=0, epochs=1)
    with pytest.raises(ValueError, match="validation must be a pair"):
        scratch.train_on_budget(scratch.small_mlp(4), x, y, (x,), seed=0, batch_size=8,
                                steps_per_epoch=1, epochs=1)
