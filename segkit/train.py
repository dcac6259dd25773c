"""Training loop around ``keras.Model.fit``: checks first, then Adam, checkpoints and logs.

Introduced in notebook 05. `train` validates the data and the checkpoint path *before* the
first epoch (a typo in a path should not cost an hour of training), compiles with Adam,
keeps the best model by validation loss in a ``.keras`` file written atomically, logs every
epoch to CSV (and TensorBoard if asked), stops early if asked, and seeds every generator.

The same call runs on a laptop CPU, a Colab GPU/TPU or several GPUs: pass a
``tf.distribute`` strategy and a model *builder* (a function returning a fresh model) so
that the model's variables are created inside ``strategy.scope()``.
"""

import itertools
import logging
import os
import tempfile
from pathlib import Path

import keras
import numpy as np

from . import _precision
from ._validate import as_array, check_finite, check_int, check_numeric, describe
from .losses import DiceMetric, IoUMetric, get_loss

__all__ = [
    "train", "BestCheckpoint", "TimeLimit", "check_checkpoint_path", "dice_score",
    "normalization_named", "run_experiment", "compare_labels", "one_at_a_time", "study_table",
    "experiment_panel",
]


# ----------------------------------------------------------------------------- checkpoints
def check_checkpoint_path(path):
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


class BestCheckpoint(keras.callbacks.Callback):
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
        if mode not in ("min", "max"):
            raise ValueError(f"`mode` must be 'min' or 'max', got {mode!r}")
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


class TimeLimit(keras.callbacks.Callback):
    """Stop training before an epoch that would end after `minutes` of training.

    Uses the longest epoch so far as the estimate of the next one, so a budget of 10 minutes
    is kept rather than overrun by one epoch.
    """

    def __init__(self, minutes):
        super().__init__()
        if not float(minutes) > 0:
            raise ValueError(f"`minutes` must be > 0, got {minutes!r}")
        self.seconds = 60.0 * float(minutes)
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
def _check_arrays(data, name, n_classes, weighted):
    """(x, y) numpy arrays: NHWC float images, masks of the right values, matching shapes."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(
            f"`{name}` must be a tf.data.Dataset of (x, y) batches or an (x, y) tuple of "
            f"arrays, got {describe(data)}"
            + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else "")
        )
    x = check_numeric(as_array(data[0], f"{name}[0] (images)"), f"{name}[0] (images)")
    y = check_numeric(as_array(data[1], f"{name}[1] (masks)"), f"{name}[1] (masks)")
    _check_batch(x, y, name, n_classes, weighted)
    return x.astype(np.float32, copy=False), y.astype(np.float32, copy=False)


def _check_batch(x, y, name, n_classes, weighted):
    if x.ndim != 4:
        raise ValueError(
            f"`{name}` images must be NHWC (N, H, W, C), got {describe(x)}; "
            "use segkit.io.to_nhwc"
        )
    if y.ndim != 4:
        raise ValueError(
            f"`{name}` masks must be NHWC (N, H, W, 1), got {describe(y)}; "
            "use segkit.io.to_nhwc"
        )
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"`{name}` has {x.shape[0]} images but {y.shape[0]} masks; they must pair up "
            f"(images {x.shape}, masks {y.shape})"
        )
    if x.shape[1:3] != y.shape[1:3]:
        raise ValueError(
            f"`{name}` masks (shape {y.shape}) must have the same height and width as the "
            f"images (shape {x.shape})"
        )
    if np.issubdtype(x.dtype, np.integer):
        raise ValueError(
            f"`{name}` images are {x.dtype}, not normalised floats; normalise them first "
            "(segkit.io.Normalization) and pass the same object to predict_tiled"
        )
    check_finite(x, f"{name} images")
    want_channels = 2 if weighted else 1
    if y.shape[-1] != want_channels:
        what = ("2 channels (mask, weight map) for the weighted loss; see "
                "segkit.losses.with_weight_maps" if weighted else "1 channel")
        raise ValueError(f"`{name}` masks must have {what}, got {describe(y)}")
    labels = y[..., 0]
    check_finite(labels, f"{name} masks")
    values = np.unique(labels)
    allowed = np.arange(max(n_classes, 2))
    if not np.isin(values, allowed).all():
        shown = ", ".join(f"{v:g}" for v in values[:8]) + (", ..." if values.size > 8 else "")
        want = "{0, 1}" if n_classes == 1 else f"0..{n_classes - 1}"
        raise ValueError(
            f"`{name}` masks must hold values in {want}, got {values.size} distinct values: "
            f"{shown}" + ("; divide {0, 255} masks by 255" if 255 in values else "")
        )
    if weighted and (y[..., 1] < 0).any():
        raise ValueError(f"`{name}` weight maps (channel 1 of the masks) must be >= 0")


def _check_dataset(ds, name, n_classes, weighted):
    """Check the first batch of a tf.data.Dataset (structure, shapes, mask values)."""
    spec = ds.element_spec
    if not isinstance(spec, tuple) or len(spec) not in (2, 3):
        raise ValueError(
            f"`{name}` must yield (x, y) or (x, y, sample_weight) batches, got elements {spec}"
        )
    for batch in ds.take(1):
        x, y = np.asarray(batch[0]), np.asarray(batch[1])
        _check_batch(x, y, f"{name} (first batch)", n_classes, weighted)
        return
    raise ValueError(f"`{name}` is an empty dataset")


def _is_dataset(data):
    import tensorflow as tf

    return isinstance(data, tf.data.Dataset)


# ----------------------------------------------------------------------------- train
def train(model, train_data, val_data=None, *, epochs, learning_rate=1e-3, epsilon=1e-7,
          loss="dice", batch_size=8, checkpoint=None, log_csv=None, tensorboard=None,
          early_stopping=None, time_limit=None, restore_best=True, seed=0, strategy=None,
          metrics=None, callbacks=(), verbose="auto", precision="auto"):
    """Compile `model` with Adam and fit it, keeping the best epoch by validation loss.

    Parameters
    ----------
    model : keras.Model or callable
        A model, or a function with no arguments that builds one (needed with a
        non-default `strategy`, so that its variables live inside ``strategy.scope()``).
    train_data, val_data : tf.data.Dataset or (x, y) tuple of arrays
        Datasets yield ``(x, y)`` batches (e.g. `segkit.augment.make_dataset`); arrays are
        ``x : (N, H, W, 1)`` normalised float32 images and ``y : (N, H, W, 1)`` masks in
        {0, 1} (labels ``0..K-1`` for a K-class model; 2 channels for ``"weighted_bce"``).
        Without `val_data` the training loss is monitored instead.
    epochs : int
    learning_rate, epsilon : float
        Adam's step size and its numerical-stability term (raise `epsilon` to 1e-4 .. 1
        if training is unstable, as the TensorFlow docs suggest for some models).
    loss : str or callable
        A name of `segkit.losses.LOSSES` (``"dice"``, ``"bce"``, ``"log_dice"``,
        ``"focal"``, ``"jaccard"``, ``"weighted_bce"``, ``"bce_dice"``) or a Keras loss.
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
        Minutes of training after which no new epoch starts (`TimeLimit`).
    restore_best : bool
        End with the weights of the best epoch rather than the last one.
    seed : int
        Seeds Python, NumPy and the backend (``keras.utils.set_random_seed``): weight
        initialisation (when `model` is a builder), shuffling and dropout repeat exactly on
        one machine. GPU kernels may still differ in the last bits between runs.
    strategy : tf.distribute.Strategy, optional
        E.g. ``tf.distribute.MirroredStrategy()`` for several GPUs or a TPU strategy.
    metrics : list, optional
        Defaults to Dice and IoU at 0.5 (`segkit.losses.DiceMetric`, `IoUMetric`).
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
        Bad data (integer images, masks not in {0, 1}, images and masks that do not pair
        up) or a checkpoint name that does not end in ``.keras``.
    PermissionError
        The checkpoint, CSV or TensorBoard location is not writable.
    """
    import tensorflow as tf

    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    if float(learning_rate) <= 0:
        raise ValueError(f"`learning_rate` must be > 0, got {learning_rate!r}")
    if float(epsilon) <= 0:
        raise ValueError(f"`epsilon` must be > 0, got {epsilon!r}")
    if early_stopping is not None:
        early_stopping = check_int(early_stopping, "early_stopping", minimum=1)
    if time_limit is not None and not float(time_limit) > 0:
        raise ValueError(f"`time_limit` must be > 0 minutes, got {time_limit!r}")
    loss_obj = get_loss(loss)
    weighted = loss == "weighted_bce" or type(loss_obj).__name__ == "WeightedBCE"

    # everything that can fail is checked before the first epoch
    if checkpoint is not None:
        checkpoint = check_checkpoint_path(checkpoint)
    for what, target in (("log_csv", log_csv), ("tensorboard", tensorboard)):
        if target is not None:
            folder = Path(target).parent if what == "log_csv" else Path(target)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                fd, probe = tempfile.mkstemp(dir=folder)
                os.close(fd)
                os.unlink(probe)
            except OSError as exc:
                raise PermissionError(
                    f"`{what}` ({target}) cannot be written: {exc.strerror or exc}"
                ) from None

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
        n_classes = int(model.output_shape[-1])
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=float(learning_rate),
                                            epsilon=float(epsilon)),
            loss=loss_obj,
            metrics=list(metrics) if metrics is not None else [DiceMetric(), IoUMetric()],
        )

    fit_kwargs = {}
    if _is_dataset(train_data):
        _check_dataset(train_data, "train_data", n_classes, weighted)
        fit_args = (train_data,)
        fit_kwargs["shuffle"] = False  # a dataset shuffles itself; Keras warns otherwise
    else:
        x, y = _check_arrays(train_data, "train_data", n_classes, weighted)
        fit_args = (x, y)
        fit_kwargs.update(batch_size=batch_size, shuffle=True)
    if val_data is not None:
        if _is_dataset(val_data):
            _check_dataset(val_data, "val_data", n_classes, weighted)
            fit_kwargs["validation_data"] = val_data
        else:
            fit_kwargs["validation_data"] = _check_arrays(val_data, "val_data", n_classes,
                                                          weighted)
    monitor = "val_loss" if val_data is not None else "loss"

    cbs = [BestCheckpoint(checkpoint, monitor=monitor, restore_best=restore_best)]
    if log_csv is not None:
        cbs.append(keras.callbacks.CSVLogger(str(log_csv)))
    if tensorboard is not None:
        cbs.append(keras.callbacks.TensorBoard(log_dir=str(tensorboard)))
    if early_stopping is not None:
        cbs.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=early_stopping))
    if time_limit is not None:
        cbs.append(TimeLimit(time_limit))
    cbs.extend(callbacks)
    history = model.fit(*fit_args, epochs=epochs, callbacks=cbs, verbose=verbose, **fit_kwargs)
    history.precision = policy
    return history


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
def one_at_a_time(evaluate, baseline, variations):
    """One-at-a-time hyperparameter study: change one knob from the baseline, keep the rest.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(**params) -> dict`` of scores, e.g. a function that trains a small model
        with `train` and returns ``{"val_dice": ..., "test_dice": ...}``.
    baseline : dict
        The reference setting of every knob.
    variations : dict
        ``{name: [values, ...]}``; each value is tried with all other knobs at baseline.

    Returns
    -------
    list of dict
        One row per run: ``{"parameter", "value", **scores}``; the first row is the
        baseline (parameter ``"baseline"``). ``pandas.DataFrame(rows)`` shows it as a table.

    Examples
    --------
    >>> rows = one_at_a_time(lambda a, b: {"score": a * b}, {"a": 1, "b": 2}, {"a": [3]})
    >>> [(r["parameter"], r["value"], r["score"]) for r in rows]
    [('baseline', None, 2), ('a', 3, 6)]
    """
    baseline = dict(baseline)
    unknown = sorted(set(variations) - set(baseline))
    if unknown:
        raise ValueError(f"`variations` names knobs missing from `baseline`: {unknown}")
    rows = [{"parameter": "baseline", "value": None, **evaluate(**baseline)}]
    for name, values in variations.items():
        for value in values:
            if value == baseline[name]:
                continue
            rows.append({"parameter": name, "value": value,
                         **evaluate(**{**baseline, name: value})})
    return rows


def dice_score(model, images, masks, *, threshold=0.5, batch_size=4):
    """Dice of `model`'s thresholded predictions over a whole set (one global score).

    Parameters
    ----------
    model : keras.Model
        One sigmoid output channel.
    images : (N, H, W, 1) ndarray
        Normalised float images whose sides the model accepts.
    masks : (N, H, W, 1) ndarray
        {0, 1} ground truth.

    Returns
    -------
    float
        ``2 |P.T| / (|P| + |T|)``, 1.0 when both are empty.
    """
    from ._validate import as_binary, check_same_shape

    x = check_numeric(as_array(images, "images"), "images")
    truth = as_binary(masks, "masks", allow_255=False)
    check_same_shape(x, "images", truth, "masks")
    metric = DiceMetric(threshold=threshold)
    for i in range(0, len(x), check_int(batch_size, "batch_size", minimum=1)):
        pred = model.predict_on_batch(x[i:i + batch_size].astype(np.float32))
        metric.update_state(truth[i:i + batch_size].astype(np.float32), pred)
    return float(metric.result())


def normalization_named(name, images):
    """A `segkit.io.Normalization` fitted on `images`, by name (for widgets and studies).

    ``"percentile"``: 1st to 99th percentile (robust to outliers, the default);
    ``"minmax"``: minimum to maximum; ``"none"``: raw values as floats (0..255 for uint8),
    to see what skipping normalisation does to training.
    """
    from .io import Normalization

    if name == "percentile":
        return Normalization.fit(images, percentiles=(1.0, 99.0))
    if name == "minmax":
        return Normalization.fit(images, percentiles=(0.0, 100.0))
    if name == "none":
        return Normalization(0.0, 1.0)
    raise ValueError(f"`normalization` must be 'percentile', 'minmax' or 'none', got {name!r}")


def run_experiment(data, *, architecture="unet", depth=2, base_filters=8, learning_rate=1e-3,
                   epsilon=1e-7, batch_size=8, loss="dice", normalization="percentile",
                   epochs=3, seed=0, verbose=0):
    """Train a fresh model with the given knobs and score it: one point of a study.

    Clears the Keras session first (so repeated calls from a widget do not pile up models),
    fits the normalisation on the training images, trains with `train` and returns the
    Dice on the validation and (if given) test sets.

    Parameters
    ----------
    data : dict
        ``{"train": (images, masks), "val": (images, masks), "test": (images, masks)}``,
        raw NHWC images (e.g. uint8 tiles) and {0, 1} masks; ``"test"`` is optional.
    architecture : {"unet", "segnet"}
    depth, base_filters : int
        Passed to `segkit.models.unet` / `segnet`.
    learning_rate, epsilon, batch_size, loss, epochs, seed
        Passed to `train`.
    normalization : {"percentile", "minmax", "none"}
        See `normalization_named`.

    Returns
    -------
    scores : dict
        ``val_dice``, ``test_dice`` (with a test set), ``epochs`` run and ``seconds`` of
        training.
    history : keras.callbacks.History
        ``history.model`` is the trained model and ``history.normalization`` the
        `segkit.io.Normalization` fitted on the training images (use it for any prediction).
    """
    import time

    from . import models

    missing = {"train", "val"} - set(data)
    if missing:
        raise ValueError(f"`data` needs the keys 'train' and 'val' (and optionally 'test'); "
                         f"missing {sorted(missing)}")
    builders = {"unet": models.unet, "segnet": models.segnet}
    if architecture not in builders:
        raise ValueError(f"`architecture` must be 'unet' or 'segnet', got {architecture!r}")
    keras.backend.clear_session()
    norm = normalization_named(normalization, data["train"][0])
    prepared = {k: (norm(x), np.asarray(y, np.float32)) for k, (x, y) in data.items()}
    start = time.perf_counter()
    history = train(
        lambda: builders[architecture]((None, None, 1), depth=depth, base_filters=base_filters),
        prepared["train"], prepared["val"], epochs=epochs, learning_rate=learning_rate,
        epsilon=epsilon, loss=loss, batch_size=batch_size, seed=seed, verbose=verbose)
    seconds = time.perf_counter() - start
    model = history.model
    history.normalization = norm
    scores = {"val_dice": dice_score(model, *prepared["val"])}
    if "test" in prepared:
        scores["test_dice"] = dice_score(model, *prepared["test"])
    scores.update(epochs=len(history.history["loss"]), seconds=round(seconds, 1))
    return scores, history


def compare_labels(label_sets, test, *, architectures=("unet", "segnet"), tile=256,
                   overlap=32, threshold=0.5, progress=True, **knobs):
    """Train each architecture on each label set, score all against the same true masks.

    The weak-label experiment of notebook 06: the same networks, the same tiles and the same
    training budget, only the training labels change (true masks, or masks filled from
    clicks). Each model predicts the whole test stack by overlapping tiles
    (`segkit.predict.predict_tiled`) with the normalisation fitted on its training tiles, and
    `segkit.metrics.pixel_report` compares the thresholded prediction with the true test
    masks. Validation uses each label set's own masks: a project with only clicks has no
    true masks to choose epochs with.

    Parameters
    ----------
    label_sets : dict of str to dict
        ``{name: {"train": (images, masks), "val": (images, masks)}}``, e.g. ``"true"``,
        ``"flood"``, ``"region"``: raw NHWC tiles and their {0, 1} masks.
    test : (images, masks)
        Raw test images of any size, ``(N, H, W)`` or ``(N, H, W, 1)``, and their true {0, 1}
        masks.
    architectures : sequence of {"unet", "segnet"}
    tile, overlap : int
        Tiling of the test prediction.
    threshold : float
        Probability at or above which a pixel counts as foreground.
    progress : bool
        Print one line per trained model (a run takes minutes).
    **knobs
        Passed to `run_experiment`: ``depth``, ``base_filters``, ``learning_rate``,
        ``epsilon``, ``batch_size``, ``loss``, ``normalization``, ``epochs``, ``seed``.

    Returns
    -------
    list of dict
        One row per (architecture, label set), in that order: ``network``, ``labels``,
        ``kappa``, ``balanced_auroc``, ``fnr``, ``fpr``, ``dice`` on the test stack, and the
        ``val_dice`` (on the label set's own validation masks), ``epochs`` and ``seconds``
        of training.
    """
    from ._validate import as_binary, check_same_shape
    from .io import to_nhwc

    if not isinstance(label_sets, dict) or not label_sets:
        raise TypeError(f"`label_sets` must be a non-empty dict of name to "
                        f"{{'train': ..., 'val': ...}}, got {type(label_sets).__name__}")
    for name, sets in label_sets.items():
        if not isinstance(sets, dict) or {"train", "val"} - set(sets):
            raise ValueError(f"`label_sets[{name!r}]` must be a dict with 'train' and 'val' "
                             f"(images, masks) pairs, got {sets!r:.80}")
    if not isinstance(test, (tuple, list)) or len(test) != 2:
        raise TypeError(f"`test` must be an (images, masks) pair, got {type(test).__name__}")
    test_x = to_nhwc(test[0], "test images")
    test_y = as_binary(to_nhwc(test[1], "test masks"), "test masks", allow_255=False)
    check_same_shape(test_x, "test images", test_y, "test masks")
    unknown = set(architectures) - {"unet", "segnet"}
    if unknown or not len(architectures):
        raise ValueError(f"`architectures` must name 'unet' and/or 'segnet', got "
                         f"{list(architectures)!r}")
    rows = []
    # a fresh model per row makes TensorFlow warn about "retracing"; expected here, so quiet
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    try:
        for arch, name in itertools.product(architectures, label_sets):
            rows.append(_label_row(arch, name, label_sets[name], test_x, test_y, tile=tile,
                                   overlap=overlap, threshold=threshold, knobs=knobs))
            if progress:
                r = rows[-1]
                print(f"{arch:<6} on {name:<8} labels: kappa {r['kappa']:.3f}, Dice "
                      f"{r['dice']:.3f} ({r['epochs']} epochs, {r['seconds']:.0f} s)",
                      flush=True)
    finally:
        tf_logger.setLevel(level)
    return rows


def _label_row(arch, name, sets, test_x, test_y, *, tile, overlap, threshold, knobs):
    """One row of `compare_labels`: train, predict the test stack, score, free the model."""
    import gc

    from . import metrics
    from .predict import predict_tiled

    scores, history = run_experiment(
        {"train": sets["train"], "val": sets["val"]}, architecture=arch, **knobs)
    prob = predict_tiled(history.model, test_x, tile=tile, overlap=overlap,
                         normalization=history.normalization)
    report = metrics.pixel_report(test_y, prob >= threshold)
    del history, prob
    keras.backend.clear_session()
    gc.collect()
    return {"network": arch, "labels": name,
            **{k: report[k] for k in ("kappa", "balanced_auroc", "fnr", "fpr", "dice")},
            **scores}


def study_table(rows, *, digits=3):
    """Plain-text table of `one_at_a_time` rows (no pandas needed).

    Examples
    --------
    >>> print(study_table([{"parameter": "baseline", "value": None, "dice": 0.91234}]))
    parameter  value  dice
    baseline   -      0.912
    """
    if not rows:
        return ""
    columns = list(dict.fromkeys(k for row in rows for k in row))

    def fmt(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{v:.{digits}f}"
        return str(v)

    cells = [[fmt(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines)


def experiment_panel(data, *, defaults=None):
    """ipywidgets panel: set the knobs, press Train, read the validation and test Dice.

    Each press calls `run_experiment` (which clears the Keras session first) with the
    widgets' values; results accumulate in a table below the button.

    Parameters
    ----------
    data : dict
        As for `run_experiment` (keep it small: a press should take seconds to a minute).
    defaults : dict, optional
        Initial widget values: ``learning_rate``, ``epsilon``, ``batch_size``, ``depth``,
        ``base_filters``, ``loss``, ``normalization``, ``epochs``, ``architecture``.

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as widgets

    d = {"learning_rate": 1e-3, "epsilon": 1e-7, "batch_size": 8, "depth": 2,
         "base_filters": 8, "loss": "dice", "normalization": "percentile", "epochs": 3,
         "architecture": "unet", **(defaults or {})}
    style = {"description_width": "110px"}
    knobs = {
        "learning_rate": widgets.FloatLogSlider(value=d["learning_rate"], base=10, min=-5,
                                                max=-1, description="learning rate",
                                                style=style),
        "epsilon": widgets.FloatLogSlider(value=d["epsilon"], base=10, min=-8, max=0,
                                          description="Adam epsilon", style=style),
        "batch_size": widgets.Dropdown(options=[2, 4, 8, 16, 32], value=d["batch_size"],
                                       description="batch size", style=style),
        "depth": widgets.IntSlider(value=d["depth"], min=1, max=5, description="depth",
                                   style=style),
        "base_filters": widgets.Dropdown(options=[2, 4, 8, 16, 32], value=d["base_filters"],
                                         description="base filters", style=style),
        "loss": widgets.Dropdown(options=["dice", "log_dice", "bce", "bce_dice", "focal",
                                          "jaccard"], value=d["loss"], description="loss",
                                 style=style),
        "normalization": widgets.Dropdown(options=["percentile", "minmax", "none"],
                                          value=d["normalization"],
                                          description="normalisation", style=style),
        "epochs": widgets.IntSlider(value=d["epochs"], min=1, max=30, description="epochs",
                                    style=style),
        "architecture": widgets.Dropdown(options=["unet", "segnet"], value=d["architecture"],
                                         description="architecture", style=style),
    }
    button = widgets.Button(description="Train", button_style="primary")
    out = widgets.Output()
    rows = []

    def on_click(_):
        button.disabled = True
        try:
            params = {k: w.value for k, w in knobs.items()}
            with out:
                out.clear_output()
                print("training ...")
            scores, _ = run_experiment(data, **params)
            rows.append({**params, **scores})
            with out:
                out.clear_output()
                print(study_table(rows))
        finally:
            button.disabled = False

    button.on_click(on_click)
    return widgets.VBox([widgets.HBox([widgets.VBox(list(knobs.values())[:5]),
                                       widgets.VBox(list(knobs.values())[5:] + [button])]),
                         out])
