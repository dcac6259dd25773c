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
"""

import numpy as np
from scipy import ndimage as ndi

from ._validate import (as_array, as_stack, check_choice, check_finite, check_int,
                        check_numeric, check_real, describe)

__all__ = ["mc_predict", "object_uncertainty", "uncertainty_by_match", "filter_uncertain",
           "sweep_thresholds", "filter_sweep"]

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
        if isinstance(layer, keras.layers.Dropout) and not isinstance(layer, MCDropout):
            return MCDropout(layer.rate, always_on=True, noise_shape=layer.noise_shape,
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


def mc_predict(model, x, *, samples=20, batch_size=8, output="prob", progress=True):
    """Predict `samples` times with dropout on, and summarise the samples.

    Parameters
    ----------
    model : keras.Model
        With dropout: either built with ``mc_dropout=True`` (segkit's models), or any
        functional Keras model with ordinary ``keras.layers.Dropout`` layers (a learner's own
        model), which is then copied once with those layers kept on at prediction while
        batch normalisation stays in inference mode. One sigmoid output, or a dict of
        outputs (e.g. `segkit.models.distance_unet`) of which `output` is used.
    x : (H, W), (N, H, W) or (N, H, W, 1) float ndarray
        Normalised images.
    samples : int
        T >= 2 forward passes; tens are usual (the maps get smoother with more).
    batch_size : int
    output : str
        Which output of a multi-output model holds the probability.
    progress : bool
        Show a progress bar over the samples.

    Returns
    -------
    dict of str to ndarray
        ``mean``, ``std``, ``entropy``, ``expected_entropy``, ``mutual_info``, each
        ``(N, H, W)`` (``(H, W)`` for a 2-D image), and ``samples`` (the number T). For a
        dict-output model, the mean over the samples of each other output too, as
        ``"<name>_mean"`` (``"dist_mean"`` for a `segkit.models.distance_unet`).

    Raises
    ------
    ValueError
        T < 2, or a model without dropout (its samples would not vary).

    Examples
    --------
    >>> import keras
    >>> inputs = keras.Input((8, 8, 1))
    >>> h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    >>> h = keras.layers.BatchNormalization()(h)
    >>> h = keras.layers.Dropout(0.5)(h)
    >>> own = keras.Model(inputs, keras.layers.Conv2D(1, 1, activation="sigmoid")(h))
    >>> st = mc_predict(own, np.ones((8, 8), np.float32), samples=4, progress=False)
    >>> st["mean"].shape, st["samples"], bool(st["std"].max() > 0)
    ((8, 8), 4, True)
    """
    from tqdm.auto import tqdm

    samples = check_int(samples, "samples", minimum=2)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    arr, flat = as_stack(x, "x")
    model = _mc_model(model)
    xb = arr[..., None].astype(np.float32)
    draws, others = [], {}
    for _ in tqdm(range(samples), desc="Monte-Carlo samples", disable=not progress,
                  leave=False):
        out = model.predict(xb, batch_size=batch_size, verbose=0)
        if isinstance(out, dict):
            if output not in out:
                raise ValueError(f"`output` must name one of the model's outputs "
                                 f"{sorted(out)}, got {output!r}")
            for k, v in out.items():
                if k != output:
                    others[k] = others.get(k, 0) + np.asarray(v, np.float64)[..., 0] / samples
            out = out[output]
        draws.append(np.asarray(out)[..., 0])
    stats = _mc_statistics(np.stack(draws))
    stats.update({f"{k}_mean": v.astype(np.float32) for k, v in others.items()})
    if flat:
        stats = {k: v[0] for k, v in stats.items()}
    stats["samples"] = samples
    return stats


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


def object_uncertainty(labels, uncertainty):
    """Mean of a per-pixel uncertainty map over each object.

    In a stack (N, H, W), label values are taken as they are: number the objects of
    different slices differently, or call it once per slice.

    Returns
    -------
    ids : (K,) int ndarray
        Object labels, ascending.
    means : (K,) float ndarray

    Examples
    --------
    >>> ids, m = object_uncertainty(np.array([[1, 1, 2]]), np.array([[0.1, 0.3, 0.5]]))
    >>> ids.tolist(), m.round(3).tolist()
    ([1, 2], [0.2, 0.5])
    """
    lab, u = _pair(labels, uncertainty)
    ids = np.unique(lab)
    ids = ids[ids > 0]
    if ids.size == 0:
        return ids.astype(np.int64), np.empty(0)
    return ids.astype(np.int64), np.asarray(ndi.mean(u, lab, ids), float)


def uncertainty_by_match(true_labels, labels, uncertainty, *, iou_threshold=0.5):
    """Mean uncertainty of the true and of the false detections, apart.

    The uncertainty filter can only help if the false detections are the more uncertain:
    compare the two arrays (e.g. their medians, or histograms) before sweeping thresholds.

    Parameters
    ----------
    true_labels, labels : (N, H, W) or (H, W) int ndarrays
        Reference and predicted instances; in a stack each slice's objects are distinct.
    uncertainty : float ndarray of the same shape
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

    lab, u = _pair(labels, uncertainty)
    truth = as_array(true_labels, "true_labels")
    if truth.shape != lab.shape:
        raise ValueError(f"`labels` (shape {lab.shape}) must have the same shape as "
                         f"`true_labels` (shape {truth.shape})")
    if lab.ndim not in (2, 3):
        raise ValueError(f"`labels` must be (H, W) or (N, H, W), got {describe(lab)}")
    matched = {tuple(r) for r in match_objects(truth, lab, iou_threshold=iou_threshold)
               .pred_ids.tolist()}
    out = {"true": [], "false": []}
    planes = [(lab, u)] if lab.ndim == 2 else zip(lab, u)
    for i, (lp, up) in enumerate(planes):
        for j, v in zip(*object_uncertainty(lp, up)):
            out["true" if (i, int(j)) in matched else "false"].append(float(v))
    return {k: np.asarray(v, float) for k, v in out.items()}


def filter_uncertain(labels, uncertainty, *, threshold):
    """Remove the objects whose mean uncertainty is above `threshold`.

    Works slice by slice on a stack ``(N, H, W)``. Kept objects keep their label.

    Returns
    -------
    ndarray
        A copy of `labels` with the uncertain objects set to 0.

    Examples
    --------
    >>> filter_uncertain(np.array([[1, 1, 2]]), np.array([[0.1, 0.3, 0.5]]), threshold=0.4)
    array([[1, 1, 0]])
    """
    lab, u = _pair(labels, uncertainty)
    threshold = check_real(threshold, "threshold")
    out = lab.copy()
    planes = [(out, u)] if lab.ndim == 2 else zip(out, u)
    for lp, up in planes:
        ids, means = object_uncertainty(lp, up)
        drop = ids[means > threshold]
        lp[np.isin(lp, drop)] = 0
    return out


def _slice_means(lab, u):
    """Per-object means of every slice of a label image or stack, pooled (slices apart)."""
    planes = [(lab, u)] if lab.ndim == 2 else zip(lab, u)
    means = [object_uncertainty(lp, up)[1] for lp, up in planes]
    return np.concatenate(means) if means else np.empty(0)


def sweep_thresholds(labels, uncertainty, *, n=None):
    """Thresholds for `filter_sweep`: the objects' own mean uncertainties.

    Parameters
    ----------
    labels : (N, H, W) or (H, W) int ndarray
        Predicted instances; in a stack each slice's objects are distinct.
    uncertainty : float ndarray of the same shape
    n : int, optional
        Return `n` evenly spaced quantiles of the per-object means instead of every distinct
        value (a coarser sweep when there are many objects).

    Returns
    -------
    (K,) float ndarray
        Ascending. The first keeps only the least uncertain object(s), the last keeps every
        object (`filter_uncertain` removes means strictly above the threshold). A single
        ``0.0`` when there is no object: then every threshold gives the same result.

    Examples
    --------
    >>> lab = np.array([[1, 1, 0, 2, 3]])
    >>> u = np.array([[0.1, 0.3, 0.0, 0.5, 0.3]])  # object means 0.2, 0.5, 0.3
    >>> sweep_thresholds(lab, u).tolist()
    [0.2, 0.3, 0.5]
    >>> sweep_thresholds(lab, u, n=2).tolist()
    [0.2, 0.5]
    """
    lab, u = _pair(labels, uncertainty)
    if lab.ndim not in (2, 3):
        raise ValueError(f"`labels` must be (H, W) or (N, H, W), got {describe(lab)}")
    means = _slice_means(lab, u)
    if means.size == 0:
        return np.zeros(1)
    if n is None:
        return np.unique(means)
    n = check_int(n, "n", minimum=2)
    return np.unique(np.quantile(means, np.linspace(0, 1, n)))


def filter_sweep(true_labels, labels, uncertainty, *, thresholds, definition,
                 iou_threshold=0.5, progress=False):
    """Average precision, mean IoU, precision and recall of `labels` after `filter_uncertain`.

    Removing uncertain objects helps only where the uncertain objects are the wrong ones:
    precision rises as false detections go, recall falls as true objects go, and AP (which
    counts both) peaks in between when the false detections are the more uncertain. BPartIS
    (Yildirim & Cole 2021, Fig. 6) sweeps its threshold t_u over [0, ln 2] and reports AP,
    AP50, AP75 and mean IoU; pass ``definition="bpartis"`` to compare with it.

    Parameters
    ----------
    true_labels, labels : (N, H, W) or (H, W) int ndarrays
        Reference and predicted instances.
    uncertainty : float ndarray of the same shape
        E.g. ``mc_predict(...)["mutual_info"]``.
    thresholds : 1-D array_like of float
        E.g. `sweep_thresholds`, or ``numpy.linspace(0, numpy.log(2), 100)``.
    definition : {"stardist", "bpartis"}
        Of the average precision (`segkit.metrics.average_precision`); the mean IoU is
        averaged over the predicted objects for ``"bpartis"`` and over the reference objects
        for ``"stardist"`` (`segkit.metrics.mean_iou`, NaN without reference objects).
    iou_threshold : float
        Matching threshold of ``precision`` and ``recall`` (`segkit.metrics.match_objects`).
    progress : bool
        Show a progress bar over the thresholds.

    Returns
    -------
    pandas.DataFrame
        One row per threshold: ``threshold``, ``ap``, ``ap50``, ``ap75``, ``mean_iou``,
        ``precision`` and ``recall`` at `iou_threshold` (precision NaN where no object is
        kept: it is undefined), ``kept`` (fraction of the predicted objects kept; 0 when
        there is none) and ``n_kept`` (their number).

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

    from .metrics import average_precision, contingency_table, match_objects, mean_iou

    th = check_finite(check_numeric(as_array(thresholds, "thresholds"), "thresholds"),
                      "thresholds")
    if th.ndim != 1 or th.size == 0:
        raise ValueError(f"`thresholds` must be a non-empty 1-D sequence, got {describe(th)}")
    check_choice(definition, "definition", ("stardist", "bpartis"))
    lab, u = _pair(labels, uncertainty)
    truth = as_array(true_labels, "true_labels")
    if truth.shape != lab.shape:
        raise ValueError(f"`labels` (shape {lab.shape}) must have the same shape as "
                         f"`true_labels` (shape {truth.shape})")
    total = _count(lab)
    over = "predicted" if definition == "bpartis" else "reference"
    rows = []
    for t in tqdm(th.astype(float), desc="filter thresholds", disable=not progress,
                  leave=False):
        table = contingency_table(truth, filter_uncertain(lab, u, threshold=t))
        ap = average_precision(table=table, definition=definition)
        m = match_objects(table=table, iou_threshold=iou_threshold)
        miou = mean_iou(table=table, over=over) if table.n_true or over == "predicted" \
            else np.nan
        rows.append({"threshold": t, "ap": ap.ap, "ap50": ap.ap50, "ap75": ap.ap75,
                     "mean_iou": miou, "precision": m.precision if m.n_pred else np.nan,
                     "recall": m.recall, "kept": m.n_pred / max(total, 1),
                     "n_kept": m.n_pred})
    return pd.DataFrame(rows)


def _count(lab):
    planes = [lab] if lab.ndim == 2 else lab
    return sum(int(np.unique(p[p > 0]).size) for p in planes)
