"""Studies and comparisons: several trainings, one table.

Introduced in notebook 04 (augmentation) and 05 (hyperparameters); used in 06 (weak versus
true labels). Every function here trains models through `segkit.train.train` and returns one
`pandas.DataFrame`, one row per training, so that a notebook prints it, plots it or saves it
with ``DataFrame.to_csv``.
"""

import itertools
import logging
import time

import keras
import numpy as np

from ._validate import as_binary, check_choice, check_same_shape, describe

__all__ = ["run_experiment", "one_at_a_time", "compare_labels", "compare_transforms",
           "fraction_study"]

_ARCHITECTURES = ("unet", "segnet")


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


def _dice(model, x, y, batch_size=8):
    """Dice of the thresholded predictions of `model` on tiles `x` against masks `y`."""
    from .metrics import dice

    return dice(y, model.predict(x, batch_size=batch_size, verbose=0))


def run_experiment(data, *, architecture="unet", depth=2, base_filters=8, learning_rate=1e-3,
                   epsilon=1e-7, batch_size=8, loss="dice", normalization="percentile",
                   epochs=3, seed=0, verbose=0):
    """Train a fresh model with the given knobs and score it: one point of a study.

    Clears the Keras session first (so repeated calls from a widget do not pile up models),
    fits the normalisation on the training images, trains with `segkit.train.train` and
    returns the Dice on the validation and (if given) test sets.

    Parameters
    ----------
    data : dict
        ``{"train": (images, masks), "val": (images, masks), "test": (images, masks)}``,
        raw NHWC images (e.g. uint8 tiles) and {0, 1} masks; ``"test"`` is optional.
    architecture : {"unet", "segnet"}
    depth, base_filters : int
        Passed to `segkit.models.unet` / `segnet`.
    learning_rate, epsilon, batch_size, loss, epochs, seed
        Passed to `segkit.train.train`.
    normalization : {"percentile", "minmax", "none"}
        See `segkit.io.Normalization.named`.

    Returns
    -------
    scores : dict
        ``val_dice``, ``test_dice`` (with a test set), ``epochs`` run and ``seconds`` of
        training.
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
    (['epochs', 'seconds', 'val_dice'], True)
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
    start = time.perf_counter()
    history = train(
        lambda: builders[architecture]((None, None, 1), depth=depth, base_filters=base_filters),
        prepared["train"], prepared["val"], epochs=epochs, learning_rate=learning_rate,
        epsilon=epsilon, loss=loss, batch_size=batch_size, seed=seed, verbose=verbose)
    seconds = time.perf_counter() - start
    model = history.model
    history.normalization = norm
    scores = {"val_dice": _dice(model, *prepared["val"])}
    if "test" in prepared:
        scores["test_dice"] = _dice(model, *prepared["test"])
    scores.update(epochs=len(history.history["loss"]), seconds=round(seconds, 1))
    return scores, history


def one_at_a_time(evaluate, baseline, variations, *, progress=True):
    """One-at-a-time hyperparameter study: change one knob from the baseline, keep the rest.

    A cheap first look at which knobs matter. It ignores interactions between knobs (a
    larger learning rate may need a larger batch), which a grid search would catch at a much
    higher cost.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(**knobs)`` returns a dict of scores, e.g.
        ``lambda **k: run_experiment(data, **k)[0]``.
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

    if not callable(evaluate):
        raise TypeError(f"`evaluate` must be a function of the knobs, got {describe(evaluate)}")
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
        Show a progress bar over the trainings (a run takes minutes).
    **knobs
        Passed to `run_experiment`: ``depth``, ``base_filters``, ``learning_rate``,
        ``epsilon``, ``batch_size``, ``loss``, ``normalization``, ``epochs``, ``seed``.

    Returns
    -------
    pandas.DataFrame
        One row per (architecture, label set), in that order: ``network``, ``labels``,
        ``kappa``, ``balanced_auroc``, ``fnr``, ``fpr``, ``dice`` on the test stack, and the
        ``val_dice`` (on the label set's own validation masks), ``epochs`` and ``seconds``
        of training.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 255, (4, 16, 16, 1)).astype(np.uint8)
    >>> y = (x > 127).astype(np.uint8)
    >>> table = compare_labels({"true": {"train": (x, y), "val": (x, y)}}, (x, y),
    ...                        architectures=["unet"], tile=16, overlap=0, depth=1,
    ...                        base_filters=2, epochs=1, progress=False)
    >>> table.columns.tolist()[:4], len(table)
    (['network', 'labels', 'kappa', 'balanced_auroc'], 1)
    """
    import pandas as pd

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

    scores, history = run_experiment(
        {"train": sets["train"], "val": sets["val"]}, architecture=arch, **knobs)
    prob = predict_tiled(history.model, test_x, tile=tile, overlap=overlap,
                         normalization=history.normalization)
    report = metrics.pixel_report(test_y, prob, threshold=threshold)
    del history, prob
    keras.backend.clear_session()
    gc.collect()
    return {"network": arch, "labels": name,
            **{k: report[k] for k in ("kappa", "balanced_auroc", "fnr", "fpr", "dice")},
            **scores}


def _transform_sets(transforms, default):
    """(label, names) pairs from names, "none", "all" or (label, names) pairs."""
    out = []
    for item in ([transforms] if isinstance(transforms, str) else transforms):
        if isinstance(item, str):
            names = () if item == "none" else default if item == "all" else (item,)
            label = "all (default)" if item == "all" else item
        else:
            label, names = item
        out.append((str(label), tuple(names)))
    return out


def compare_transforms(train_data, val_data, *, transforms=("none", "all"), epochs=1,
                       batch_size=8, seed=0, model=None, progress=True, **params):
    """Train one model from the same start per transform set; report train and val loss.

    The model is reset to the same initial weights before each row (and `segkit.train.train`
    gives it a fresh optimizer), so rows differ only by their augmentation and the random
    draws it makes. Reusing one model also keeps memory flat over the rows.

    Parameters
    ----------
    train_data, val_data : tuple of (images, masks)
        NHWC tiles as for `segkit.augment.make_dataset` (images normalised).
    transforms : sequence
        Each entry a name of `segkit.augment.TRANSFORMS`, ``"none"`` (no augmentation),
        ``"all"`` (the default set), or a ``(label, names)`` pair with a tuple of names.
    epochs, batch_size, seed : int
    model : keras.Model, optional
        An uncompiled model with a sigmoid output; default a small U-Net
        (``segkit.models.unet(depth=2, base_filters=8)``).
    progress : bool
        Show a progress bar over the rows.
    **params
        Strength overrides passed to `segkit.augment.augment_pair` (for example ``p=1.0``).

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
    from .train import train

    experiments = _transform_sets(transforms, augment._DEFAULT_TRANSFORMS)
    for _, names in experiments:  # every name is checked before the first training
        if names:
            augment._check_transforms(names)
    val_ds = augment.make_dataset(*val_data, batch_size=batch_size, augment=False,
                                  shuffle=False)
    if model is None:
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        model = models.unet((None, None, 1), depth=2, base_filters=8)
    weights0 = model.get_weights()
    rows = []
    logger, level = _quiet_tensorflow()
    try:
        for label, names in _progress(experiments, total=len(experiments), desc="transforms",
                                      progress=progress):
            model.set_weights(weights0)
            ds = augment.make_dataset(*train_data, batch_size=batch_size, augment=bool(names),
                                      seed=seed, transforms=names or augment._DEFAULT_TRANSFORMS,
                                      **params)
            hist = train(model, ds, val_ds, epochs=epochs, loss="bce", seed=seed,
                         restore_best=False, metrics=[], verbose=0)
            rows.append({"transform": label, "train_loss": float(hist.history["loss"][-1]),
                         "val_loss": float(hist.history["val_loss"][-1])})
    finally:
        logger.setLevel(level)
    return pd.DataFrame(rows)


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
