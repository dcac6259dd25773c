"""Studies and comparisons: several trainings, one table.

Introduced in notebook 04 (augmentation) and 05 (hyperparameters); used in 06 (weak versus
true labels) and 08 (instance segmentation: training-set size, border weights). Every function here trains models through `segkit.train.train` and returns one
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

from ._conventions import foreground
from ._validate import as_binary, check_choice, check_real, check_same_shape, describe

__all__ = ["run_experiment", "one_at_a_time", "compare_labels", "compare_transforms",
           "compare_instances", "fraction_study"]

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
    threshold = check_real(threshold, "threshold", low=0.0, high=1.0)
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
    mask = foreground(prob, threshold)  # the scores kept below need the mask, not the AUC
    del history, prob
    report = metrics.pixel_report(test_y, mask)
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


# ============================================================================ notebook 08
# Instance segmentation studies: each run trains a model on instance labels and scores the
# objects it finds on the test images (BPartIS's Fig. 7, MIA's border weights).

_RUN_KNOBS = ("n_train", "model", "loss", "w0", "sigma", "class_balance", "separate", "epochs",
              "seed")


def compare_instances(train_data, val_data, test_data, runs, *, depth=3, base_filters=8,
                      cap=10, encoder_dropout=None, dropout=0.0, epochs=20, batch_size=4,
                      learning_rate=1e-3, time_limit=None, scale=1.0, min_area=0, split=None,
                      definition="bpartis", normalization=None, seed=0, progress=True):
    """Train one model per run on instance labels and score its objects on the test images.

    Each run is a dict of knobs; the ones it leaves out take the keyword defaults:

    - ``model``: ``"distance"`` (`segkit.models.distance_unet`, trained on the inside mask
      and the capped distance, objects by `segkit.instances.split_touching`) or ``"unet"``
      (`segkit.models.unet`, trained on the mask, objects by
      `segkit.instances.connected_components`);
    - ``n_train``: train on the first `n_train` training images only (BPartIS's Fig. 7:
      the same test images, more and more training images); default all;
    - ``loss`` (``"unet"`` only): ``"bce"`` or ``"weighted_bce"``, whose per-pixel weights
      are `segkit.losses.with_weight_maps` (MIA's "Separate Contours" and class weighting)
      with ``w0`` (default 10), ``sigma`` (5) and ``class_balance`` (True);
    - ``separate`` (``"unet"`` only, default False): cut a one-pixel gap between touching
      objects in the target masks (the U-Net paper's separation borders);
    - ``epochs``, ``seed``.

    Every run starts from a fresh model with the same seed, trains through
    `segkit.train.train` (best epoch by validation loss) and is scored with
    `segkit.metrics.instance_scores`.

    Parameters
    ----------
    train_data, val_data : (images, labels)
        Normalised float images ``(N, H, W)`` and their int instance labels (0 background).
        float16 images are used as they are (half the memory; see `segkit.train.train`).
    test_data : (images, labels)
        The same, or lists of (H, W) arrays for test images of different sizes; raw
        images with `normalization`.
    runs : dict of str to dict
        Run name to its knobs, e.g. ``{"50 images": {"n_train": 50}, ...}``.
    depth, base_filters, cap, encoder_dropout, dropout
        Of the networks (`segkit.models.unet`, `distance_unet`).
    epochs, batch_size, learning_rate, time_limit, seed
        Of the training (`segkit.train.train`; `time_limit` in minutes per run).
    scale : float
        The working scale of the models: the test images are predicted at this scale
        (`segkit.instances.predict_distance`) and scored at their own size.
    min_area : int
        Objects smaller than this (pixels) are removed before scoring.
    split : dict, optional
        Keyword arguments of `segkit.instances.split_touching` (e.g. ``{"h": 3.0,
        "keep_unmarked": True}``) for the distance runs.
    definition : {"bpartis", "stardist"}
        Of AP, AP50, AP75 and mean IoU.
    normalization : callable, optional
        Applied to each test image before it is predicted
        (`segkit.instances.predict_distance`), e.g. the `segkit.io.Normalization` fitted on
        the training images; the training and validation images are normalised already.
    progress : bool
        Show a progress bar over the runs.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``run``, ``model``, ``n_train``, ``loss``, ``epochs`` (run),
        ``seconds`` (of training), then the columns of `segkit.metrics.instance_scores`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> labels = np.zeros((4, 16, 16), np.int32)
    >>> labels[:, 2:8, 2:8], labels[:, 8:14, 4:10] = 1, 2  # two touching squares
    >>> x = labels.astype(np.float32) / 2 + rng.random(labels.shape, dtype=np.float32) / 4
    >>> table = compare_instances((x, labels), (x, labels), (x, labels),
    ...                           {"2 images": {"n_train": 2}, "MIA weights": {
    ...                            "model": "unet", "loss": "weighted_bce", "separate": True}},
    ...                           depth=1, base_filters=2, epochs=1, progress=False)
    >>> table[["run", "model", "n_train", "loss"]].values.tolist()
    [['2 images', 'distance', 2, 'bce + mae'], ['MIA weights', 'unet', 4, 'weighted_bce']]
    """
    import pandas as pd

    from ._validate import check_int, check_real

    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"`runs` must be a non-empty dict of run name to knobs, got "
                        f"{describe(runs)}")
    for name, knobs in runs.items():
        if not isinstance(knobs, dict):
            raise TypeError(f"`runs[{name!r}]` must be a dict of knobs, got {describe(knobs)}")
        unknown = sorted(set(knobs) - set(_RUN_KNOBS))
        if unknown:
            raise ValueError(f"`runs[{name!r}]` has unknown knob(s) {unknown}; use "
                             f"{', '.join(_RUN_KNOBS)}")
        check_choice(knobs.get("model", "distance"), f"runs[{name!r}]['model']",
                     ("distance", "unet"))
        if knobs.get("model", "distance") == "unet":
            check_choice(knobs.get("loss", "bce"), f"runs[{name!r}]['loss']",
                         ("bce", "weighted_bce"))
        elif {"loss", "w0", "sigma", "class_balance", "separate"} & set(knobs):
            raise ValueError(f"`runs[{name!r}]`: loss, w0, sigma, class_balance and separate "
                             "are knobs of model='unet' runs")
    check_choice(definition, "definition", ("bpartis", "stardist"))
    if split is not None and not isinstance(split, dict):
        raise TypeError(f"`split` must be a dict of split_touching arguments, got "
                        f"{describe(split)}")
    cap = check_real(cap, "cap", low=0.0, low_open=True)
    min_area = check_int(min_area, "min_area", minimum=0)
    x_tr, y_tr = _instance_pair(train_data, "train_data")
    x_va, y_va = _instance_pair(val_data, "val_data")
    test = _instance_test(test_data, normalization)
    for name, knobs in runs.items():
        if "n_train" in knobs:
            n = check_int(knobs["n_train"], f"runs[{name!r}]['n_train']", minimum=1)
            if n > len(x_tr):
                raise ValueError(f"`runs[{name!r}]['n_train']` is {n}, but `train_data` has "
                                 f"only {len(x_tr)} images")
    common = dict(depth=depth, base_filters=base_filters, cap=cap,
                  encoder_dropout=encoder_dropout, dropout=dropout, epochs=epochs,
                  batch_size=batch_size, learning_rate=learning_rate, time_limit=time_limit,
                  scale=scale, min_area=min_area, split=dict(split or {}),
                  definition=definition, normalization=normalization, seed=seed)
    rows = []
    logger, level = _quiet_tensorflow()
    try:
        for name, knobs in _progress(runs.items(), total=len(runs), desc="trainings",
                                     progress=progress):
            rows.append({"run": name, **_instance_row((x_tr, y_tr), (x_va, y_va), test,
                                                      {**common, **knobs})})
    finally:
        logger.setLevel(level)
    return pd.DataFrame(rows)


def _instance_pair(data, name, *, raw=False):
    """(images, labels) as (N, H, W) float32 (with `raw`, their own dtype) and int arrays of
    one shape. float16 images stay float16, not copied: `segkit.train.train` widens them
    batch by batch, and prediction image by image.

    Labels keep their integer type (int32, uint16 tiles are not copied to int64: a training
    set of tiles is hundreds of MB on real data).
    """
    from ._validate import as_label_stack, as_stack

    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"`{name}` must be an (images, labels) pair, got {describe(data)}")
    x, _ = as_stack(data[0], f"{name}[0] (images)")
    y, _ = as_label_stack(data[1], f"{name}[1] (labels)", narrow=True)
    check_same_shape(x, f"{name}[0] (images)", y, f"{name}[1] (labels)")
    keep = raw or x.dtype == np.float16
    return (x if keep else x.astype(np.float32, copy=False)), y


def _instance_test(data, normalization):
    """Test images and labels: a stack pair, or two lists of 2-D arrays (the images in
    their own dtype with a `normalization`: normalised one at a time when predicted)."""
    from ._validate import check_normalization
    from .instances import _is_list, _pair_lists

    check_normalization(normalization)
    if isinstance(data, (tuple, list)) and len(data) == 2 and _is_list(data[0]):
        _pair_lists(data[0], data[1], ("test_data[0] (images)", "test_data[1] (labels)"))
        return list(data[0]), list(data[1])
    return _instance_pair(data, "test_data", raw=normalization is not None)


def _instance_row(train_data, val_data, test, k):
    """One run of `compare_instances`: build, train, predict, split, score, free."""
    import gc

    from . import instances, losses, metrics, models
    from .train import train

    x_tr, y_tr = train_data
    n = k.get("n_train", len(x_tr))
    x_tr, y_tr = x_tr[:n], y_tr[:n]
    kind = k.get("model", "distance")
    net = dict(depth=k["depth"], base_filters=k["base_filters"],
               encoder_dropout=k["encoder_dropout"], dropout=k["dropout"])
    keras.backend.clear_session()
    keras.utils.set_random_seed(k["seed"])
    if kind == "distance":
        model = models.distance_unet((None, None, 1), cap=k["cap"], **net)

        def targets(y):
            return {"prob": (y > 0)[..., None].astype(np.float32),
                    "dist": instances.distance_targets(y, cap=k["cap"])[..., None]}

        loss, weights, loss_name = ({"prob": "bce", "dist": "mae"},
                                    {"prob": 1.0, "dist": 1.0 / k["cap"]}, "bce + mae")
    else:
        model = models.unet((None, None, 1), **net)
        loss_name = k.get("loss", "bce")
        wm = dict(w0=k.get("w0", 10.0), sigma=k.get("sigma", 5.0),
                  class_balance=k.get("class_balance", True), separate=k.get("separate", False))

        def targets(y):
            t = losses.with_weight_maps(y, **wm)
            return t if loss_name == "weighted_bce" else t[..., :1]

        loss, weights = loss_name, None
    start = time.perf_counter()
    history = train(model, (x_tr[..., None], targets(y_tr)),
                    (val_data[0][..., None], targets(val_data[1])), epochs=k["epochs"],
                    loss=loss, loss_weights=weights, batch_size=k["batch_size"],
                    learning_rate=k["learning_rate"], time_limit=k["time_limit"],
                    seed=k["seed"], verbose=0)
    seconds = time.perf_counter() - start
    epochs_run = len(history.history["loss"])
    x_te, y_te = test

    def objects(net, images):
        kw = dict(scale=k["scale"], normalization=k["normalization"])
        if kind == "distance":
            prob, dist = instances.predict_distance(net, images, **kw)
            return instances.split_touching(prob, dist, min_area=k["min_area"], **k["split"])
        prob = instances._predict_maps(net, images, **kw)
        return instances.connected_components(prob, min_area=k["min_area"])

    # a list (real images of different sizes) is split image by image: only the objects
    # are kept, not the float maps of every image at once (memory)
    pred = ([objects(model, [im])[0] for im in x_te] if isinstance(x_te, list)
            else objects(model, x_te))
    scores = metrics.instance_scores(y_te, pred, definition=k["definition"])
    del model, history, pred
    keras.backend.clear_session()
    gc.collect()
    return {"model": kind, "n_train": n, "loss": loss_name,
            "epochs": epochs_run, "seconds": round(seconds, 1), **scores}


# ============================================================================= notebook 09
# Bellybutton's data-fraction experiment (issue 13). Added as one block by the notebook-09
# branch; nothing above is changed.
def fraction_study(model, image, labels, *, fractions, epochs=None, ef=None, repeats=1,
                   aoi=None, test=None, scales=(1, 3, 9, 27), batch_size=32,
                   learning_rate=1e-3, loss_weights=None, split=None, seed=0, progress=True):
    """Train a patch classifier on fractions of one labelled image; score SEG on the rest.

    Bellybutton's experiment (Dillavou et al. 2024, "Example uses" and Fig. 2E-F), on one
    image: for every fraction ``F`` of `fractions`, every number of epochs ``E`` of `epochs`
    and every repeat, a fresh copy of `model` (same architecture, new initial weights) is
    trained on ``F`` of the labelled pixels (`segkit.patches.training_set`, innies and outies
    equally represented) for ``E`` epochs with `segkit.train.train`, binary cross-entropy
    on ``"prob"`` and mean absolute error on ``"dist"``, weighted equally as in the paper
    (the ``E`` passes over the sample, each in a new order, run as one Keras epoch so that
    the per-epoch overhead is paid once). It then predicts the `test` pixels (`segkit.patches.predict_patch_classifier`), splits
    them into objects (`segkit.instances.split_touching`) and scores them.

    ``E * F`` is the paper's ``EF = T / M``: the number ``T`` of patch presentations in
    training per labelled pixel (``M`` labelled pixels). The paper finds that the score depends on ``EF`` being high enough
    (its Fig. 2E) and plots the runs with ``EF >= 3`` against ``F`` (its Fig. 2F): select them
    from the table with ``table[table.ef >= 3]``.

    SEG is computed as Bellybutton's code computes it (``segmented_accuracy`` in
    ``saved_model_functions.py``): true and predicted labels are both restricted to the test
    area (objects cut by its border count with their part inside), each true object scores
    the Jaccard index of the predicted object that covers more than half of it, or 0, and
    SEG is the mean over the true objects; that is `segkit.metrics.seg_score` of the two
    restricted label images. Its area-weighted SEG weights each object by its area.

    Parameters
    ----------
    model : keras.Model
        A `segkit.patches.patch_classifier`; it is cloned (``keras.models.clone_model``)
        for every run and itself left untrained.
    image : (H, W) ndarray
        Normalised grey image.
    labels : (H, W) int ndarray
        Instance labels (gaps in the numbering are fine).
    fractions : sequence of float in (0, 1]
        Fractions of the labelled (`aoi`) pixels to train on.
    epochs : int or sequence of int, optional
        Epochs per run; every fraction is trained with every value.
    ef : float or sequence of float, optional
        Instead of `epochs`: the wanted ``E x F`` values; each fraction is trained for
        ``E = ceil(ef / F)`` epochs, so that ``E x F >= ef``. Give `epochs` or `ef`.
    repeats : int
        Runs per (fraction, epochs), each with its own pixel sample, initial weights and
        augmentation draws (seeds ``seed``, ``seed + 1``, ...): their spread is the
        variation the paper calls "small" at ``F = 0.01``.
    aoi : (H, W) bool ndarray, optional
        The labelled area: training pixels are sampled there only. Default: the whole image.
    test : (H, W) bool ndarray, optional
        Where the score is measured. Default: outside `aoi` (the whole image when there is no
        `aoi`, and then the score includes the training pixels).
    scales : sequence of int
        One per input channel of `model`.
    batch_size, learning_rate : int, float
        Passed to `segkit.train.train` (Adam at 0.001 is the paper's).
    loss_weights : dict, optional
        Default ``{"prob": 1.0, "dist": 1.0}``, the paper's "equal weighting".
    split : dict, optional
        Keyword arguments of `segkit.instances.split_touching` (e.g. ``min_area``).
    seed : int
        Seed of the first repeat (pixel sample, weights, shuffling, symmetries).
    progress : bool
        Show a progress bar over the runs.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``fraction``, ``epochs``, ``ef`` (E x F), ``seed``, ``pixels``
        (training pixels), ``seg``, ``seg_area_weighted``, ``ap`` (mean AP over IoU 0.5 to
        0.95, ``definition="stardist"``, which also counts false detections, unlike SEG),
        ``objects`` (predicted objects in the test area) and ``seconds`` (training and
        prediction).

    Examples
    --------
    >>> from segkit import patches
    >>> lab = np.zeros((24, 24), np.int32); lab[4:11, 4:11], lab[13:20, 13:20] = 1, 2
    >>> aoi = np.zeros(lab.shape, bool); aoi[:, :12] = True
    >>> model = patches.patch_classifier(n_scales=2, size=9, filters=2, cap=3)
    >>> table = fraction_study(model, lab / 2.0, lab, fractions=[0.1, 0.2], ef=0.4, aoi=aoi,
    ...                        scales=(1, 3), progress=False)
    >>> table[["fraction", "epochs", "ef", "seed", "pixels"]].to_dict("list")
    {'fraction': [0.1, 0.2], 'epochs': [4, 2], 'ef': [0.4, 0.4], 'seed': [0, 0], 'pixels': [29, 58]}
    >>> table.columns.tolist()[5:]
    ['seg', 'seg_area_weighted', 'ap', 'objects', 'seconds']
    """
    import gc
    import math

    import pandas as pd

    from . import metrics
    from ._validate import as_label_stack, check_int, check_real
    from .instances import split_touching
    from .patches import _image, predict_patch_classifier, training_set
    from .train import train

    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model from segkit.patches.patch_classifier, "
                        f"got {describe(model)}")
    img = _image(image)
    lab, _ = as_label_stack(labels, "labels")
    lab = lab[0]
    check_same_shape(img, "image", lab, "labels")
    fractions = [check_real(f, "fractions", low=0.0, high=1.0, low_open=True)
                 for f in np.atleast_1d(fractions).tolist()]
    if (epochs is None) == (ef is None):
        raise TypeError("give either `epochs` (per run) or `ef` (the wanted epochs x "
                        "fraction), not " + ("both" if epochs is not None else "neither"))
    if epochs is not None:
        epochs = [check_int(e, "epochs", minimum=1) for e in np.atleast_1d(epochs).tolist()]
        settings = [(f, e) for f in fractions for e in epochs]
    else:
        ef = [check_real(v, "ef", low=0.0, low_open=True) for v in np.atleast_1d(ef).tolist()]
        settings = [(f, max(1, math.ceil(v / f - 1e-9))) for f in fractions for v in ef]
    if not settings:
        raise ValueError("`fractions` and `epochs` (or `ef`) must each hold at least one "
                         "value")
    repeats = check_int(repeats, "repeats", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    region = None if aoi is None else as_binary(aoi, "aoi")
    if region is not None:
        check_same_shape(lab, "labels", region, "aoi")
    if test is None:
        scored = np.ones(lab.shape, bool) if region is None else ~region
    else:
        scored = as_binary(test, "test")
        check_same_shape(lab, "labels", scored, "test")
    if not scored.any():
        raise ValueError("`test` holds no pixel: nothing to score (by default it is the part "
                         "of the image outside `aoi`)")
    truth = np.where(scored, lab, 0)
    if not truth.any():
        raise ValueError("no labelled object lies in the `test` area: SEG is undefined there")
    split = dict(split or {})
    weights = {"prob": 1.0, "dist": 1.0} if loss_weights is None else loss_weights
    runs = [(f, e, seed + r) for f, e in settings for r in range(repeats)]
    rows = []
    logger, level = _quiet_tensorflow()
    try:
        for f, e, run_seed in _progress(runs, total=len(runs), desc="trainings",
                                        progress=progress):
            start = time.perf_counter()
            keras.backend.clear_session()
            x, y = training_set(model, img, lab, fraction=f, scales=scales, aoi=region,
                                rng=run_seed)
            hist = train(lambda: keras.models.clone_model(model),
                         _epochs_as_one(x, y, e, batch_size, run_seed), epochs=1,
                         loss={"prob": "bce", "dist": "mae"}, loss_weights=weights,
                         learning_rate=learning_rate, seed=run_seed, restore_best=False,
                         metrics=[], callbacks=[_BuildOptimizer()], verbose=0)
            prob, dist = predict_patch_classifier(hist.model, img, scales=scales, aoi=scored)
            pred = np.where(scored, split_touching(prob, dist, **split), 0)
            table = metrics.contingency_table(truth, pred)
            rows.append({
                "fraction": f, "epochs": e, "ef": e * f, "seed": run_seed, "pixels": len(x),
                "seg": metrics.seg_score(table=table),
                "seg_area_weighted": metrics.seg_score(table=table, area_weighted=True),
                "ap": metrics.average_precision(table=table, definition="stardist").ap,
                "objects": int(len(np.unique(pred)) - 1),
                "seconds": time.perf_counter() - start})
            del x, y, hist, prob, dist
            gc.collect()
    finally:
        logger.setLevel(level)
    return pd.DataFrame(rows)


def _epochs_as_one(x, y, epochs, batch_size, seed):
    """`epochs` passes over (x, y), each in a new random order, as one tf.data epoch.

    The same presentations as ``epochs`` Keras epochs, without Keras' per-epoch overhead
    (tens of milliseconds, which at F = 0.01 and E = 300 is most of the time) and with one
    trace of the training step (batches of unknown size, the last one partial).
    """
    import tensorflow as tf

    return (tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
            .repeat(epochs).batch(batch_size).prefetch(tf.data.AUTOTUNE))


class _BuildOptimizer(keras.callbacks.Callback):
    """Create the optimizer's variables before the first step is traced.

    Keras otherwise creates them lazily inside the traced training step, which costs about
    0.5 s of CPU per training on this course's machines (a fifth of a small model's start-up);
    the variables and the training are the same either way.
    """

    def on_train_begin(self, logs=None):
        self.model.optimizer.build(self.model.trainable_variables)
