"""Studies and comparisons: several trainings, one table.

Introduced in notebook 04 (augmentation) and 05 (hyperparameters); used in 06 (weak versus
true labels). Every function here trains models through `segkit.train.train` and returns one
`pandas.DataFrame`, one row per training, so that a notebook prints it, plots it or saves it
with ``DataFrame.to_csv``.
"""

import contextlib
import itertools
import logging
import time
import warnings

import keras
import numpy as np

from ._validate import as_binary, check_choice, check_same_shape, describe

__all__ = ["run_experiment", "one_at_a_time", "compare_labels", "compare_transforms"]

_ARCHITECTURES = ("unet", "segnet")
# the knobs of run_experiment a study may vary (everything but the data)
_KNOBS = ("architecture", "depth", "base_filters", "learning_rate", "epsilon", "batch_size",
          "loss", "normalization", "epochs", "seed", "verbose", "batch_norm", "kernel_size")


def _progress(iterable, *, total, desc, progress):
    """A tqdm bar over a loop a learner waits on (silent when `progress` is False)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, disable=not progress, leave=False)


def _quiet_tensorflow():
    """A fresh model per row makes TensorFlow warn about "retracing": expected here."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    return logger, level


@contextlib.contextmanager
def _eagerly():
    """Keras' training and prediction steps run eagerly, not as traced ``tf.function``s.

    A study trains many small models for a few epochs each. Tracing a new model's training
    step costs seconds of CPU (4.6 s for a depth-2 U-Net on 128 x 128 tiles, against 3.3 s
    for three epochs on 48 tiles, measured here) and keeps about 35 MB that TensorFlow
    never gives back, however the model is deleted (tensorflow/tensorflow#61791): thirteen
    rows of notebook 05's study would add 450 MB to a 2 GB runtime. Eagerly, such a run
    costs the same time and memory stays flat.
    """
    import tensorflow as tf

    before = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    try:
        with warnings.catch_warnings():  # tf.data's own functions stay traced, as they should
            warnings.filterwarnings("ignore", category=UserWarning,
                                    message="Even though the `tf.config.experimental_run")
            yield
    finally:
        tf.config.run_functions_eagerly(before)


def _dice(model, x, y, batch_size=8):
    """Dice of the thresholded predictions of `model` on tiles `x` against masks `y`."""
    from .metrics import dice

    return dice(y, model.predict(x, batch_size=batch_size, verbose=0))


def run_experiment(data, *, architecture="unet", depth=2, base_filters=8, learning_rate=1e-3,
                   epsilon=1e-7, batch_size=8, loss="dice", normalization="percentile",
                   epochs=3, seed=0, verbose=0, batch_norm=True, kernel_size=3):
    """Train a fresh model with the given knobs and score it: one point of a study.

    Clears the Keras session first (so repeated calls from a widget do not pile up models),
    fits the normalisation on the training images, trains with `segkit.train.train` and
    returns the Dice on the training, validation and (if given) test sets. The training and
    prediction steps run eagerly rather than traced: for the small models of a study that is
    as fast, and a traced training step keeps memory that TensorFlow never frees, about 35 MB
    per model (tensorflow/tensorflow#61791).

    Parameters
    ----------
    data : dict
        ``{"train": (images, masks), "val": (images, masks), "test": (images, masks)}``,
        raw NHWC images (e.g. uint8 tiles) and {0, 1} masks; ``"test"`` is optional.
    architecture : {"unet", "segnet"}
    depth, base_filters, batch_norm, kernel_size
        Passed to `segkit.models.unet` / `segnet` (``batch_norm=False``: no normalisation
        inside the network; ``kernel_size=5``: "true 5x5" filters, notebook 05).
    learning_rate, epsilon, batch_size, loss, epochs, seed
        Passed to `segkit.train.train`.
    normalization : {"percentile", "minmax", "none"}
        Normalisation of the *input* images, see `segkit.io.Normalization.named`.

    Returns
    -------
    scores : dict
        ``train_dice`` (on the training tiles, not augmented), ``val_dice``, ``test_dice``
        (with a test set), ``epochs`` run, ``seconds`` of training (model building and
        compilation included) and ``seconds_per_epoch``, the median time of one epoch (the
        column Malec reports).
    history : keras.callbacks.History
        ``history.model`` is the trained model and ``history.normalization`` the
        `segkit.io.Normalization` fitted on the training images (use it for any prediction).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 255, (8, 16, 16, 1)).astype(np.uint8)
    >>> y = (x > 127).astype(np.uint8)
    >>> scores, history = run_experiment({"train": (x, y), "val": (x, y)}, depth=1,
    ...                                  base_filters=2, epochs=1)
    >>> sorted(scores), 0 <= scores["val_dice"] <= 1
    (['epochs', 'seconds', 'seconds_per_epoch', 'train_dice', 'val_dice'], True)
    """
    from . import models
    from .io import Normalization
    from .train import train

    if not isinstance(data, dict):
        raise TypeError(f"`data` must be a dict of (images, masks) pairs, got {describe(data)}")
    missing = {"train", "val"} - set(data)
    if missing:
        raise ValueError(f"`data` needs the keys 'train' and 'val' (and optionally 'test'); "
                         f"missing {sorted(missing)}")
    check_choice(architecture, "architecture", _ARCHITECTURES)
    builders = {"unet": models.unet, "segnet": models.segnet}
    keras.backend.clear_session()
    norm = Normalization.named(normalization, data["train"][0])
    prepared = {k: (norm(x), np.asarray(y, np.float32)) for k, (x, y) in data.items()}
    clock = _EpochClock()
    start = time.perf_counter()
    logger, level = _quiet_tensorflow()
    try:
        with _eagerly():
            history = train(
                lambda: builders[architecture]((None, None, 1), depth=depth,
                                               base_filters=base_filters,
                                               batch_norm=batch_norm, kernel_size=kernel_size),
                prepared["train"], prepared["val"], epochs=epochs,
                learning_rate=learning_rate, epsilon=epsilon, loss=loss,
                batch_size=batch_size, seed=seed, verbose=verbose, callbacks=[clock])
            seconds = time.perf_counter() - start
            model = history.model
            history.normalization = norm
            dices = _dices(model, {k: prepared[k] for k in ("train", "val", "test")
                                   if k in prepared})
    finally:
        logger.setLevel(level)
    scores = {f"{k}_dice": v for k, v in dices.items()}
    scores.update(epochs=len(history.history["loss"]), seconds=round(seconds, 1),
                  seconds_per_epoch=round(float(np.median(clock.seconds)), 2))
    return scores, history


def _dices(model, sets, batch_size=8):
    """Dice of every (x, y) set of `sets`; tiles of one size go through one `predict` call
    (each call with a new batch shape costs a trace of the model)."""
    shapes = {x.shape[1:] for x, _ in sets.values()}
    if len(shapes) != 1:
        return {k: _dice(model, x, y, batch_size) for k, (x, y) in sets.items()}
    from .metrics import dice

    pred = model.predict(np.concatenate([x for x, _ in sets.values()]), batch_size=batch_size,
                         verbose=0)
    out, start = {}, 0
    for k, (x, y) in sets.items():
        out[k] = dice(y, pred[start:start + len(x)])
        start += len(x)
    return out


class _EpochClock(keras.callbacks.Callback):
    """Wall-clock seconds of every epoch (validation included), for ``seconds_per_epoch``."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def one_at_a_time(evaluate, baseline, variations, *, progress=True):
    """One-at-a-time hyperparameter study: change one knob from the baseline, keep the rest.

    A cheap first look at which knobs matter. It ignores interactions between knobs (a
    larger learning rate may need a larger batch), which a grid search would catch at a much
    higher cost.

    Parameters
    ----------
    evaluate : callable or dict
        ``evaluate(**knobs)`` returns a dict of scores. Or the `data` dict of
        `run_experiment` (``{"train": ..., "val": ..., "test": ...}``): each row then trains
        and scores one fresh model with `run_experiment` and the row's knobs (notebook 05's
        study of Malec's hyperparameters).
    baseline : dict
        The reference setting of every knob.
    variations : dict
        ``{name: [values, ...]}``; each value is tried with all other knobs at baseline.
    progress : bool
        Show a progress bar (each run may take a minute).

    Returns
    -------
    pandas.DataFrame
        One row per run: ``parameter``, ``value`` and the scores; the first row is the
        baseline (parameter ``"baseline"``).

    Examples
    --------
    >>> table = one_at_a_time(lambda a, b: {"score": a * b}, {"a": 1, "b": 2}, {"a": [3]},
    ...                       progress=False)
    >>> table[["parameter", "value", "score"]].values.tolist()
    [['baseline', None, 2], ['a', 3, 6]]
    """
    import pandas as pd

    if isinstance(evaluate, dict):
        data = evaluate

        def evaluate(**knobs):
            return run_experiment(data, **knobs)[0]
    elif not callable(evaluate):
        raise TypeError(f"`evaluate` must be a function of the knobs or a dict of data for "
                        f"run_experiment, got {describe(evaluate)}")
    baseline = dict(baseline)
    unknown = sorted(set(variations) - set(baseline))
    if unknown:
        raise ValueError(f"`variations` names knobs missing from `baseline`: {unknown}")
    runs = [("baseline", None)] + [(name, value) for name, values in variations.items()
                                   for value in values if value != baseline[name]]
    rows = []
    for name, value in _progress(runs, total=len(runs), desc="one at a time",
                                 progress=progress):
        knobs = baseline if name == "baseline" else {**baseline, name: value}
        rows.append({"parameter": name, "value": value, **evaluate(**knobs)})
    table = pd.DataFrame(rows)
    # values of different knobs share one column: keep them as they are (None stays None)
    table["value"] = pd.Series([r["value"] for r in rows], dtype=object)
    return table


def compare_labels(label_sets, test, *, architectures=_ARCHITECTURES, tile=256, overlap=32,
                   threshold=0.5, progress=True, **knobs):
    """Train each architecture on each label set, score all against the same true masks.

    The weak-label experiment of notebook 06 (Nyawira & Bushman's Tables 5 and 6, scaled
    down): the same networks, the same tiles and the same training budget, only the training
    labels change (true masks, or masks filled from clicks). Each model predicts the whole
    test stack by overlapping tiles (`segkit.predict.predict_tiled`) with the normalisation
    fitted on its training tiles, and `segkit.metrics.pixel_report` compares the thresholded
    prediction with the true test masks. Validation uses each label set's own masks: a
    project with only clicks has no true masks to choose epochs with.

    Parameters
    ----------
    label_sets : dict of str to dict
        ``{name: {"train": (images, masks), "val": (images, masks)}}``, e.g. ``"true"``,
        ``"flood"``, ``"region"``: raw NHWC tiles and their {0, 1} masks. A set may also
        give knobs of its own that override `knobs` for its trainings, e.g. ``"epochs": 27``
        for a set with 9 times fewer tiles trained for as many steps as the others
        (Nyawira & Bushman's 35,000 weak against 3,838 manual labels, notebook 06).
    test : (images, masks)
        Raw test images of any size, ``(N, H, W)`` or ``(N, H, W, 1)``, and their true {0, 1}
        masks.
    architectures : sequence of {"unet", "segnet"}
    tile, overlap : int
        Tiling of the test prediction.
    threshold : float
        Probability at or above which a pixel counts as foreground.
    progress : bool
        Show a progress bar over the trainings (a run takes minutes).
    **knobs
        Passed to `run_experiment`: ``depth``, ``base_filters``, ``learning_rate``,
        ``epsilon``, ``batch_size``, ``loss``, ``normalization``, ``epochs``, ``seed``.

    Returns
    -------
    pandas.DataFrame
        One row per (architecture, label set), in that order: ``network``, ``labels``,
        ``tiles`` (training tiles), ``kappa``, ``balanced_auroc``, ``fnr``, ``fpr``,
        ``dice`` on the test stack, and the scores of `run_experiment` (``val_dice`` on the
        label set's own validation masks, ``epochs``, ``seconds``, ...).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 255, (4, 16, 16, 1)).astype(np.uint8)
    >>> y = (x > 127).astype(np.uint8)
    >>> table = compare_labels({"true": {"train": (x, y), "val": (x, y)}}, (x, y),
    ...                        architectures=["unet"], tile=16, overlap=0, depth=1,
    ...                        base_filters=2, epochs=1, progress=False)
    >>> table.columns.tolist()[:5], len(table)
    (['network', 'labels', 'tiles', 'kappa', 'balanced_auroc'], 1)
    """
    import pandas as pd

    from .io import to_nhwc

    if not isinstance(label_sets, dict) or not label_sets:
        raise TypeError(f"`label_sets` must be a non-empty dict of name to "
                        f"{{'train': ..., 'val': ...}}, got {type(label_sets).__name__}")
    known = set(_KNOBS)
    for name, sets in label_sets.items():
        if not isinstance(sets, dict) or {"train", "val"} - set(sets):
            raise ValueError(f"`label_sets[{name!r}]` must be a dict with 'train' and 'val' "
                             f"(images, masks) pairs, got {sets!r:.80}")
        unknown = sorted(set(sets) - {"train", "val"} - known)
        if unknown:
            raise ValueError(f"`label_sets[{name!r}]` has unknown key(s) {unknown}; besides "
                             f"'train' and 'val' it may give knobs of run_experiment: "
                             f"{sorted(known)}")
    unknown = sorted(set(knobs) - known)
    if unknown:
        raise TypeError(f"compare_labels got unknown knob(s) {unknown}; run_experiment takes "
                        f"{sorted(known)}")
    if not isinstance(test, (tuple, list)) or len(test) != 2:
        raise TypeError(f"`test` must be an (images, masks) pair, got {type(test).__name__}")
    test_x = to_nhwc(test[0], "test images")
    test_y = as_binary(to_nhwc(test[1], "test masks"), "test masks", allow_255=False)
    check_same_shape(test_x, "test images", test_y, "test masks")
    if isinstance(architectures, str) or not len(architectures) \
            or set(architectures) - set(_ARCHITECTURES):
        raise ValueError(f"`architectures` must name 'unet' and/or 'segnet', got "
                         f"{architectures!r}")
    runs = list(itertools.product(architectures, label_sets))
    rows = []
    logger, level = _quiet_tensorflow()
    try:
        bar = _progress(runs, total=len(runs), desc="trainings", progress=progress)
        for arch, name in bar:
            rows.append(_label_row(arch, name, label_sets[name], test_x, test_y, tile=tile,
                                   overlap=overlap, threshold=threshold, knobs=knobs))
            if progress:
                bar.set_postfix(network=arch, labels=name, kappa=round(rows[-1]["kappa"], 3))
    finally:
        logger.setLevel(level)
    return pd.DataFrame(rows)


def _label_row(arch, name, sets, test_x, test_y, *, tile, overlap, threshold, knobs):
    """One row of `compare_labels`: train, predict the test stack, score, free the model."""
    import gc

    from . import metrics
    from .predict import predict_tiled

    own = {k: v for k, v in sets.items() if k not in ("train", "val")}
    scores, history = run_experiment(
        {"train": sets["train"], "val": sets["val"]}, architecture=arch, **{**knobs, **own})
    prob = predict_tiled(history.model, test_x, tile=tile, overlap=overlap,
                         normalization=history.normalization)
    report = metrics.pixel_report(test_y, prob, threshold=threshold)
    del history, prob
    keras.backend.clear_session()
    gc.collect()
    return {"network": arch, "labels": name, "tiles": len(sets["train"][0]),
            **{k: report[k] for k in ("kappa", "balanced_auroc", "fnr", "fpr", "dice")},
            **scores}


def _transform_sets(transforms, default):
    """(label, names, params) rows from names, "none", "all", (label, names) pairs or
    (label, names, params) triples."""
    out = []
    for item in ([transforms] if isinstance(transforms, str) else transforms):
        params = {}
        if isinstance(item, str):
            names = () if item == "none" else default if item == "all" else (item,)
            label = "all (default)" if item == "all" else item
        elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
            label, names = item[0], item[1]
            if len(item) == 3:
                params = item[2]
                if not isinstance(params, dict):
                    raise TypeError(f"`transforms` entry {label!r}: its third item must be a "
                                    f"dict of augmentation settings, got {describe(params)}")
            names = (names,) if isinstance(names, str) else names
        else:
            raise TypeError(f"`transforms` entries must be names, (label, names) pairs or "
                            f"(label, names, settings) triples, got {item!r}")
        out.append((str(label), tuple(names), dict(params)))
    return out


def compare_transforms(train_data, val_data, *, transforms=("none", "all"), epochs=1,
                       batch_size=8, seed=0, model=None, progress=True, **params):
    """Train one model from the same start per transform set; report train and val loss.

    The model is reset to the same initial weights and a fresh optimizer state before each
    row, so rows differ only by their augmentation and the random draws it makes. The model
    is compiled once for the whole table (`segkit.train`'s ``_train_each``), so its training
    step is traced once: time and memory stay flat over the rows.

    Parameters
    ----------
    train_data, val_data : tuple of (images, masks)
        NHWC tiles as for `segkit.augment.make_dataset` (images normalised).
    transforms : sequence
        Each entry a name of `segkit.augment.TRANSFORMS`, ``"none"`` (no augmentation),
        ``"all"`` (the default set), a ``(label, names)`` pair with a tuple of names, or a
        ``(label, names, settings)`` triple whose dict of `segkit.augment.DEFAULT_PARAMS`
        overrides holds for that row only, e.g. ``("rotate 45", ("rotate",),
        {"max_angle": 45})``: a table of the same transform at several strengths (Malec's
        Table 1, notebook 04).
    epochs, batch_size, seed : int
    model : keras.Model, optional
        An uncompiled model with a sigmoid output; default a small U-Net
        (``segkit.models.unet(depth=2, base_filters=8)``).
    progress : bool
        Show a progress bar over the rows.
    **params
        Strength overrides passed to `segkit.augment.augment_pair` for every row (for example
        ``p=1.0``); a row's own settings take precedence.

    Returns
    -------
    pandas.DataFrame
        ``transform``, ``train_loss``, ``val_loss`` per entry: binary cross-entropy after the
        last epoch (train loss is measured on the augmented batches, as Keras reports it).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((4, 16, 16, 1), dtype=np.float32)
    >>> y = (x > 0.5).astype(np.float32)
    >>> from segkit import models
    >>> table = compare_transforms((x, y), (x, y), transforms=["none", "dihedral"],
    ...                            model=models.unet(depth=1, base_filters=2), progress=False)
    >>> table["transform"].tolist()
    ['none', 'dihedral']
    """
    import pandas as pd

    from . import augment, models
    from .train import _train_each

    experiments = _transform_sets(transforms, augment._DEFAULT_TRANSFORMS)
    for _, names, settings in experiments:  # every row is checked before the first training
        if names:
            augment._check_transforms(names)
        augment._check_params({**params, **settings})
    val_ds = augment.make_dataset(*val_data, batch_size=batch_size, augment=False,
                                  shuffle=False)
    if model is None:
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        model = models.unet((None, None, 1), depth=2, base_filters=8)
    # one compile for the whole table: every row starts from the model's present weights and
    # a fresh optimizer state, and reuses the traced training step (train() would trace it
    # again per row, seconds each on a CPU, and memory that grows row by row)
    train_sets = (augment.make_dataset(*train_data, batch_size=batch_size, augment=bool(names),
                                       seed=seed, transforms=names or augment._DEFAULT_TRANSFORMS,
                                       **{**params, **settings})
                  for _, names, settings in experiments)
    rows = []
    logger, level = _quiet_tensorflow()
    try:
        trainings = _train_each(model, train_sets, val_ds, epochs=epochs, loss="bce", seed=seed)
        for (label, _, _), hist in _progress(zip(experiments, trainings), total=len(experiments),
                                             desc="transforms", progress=progress):
            rows.append({"transform": label, "train_loss": float(hist.history["loss"][-1]),
                         "val_loss": float(hist.history["val_loss"][-1])})
    finally:
        logger.setLevel(level)
    return pd.DataFrame(rows)
