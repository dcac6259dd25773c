"""The precision policy of training and prediction: float32, or mixed bfloat16 / float16.

Used by `segkit.train.train` and `segkit.predict.predict_tiled` (their ``precision``
argument); private, so its names are not part of the public surface.

A *mixed* policy (Keras' ``"mixed_bfloat16"`` or ``"mixed_float16"``) keeps every weight in
float32 but computes the layers in 16 bits, which is faster where the processor has 16-bit
arithmetic: bfloat16 on CPUs with AVX512_BF16 or AMX (recent Intel Xeon, AMD Zen 4), float16
on GPUs. Output layers stay float32 (`segkit.models` builds them so), so probabilities and
losses are computed in full precision.

``"auto"`` picks a mixed policy only when both hold:

1. the hardware supports it: a GPU (``"mixed_float16"``) or a CPU whose flags in
   ``/proc/cpuinfo`` include ``avx512_bf16`` or ``amx_bf16`` (``bf16`` on ARM)
   (``"mixed_bfloat16"``);
2. a one-off measurement on this machine shows it is faster: notebook 05's U-Net (depth 4,
   8 base filters) on 256 x 256 tiles, batch 4, trained and run in float32 and in the mixed
   policy, interleaved (72 s on a 2-core machine under a load average of 10; less on a quiet
   one). Training and prediction are decided separately (bf16 can speed up one and not the
   other). On a busy shared machine the measurement is noisy; delete the cache file to
   measure again when it is quiet.

The decision is cached per machine and software version in ``~/.cache/segkit/precision.json``
(``$SEGKIT_CACHE_DIR`` or ``$XDG_CACHE_HOME/segkit`` if set), written atomically; delete the
file to measure again. ``$SEGKIT_PRECISION`` set to a policy name makes ``"auto"`` mean that
policy without measuring (the test suite sets ``float32``, so its numbers do not depend on the
machine; an explicit ``precision=`` argument still wins).

A Keras layer's policy is fixed when it is built. `for_training` therefore builds a model
*builder* under the policy and checks an already-built model; `for_inference` runs a model
under another policy by rebuilding it from its configuration with the same weights.
"""

import json
import logging
import os
import time
import weakref
from contextlib import contextmanager
from pathlib import Path

from ._validate import check_choice, describe

__all__ = []  # private module

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
POLICIES = PRECISIONS[1:]
PURPOSES = ("train", "predict")
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")
# A mixed policy must beat float32 by this factor in the measurement to be chosen: smaller
# differences are within the noise of a shared machine.
MARGIN = 0.95

_log = logging.getLogger(__name__)
_CLONES = weakref.WeakKeyDictionary()  # model -> {policy: clone}, see `for_inference`


# ----------------------------------------------------------------------------- hardware
def cpu_flags(cpuinfo="/proc/cpuinfo"):
    """The CPU feature flags listed in `cpuinfo` (Linux); an empty set where it is missing.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cpuinfo"
    >>> _ = p.write_text("processor : 0\\nflags : fpu avx512f avx512_bf16\\n")
    >>> sorted(cpu_flags(p))
    ['avx512_bf16', 'avx512f', 'fpu']
    """
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return set()
    flags = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):  # x86 / ARM
            flags.update(value.split())
    return flags


def cpu_has_bf16(cpuinfo="/proc/cpuinfo"):
    """Whether the CPU computes bfloat16 natively (AVX512_BF16, AMX-BF16 or ARM BF16)."""
    return bool(cpu_flags(cpuinfo) & set(BF16_CPU_FLAGS))


def gpu_names():
    """Names of the GPUs TensorFlow sees (an empty list on a CPU-only machine)."""
    import tensorflow as tf

    names = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
        except Exception:  # details are best effort; the device itself is what counts
            details = {}
        names.append(details.get("device_name", device.name))
    return names


def candidate(*, gpus=None, bf16=None):
    """The mixed policy this hardware supports, or ``"float32"`` if none.

    >>> candidate(gpus=["NVIDIA T4"], bf16=False), candidate(gpus=[], bf16=True)
    ('mixed_float16', 'mixed_bfloat16')
    >>> candidate(gpus=[], bf16=False)
    'float32'
    """
    gpus = gpu_names() if gpus is None else gpus
    bf16 = cpu_has_bf16() if bf16 is None else bf16
    if gpus:
        return "mixed_float16"
    return "mixed_bfloat16" if bf16 else "float32"


# ----------------------------------------------------------------------------- resolution
def check_precision(precision, name="precision"):
    """`precision` if it is one of `PRECISIONS`, else a ValueError naming the choices."""
    return check_choice(precision, name, PRECISIONS)


def resolve(precision="auto", *, purpose="train", name="precision"):
    """The concrete Keras policy name for `precision` on this machine.

    Parameters
    ----------
    precision : {"auto", "float32", "mixed_bfloat16", "mixed_float16"}
    purpose : {"train", "predict"}
        Which of the measured decisions ``"auto"`` uses.
    name : str
        The argument's name in error messages.

    Returns
    -------
    str
        ``"float32"``, ``"mixed_bfloat16"`` or ``"mixed_float16"``.

    Raises
    ------
    ValueError
        An unknown name, or ``"mixed_float16"`` without a GPU.

    Examples
    --------
    >>> resolve("float32")
    'float32'
    >>> resolve("half")
    Traceback (most recent call last):
    ...
    ValueError: `precision` must be one of 'auto', 'float32', 'mixed_bfloat16', 'mixed_float16', got 'half'
    """
    precision = check_precision(precision, name)
    check_choice(purpose, "purpose", PURPOSES)
    if precision == "mixed_float16" and not gpu_names():
        raise ValueError(
            f"`{name}` 'mixed_float16' needs a GPU, and TensorFlow sees none: CPUs emulate "
            "float16 arithmetic, which makes it slower than float32. Use 'mixed_bfloat16' on a "
            "CPU with AVX512_BF16 or AMX, 'float32', or 'auto' to choose by measurement"
        )
    if precision != "auto":
        return precision
    forced = os.environ.get("SEGKIT_PRECISION")
    if forced:
        return resolve(check_choice(forced, "$SEGKIT_PRECISION", POLICIES), purpose=purpose,
                       name="$SEGKIT_PRECISION")
    return auto_decision()[purpose]


def cache_file():
    """Where the measured decisions are kept (see the module docstring)."""
    root = os.environ.get("SEGKIT_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = Path(xdg) / "segkit" if xdg else Path.home() / ".cache" / "segkit"
    return Path(root) / "precision.json"


def machine_key(gpus=None, cpuinfo="/proc/cpuinfo"):
    """What the decision depends on: processor, GPUs, core count, TensorFlow and Keras."""
    import keras
    import tensorflow as tf

    gpus = gpu_names() if gpus is None else gpus
    model = ""
    try:
        for line in Path(cpuinfo).read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        import platform

        model = platform.processor() or platform.machine()
    bf16 = sorted(cpu_flags(cpuinfo) & set(BF16_CPU_FLAGS))
    return (f"cpu={model}; bf16={','.join(bf16) or 'none'}; cores={os.cpu_count()}; "
            f"gpus={','.join(gpus) or 'none'}; tensorflow={tf.__version__}; "
            f"keras={keras.__version__}")


def auto_decision(*, measure=None):
    """``{"train": policy, "predict": policy, ...}`` for ``"auto"`` on this machine.

    Read from the cache, or measured once (`measure`, default `measure_speed`) and cached.
    Without hardware support for a mixed policy nothing is measured: both are float32.
    The returned dict also holds the measured ``seconds`` and ``speedup`` (float32 time over
    mixed time) when there was a measurement.
    """
    gpus = gpu_names()
    mixed = candidate(gpus=gpus)
    if mixed == "float32":
        return {"train": "float32", "predict": "float32", "reason": "no 16-bit hardware"}
    key = machine_key(gpus)
    path = cache_file()
    cached = _read_cache(path)
    entry = cached.get(key)
    if isinstance(entry, dict) and all(entry.get(p) in (mixed, "float32") for p in PURPOSES):
        return entry
    print(f"segkit: precision='auto' measures float32 against {mixed} once on this machine "
          f"(up to a minute or two; the decision is kept in {path}) ...", flush=True)
    seconds = (measure or measure_speed)(mixed)
    decision = {"candidate": mixed, "seconds": seconds, "speedup": {}}
    for purpose in PURPOSES:
        f32, mix = seconds["float32"][purpose], seconds[mixed][purpose]
        decision["speedup"][purpose] = round(f32 / mix, 3)
        decision[purpose] = mixed if mix < MARGIN * f32 else "float32"
    decision["measured"] = time.strftime("%Y-%m-%d %H:%M:%S")
    _write_cache(path, {**_read_cache(path), key: decision})
    return decision


def _read_cache(path):
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path, data):
    from .io import atomic_path

    try:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    except OSError as exc:  # a read-only home: measure again next time, never fail
        _log.warning("segkit: cannot cache the precision decision in %s: %s", path, exc)


def measure_speed(mixed, *, repeats=3, tile=256, batch=4):
    """Seconds per training step and per prediction batch, in float32 and in `mixed`.

    Notebook 05's U-Net (depth 4, 8 base filters) on random ``tile x tile`` tiles, `batch`
    at a time; two warm-up steps each (tracing), then `repeats` interleaved rounds, the
    shortest time of each kind. The models are freed afterwards; the global policy and the
    random seeds of the caller are not touched (no seeding, data from a private generator).

    Returns
    -------
    dict
        ``{"float32": {"train": s, "predict": s}, mixed: {...}}``.
    """
    import gc

    import keras
    import numpy as np

    from .models import unet

    rng = np.random.default_rng(0)
    x = rng.random((batch, tile, tile, 1), dtype=np.float32)
    y = (x > 0.5).astype(np.float32)
    models = {}
    for policy in ("float32", mixed):
        with policy_scope(policy):
            model = unet((None, None, 1), depth=4, base_filters=8, name=f"probe_{policy}")
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        for _ in range(2):  # tracing and oneDNN's first-call set-up
            model.train_on_batch(x, y)
            model.predict_on_batch(x)
        models[policy] = model
    best = {p: {"train": float("inf"), "predict": float("inf")} for p in models}
    for _ in range(repeats):
        for policy, model in models.items():
            t0 = time.perf_counter()
            model.train_on_batch(x, y)
            t1 = time.perf_counter()
            model.predict_on_batch(x)
            t2 = time.perf_counter()
            best[policy]["train"] = min(best[policy]["train"], round(t1 - t0, 4))
            best[policy]["predict"] = min(best[policy]["predict"], round(t2 - t1, 4))
    del models, model
    gc.collect()
    return best


# ----------------------------------------------------------------------------- policies
@contextmanager
def policy_scope(policy):
    """Build layers under the Keras dtype `policy`; the previous global policy comes back.

    >>> import keras
    >>> with policy_scope("mixed_bfloat16"):
    ...     layer = keras.layers.Dense(2)
    >>> layer.dtype_policy.name, keras.mixed_precision.dtype_policy().name
    ('mixed_bfloat16', 'float32')
    """
    import keras

    check_choice(policy, "policy", POLICIES)
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        yield policy
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


def model_policy(model):
    """The policy `model`'s layers compute in: a mixed one if any layer uses it, else float32.

    Output layers are float32 in every segkit model, so a mixed model has both; the mixed
    one is the model's policy.
    """
    names = {layer.dtype_policy.name for layer in _layers(model)
             if getattr(layer, "dtype_policy", None) is not None}
    mixed = sorted(n for n in names if n.startswith("mixed_"))
    return mixed[0] if mixed else "float32"


def _layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def check_float32_outputs(model, name="model"):
    """Refuse a model whose outputs are not float32 (a mixed model with a 16-bit head).

    Probabilities in bfloat16 have 8 bits of mantissa: 0.999 and 1.0 are one value, so the
    losses and metrics lose what the weights learn. segkit's builders give their heads
    ``dtype="float32"``; a custom builder must do the same.
    """
    for tensor in getattr(model, "outputs", None) or []:
        if str(tensor.dtype) != "float32":
            layer = tensor._keras_history.operation
            raise ValueError(
                f"`{name}` output {layer.name!r} computes in {tensor.dtype}, not float32; under "
                "a mixed precision policy build the output layers with dtype='float32' (as "
                "segkit.models.unet does)"
            )


def for_training(model, precision, *, name="precision"):
    """The policy under which `train` builds or runs `model`.

    A builder (a callable) is built under the resolved policy. A built ``keras.Model``
    keeps the policy it was built with (Keras fixes it per layer): with ``"auto"`` that
    policy is used as it is; an explicit `precision` that differs is an error that says to
    pass a builder instead.
    """
    import keras

    check_precision(precision, name)
    if isinstance(model, keras.Model):
        have = model_policy(model)
        if precision not in ("auto", have):
            raise ValueError(
                f"`{name}` is {precision!r} but `model` was already built under {have!r}, and "
                "a built Keras model keeps the precision of its layers; pass a function that "
                "builds it instead, e.g. `lambda: segkit.models.unet(...)`, so that train() "
                f"builds it under {precision!r}"
            )
        if precision == "mixed_float16":
            resolve(precision, name=name)  # the GPU check
        return have
    if not callable(model):  # train() says what is wrong with it; measure nothing first
        return "float32"
    return resolve(precision, purpose="train", name=name)


def for_inference(model, precision, *, name="precision"):
    """`model`, or a copy of it that computes under the resolved `precision`.

    The copy is rebuilt from the model's configuration (``keras.models.clone_model``) with
    every layer under the new policy except the output layers and the layers between each
    output and the last layer with weights before it (the heads), which stay float32; the
    weights are copied from `model` at every call, so a model trained further is seen as it
    is now. Copies are cached per model and policy. A model that cannot be rebuilt this way
    (a subclassed ``keras.Model``) is used as it is with ``"auto"`` and refused otherwise.
    """
    want = resolve(precision, purpose="predict", name=name)
    if model_policy(model) == want:
        return model
    clones = _CLONES.setdefault(model, {})
    if want not in clones:
        try:
            clones[want] = _rebuild(model, want)
        except Exception as exc:  # subclassed models, layers without get_config
            if precision == "auto":
                return model
            raise ValueError(
                f"`{name}` {precision!r}: `model` ({describe(model)}) was built under "
                f"{model_policy(model)!r} and cannot be rebuilt under {precision!r} "
                f"({type(exc).__name__}: {exc}); build it under that policy, or pass "
                "precision='auto'") from None
    clone = clones[want]
    clone.set_weights(model.get_weights())
    return clone


def _head_layers(model):
    """Names of the output layers and of the layers back to each output's last weights."""
    keep = set()
    stack = [t._keras_history for t in (getattr(model, "outputs", None) or [])]
    while stack:
        history = stack.pop()
        layer = history.operation
        keep.add(layer.name)
        if layer.weights:
            continue
        node = layer._inbound_nodes[history.node_index]
        stack.extend(t._keras_history for t in node.input_tensors)
    return keep


def _rebuild(model, policy):
    import keras

    keep = _head_layers(model)
    mixed = model_policy(model) != "float32"

    def clone_layer(layer):
        config = layer.get_config()
        island = mixed and layer.dtype_policy.name == "float32"  # e.g. explicit float32 heads
        config["dtype"] = "float32" if layer.name in keep or island else policy
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_layer, recursive=True)
    check_float32_outputs(clone)
    return clone
