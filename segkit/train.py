"""The one training loop of segkit, around ``keras.Model.fit``: checks first, then Adam,
checkpoints and logs.

Introduced in notebook 05; every model of the course trains through `train` (the U-Net and
SegNet of 05 and 06, the two-headed distance U-Net of 08, the patch classifier of 09).
`train` validates the data, the losses and the checkpoint path *before* the first epoch (a
typo in a path should not cost an hour of training), compiles with Adam, keeps the best model
by validation loss in a ``.keras`` file written atomically, logs every epoch to CSV (and
TensorBoard if asked), stops early or at a time limit if asked, and seeds every generator.

Single-output models take masks as targets. Multi-output models (``keras.Model(inputs,
{"prob": ..., "dist": ...})``) take a dict of targets and a dict of losses, e.g.
``loss={"prob": "bce", "dist": "mae"}``: targets of mask losses are checked to hold class
labels, targets of regression losses (``"mae"``, ``"mse"``) to be finite.

The same call runs on a laptop CPU, a Colab GPU/TPU or several GPUs: pass a
``tf.distribute`` strategy and a model *builder* (a function returning a fresh model) so
that the model's variables are created inside ``strategy.scope()``.
"""

import os
import tempfile
from pathlib import Path

import keras
import numpy as np

from . import _precision
from ._validate import (as_array, check_choice, check_finite, check_int, check_numeric,
                        check_real, describe)
from .losses import _DiceMetric, _IoUMetric, get_loss, target_kind

__all__ = ["train"]


# ----------------------------------------------------------------------------- checkpoints
def _check_checkpoint_path(path):
    """Make sure a ``.keras`` checkpoint can be written at `path`, before any training.

    Creates the parent folder if needed and writes (then removes) a probe file in it.

    Raises
    ------
    ValueError
        `path` does not end in ``.keras``.
    PermissionError
        The folder cannot be created or written.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(
            f"`checkpoint` must end in .keras (the native Keras format), got {str(path)!r}"
        )
    if path.is_dir():
        raise ValueError(f"`checkpoint` ({path}) is a folder; give a file name ending in .keras")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise PermissionError(
            f"`checkpoint` ({path}) cannot be written: {exc.strerror or exc}; choose a "
            "writable folder before training starts"
        ) from None
    return path


class _BestCheckpoint(keras.callbacks.Callback):
    """Save the model whenever `monitor` improves, atomically, and optionally restore it.

    Each save goes to a temporary ``.keras`` file beside `path` and is then renamed onto it
    (``os.replace``), so an interrupted or crashed training always leaves the last complete
    best model, never a half-written file. ``keras.callbacks.ModelCheckpoint`` writes
    straight to the final name, which is why segkit uses this instead.

    Parameters
    ----------
    path : str or os.PathLike
        Ends in ``.keras``.
    monitor : str
        A key of the epoch logs, ``"val_loss"`` by default.
    mode : {"min", "max"}
    restore_best : bool
        At the end of training, put the best weights back into the model (kept in memory).
    """

    def __init__(self, path=None, *, monitor="val_loss", mode="min", restore_best=True):
        super().__init__()
        check_choice(mode, "mode", ("min", "max"))
        self.path = None if path is None else Path(path)
        self.monitor, self.mode, self.restore_best = monitor, mode, restore_best
        self.best = None
        self.best_epoch = None
        self._best_weights = None

    def _improved(self, value):
        if self.best is None:
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not np.isfinite(value) or not self._improved(value):
            return
        self.best, self.best_epoch = float(value), epoch
        if self.restore_best:
            self._best_weights = self.model.get_weights()
        if self.path is not None:
            from .io import atomic_path

            with atomic_path(self.path) as tmp:
                self.model.save(tmp)

    def on_train_end(self, logs=None):
        if self.restore_best and self._best_weights is not None:
            self.model.set_weights(self._best_weights)


class _TimeLimit(keras.callbacks.Callback):
    """Stop training before an epoch that would end after `minutes` of training.

    Uses the longest epoch so far as the estimate of the next one, so a budget of 10 minutes
    is kept rather than overrun by one epoch.
    """

    def __init__(self, minutes):
        super().__init__()
        self.seconds = 60.0 * check_real(minutes, "minutes", low=0.0, low_open=True)
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        import time

        self._start = self._epoch_start = time.perf_counter()
        self._longest = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        import time

        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        import time

        now = time.perf_counter()
        self._longest = max(self._longest, now - self._epoch_start)
        if now - self._start + self._longest > self.seconds:
            self.stopped_epoch = epoch
            self.model.stop_training = True


# ----------------------------------------------------------------------------- data checks
def _writable_folder(folder, what, target):
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise PermissionError(f"`{what}` ({target}) cannot be written: {exc.strerror or exc}"
                              ) from None


def _outputs(model):
    """Output names of a multi-output model (dict or list outputs), or None for one output."""
    out = model.output
    if isinstance(out, dict):
        return list(out)
    if isinstance(out, (list, tuple)) and len(out) > 1:
        return list(model.output_names)
    return None


def _per_output(shapes, names):
    """A model's output shape(s) (one tuple, a list or a dict of them) keyed by output name;
    ``{None: shape}`` for a single-output model (`names` None)."""
    if names is None:
        return {None: tuple(shapes)}
    return {k: tuple(shapes[k] if isinstance(shapes, dict) else shapes[i])
            for i, k in enumerate(names)}


def _loss_spec(loss, names):
    """The compiled loss (object or dict) and the target kind of every output."""
    if names is None:
        if isinstance(loss, dict):
            raise TypeError("`loss` is a dict, but the model has a single output; pass one loss")
        obj = get_loss(loss)
        return obj, {None: target_kind(obj)}
    if not isinstance(loss, dict):
        raise TypeError(f"the model has outputs {names}: `loss` must be a dict giving a loss "
                        f"for each, e.g. {{{names[0]!r}: 'bce', ...}}, got {describe(loss)}")
    if set(loss) != set(names):
        raise ValueError(f"`loss` must name exactly the model's outputs {names}, got "
                         f"{sorted(loss)}")
    objs = {k: get_loss(v) for k, v in loss.items()}
    return objs, {k: target_kind(v) for k, v in objs.items()}


def _check_target(y, label, out_shape, kind, x):
    """One output's target: as many as the images, the output's layout, and mask values
    (class labels) or finite regression values. `label` names it in messages."""
    n = x.shape[0]
    y = check_numeric(as_array(y, label), label)
    what = "masks" if label.endswith("masks") else "targets"
    if y.shape[0] != n:
        raise ValueError(f"{label.rsplit(' ', 1)[0]} has {n} images but {y.shape[0]} {what}; "
                         "they must pair up" if what == "masks" else
                         f"{label} has {y.shape[0]} entries for {n} images; they must pair up")
    per_pixel = len(out_shape) == 4
    if y.ndim != len(out_shape):
        want = "NHWC (N, H, W, 1)" if per_pixel else f"{len(out_shape)}-D (N, {out_shape[-1]})"
        raise ValueError(f"{label} must be {want}, like the model's output, got "
                         f"{describe(y)}" + ("; use segkit.io.to_nhwc" if per_pixel else ""))
    if per_pixel and y.shape[1:3] != x.shape[1:3]:
        raise ValueError(f"{label} (shape {y.shape}) must have the same height and width as "
                         f"the images (shape {x.shape})")
    if kind == "value":  # as train() keeps it: float64 beyond float32's range is caught
        return check_finite(_as_stored(y), label.strip("`"))
    n_classes = int(out_shape[-1])
    want_channels = 2 if kind == "weighted mask" else 1
    if y.shape[-1] != want_channels:
        need = ("2 channels (mask, weight map) for the weighted loss; see "
                "segkit.losses.with_weight_maps" if kind == "weighted mask" else "1 channel")
        raise ValueError(f"{label} must have {need}, got {describe(y)}")
    labels = y[..., 0]
    check_finite(labels, label.strip("`"))
    values = np.unique(labels)
    allowed = np.arange(max(n_classes, 2))
    if not np.isin(values, allowed).all():
        shown = ", ".join(f"{v:g}" for v in values[:8]) + (", ..." if values.size > 8 else "")
        want = "{0, 1}" if n_classes == 1 else f"0..{n_classes - 1}"
        raise ValueError(
            f"{label} must hold values in {want}, got {values.size} distinct values: "
            f"{shown}" + ("; divide {0, 255} masks by 255" if 255 in values else "")
        )
    if kind == "weighted mask" and (y[..., 1] < 0).any():
        raise ValueError(f"{label}: the weight maps (channel 1) must be >= 0")
    return y


def _check_batch(x, y, name, spec):
    """Images NHWC float and finite; every target checked against its output and loss."""
    kinds, shapes = spec
    if x.ndim != 4:
        raise ValueError(
            f"`{name}` images must be NHWC (N, H, W, C), got {describe(x)}; "
            "use segkit.io.to_nhwc"
        )
    if np.issubdtype(x.dtype, np.integer):
        raise ValueError(
            f"`{name}` images are {x.dtype}, not normalised floats; normalise them first "
            "(segkit.io.Normalization) and pass the same object to predict_tiled"
        )
    check_finite(x, f"{name} images")
    if None in kinds:
        targets = {None: y}
    elif isinstance(y, dict):
        if set(y) != set(kinds):
            raise ValueError(f"`{name}` targets must be a dict with the model's outputs "
                             f"{sorted(kinds)}, got {sorted(y)}")
        targets = y
    else:
        raise TypeError(f"`{name}` targets must be a dict with the model's outputs "
                        f"{sorted(kinds)}, got {describe(y)}")
    out = {}
    for key, target in targets.items():
        label = f"`{name}` masks" if key is None else f"`{name}` targets[{key!r}]"
        out[key] = _as_stored(_check_target(target, label, shapes[key], kinds[key], x))
    return out[None] if None in out else out


def _as_stored(a):
    """Checked array data as train() keeps them: float16 as it is (half the memory of
    float32; `_array_dataset` widens each batch to float32), anything else as float32."""
    return a if a.dtype == np.float16 else a.astype(np.float32, copy=False)


def _check_arrays(data, name, spec):
    """(x, y) numpy arrays, checked; y an array or a dict of arrays (multi-output)."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(
            f"`{name}` must be a tf.data.Dataset of (x, y) batches or an (x, y) tuple of "
            f"arrays, got {describe(data)}"
            + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else "")
        )
    x = check_numeric(as_array(data[0], f"{name}[0] (images)"), f"{name}[0] (images)")
    y = _check_batch(x, data[1], name, spec)
    return _as_stored(x), y


def _check_dataset(ds, name, spec):
    """Check the first batch of a tf.data.Dataset (structure, shapes, target values)."""
    element = ds.element_spec
    if not isinstance(element, tuple) or len(element) not in (2, 3):
        raise ValueError(
            f"`{name}` must yield (x, y) or (x, y, sample_weight) batches, got elements "
            f"{element}"
        )
    for batch in ds.take(1):
        y = batch[1]
        y = {k: np.asarray(v) for k, v in y.items()} if isinstance(y, dict) else np.asarray(y)
        _check_batch(np.asarray(batch[0]), y, f"{name} (first batch)", spec)
        return
    raise ValueError(f"`{name}` is an empty dataset")


def _array_dataset(x, y, batch_size, shuffle):
    """Checked (x, y) arrays as a tf.data pipeline that slices each batch from the arrays.

    Given arrays, ``keras.Model.fit`` puts them whole into one constant tensor of its input
    pipeline (``ArrayDataAdapter``): a second copy of the training set in TensorFlow's
    allocator, which with oneDNN is not handed back after training. Here each batch is
    gathered from the numpy arrays as it is needed (``tf.numpy_function``), so only a few
    batches exist in TensorFlow at a time.

    Batches and their order are Keras's own: one permutation of ``range(N)`` per epoch
    (``tf.random.shuffle``, seeded by ``keras.utils.set_random_seed``), cut into full batches
    and a last partial one, with a static batch size where Keras has one; so a training gives
    the same weights either way, to the bit.

    Parameters
    ----------
    x : numpy.ndarray
        (N, H, W, C) float32 or float16 images, checked.
    y : numpy.ndarray or dict of numpy.ndarray
        Targets whose first axis pairs with `x`, checked; float32 or float16. Every float16
        array is widened to float32 batch by batch: stored at half the memory, computed on
        in float32, as if it had been widened whole beforehand.
    batch_size : int
    shuffle : bool

    Returns
    -------
    dataset : tf.data.Dataset
    release : callable
        Call it once training is over. TensorFlow keeps the traced pipeline in its function
        library for the rest of the session, and the pipeline would keep the arrays alive;
        after ``release()`` it holds nothing (and can no longer be read).

    Examples
    --------
    >>> x = np.arange(5, dtype=np.float32).reshape(5, 1, 1, 1)
    >>> ds, release = _array_dataset(x, {"y": 2 * x}, 2, shuffle=False)
    >>> [(b[0].numpy().ravel().tolist(), b[1]["y"].numpy().ravel().tolist()) for b in ds]
    [([0.0, 1.0], [0.0, 2.0]), ([2.0, 3.0], [4.0, 6.0]), ([4.0], [8.0])]
    >>> release()
    """
    import tensorflow as tf

    keys = list(y) if isinstance(y, dict) else None
    arrays = [x] + ([y] if keys is None else [y[k] for k in keys])
    shapes = [a.shape[1:] for a in arrays]  # every batch is float32 (gather widens float16)
    n = len(x)
    n_full = n // batch_size
    n_rest = n - n_full * batch_size

    def permutation(_):  # as Keras does it, so that the same seed gives the same order
        indices = tf.range(n, dtype=tf.int64)
        if shuffle:
            indices = tf.random.shuffle(indices)
        return indices

    def batch_indices(indices):
        full = tf.reshape(indices[: n_full * batch_size], [n_full, batch_size])
        batches = tf.data.Dataset.from_tensor_slices(full)
        if n_rest:
            batches = batches.concatenate(
                tf.data.Dataset.from_tensors(indices[n_full * batch_size:]))
        return batches

    def gather(indices):
        parts = tf.numpy_function(lambda i: tuple(a[i].astype(np.float32, copy=False)
                                                  for a in arrays), [indices],
                                  [tf.float32] * len(arrays), stateful=False)
        for part, shape in zip(parts, shapes):  # the batch size static where Keras' is
            part.set_shape(indices.shape.concatenate(shape))
        return parts[0], (parts[1] if keys is None else dict(zip(keys, parts[1:])))

    ds = (tf.data.Dataset.range(1).map(permutation).prefetch(1).flat_map(batch_indices)
          .map(gather, num_parallel_calls=tf.data.AUTOTUNE))
    ds = ds.apply(tf.data.experimental.assert_cardinality(n_full + (n_rest > 0)))
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)  # as Keras: each replica its share of a batch
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE), arrays.clear


def _is_dataset(data):
    import tensorflow as tf

    return isinstance(data, tf.data.Dataset)


def _default_metrics(kinds):
    """Dice and IoU at 0.5 for every mask output (none for regression outputs)."""
    if None in kinds:
        return [_DiceMetric(), _IoUMetric()] if kinds[None] != "value" else []
    return {k: [_DiceMetric(), _IoUMetric()] for k, kind in kinds.items() if kind != "value"}


# ----------------------------------------------------------------------------- train
def train(model, train_data, val_data=None, *, epochs, learning_rate=1e-3, epsilon=1e-7,
          loss="dice", loss_weights=None, batch_size=8, checkpoint=None, log_csv=None,
          tensorboard=None, early_stopping=None, time_limit=None, restore_best=True, seed=0,
          strategy=None, metrics=None, callbacks=(), verbose="auto", precision="auto"):
    """Compile `model` with Adam and fit it, keeping the best epoch by validation loss.

    Parameters
    ----------
    model : keras.Model or callable
        A model, or a function with no arguments that builds one (needed with a
        non-default `strategy`, so that its variables live inside ``strategy.scope()``).
    train_data, val_data : tf.data.Dataset or (x, y) tuple of arrays
        Datasets yield ``(x, y)`` batches (e.g. `segkit.augment.make_dataset`); arrays are
        ``x : (N, H, W, C)`` normalised float32 images and ``y`` the targets: ``(N, H, W,
        1)`` masks in {0, 1} (labels ``0..K-1`` for a K-class model; 2 channels for
        ``"weighted_bce"``), or for a multi-output model a dict ``{output: target}`` whose
        first axis pairs with the images (a per-pixel map or one value per image). Arrays
        may be float16 to halve their memory (a large training set on a small machine):
        each batch is widened to float32 as it is taken, no float32 copy of the set is made.
        Without `val_data` the training loss is monitored instead.
    epochs : int
    learning_rate, epsilon : float
        Adam's step size and its numerical-stability term (raise `epsilon` to 1e-4 .. 1
        if training is unstable, as the TensorFlow docs suggest for some models).
    loss : str, callable or dict
        A name of `segkit.losses.LOSSES` (``"dice"``, ``"bce"``, ``"log_dice"``,
        ``"focal"``, ``"jaccard"``, ``"weighted_bce"``, ``"bce_dice"``, ``"mae"``,
        ``"mse"``) or a Keras loss; for a multi-output model a dict giving one per output.
    loss_weights : dict, optional
        Weight of each output's loss in the total (multi-output models).
    batch_size : int
        For array data only (datasets are already batched).
    checkpoint : str or os.PathLike, optional
        ``.keras`` file that always holds the best model so far (atomic writes).
    log_csv : str or os.PathLike, optional
        CSV file with one row of losses and metrics per epoch.
    tensorboard : str or os.PathLike, optional
        TensorBoard log folder.
    early_stopping : int, optional
        Stop after this many epochs without improvement.
    time_limit : float, optional
        Minutes of training after which no new epoch starts (the longest epoch so far
        estimates the next one).
    restore_best : bool
        End with the weights of the best epoch rather than the last one.
    seed : int
        Seeds Python, NumPy and the backend (``keras.utils.set_random_seed``): weight
        initialisation (when `model` is a builder), shuffling and dropout repeat exactly on
        one machine. GPU kernels may still differ in the last bits between runs.
    strategy : tf.distribute.Strategy, optional
        E.g. ``tf.distribute.MirroredStrategy()`` for several GPUs or a TPU strategy.
    metrics : list or dict, optional
        Defaults to Dice and IoU at 0.5 (keras metrics named ``dice`` and ``iou``) for every
        output trained with a mask loss; ``[]`` for none.
    callbacks : sequence of keras.callbacks.Callback
        Extra callbacks, run after segkit's.
    verbose : "auto", 0, 1 or 2
        Keras' progress display.
    precision : {"auto", "float32", "mixed_bfloat16", "mixed_float16"}
        The computation policy. A builder is built under it; a built model keeps the policy
        it was built with (Keras fixes it per layer), so with a built model only ``"auto"``
        or that same policy is accepted. ``"auto"`` uses a mixed policy only where the
        processor supports it and a one-off measurement on this machine showed it faster
        (cached in ``~/.cache/segkit/precision.json``); ``"mixed_float16"`` needs a GPU.
        Weights stay float32 and output layers compute in float32 under every policy.

    Returns
    -------
    keras.callbacks.History
        ``history.history`` holds the per-epoch values; ``history.model`` is the trained
        model (the one built inside the strategy when `model` is a builder);
        ``history.precision`` the policy it was trained under.

    Raises
    ------
    ValueError, TypeError
        Bad data (integer images, masks not in {0, 1}, images and targets that do not pair
        up, targets that do not match the model's outputs) or a checkpoint name that does not
        end in ``.keras``.
    PermissionError
        The checkpoint, CSV or TensorBoard location is not writable.

    Examples
    --------
    >>> import numpy as np
    >>> from segkit import models
    >>> x = np.random.default_rng(0).random((4, 16, 16, 1), dtype=np.float32)
    >>> y = (x > 0.5).astype(np.float32)
    >>> h = train(lambda: models.unet(depth=1, base_filters=2), (x, y), epochs=2,
    ...           loss="bce", verbose=0)
    >>> len(h.history["loss"]), sorted(h.history)[:2]
    (2, ['dice', 'iou'])
    """
    import tensorflow as tf

    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    epsilon = check_real(epsilon, "epsilon", low=0.0, low_open=True)
    if early_stopping is not None:
        early_stopping = check_int(early_stopping, "early_stopping", minimum=1)
    if time_limit is not None:
        time_limit = check_real(time_limit, "time_limit", low=0.0, low_open=True)
    if not isinstance(loss, dict):
        get_loss(loss)  # an unknown loss name fails here, before any model is built

    # everything that can fail is checked before the first epoch
    if checkpoint is not None:
        checkpoint = _check_checkpoint_path(checkpoint)
    if log_csv is not None:
        _writable_folder(Path(log_csv).parent, "log_csv", log_csv)
    if tensorboard is not None:
        _writable_folder(Path(tensorboard), "tensorboard", tensorboard)

    # --- precision policy (segkit._precision): resolved before seeding, since "auto" may
    # measure once on a first run and must not shift the random streams
    policy = _precision.for_training(model, precision)
    keras.utils.set_random_seed(seed)
    if strategy is None:
        strategy = tf.distribute.get_strategy()
    with strategy.scope():
        if isinstance(model, keras.Model):
            _check_model_in_strategy(model, strategy)
        elif callable(model):
            with _precision.policy_scope(policy):
                model = model()
            if not isinstance(model, keras.Model):
                raise TypeError(
                    f"`model` builder must return a keras.Model, got {describe(model)}"
                )
        else:
            raise TypeError(
                f"`model` must be a keras.Model or a function building one, got {describe(model)}"
            )
        _precision.check_float32_outputs(model)
        names = _outputs(model)
        loss_obj, kinds = _loss_spec(loss, names)
        shapes = _per_output(model.output_shape, names)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate, epsilon=epsilon),
            loss=loss_obj, loss_weights=loss_weights,
            # an empty list means none: Keras before 3.15 refuses a list whose length is not
            # the number of outputs on a multi-output model (Colab's 3.13 does)
            metrics=_default_metrics(kinds) if metrics is None else (metrics or None),
        )
        # the optimizer's variables are made now, eagerly. Made lazily inside the first
        # training step, each would get an initialisation graph (a tf.cond) that TensorFlow
        # keeps for the rest of the session, model or no model: 152 graphs for the distance
        # U-Net of notebook 08, which then kept about 75 MB more after every training
        model.optimizer.build(model.trainable_variables)
    spec = (kinds, shapes)

    fit_kwargs, releases, arrays = {}, [], None
    if _is_dataset(train_data):
        _check_dataset(train_data, "train_data", spec)
        fit_args = (train_data,)
        fit_kwargs["shuffle"] = False  # a dataset shuffles itself; Keras warns otherwise
    else:
        # arrays: batches sliced from them as needed, not a copy of the set in TensorFlow
        arrays = _check_arrays(train_data, "train_data", spec)
        train_data, release = _array_dataset(*arrays, batch_size, shuffle=True)
        releases.append(release)
        fit_args = (train_data,)
        fit_kwargs["shuffle"] = False  # the pipeline shuffles, as Keras would
    if val_data is not None:
        if _is_dataset(val_data):
            _check_dataset(val_data, "val_data", spec)
        else:
            val_data, release = _array_dataset(*_check_arrays(val_data, "val_data", spec),
                                               batch_size, shuffle=False)
            releases.append(release)
        fit_kwargs["validation_data"] = val_data
    monitor = "val_loss" if val_data is not None else "loss"
    if arrays is not None:  # array data: its first image builds the loss and metric trackers
        with strategy.scope():
            _build_trackers(model, *arrays, names)
        del arrays  # held by the pipeline until it is released

    cbs = [_BestCheckpoint(checkpoint, monitor=monitor, restore_best=restore_best)]
    if log_csv is not None:
        cbs.append(keras.callbacks.CSVLogger(str(log_csv)))
    if tensorboard is not None:
        cbs.append(keras.callbacks.TensorBoard(log_dir=str(tensorboard)))
    if early_stopping is not None:
        cbs.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=early_stopping))
    if time_limit is not None:
        cbs.append(_TimeLimit(time_limit))
    cbs.extend(callbacks)
    try:
        history = model.fit(*fit_args, epochs=epochs, callbacks=cbs, verbose=verbose,
                            **fit_kwargs)
    finally:  # the arrays are the caller's again, even after an interrupted training
        for release in releases:
            release()
    history.precision = policy
    return history


def _build_trackers(model, x, y, names):
    """Create the compiled loss's and metrics' variables eagerly, from the first image of the
    checked arrays `x`, its targets in `y` and an all-zero prediction.

    Left to Keras they are made inside the first training step, and each then keeps an
    initialisation graph (a tf.cond) and through it the traced training step, in
    TensorFlow's function library for the rest of the session. Their values are reset when
    training starts, so nothing else changes (a test compares with ``model.fit``).
    """
    x1 = x[:1].astype(np.float32)  # float32, as the pipeline gives it
    y1 = ({k: v[:1].astype(np.float32) for k, v in y.items()} if isinstance(y, dict)
          else y[:1].astype(np.float32))
    y_pred = {k: np.zeros(shape, np.float32) for k, shape in
              _per_output(model.compute_output_shape(x1.shape), names).items()}
    y_pred = y_pred[None] if names is None else y_pred
    model.compute_loss(x1, y1, y_pred, training=False)
    model.compute_metrics(x1, y1, y_pred, sample_weight=None)


def _check_model_in_strategy(model, strategy):
    """A ready-made model only works with a strategy whose scope created its variables."""
    import tensorflow as tf

    if not model.weights or not tf.distribute.has_strategy():
        return  # the default strategy (no distribution) takes any model
    variable = model.weights[0]
    variable = getattr(variable, "value", variable)
    if not strategy.extended.variable_created_in_scope(variable):
        raise ValueError(
            f"`model` was built outside `strategy` ({type(strategy).__name__}).scope(); pass a "
            "function that builds it instead, e.g. `lambda: segkit.models.unet(...)`, so that "
            "train() creates its variables inside the strategy"
        )


# ----------------------------------------------------------------------------- studies


# ----------------------------------------------------------------------------- one model, many short trainings
# (added for notebook 04's augmentation table: experiments.compare_transforms)
def _train_each(model, train_sets, val_data, *, epochs, loss="bce", seed=0, learning_rate=1e-3,
                epsilon=1e-7):
    """Train `model` on each dataset of `train_sets` in turn, every time from the weights it
    has now and a fresh Adam state, compiling once.

    `train` compiles on every call, and the first ``fit`` after a compile traces the training
    and validation steps anew: several seconds per call on a CPU, and memory that grows with
    every trace. A table of short trainings of one architecture (one row per augmentation,
    `segkit.experiments.compare_transforms`) resets the weights and the optimizer's variables
    instead, and reuses the traced steps. Rows differ only by their data and its random
    draws.

    Parameters
    ----------
    model : keras.Model
        Uncompiled (it is compiled here); its present weights are every row's start.
    train_sets : iterable of tf.data.Dataset
        Consumed lazily, one dataset per training.
    val_data : tf.data.Dataset
    epochs : int
    loss : str
        A name of `segkit.losses.LOSSES`.
    seed : int
        Set before every training.
    learning_rate, epsilon : float
        Adam's settings, as for `train`.

    Yields
    ------
    keras.callbacks.History
        One per dataset, in order.

    Examples
    --------
    >>> from segkit import models
    >>> x = np.random.default_rng(0).random((4, 16, 16, 1), dtype=np.float32)
    >>> y = (x > 0.5).astype(np.float32)
    >>> import tensorflow as tf
    >>> ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)
    >>> h1, h2 = _train_each(models.unet(depth=1, base_filters=2), [ds, ds], ds, epochs=1)
    >>> h1.history["loss"] == h2.history["loss"]  # same start, same data: same training
    True
    """
    epochs = check_int(epochs, "epochs", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    weights0 = model.get_weights()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate, epsilon=epsilon),
                  loss=get_loss(loss), metrics=[])
    model.optimizer.build(model.trainable_variables)
    state0 = [v.numpy() for v in model.optimizer.variables]
    for data in train_sets:
        model.set_weights(weights0)
        for variable, value in zip(model.optimizer.variables, state0):
            variable.assign(value)
        keras.utils.set_random_seed(seed)
        yield model.fit(data, validation_data=val_data, epochs=epochs, shuffle=False, verbose=0)
