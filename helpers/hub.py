"""TF Hub modules as Keras 3 layers, and the registry's Hub modules.

``tensorflow_hub.KerasLayer`` is a ``tf_keras`` (Keras 2) layer: Keras 3 refuses it in
``keras.Sequential`` and in functional models. :class:`HubLayer` is a Keras 3 layer
around a SavedModel loaded with ``tf.saved_model.load``. It works with the TensorFlow
backend, in Sequential and functional models, with image tensors and with string
inputs (text encoders), and it is frozen unless you ask for ``trainable=True``.

Example::

    use = helpers.hub.load_hub_module("universal_sentence_encoder")
    model = keras.Sequential([
        keras.Input(shape=(), dtype="string"),
        helpers.hub.HubLayer(use.path, name="use"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from helpers import data, profile
from helpers.data.store import Fetched

__all__ = ["HubLayer", "hub_layer", "load_hub_module"]


def _describe(handle: Any) -> str:
    return str(handle) if isinstance(handle, (str, os.PathLike)) else type(handle).__name__


def _load(handle: str | os.PathLike | Fetched) -> tuple[Any, str]:
    """Load a SavedModel from a folder (or, for http(s) handles, through tensorflow_hub's cache)."""
    if isinstance(handle, Fetched):
        handle = handle.path
    text = os.fspath(handle)
    if text.startswith(("http://", "https://", "gs://")):
        try:
            import tensorflow_hub as hub  # resolves tfhub.dev/Kaggle handles to a cached folder
        except ImportError:
            raise ImportError(
                f"Loading the handle {text!r} needs the tensorflow_hub package (`pip install "
                "tensorflow-hub`), or download the module yourself and pass its folder."
            ) from None
        return tf.saved_model.load(hub.resolve(text)), text
    path = Path(text).expanduser()
    if not (path / "saved_model.pb").is_file():
        raise FileNotFoundError(
            f"{path} is not a SavedModel folder (it has no saved_model.pb). Pass the folder "
            "that holds saved_model.pb and variables/, e.g. the .path that "
            "helpers.hub.load_hub_module(name) returns."
        )
    return tf.saved_model.load(str(path)), str(path)


def _module_variables(module: Any, fn: Any) -> tuple[list[tf.Variable], list[tf.Variable]]:
    """(trainable, non-trainable) variables: the module's own lists, else the ones ``fn`` uses."""
    if hasattr(module, "variables") and hasattr(module, "trainable_variables"):
        everything = list(module.variables)
        trainable_ids = {id(v) for v in module.trainable_variables}
        trainable = [v for v in everything if id(v) in trainable_ids]
        return trainable, [v for v in everything if id(v) not in trainable_ids]
    seen: dict[int, tf.Variable] = {}
    trainable_ids: set[int] = set()
    concrete = getattr(fn, "concrete_functions", None) or [fn]
    for cf in concrete:
        for v in getattr(cf, "variables", ()):
            seen.setdefault(id(v), v)
        for v in getattr(cf, "trainable_variables", ()):
            trainable_ids.add(id(v))
    trainable = [v for i, v in seen.items() if i in trainable_ids]
    return trainable, [v for i, v in seen.items() if i not in trainable_ids]


def _accepts_training(fn: Any) -> bool:
    try:
        return "training" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class HubLayer(keras.layers.Layer):
    """A SavedModel (a TF Hub module) as a Keras 3 layer.

    Args:
        handle: the SavedModel folder (a ``str``/``Path``, or the ``Fetched`` that
            :func:`load_hub_module` returns), an ``https://tfhub.dev/...`` or Kaggle
            handle (needs ``tensorflow_hub`` and internet), or an already loaded object.
        trainable: ``False`` (default) freezes the module's variables: feature
            extraction. ``True`` lets ``fit`` update them: fine-tuning.
        signature: call this entry of the module's ``signatures`` (e.g.
            ``"serving_default"``) instead of the module itself.
        signature_input_key: the keyword the signature takes its input under.
        output_key: pick this entry when the module returns a dict (signatures always do).
        arguments: extra keyword arguments passed on every call.
        name: as for any Keras layer.
        dtype: the layer's dtype policy; ``"float32"`` by default, also under a mixed
            precision policy, because a SavedModel's signature fixes its input dtypes.

    The module's variables become the layer's weights (the same variables, not copies),
    so ``layer.trainable_weights`` is empty while frozen, and fine-tuning updates the
    module itself. A module whose call takes ``training`` gets ``training=True`` only
    when the layer is trainable and called in training mode (batch norm and dropout
    stay in inference mode in a frozen module). TensorFlow backend only.

    Text encoders take ``tf.string`` tensors: give ``fit``/``predict`` a ``tf.data``
    dataset or ``tf.constant(list_of_strings)`` (Keras rejects NumPy string arrays).

    Raises:
        NotImplementedError: with a Keras backend other than TensorFlow.
        FileNotFoundError: ``handle`` is not a SavedModel folder.
        ValueError: ``signature`` is not one of the module's signatures, or the module
            returns a dict and ``output_key`` is missing or wrong.
    """

    def __init__(
        self,
        handle: str | os.PathLike | Fetched | Any,
        trainable: bool = False,
        signature: str | None = None,
        signature_input_key: str = "inputs",
        output_key: str | None = None,
        arguments: dict[str, Any] | None = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ):
        if keras.backend.backend() != "tensorflow":
            raise NotImplementedError(
                f"HubLayer runs TensorFlow SavedModels and needs the TensorFlow backend; "
                f"Keras uses {keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow before "
                "importing keras."
            )
        # A SavedModel's signature fixes its dtypes: keep float32 under mixed precision too
        # (inputs are cast to float32; the next layers cast the output back).
        super().__init__(trainable=trainable, name=name, dtype=dtype or "float32", **kwargs)
        if isinstance(handle, (str, os.PathLike, Fetched)):
            self._module, self.handle = _load(handle)
        elif callable(handle) or hasattr(handle, "signatures"):
            self._module, self.handle = handle, None
        else:
            raise TypeError(
                f"handle must be a SavedModel folder, a tfhub.dev/Kaggle handle or a loaded "
                f"module, got {_describe(handle)}."
            )
        self.signature = signature
        self.signature_input_key = signature_input_key
        self.output_key = output_key
        self.arguments = dict(arguments or {})
        if signature is not None:
            signatures = getattr(self._module, "signatures", {})
            if signature not in signatures:
                raise ValueError(
                    f"The module has no signature {signature!r}; it has "
                    f"{sorted(signatures) or 'none'}. Pass one of those, or signature=None "
                    "to call the module itself."
                )
            self._fn = signatures[signature]
            self._takes_training = False
        else:
            if not callable(self._module):
                raise ValueError(
                    "The module is not callable: pass signature= with one of "
                    f"{sorted(getattr(self._module, 'signatures', {}))}."
                )
            self._fn = self._module.__call__
            self._takes_training = _accepts_training(self._fn)
        trainable_vars, frozen_vars = _module_variables(self._module, self._fn)
        trainable_ids = {id(v) for v in trainable_vars}
        for variable in trainable_vars + frozen_vars:
            self._track_variable(
                keras.Variable(
                    initializer=variable,  # wraps the very same tf.Variable
                    trainable=id(variable) in trainable_ids,
                    dtype=variable.dtype,
                    shape=variable.shape,
                    name=variable.name.split(":")[0].replace("/", "_"),
                )
            )

    def build(self, input_shape: Any = None) -> None:
        """Nothing to create: the module's variables were tracked in ``__init__``.

        Keras calls this on the first call and then marks the layer built. Defining it,
        instead of calling the private ``Layer._build_at_init()`` (Keras >= 3.9 only),
        keeps the layer working on every Keras 3 the course supports.
        """

    @property
    def module(self) -> Any:
        """The loaded SavedModel object."""
        return self._module

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if self.signature is not None:
            result = self._fn(**{self.signature_input_key: inputs}, **self.arguments)
        elif self._takes_training:
            result = self._fn(inputs, training=bool(training) and self.trainable, **self.arguments)
        else:
            result = self._fn(inputs, **self.arguments)
        if isinstance(result, dict):
            if self.output_key is None or self.output_key not in result:
                raise ValueError(
                    f"The module returns a dict with keys {sorted(result)}; pass "
                    f"output_key= with one of them (got output_key={self.output_key!r})."
                )
            return result[self.output_key]
        if self.output_key is not None:
            raise ValueError(
                f"output_key={self.output_key!r} was given, but the module returns a single "
                "tensor, not a dict: leave output_key out."
            )
        return result

    def get_config(self) -> dict[str, Any]:
        if self.handle is None:
            raise NotImplementedError(
                "This HubLayer wraps an object loaded in memory and cannot be re-created from a "
                "config: build it from a SavedModel folder or handle to save the whole model, or "
                "save only the weights (model.save_weights('x.weights.h5'))."
            )
        return {
            **super().get_config(),
            "handle": self.handle,
            "signature": self.signature,
            "signature_input_key": self.signature_input_key,
            "output_key": self.output_key,
            "arguments": self.arguments,
        }


def _announce_random(name: str) -> None:
    profile.announce(
        profile.RANDOM_WEIGHTS_OUTPUT_MARKER,
        f"the Hub module {name!r} is a generated SavedModel with the real signature and random "
        "weights.\nModels built on it only show that the code runs: their numbers are NOT "
        "transfer-learning results.",
    )


def load_hub_module(name: str) -> Fetched:
    """Find the registry's Hub module ``name`` (a SavedModel folder) through the data layer.

    Looks in the cache, the mirror (``$COURSE_DATA_MIRROR``), then downloads the
    module's compressed archive. In the ``fast`` profile with no copy it writes a
    SavedModel fixture with the same signature and random weights, and prints a loud
    ``RANDOM WEIGHTS`` banner. Pass the result (or its ``.path``) to :class:`HubLayer`.

    Raises:
        KeyError: ``name`` is not in the registry.
        ValueError: ``name`` is in the registry but is not a Hub module.
        helpers.data.DataNotFoundError: ``full`` profile and the module is nowhere; the
            message names the folder, its origin and where to put it.
    """
    entry = data.get_entry(name)
    if entry.kind != "model" or not entry.files[0].is_dir:
        hub_names = sorted(e.name for e in data.REGISTRY.values() if e.extra.get("hub_handle"))
        raise ValueError(f"{name!r} is not a Hub module (SavedModel folder); Hub modules: {hub_names}.")
    fetched = data.fetch(name)
    if fetched.is_fixture:
        _announce_random(name)
    return fetched


def hub_layer(name: str, **kwargs: Any) -> HubLayer:
    """:class:`HubLayer` around the registry's Hub module ``name`` (see :func:`load_hub_module`).

    Keyword arguments go to :class:`HubLayer` (``trainable``, ``output_key``, ``name``...).
    """
    return HubLayer(load_hub_module(name), **kwargs)
