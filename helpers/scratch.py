"""Neural networks from scratch in NumPy: layers, loss, gradient checks and optimisers.

The lesson of notebook 17: every piece that ``keras`` hides, written out in NumPy with
its forward pass (what it computes) and its backward pass (the chain rule: given the
gradient of the loss with respect to the layer's output, return the gradient with
respect to its input and store the gradients of its parameters).

- :class:`Dense`, :class:`ReLU`, :class:`Sigmoid`, :class:`Tanh`: layers with
  ``forward(x)`` and ``backward(grad)``; :class:`Sequential` chains them.
- :class:`SoftmaxCrossEntropy`: softmax and the mean cross-entropy over a batch of
  integer labels, whose gradient with respect to the logits is ``(softmax - one_hot) / n``.
- :func:`numerical_gradient`, :func:`relative_error`, :func:`check_layer_gradients`,
  :func:`check_network_gradients`: central finite differences in float64 against the
  backward passes.
- :class:`SGD` (with momentum and Nesterov), :class:`RMSprop`, :class:`Adam`: the update
  rules of ``keras.optimizers`` (Keras 3) to the letter, including where epsilon goes
  (inside the square root for RMSprop, outside it for Adam) and Keras' defaults. Keras
  keeps the learning rate in a float32 variable (and, on the TensorFlow backend, turns
  momentum and Adam's betas into float32 constants), so float64 runs agree with Keras to
  rounding only for hyperparameters that float32 holds exactly (0.125, 0.875, ...).
- :func:`minibatches` and :func:`train_epoch`: seeded batch order, shared by a NumPy loop
  and a Keras ``fit``; :func:`keras_mlp`: the Keras twin of :meth:`Sequential.mlp`.
- :func:`small_mlp` and :func:`train_on_budget`: the overfitting study's Keras network (two
  hidden ReLU layers, optional L2, dropout and augmentation) and its fixed step budget.

Shapes follow Keras: a batch is ``(n, features)``, a dense kernel ``(inputs, units)``,
so ``Sequential.parameters()`` is in the order of ``keras.Model.get_weights()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "small_normal")
"""Kernel initialisations :class:`Dense` knows; biases always start at zero."""


def _finite(name: str, array: np.ndarray) -> None:
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.isfinite(array).sum())
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s): check the data, or lower the learning "
            "rate if the training diverged."
        )


def _as_batch(x, name: str, features: int | None = None) -> np.ndarray:
    """``x`` as a finite 2-D float array ``(n, features)``, or a ValueError that says what is wrong."""
    array = np.asarray(x)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D batch (n, features), got shape {array.shape}: "
            "flatten images first, e.g. x.reshape(len(x), -1)."
        )
    if features is not None and array.shape[1] != features:
        raise ValueError(f"{name} has {array.shape[1]} features per row, but this layer expects {features}.")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    _finite(name, array)
    return array


def init_kernel(fan_in: int, fan_out: int, scheme: str = "glorot_uniform",
                rng: np.random.Generator | None = None, dtype=np.float32) -> np.ndarray:
    """A ``(fan_in, fan_out)`` kernel drawn the way ``scheme`` says.

    ``glorot_uniform``: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010);
    ``glorot_normal``: N(0, 2 / (fan_in + fan_out)); ``he_normal``: N(0, 2 / fan_in) and
    ``he_uniform``: U(-l, l) with l = sqrt(6 / fan_in) (He et al. 2015); ``small_normal``:
    N(0, 0.01²), the "small random numbers" of older textbooks. Keras draws its normal
    initialisers from a *truncated* normal; these are plain normals with the same variance.
    """
    if fan_in < 1 or fan_out < 1:
        raise ValueError(f"fan_in and fan_out must be >= 1, got {fan_in} and {fan_out}.")
    rng = rng if rng is not None else np.random.default_rng()
    shape = (fan_in, fan_out)
    if scheme == "glorot_uniform":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        kernel = rng.uniform(-limit, limit, shape)
    elif scheme == "glorot_normal":
        kernel = rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), shape)
    elif scheme == "he_normal":
        kernel = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
    elif scheme == "he_uniform":
        limit = np.sqrt(6.0 / fan_in)
        kernel = rng.uniform(-limit, limit, shape)
    elif scheme == "small_normal":
        kernel = rng.normal(0.0, 0.01, shape)
    else:
        raise ValueError(f"Unknown initialisation {scheme!r}: use one of {', '.join(INITIALIZERS)}.")
    return kernel.astype(dtype)


class Layer:
    """A layer: ``forward(x)`` keeps what ``backward(grad)`` needs; parameters and their gradients by name."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._cache: np.ndarray | None = None
        self._out_shape: tuple[int, ...] | None = None

    def forward(self, x) -> np.ndarray:
        x = _as_batch(x, f"{type(self).__name__}.forward input x", self._features())
        out = self._forward(x)
        self._out_shape = out.shape
        return out

    def backward(self, grad) -> np.ndarray:
        """Given dL/d(output), store dL/d(parameters) in ``grads`` and return dL/d(input)."""
        if self._cache is None or self._out_shape is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward: run forward(x) first.")
        grad = np.asarray(grad)
        if grad.shape != self._out_shape:
            raise ValueError(
                f"{type(self).__name__}.backward got a gradient of shape {grad.shape}, but the forward "
                f"output had shape {self._out_shape}: pass dL/d(output) of the last forward pass."
            )
        _finite(f"{type(self).__name__}.backward gradient", grad)
        return self._backward(grad)

    def _features(self) -> int | None:
        return None

    def _forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _backward(self, grad: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class Dense(Layer):
    """``y = x @ kernel + bias``: kernel ``(inputs, units)``, bias ``(units,)``, as in ``keras.layers.Dense``.

    Backward (chain rule, with ``g = dL/dy``): ``dL/dkernel = x.T @ g``,
    ``dL/dbias = g.sum(axis=0)``, ``dL/dx = g @ kernel.T``.
    """

    def __init__(self, inputs: int, units: int, init: str = "glorot_uniform", seed: int | None = None,
                 dtype=np.float32) -> None:
        super().__init__()
        if inputs < 1 or units < 1:
            raise ValueError(f"Dense needs inputs >= 1 and units >= 1, got inputs={inputs}, units={units}.")
        self.inputs, self.units = int(inputs), int(units)
        rng = np.random.default_rng(seed)
        self.params = {"kernel": init_kernel(inputs, units, init, rng, dtype),
                       "bias": np.zeros(units, dtype=dtype)}
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}

    def _features(self) -> int:
        return self.inputs

    def _forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = x
        return x @ self.params["kernel"] + self.params["bias"]

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        self.grads["kernel"] = self._cache.T @ grad
        self.grads["bias"] = grad.sum(axis=0)
        return grad @ self.params["kernel"].T


class ReLU(Layer):
    """``max(x, 0)``; its derivative is 1 where x > 0 and 0 elsewhere (0 at the kink, as TensorFlow does)."""

    def _forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = x > 0
        return np.where(self._cache, x, 0).astype(x.dtype)

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self._cache


class Sigmoid(Layer):
    """``s = 1 / (1 + exp(-x))``; ``ds/dx = s (1 - s)``, at most 0.25: the root of vanishing gradients."""

    def _forward(self, x: np.ndarray) -> np.ndarray:
        # exp of a negative number only: no overflow for large |x|
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)
        self._cache = out
        return out

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self._cache * (1 - self._cache)


class Tanh(Layer):
    """``t = tanh(x)``; ``dt/dx = 1 - t²``."""

    def _forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = np.tanh(x)
        return self._cache

    def _backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (1 - self._cache**2)


ACTIVATIONS: dict[str, type[Layer]] = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def softmax(logits) -> np.ndarray:
    """Row-wise softmax, computed stably (the row maximum subtracted first)."""
    logits = _as_batch(logits, "logits")
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def _check_labels(labels, n: int, classes: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(
            f"labels must be a 1-D array of {n} integer class ids (one per row of logits), got shape "
            f"{labels.shape}: pass class ids, not one-hot vectors."
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integer class ids, got dtype {labels.dtype}: "
                         "use labels.astype(int).")
    if labels.min() < 0 or labels.max() >= classes:
        raise ValueError(
            f"labels must lie in [0, {classes - 1}] for {classes} classes, got values from "
            f"{labels.min()} to {labels.max()}: the last layer needs one unit per class."
        )
    return labels


class SoftmaxCrossEntropy:
    """Softmax followed by the mean cross-entropy over a batch, like
    ``keras.losses.SparseCategoricalCrossentropy(from_logits=True)``.

    ``L = mean_i( -log softmax(z_i)[y_i] )``; its gradient with respect to the logits is
    ``(softmax(z) - one_hot(y)) / n``: the two steps of the chain rule collapse into one.
    """

    def __init__(self) -> None:
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def forward(self, logits, labels) -> float:
        logits = _as_batch(logits, "logits")
        labels = _check_labels(labels, logits.shape[0], logits.shape[1])
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self._cache = (np.exp(log_probs), labels)
        return float(-log_probs[np.arange(len(labels)), labels].mean())

    def backward(self) -> np.ndarray:
        """dL/d(logits) of the last forward pass."""
        if self._cache is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward called before forward: "
                               "run forward(logits, labels).")
        probs, labels = self._cache
        grad = probs.copy()
        grad[np.arange(len(labels)), labels] -= 1
        return grad / len(labels)


class Sequential:
    """Layers applied in order, with a softmax cross-entropy loss on top.

    ``parameters()`` and ``gradients()`` list the arrays in Keras' ``get_weights()`` order
    (kernel, bias of each Dense layer), so ``keras_model.set_weights(net.parameters())``
    gives a Keras model the same weights.
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        layers = list(layers)
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise ValueError("Sequential needs a non-empty list of Layer objects "
                             "(Dense, ReLU, Sigmoid, Tanh).")
        dense = [layer for layer in layers if isinstance(layer, Dense)]
        for before, after in zip(dense, dense[1:], strict=False):
            if before.units != after.inputs:
                raise ValueError(
                    f"Layer shapes do not chain: a Dense layer with {before.units} units is followed by "
                    f"one expecting {after.inputs} inputs."
                )
        self.layers = layers
        self.loss = SoftmaxCrossEntropy()

    @classmethod
    def mlp(cls, sizes: Sequence[int], activation: str = "relu", init: str = "glorot_uniform",
            seed: int | None = None, dtype=np.float32) -> Sequential:
        """Dense layers of ``sizes`` (inputs first, classes last) with ``activation`` between them."""
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least the inputs and the classes, got {list(sizes)}.")
        if activation not in ACTIVATIONS:
            raise ValueError(f"Unknown activation {activation!r}: use one of {', '.join(ACTIVATIONS)}.")
        rng = np.random.default_rng(seed)
        layers: list[Layer] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
            layers.append(Dense(fan_in, fan_out, init, seed=int(rng.integers(2**31)), dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
        return cls(layers)

    def dense_layers(self) -> list[Dense]:
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    def parameters(self) -> list[np.ndarray]:
        """The parameter arrays themselves (not copies), in Keras' ``get_weights()`` order."""
        return [layer.params[name] for layer in self.layers for name in layer.params]

    def gradients(self) -> list[np.ndarray]:
        return [layer.grads[name] for layer in self.layers for name in layer.params]

    def set_parameters(self, values: Sequence[np.ndarray]) -> None:
        """Copy ``values`` (e.g. ``keras_model.get_weights()``) into the parameters, shapes checked."""
        mine = self.parameters()
        if len(values) != len(mine):
            raise ValueError(f"Expected {len(mine)} arrays (kernel and bias per Dense layer), "
                             f"got {len(values)}.")
        for i, (target, value) in enumerate(zip(mine, values, strict=True)):
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(f"Array {i} has shape {value.shape}, the parameter needs {target.shape}.")
            _finite(f"Array {i}", value)
            target[...] = value

    def forward(self, x) -> np.ndarray:
        """The logits of the batch ``x``."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad) -> np.ndarray:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

    def loss_and_gradients(self, x, labels) -> tuple[float, list[np.ndarray]]:
        """Forward, loss, backward: the batch's mean cross-entropy and the gradients of every parameter."""
        loss = self.loss.forward(self.forward(x), labels)
        self.backward(self.loss.backward())
        return loss, self.gradients()

    def predict(self, x, batch_size: int = 1024) -> np.ndarray:
        """Predicted class ids, computed in batches."""
        x = np.asarray(x)
        return np.concatenate([self.forward(x[i:i + batch_size]).argmax(axis=1)
                               for i in range(0, len(x), batch_size)])

    def evaluate(self, x, labels, batch_size: int = 1024) -> tuple[float, float]:
        """Mean cross-entropy and accuracy over ``x``, computed in batches."""
        x, labels = np.asarray(x), np.asarray(labels)
        total, correct = 0.0, 0
        for i in range(0, len(x), batch_size):
            logits = self.forward(x[i:i + batch_size])
            total += self.loss.forward(logits, labels[i:i + batch_size]) * len(logits)
            correct += int((logits.argmax(axis=1) == labels[i:i + batch_size]).sum())
        return total / len(x), correct / len(x)


def minibatches(n: int, batch_size: int, seed: int) -> list[np.ndarray]:
    """One epoch's index arrays: a seeded permutation of ``range(n)`` in batches (the last may be short)."""
    if n < 1 or batch_size < 1:
        raise ValueError(f"n and batch_size must be >= 1, got n={n}, batch_size={batch_size}.")
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def train_epoch(net: Sequential, optimizer: Optimizer, x, labels, batch_size: int, seed: int) -> list[float]:
    """One epoch of minibatch training in the order :func:`minibatches` gives; returns each batch's loss.

    The loss of a batch is measured before its update, as Keras' ``train_on_batch`` reports it.
    """
    x, labels = np.asarray(x), np.asarray(labels)
    if len(x) != len(labels):
        raise ValueError(f"x has {len(x)} rows but labels has {len(labels)}: pass one label per example.")
    losses = []
    for index in minibatches(len(x), batch_size, seed):
        loss, grads = net.loss_and_gradients(x[index], labels[index])
        optimizer.apply(grads, net.parameters())
        losses.append(loss)
    return losses


def keras_mlp(sizes: Sequence[int], activation: str = "relu", dtype: str = "float32"):
    """The ``keras.Sequential`` twin of ``Sequential.mlp(sizes, activation)``: same layers, same weight order.

    Its last layer has no activation (it outputs logits), so pair it with
    ``SparseCategoricalCrossentropy(from_logits=True)``; copy weights over with
    ``model.set_weights(net.parameters())``.
    """
    import keras  # here, so that the NumPy part of this module does not need TensorFlow

    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least the inputs and the classes, got {list(sizes)}.")
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}: use one of {', '.join(ACTIVATIONS)}.")
    hidden = len(sizes) - 2
    layers = [keras.layers.Dense(units, activation=activation if i < hidden else None, dtype=dtype,
                                 name=f"dense_{i}") for i, units in enumerate(sizes[1:])]
    return keras.Sequential([keras.Input((sizes[0],), dtype=dtype), *layers], name="mlp")

# ---------------------------------------------------------------------------------------
# Gradient checks
# ---------------------------------------------------------------------------------------


def numerical_gradient(f: Callable[[], float], array: np.ndarray, eps: float = 1e-6,
                       allow_float32: bool = False) -> np.ndarray:
    """Central differences ``(f(a + eps) - f(a - eps)) / (2 eps)``, one entry of ``array`` at a time.

    ``f`` takes no argument and reads ``array`` (changed in place, then restored). Needs
    float64: in float32 the rounding error of ``f`` divided by ``2 eps`` swamps the result.
    ``allow_float32=True`` accepts a float32 array too, to measure exactly that.
    """
    allowed = (np.float64, np.float32) if allow_float32 else (np.float64,)
    if not isinstance(array, np.ndarray) or array.dtype not in allowed:
        raise ValueError(
            f"numerical_gradient needs a float64 NumPy array, got {getattr(array, 'dtype', type(array))}: "
            "build the layer with dtype=np.float64 for gradient checks (or pass allow_float32=True "
            "to see how float32 fares)."
        )
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}.")
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        old = array[index]
        array[index] = old + eps
        plus = f()
        array[index] = old - eps
        minus = f()
        array[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric) -> float:
    """``||a - n|| / (||a|| + ||n||)`` (Euclidean norms): 0 when equal, 1 when opposite.

    Below 1e-7 in float64 is what a correct backward pass gives; around 1e-2 means a bug.
    Both zero counts as agreement (0.0).
    """
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"Cannot compare gradients of shapes {a.shape} and {n.shape}.")
    _finite("analytic gradient", a)
    _finite("numeric gradient", n)
    denominator = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - n) / denominator)


def check_layer_gradients(layer: Layer, x, seed: int = 0, eps: float = 1e-6) -> dict[str, float]:
    """Relative error of ``layer``'s backward pass against central differences, per input and parameter.

    The scalar checked is ``L = sum(layer.forward(x) * R)`` with a fixed random ``R``, so
    ``dL/d(output) = R`` exercises every output. Returns ``{"x": ..., "kernel": ..., ...}``.
    """
    x = np.array(x, dtype=np.float64) if np.asarray(x).dtype != np.float64 else np.array(x)
    bad = [name for name, value in layer.params.items() if value.dtype != np.float64]
    if bad:
        raise ValueError(f"Parameters {bad} are not float64: build the layer with dtype=np.float64 "
                         "to check it.")
    r = np.random.default_rng(seed).normal(size=layer.forward(x).shape)

    def scalar() -> float:
        return float((layer.forward(x) * r).sum())

    layer.forward(x)
    errors = {"x": relative_error(layer.backward(r), numerical_gradient(scalar, x, eps))}
    analytic = {name: grad.copy() for name, grad in layer.grads.items()}
    for name, value in layer.params.items():
        errors[name] = relative_error(analytic[name], numerical_gradient(scalar, value, eps))
    return errors


def check_network_gradients(net: Sequential, x, labels, eps: float = 1e-6) -> dict[str, float]:
    """Relative error of the whole network's gradients (loss: softmax cross-entropy), per parameter array.

    Keys are ``"dense_<i>/kernel"`` and ``"dense_<i>/bias"``, counting Dense layers from 0.
    """
    x = np.asarray(x, dtype=np.float64)
    _, grads = net.loss_and_gradients(x, labels)
    grads = [g.copy() for g in grads]
    names = [f"dense_{i}/{name}" for i, layer in enumerate(net.dense_layers()) for name in layer.params]
    errors = {}
    for name, param, grad in zip(names, net.parameters(), grads, strict=True):
        errors[name] = relative_error(grad, numerical_gradient(
            lambda: net.loss.forward(net.forward(x), labels), param, eps))
    return errors


# ---------------------------------------------------------------------------------------
# Optimisers, written to match keras.optimizers (Keras 3) step for step
# ---------------------------------------------------------------------------------------


class Optimizer:
    """Updates a list of parameter arrays in place from a list of gradients: ``apply(grads, params)``.

    The argument order is ``keras.optimizers.Optimizer.apply(grads, trainable_variables)``'s.
    State (velocities, moments) is kept per parameter position; ``iterations`` counts steps.
    """

    def __init__(self, learning_rate: float) -> None:
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate}.")
        self.learning_rate = float(learning_rate)
        self.iterations = 0
        self._slots: dict[str, list[np.ndarray]] = {}

    def _slot(self, name: str, params: Sequence[np.ndarray]) -> list[np.ndarray]:
        if name not in self._slots:
            self._slots[name] = [np.zeros_like(p) for p in params]
        return self._slots[name]

    def apply(self, grads: Sequence[np.ndarray], params: Sequence[np.ndarray]) -> None:
        if len(grads) != len(params):
            raise ValueError(f"Got {len(grads)} gradients for {len(params)} parameters: "
                             "pass one gradient each.")
        for i, (g, p) in enumerate(zip(grads, params, strict=True)):
            if np.shape(g) != np.shape(p):
                raise ValueError(f"Gradient {i} has shape {np.shape(g)}, its parameter {np.shape(p)}.")
            _finite(f"Gradient {i}", np.asarray(g))
        known = next(iter(self._slots.values()), None)
        if known is not None and [s.shape for s in known] != [np.shape(p) for p in params]:
            raise ValueError("These parameters are not the ones this optimiser was used on: "
                             "make a new optimiser.")
        self._update([np.asarray(g, dtype=p.dtype) for g, p in zip(grads, params, strict=True)], list(params))
        self.iterations += 1

    def _update(self, grads: list[np.ndarray], params: list[np.ndarray]) -> None:  # pragma: no cover
        raise NotImplementedError


class SGD(Optimizer):
    """``keras.optimizers.SGD``: ``p -= lr g``; with momentum ``v = momentum v - lr g; p += v``;
    with Nesterov ``p += momentum v - lr g`` (after updating ``v``). Defaults as in Keras."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(learning_rate)
        if not 0 <= momentum <= 1:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}.")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _update(self, grads, params):
        if self.momentum == 0:
            for g, p in zip(grads, params, strict=True):
                p -= g * self.learning_rate
            return
        for g, p, v in zip(grads, params, self._slot("velocity", params), strict=True):
            v[...] = v * self.momentum - g * self.learning_rate
            p += (v * self.momentum - g * self.learning_rate) if self.nesterov else v


class RMSprop(Optimizer):
    """``keras.optimizers.RMSprop``: ``s = rho s + (1 - rho) g²``; ``p -= lr g / sqrt(s + eps)``.

    Epsilon sits *inside* the square root in Keras' RMSprop (unlike Adam). With momentum:
    ``m = momentum m + lr g / sqrt(s + eps); p -= m``. Defaults as in Keras.
    """

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        if not 0 <= rho < 1 or not 0 <= momentum < 1 or not epsilon > 0:
            raise ValueError(f"Need 0 <= rho < 1, 0 <= momentum < 1 and epsilon > 0, got {rho}, {momentum}, "
                             f"{epsilon}.")
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)

    def _update(self, grads, params):
        for i, (g, p, s) in enumerate(zip(grads, params, self._slot("velocity", params), strict=True)):
            s[...] = self.rho * s + (1 - self.rho) * np.square(g)
            increment = (self.learning_rate * g) / np.sqrt(s + self.epsilon)
            if self.momentum > 0:
                m = self._slot("momentum", params)[i]
                m[...] = self.momentum * m + increment
                p -= m
            else:
                p -= increment


class Adam(Optimizer):
    """``keras.optimizers.Adam``: with step ``t`` counted from 1,

    ``m += (g - m)(1 - beta_1)``, ``v += (g² - v)(1 - beta_2)``,
    ``alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)``, ``p -= alpha m / (sqrt(v) + eps)``.
    Epsilon sits *outside* the square root and is not bias-corrected ("epsilon hat" of
    Kingma & Ba), so with eps > 0 this differs slightly from the paper's Algorithm 1.
    """

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        if not (0 <= beta_1 < 1 and 0 <= beta_2 < 1 and epsilon > 0):
            raise ValueError(f"Need 0 <= beta_1, beta_2 < 1 and epsilon > 0, "
                             f"got {beta_1}, {beta_2}, {epsilon}.")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _update(self, grads, params):
        t = self.iterations + 1
        alpha = float(self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t))
        for g, p, m, v in zip(grads, params, self._slot("m", params), self._slot("v", params), strict=True):
            m += (g - m) * (1 - self.beta_1)
            v += (np.square(g) - v) * (1 - self.beta_2)
            p -= (m * alpha) / (np.sqrt(v) + self.epsilon)


# ---------------------------------------------------------------------------------------
# The overfitting study (Keras)
# ---------------------------------------------------------------------------------------


def small_mlp(width: int, l2: float = 0.0, dropout: float = 0.0, augment: bool = False, classes: int = 10):
    """Two hidden ReLU layers of ``width`` units on 28x28x1 images, compiled with Adam; outputs logits.

    ``l2``: L2 penalty on the kernels (0: none); ``dropout``: rate after each hidden layer
    (0: none); ``augment``: random horizontal flips and shifts of up to 10% (training only).
    Seed with ``keras.utils.set_random_seed`` before calling for reproducible weights.
    """
    import keras

    if int(width) != width or width < 1:
        raise ValueError(f"width must be a positive whole number of units, got {width!r}.")
    if l2 < 0:
        raise ValueError(f"l2 must be 0 (no penalty) or positive, got {l2}.")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a rate in [0, 1), got {dropout}.")
    regularizer = keras.regularizers.L2(l2) if l2 else None
    stack = [keras.Input((28, 28, 1))]
    if augment:  # active in training only: random mirror images and shifts of up to 10%
        stack += [keras.layers.RandomFlip("horizontal"),
                  keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant")]
    stack.append(keras.layers.Flatten())
    for _ in range(2):
        stack.append(keras.layers.Dense(int(width), activation="relu", kernel_regularizer=regularizer))
        if dropout:
            stack.append(keras.layers.Dropout(dropout))
    model = keras.Sequential([*stack, keras.layers.Dense(classes)])
    model.compile(optimizer=keras.optimizers.Adam(), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train_on_budget(model, x, y, validation: tuple, seed: int, *, batch_size: int, steps_per_epoch: int,
                    epochs: int, patience: int | None = None) -> dict[str, list[float]]:
    """Fit ``model`` for exactly ``epochs * steps_per_epoch`` steps of ``batch_size`` images drawn from
    a shuffled, repeated ``tf.data`` pipeline (so more data never means more updates), validating
    on ``validation = (x_val, y_val)`` after each "epoch". ``patience``: early stopping on the
    validation loss, restoring the best weights (None: no early stopping). Returns the history.
    """
    import keras
    import tensorflow as tf

    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y need the same, non-zero number of rows, got {len(x)} and {len(y)}.")
    for name, value in (("batch_size", batch_size), ("steps_per_epoch", steps_per_epoch), ("epochs", epochs)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
    if len(validation) != 2:
        raise ValueError("validation must be a pair (x_val, y_val).")
    data = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(min(len(x), 10_000), seed=seed)
            .repeat().batch(batch_size))
    callbacks = ([keras.callbacks.EarlyStopping("val_loss", patience=patience, restore_best_weights=True)]
                 if patience is not None else [])
    return model.fit(data, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=0,
                     validation_data=tuple(validation), callbacks=callbacks).history
