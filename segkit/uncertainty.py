"""Monte-Carlo dropout: how sure is the network, pixel by pixel and object by object?

Introduced in notebook 08. A model built with ``mc_dropout=True`` (`segkit.models.unet`,
`segkit.models.distance_unet`) keeps its dropout active at prediction while batch
normalisation stays in inference mode, so T predictions of one image differ. From the T
foreground probabilities ``p_t`` of a pixel (Gal and Ghahramani 2016; Kendall and Gal 2017):

- mean prediction ``p = mean_t p_t``;
- predictive entropy ``H[p]`` (total uncertainty), with the binary entropy
  ``H[q] = -q log q - (1 - q) log(1 - q)`` in nats;
- expected entropy ``mean_t H[p_t]`` (aleatoric: what every sample is unsure of);
- mutual information ``H[p] - mean_t H[p_t]`` (epistemic: the samples disagree), >= 0 by
  the concavity of H, exactly 0 when every sample is the same.

Object by object, as BPartIS does it (Yildirim & Cole 2021): `filter_uncertain` removes the
objects whose mean mutual information is above a threshold t_u, `filter_sweep` scores every
threshold of a grid (their Fig. 6), and `uncertainty_by_match` checks the premise (are the
false detections the uncertain ones?). Stacks, and lists of images of different sizes.
"""

import numpy as np
from scipy import ndimage as ndi

from ._validate import (as_array, check_choice, check_finite, check_int,
                        check_numeric, check_real, describe)

__all__ = ["mc_predict", "uncertainty_by_match", "filter_uncertain", "filter_sweep"]

EPS = 1e-7  # probabilities are clipped to [EPS, 1 - EPS] before logarithms


def _binary_entropy(p):
    """Entropy (nats) of a Bernoulli variable with probability `p`, elementwise.

    Examples
    --------
    >>> _binary_entropy(np.array([0.0, 0.5, 1.0])).round(4).tolist()
    [0.0, 0.6931, 0.0]
    """
    q = np.clip(np.asarray(p, np.float64), EPS, 1 - EPS)
    return -(q * np.log(q) + (1 - q) * np.log1p(-q))


def _mc_statistics(samples):
    """Uncertainty maps from T Monte-Carlo probability samples.

    Parameters
    ----------
    samples : (T, ...) float ndarray
        Foreground probabilities in [0, 1], the sample axis first; T >= 2.

    Returns
    -------
    dict of str to ndarray
        ``mean``, ``std``, ``entropy`` (predictive), ``expected_entropy``, ``mutual_info``
        (their difference), each of the shape of one sample, float32.

    Examples
    --------
    >>> s = np.array([[0.1, 0.5], [0.9, 0.5]])  # two samples of two pixels
    >>> st = _mc_statistics(s)
    >>> st["mean"].tolist(), bool(st["mutual_info"][0] > 0), float(st["mutual_info"][1])
    ([0.5, 0.5], True, 0.0)
    """
    s = check_finite(check_numeric(as_array(samples, "samples"), "samples"), "samples")
    if s.ndim < 1 or s.shape[0] < 2:
        raise ValueError(f"`samples` must hold T >= 2 Monte-Carlo samples along axis 0, got "
                         f"{describe(s)}")
    if s.min() < 0 or s.max() > 1:
        raise ValueError(f"`samples` must be probabilities in [0, 1], got values in "
                         f"[{float(s.min())}, {float(s.max())}]")
    s = s.astype(np.float64)
    mean = s.mean(axis=0)
    entropy = _binary_entropy(mean)
    expected = _binary_entropy(s).mean(axis=0)
    # H is concave, so H[mean] >= mean H; rounding can give -1e-17, which is not information
    mi = np.maximum(entropy - expected, 0.0)
    return {k: v.astype(np.float32) for k, v in (
        ("mean", mean), ("std", s.std(axis=0)), ("entropy", entropy),
        ("expected_entropy", expected), ("mutual_info", mi))}


def _layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _layers(layer)


def _has_mc_dropout(model):
    """Whether `model` holds a dropout layer that stays active at prediction (rate > 0)."""
    from .models import MCDropout

    return any(isinstance(layer, MCDropout) and layer.always_on and layer.rate > 0
               for layer in _layers(model))


_MC_COPIES = {}  # id(model) -> (model, its copy with always-on dropout)


def _mc_model(model):
    """`model` itself if its dropout stays on at prediction; otherwise a copy of it whose
    ordinary ``keras.layers.Dropout`` layers are always on (same weights; batch
    normalisation stays in inference mode), made once per model."""
    import keras

    from .models import MCDropout

    if _has_mc_dropout(model):
        return model
    cached = _MC_COPIES.get(id(model))
    if cached is not None and cached[0] is model:
        return cached[1]
    name = getattr(model, "name", type(model).__name__)
    if not any(isinstance(layer, keras.layers.Dropout) and layer.rate > 0
               for layer in _layers(model)):
        raise ValueError(
            f"`model` ({name}) has no dropout layer with rate > 0, so its Monte-Carlo samples "
            "would all be the same; add dropout, e.g. segkit.models.unet(..., dropout=0.2)"
        )

    def always_on(layer):
        # every dropout layer, segkit's MCDropout built with always_on=False included
        if isinstance(layer, keras.layers.Dropout):
            noise_shape = layer.noise_shape
            if isinstance(layer, keras.layers.SpatialDropout2D):  # its noise shape is implicit
                channels_last = getattr(layer, "data_format", "channels_last") == "channels_last"
                noise_shape = (None, 1, 1, None) if channels_last else (None, None, 1, 1)
            return MCDropout(layer.rate, always_on=True, noise_shape=noise_shape,
                             seed=layer.seed, name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    try:
        copy = keras.models.clone_model(model, clone_function=always_on, recursive=True)
    except Exception as exc:  # subclassed models cannot be cloned layer by layer
        raise ValueError(
            f"`model` ({name}) uses ordinary Dropout layers, and segkit could not copy it with "
            f"dropout kept on ({type(exc).__name__}: {exc}); build it from keras.layers as a "
            "functional model, or use segkit.models.MCDropout(rate, always_on=True)"
        ) from None
    copy.set_weights(model.get_weights())
    _MC_COPIES[id(model)] = (model, copy)
    return copy


def _narrow(labels):
    """Instance labels as uint16 when they fit (fewer than 65,536 objects), else as they are."""
    return labels.astype(np.uint16) if labels.max(initial=0) < 2**16 else labels


def mc_predict(model, x, *, samples=20, batch_size=8, output="prob", scale=1.0, maps=None,
               normalization=None, split=None, dtype="float32", progress=True):
    """Predict `samples` times with dropout on, and summarise the samples.

    The same trained weights give both of BPartIS's predictions (Yildirim & Cole 2021,
    Table 1): one ordinary pass (``model.predict``, dropout off: "discriminative") and the
    mean of `samples` passes with dropout on ("Bayesian"; their code's default is 50).

    Parameters
    ----------
    model : keras.Model
        With dropout: either built with ``mc_dropout=True`` (segkit's models), or any
        functional Keras model with dropout layers (``keras.layers.Dropout``,
        ``SpatialDropout2D``, a segkit model built with ``mc_dropout=False``, a learner's own
        model), which is then copied once with those layers kept on at prediction while
        batch normalisation stays in inference mode. One sigmoid output, or a dict of
        outputs (e.g. `segkit.models.distance_unet`) of which `output` is used.
    x : (H, W), (N, H, W) or (N, H, W, 1) float ndarray, or a list of (H, W) arrays
        Normalised images, of any size (each is reflect-padded to the model's size divisor
        and cropped back); a list for images of different sizes.
    samples : int
        T >= 2 forward passes; tens are usual (the maps get smoother with more).
    batch_size : int
        Copies of one image per forward pass (the T copies of an image share batches, each
        with its own dropout draw).
    output : str
        Which output of a multi-output model holds the probability.
    scale : float
        The working scale of the model (as in `segkit.instances.predict_distance`): images
        are resized by it, the maps computed there and resized back to the image's size
        (``"dist_mean"`` in the image's pixels).
    maps : sequence of str, optional
        Return only these maps (e.g. ``("mean", "dist_mean", "mutual_info")``) to save
        memory on many large images; default all.
    normalization : callable, optional
        Applied to each image before the network sees it, as in
        `segkit.instances.predict_distance`: `x` can then be the raw images, normalised
        one at a time by the `segkit.io.Normalization` fitted on the training images.
    split : dict, optional
        For a model with a distance output (`segkit.models.distance_unet`): also split each
        image's mean prediction into objects, ``segkit.instances.split_touching(mean,
        dist_mean, **split)`` (e.g. ``{"h": 3.0, "keep_unmarked": True, "min_area": 20}``),
        as BPartIS's "Bayesian" segmentation. The objects are returned as ``"labels"``; the
        maps needed for them are computed even when `maps` does not return them, so that
        ``maps=("mutual_info",)`` keeps, per image, only the objects and their uncertainty.
    dtype : {"float32", "float16"}
        Of the maps returned (computed in float32 and above either way). ``"float16"``
        halves their memory, for many large images on a small machine, at a relative
        rounding error of at most 2**-11 (0.05 %) per pixel: an object whose mean
        uncertainty lies that close to a filter threshold may fall on the other side.
    progress : bool
        Show a progress bar over the images.

    Returns
    -------
    dict of str to ndarray
        ``mean``, ``std``, ``entropy``, ``expected_entropy``, ``mutual_info``, each
        ``(N, H, W)`` (``(H, W)`` for a 2-D image; a list of (H, W) arrays for a list), and
        ``samples`` (the number T). For a dict-output model, the mean over the samples of
        each other output too, as ``"<name>_mean"`` (``"dist_mean"`` for a
        `segkit.models.distance_unet`). With `split`, ``labels``: each image's objects,
        uint16 (as EMPS stores its labels; half the memory of int32) unless an image holds
        65,536 objects or more, then int32.

    Raises
    ------
    ValueError
        T < 2, or a model without dropout (its samples would not vary).

    Examples
    --------
    >>> import keras
    >>> inputs = keras.Input((None, None, 1))
    >>> h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    >>> h = keras.layers.BatchNormalization()(h)
    >>> h = keras.layers.Dropout(0.5)(h)
    >>> own = keras.Model(inputs, keras.layers.Conv2D(1, 1, activation="sigmoid")(h))
    >>> st = mc_predict(own, np.ones((8, 8), np.float32), samples=4, progress=False)
    >>> st["mean"].shape, st["samples"], bool(st["std"].max() > 0)
    ((8, 8), 4, True)
    >>> st = mc_predict(own, [np.ones((8, 8)), np.ones((5, 7))], samples=4, progress=False)
    >>> [m.shape for m in st["mutual_info"]]
    [(8, 8), (5, 7)]
    >>> from segkit.models import distance_unet
    >>> net = distance_unet((None, None, 1), depth=1, base_filters=2, cap=3, dropout=0.3)
    >>> st = mc_predict(net, [np.ones((8, 8)), np.ones((5, 7))], samples=2, progress=False,
    ...                 maps=("mutual_info",), split={"min_area": 2})
    >>> sorted(st), [lab.dtype.name for lab in st["labels"]]
    (['labels', 'mutual_info', 'samples'], ['uint16', 'uint16'])
    """
    from tqdm.auto import tqdm

    from ._validate import check_normalization
    from .instances import _back, _check_scale, _image_views, _predict, split_touching

    samples = check_int(samples, "samples", minimum=2)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    scale = _check_scale(scale)
    if maps is not None:
        if isinstance(maps, str) or not all(isinstance(m, str) for m in maps) or not maps:
            raise TypeError(f"`maps` must be a sequence of map names, e.g. ('mean', "
                            f"'mutual_info'), got {maps!r}")
    normalization = check_normalization(normalization)
    if split is not None and not isinstance(split, dict):
        raise TypeError("`split` must be a dict of segkit.instances.split_touching's "
                        f"arguments, e.g. {{'h': 3.0, 'min_area': 20}}, got {describe(split)}")
    dtype = np.dtype(check_choice(dtype, "dtype", ("float32", "float16")))
    images, as_list, flat = _image_views(x, "x")  # converted one at a time (memory)
    model = _mc_model(model)
    per_image = []
    passes = _predict(model, images, batch_size=batch_size, repeat=samples, scale=scale,
                      normalization=normalization)
    for img, out in tqdm(zip(images, passes), total=len(images), desc="Monte-Carlo samples",
                         disable=not progress, leave=False):
        keys = [k for k in out if k is not None]
        if keys and output not in out:
            raise ValueError(f"`output` must name one of the model's outputs {sorted(keys)}, "
                             f"got {output!r}")
        draws = out[output if keys else None]
        stats = _mc_statistics(draws)
        stats.update({f"{k}_mean": v.mean(axis=0, dtype=np.float64).astype(np.float32)
                      for k, v in out.items() if k is not None and k != output})
        if maps is not None:
            unknown = sorted(set(maps) - set(stats))
            if unknown:
                raise ValueError(f"`maps` {unknown} are not maps of this model; there are "
                                 f"{sorted(stats)}")
        if split is not None and "dist_mean" not in stats:
            raise ValueError("`split` needs a model with a distance output named 'dist' "
                             "(segkit.models.distance_unet); this one has the maps "
                             f"{sorted(stats)}")
        keep = list(stats) if maps is None else list(maps)
        need = keep + (["mean", "dist_mean"] if split is not None else [])
        back = {k: _back(stats[k], img.shape, scale, distance=k == "dist_mean")
                for k in dict.fromkeys(need)}
        del stats
        if split is not None:
            back["labels"] = _narrow(split_touching(back["mean"], back["dist_mean"], **split))
        per_image.append({**{k: back[k].astype(dtype, copy=False) for k in keep},
                          **({"labels": back["labels"]} if split is not None else {})})
        del back
    result = {k: [st[k] for st in per_image] for k in per_image[0]}
    if not as_list:
        result = {k: v[0] if flat else np.stack(v) for k, v in result.items()}
    result["samples"] = samples
    return result


def _pair(labels, unc):
    lab = check_numeric(as_array(labels, "labels"), "labels")
    if lab.dtype == bool or lab.dtype.kind in "fc":
        raise TypeError(f"`labels` must be an integer label image (0 background, 1..N "
                        f"objects), got {describe(lab)}")
    u = check_finite(check_numeric(as_array(unc, "uncertainty"), "uncertainty"), "uncertainty")
    if u.shape != lab.shape:
        raise ValueError(f"`uncertainty` (shape {u.shape}) must have the same shape as "
                         f"`labels` (shape {lab.shape})")
    if lab.size and int(lab.min()) < 0:
        raise ValueError(f"`labels` must have non-negative labels, got minimum {int(lab.min())}")
    return lab, u


def _pairs(labels, uncertainty):
    """Label images and their uncertainty maps as a list of 2-D pairs, and the layout
    (``"list"``, ``"stack"`` or ``"image"``) to give results back in."""
    from .instances import _is_list, _pair_lists

    if _is_list(labels):
        _pair_lists(labels, uncertainty, ("labels", "uncertainty"))
        pairs = [_pair(lab, u) for lab, u in zip(labels, uncertainty)]
        for i, (lab, _) in enumerate(pairs):
            if lab.ndim != 2:
                raise ValueError(f"`labels[{i}]` must be one 2-D label image in a list, got "
                                 f"{describe(lab)}")
        return pairs, "list"
    lab, u = _pair(labels, uncertainty)
    if lab.ndim == 2:
        return [(lab, u)], "image"
    if lab.ndim != 3:
        raise ValueError(f"`labels` must be (H, W), (N, H, W) or a list of (H, W) label "
                         f"images, got {describe(lab)}")
    return list(zip(lab, u)), "stack"


def _object_means(labels, uncertainty):
    """Mean of a per-pixel uncertainty map over each object of one 2-D label image.

    Returns
    -------
    ids : (K,) int ndarray
        Object labels, ascending.
    means : (K,) float ndarray

    Examples
    --------
    >>> ids, m = _object_means(np.array([[1, 1, 2]]), np.array([[0.1, 0.3, 0.5]]))
    >>> ids.tolist(), m.round(3).tolist()
    ([1, 2], [0.2, 0.5])
    """
    ids = np.unique(labels)
    ids = ids[ids > 0]
    if ids.size == 0:
        return ids.astype(np.int64), np.empty(0)
    return ids.astype(np.int64), np.asarray(ndi.mean(uncertainty, labels, ids), float)


def uncertainty_by_match(true_labels, labels, uncertainty, *, iou_threshold=0.5):
    """Mean uncertainty of the true and of the false detections, apart.

    The uncertainty filter can only help if the false detections are the more uncertain:
    compare the two arrays (e.g. their medians, or histograms) before sweeping thresholds.

    Parameters
    ----------
    true_labels, labels : (N, H, W) or (H, W) int ndarrays, or lists of (H, W) ones
        Reference and predicted instances; in a stack each slice's objects are distinct.
    uncertainty : float ndarray of the same shape (a list for lists)
    iou_threshold : float
        A predicted object is a true detection when `segkit.metrics.match_objects` pairs it
        with a reference object at this IoU.

    Returns
    -------
    dict of str to 1-D ndarray
        ``"true"``: per-object mean uncertainty of the matched predictions; ``"false"``: of
        the unmatched ones (false detections). Either may be empty.

    Examples
    --------
    >>> t = np.array([[1, 1, 0, 0, 0]])
    >>> p = np.array([[1, 1, 0, 2, 2]])  # object 2 is a false detection
    >>> u = np.array([[0.1, 0.1, 0.0, 0.6, 0.8]])
    >>> by = uncertainty_by_match(t, p, u)
    >>> by["true"].tolist(), by["false"].round(2).tolist()
    ([0.1], [0.7])
    """
    from .metrics import match_objects

    pairs, layout = _pairs(labels, uncertainty)
    truths = _truths(true_labels, pairs, layout)
    out = {"true": [], "false": []}
    for (lp, up), truth in zip(pairs, truths):
        matched = {int(r[1]) for r in match_objects(truth, lp, iou_threshold=iou_threshold)
                   .pred_ids}
        for j, v in zip(*_object_means(lp, up)):
            out["true" if int(j) in matched else "false"].append(float(v))
    return {k: np.asarray(v, float) for k, v in out.items()}


def _truths(true_labels, pairs, layout):
    """The reference label images, one per pair, checked against the predicted ones."""
    from .instances import _is_list

    if layout == "list":
        if not _is_list(true_labels):  # a stack of as many images pairs with a list too
            stack = as_array(true_labels, "true_labels")
            true_labels = list(stack) if stack.ndim == 3 else true_labels
        if not _is_list(true_labels) or len(true_labels) != len(pairs):
            raise ValueError(f"`labels` is a list of {len(pairs)} images, so `true_labels` "
                             f"must be a list or a stack of as many, got "
                             f"{describe(true_labels)}")
        truths = [as_array(t, f"true_labels[{i}]") for i, t in enumerate(true_labels)]
    else:
        truth = as_array(true_labels, "true_labels")
        shape = pairs[0][0].shape if layout == "image" else (len(pairs), *pairs[0][0].shape)
        if truth.shape != shape:
            raise ValueError(f"`labels` (shape {shape}) must have the same shape as "
                             f"`true_labels` (shape {truth.shape})")
        truths = [truth] if layout == "image" else list(truth)
    for i, (t, (lp, _)) in enumerate(zip(truths, pairs)):
        if t.shape != lp.shape:
            raise ValueError(f"`labels[{i}]` (shape {lp.shape}) must have the same shape as "
                             f"`true_labels[{i}]` (shape {t.shape})")
    return truths


def filter_uncertain(labels, uncertainty, *, threshold):
    """Remove the objects whose mean uncertainty is above `threshold`.

    BPartIS's uncertainty filter (Yildirim & Cole 2021, "Uncertainty Filtering"): the
    mean of the per-pixel uncertainty over each predicted object; "if this uncertainty is
    greater than some threshold t_u, we label that prediction as a false positive and remove
    it". (Their code keeps an object when its mean is ``< t_u``: the two differ only at
    equality.) Works slice by slice on a stack ``(N, H, W)``, image by image on a list.
    Kept objects keep their label.

    Parameters
    ----------
    labels : (N, H, W) or (H, W) int ndarray, or a list of (H, W) ones
        Predicted instances (0 background); a list for images of different sizes.
    uncertainty : float ndarray of the same shape (a list for lists)
        Per-pixel uncertainty, e.g. ``mc_predict(...)["mutual_info"]``.
    threshold : float
        An object whose mean uncertainty is above it is removed (``t_u``; `filter_sweep`
        tries many).

    Returns
    -------
    ndarray or list
        A copy of `labels` with the uncertain objects set to 0.

    Examples
    --------
    >>> filter_uncertain(np.array([[1, 1, 2]]), np.array([[0.1, 0.3, 0.5]]), threshold=0.4)
    array([[1, 1, 0]])

    A stack is filtered slice by slice; object 3 keeps its mean of 0.2, as the uncertain
    background pixel beside it does not count:

    >>> labels = np.array([[[1, 1, 2]], [[0, 3, 3]]])
    >>> u = np.array([[[0.1, 0.3, 0.5]], [[0.9, 0.2, 0.2]]])
    >>> filter_uncertain(labels, u, threshold=0.4).tolist()
    [[[1, 1, 0]], [[0, 3, 3]]]
    """
    pairs, layout = _pairs(labels, uncertainty)
    threshold = check_real(threshold, "threshold")
    out = []
    for lab, u in pairs:
        ids, means = _object_means(lab, u)
        out.append(np.where(np.isin(lab, ids[means > threshold]), 0, lab).astype(lab.dtype))
    return _restore(out, layout)


def _restore(planes, layout):
    if layout == "list":
        return planes
    return planes[0] if layout == "image" else np.stack(planes)


def filter_sweep(true_labels, labels, uncertainty, *, thresholds, definition,
                 iou_threshold=0.5, progress=False):
    """Every score of `labels` after `filter_uncertain` at each threshold, one row each.

    Removing uncertain objects helps only where the uncertain objects are the wrong ones:
    precision rises as false detections go, recall falls as true objects go, and AP (which
    counts both) peaks in between when the false detections are the more uncertain. BPartIS
    (Yildirim & Cole 2021, Fig. 6) sweeps its threshold t_u over 100 values in [0, ln 2]
    and reports AP, AP50, AP75 and mean IoU; pass ``definition="bpartis"`` to compare with it.
    (ln 2 nats is the largest mutual information a binary prediction can have, so above it
    nothing is removed.) Thresholds that keep the same objects are scored once.

    Parameters
    ----------
    true_labels, labels : (N, H, W) or (H, W) int ndarrays, or lists of (H, W) ones
        Reference and predicted instances; lists for images of different sizes.
    uncertainty : float ndarray of the same shape (a list for lists)
        E.g. ``mc_predict(...)["mutual_info"]``.
    thresholds : 1-D array_like of float
        E.g. ``numpy.geomspace(1e-4, numpy.log(2), 100)``.
    definition : {"stardist", "bpartis"}
        Of AP, AP50, AP75 and the mean IoU (`segkit.metrics.instance_scores`).
    iou_threshold : float
        Matching threshold of ``precision`` and ``recall`` (`segkit.metrics.match_objects`).
    progress : bool
        Show a progress bar over the thresholds.

    Returns
    -------
    pandas.DataFrame
        One row per threshold: ``threshold``, the columns of
        `segkit.metrics.instance_scores` (``ap``, ``ap50``, ``ap75``, ``mean_iou``,
        ``precision`` (NaN where no object is kept: it is undefined), ``recall``, ``f1``,
        ``seg``, ``merges``, ``splits``, ``n_true``, ``n_pred`` (objects kept)), and
        ``kept`` (the fraction of the predicted objects kept; 0 when there is none).

    Examples
    --------
    >>> t = np.array([[1, 1, 0, 2, 2, 2]])
    >>> p = np.array([[1, 1, 0, 0, 0, 3]])  # object 3 is a poor match (IoU 1/3)
    >>> u = np.array([[0.1, 0.1, 0.0, 0.0, 0.0, 0.9]])
    >>> sweep = filter_sweep(t, p, u, thresholds=[0.5, 1.0], definition="stardist")
    >>> sweep["ap50"].tolist(), sweep["kept"].tolist()
    ([0.5, 0.3333333333333333], [0.5, 1.0])
    >>> sweep["precision"].tolist(), sweep["recall"].tolist()
    ([1.0, 0.5], [0.5, 0.5])
    """
    import pandas as pd
    from tqdm.auto import tqdm

    from .metrics import instance_scores

    th = check_finite(check_numeric(as_array(thresholds, "thresholds"), "thresholds"),
                      "thresholds")
    if th.ndim != 1 or th.size == 0:
        raise ValueError(f"`thresholds` must be a non-empty 1-D sequence, got {describe(th)}")
    check_choice(definition, "definition", ("stardist", "bpartis"))
    pairs, layout = _pairs(labels, uncertainty)
    truths = _truths(true_labels, pairs, layout)
    if layout != "list":
        truths = _restore(truths, layout)
    means = [_object_means(lab, u) for lab, u in pairs]
    total = sum(ids.size for ids, _ in means)
    rows, cache = [], {}
    for t in tqdm(th.astype(float), desc="filter thresholds", disable=not progress,
                  leave=False):
        kept = tuple(tuple(ids[m <= t].tolist()) for ids, m in means)
        if kept not in cache:
            filtered = _restore([np.where(np.isin(lab, ids[m > t]), 0, lab)
                                 for (lab, _), (ids, m) in zip(pairs, means)], layout)
            scores = instance_scores(truths, filtered, definition=definition,
                                     iou_threshold=iou_threshold)
            if scores["n_pred"] == 0:
                scores["precision"] = np.nan
            cache[kept] = scores
        scores = cache[kept]
        rows.append({"threshold": t, **scores,
                     "kept": scores["n_pred"] / total if total else 0.0})
    return pd.DataFrame(rows)
