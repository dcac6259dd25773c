"""Benchmark of segkit.metrics (not part of the tests: ratios measured in one run, no asserts
on time).

    python benchmarks/bench_metrics.py [--quick]

1. Object scores on a 1024 x 1024 label image with 1,000 objects: `seg_score` and
   `average_precision` (one table of overlaps) against the straightforward implementation
   written below, a Python loop over the reference objects with whole-image comparisons.
2. Pixel scores on a 165 x 768 x 1024 uint8 stack (the size of the EPFL hippocampus test
   volume, ~130 MB per array): `confusion` + every score from it, once. For reference,
   scikit-learn on the first 16 slices (it needs several GB on the whole stack), scaled to the
   stack's pixel count.

Prints a table; exits 0 when the implementations agree.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from segkit import metrics as M  # noqa: E402


# ----------------------------------------------------------------------------- data
def label_pair(shape=(1024, 1024), n=1000, seed=0):
    """Touching, roundish objects (Voronoi cells cut to disks) and a plausible prediction:
    shifted by a pixel or two, 5 % missed, some merged, some false objects."""
    rng = np.random.default_rng(seed)
    seeds = np.zeros(shape, np.int32)
    seeds[rng.integers(0, shape[0], n), rng.integers(0, shape[1], n)] = np.arange(1, n + 1)
    dist, (iy, ix) = ndi.distance_transform_edt(seeds == 0, return_indices=True)
    true = seeds[iy, ix]
    true[dist > 14] = 0
    true = np.unique(true, return_inverse=True)[1].reshape(shape).astype(np.int32)  # 1..K
    k = int(true.max())
    pred = np.roll(true, (1, 2), axis=(0, 1))
    table = rng.permutation(k + 1) + 1  # renumber
    table[0] = 0
    table[rng.random(k + 1) < 0.05] = 0  # missed
    merge = rng.random(k + 1) < 0.03
    table[merge] = table[np.maximum(np.flatnonzero(merge) - 1, 1)]  # merged with a neighbour
    pred = table[pred]
    extra = ndi.label(ndi.binary_dilation(rng.random(shape) < 2e-5, iterations=4))[0]
    pred[(extra > 0) & (pred == 0)] = extra[(extra > 0) & (pred == 0)] + pred.max()
    return true, pred.astype(np.int32)


def mask_pair(n_slices=165, shape=(768, 1024), seed=0):
    """uint8 {0, 1} truth (~15 % foreground blobs) and a prediction with boundary and
    speckle errors, built slice by slice from one smooth field (cheap)."""
    rng = np.random.default_rng(seed)
    field = ndi.gaussian_filter(rng.standard_normal(shape).astype(np.float32), 12)
    base = field > np.quantile(field, 0.85)
    truth = np.empty((n_slices, *shape), np.uint8)
    pred = np.empty_like(truth)
    for i in range(n_slices):
        t = np.roll(base, i, axis=1)
        truth[i] = t
        p = np.roll(t, 2, axis=0)
        p[rng.integers(0, shape[0], 3000), rng.integers(0, shape[1], 3000)] ^= True
        pred[i] = p
    return truth, pred


# ----------------------------------------------------------------------------- loop references
def loop_seg(true, pred):
    """SEG as the definition reads: for each reference object, a pass over the image."""
    scores = []
    for r in range(1, int(true.max()) + 1):
        in_r = true == r
        area = np.count_nonzero(in_r)
        if area == 0:
            continue
        labels, counts = np.unique(pred[in_r], return_counts=True)
        score = 0.0
        for s, c in zip(labels, counts):
            if s > 0 and c > 0.5 * area:
                score = c / np.count_nonzero(in_r | (pred == s))
        scores.append(score)
    return float(np.mean(scores))


def loop_average_precision(true, pred, thresholds=np.round(np.arange(0.5, 0.96, 0.05), 2)):
    """AP = mean over thresholds of TP / (TP + FP + FN), IoUs object by object."""
    n_true = len(np.unique(true[true > 0]))
    n_pred = len(np.unique(pred[pred > 0]))
    ious = []
    for r in range(1, int(true.max()) + 1):
        in_r = true == r
        if not in_r.any():
            continue
        for s in np.unique(pred[in_r]):
            if s > 0:
                in_s = pred == s
                ious.append(np.count_nonzero(in_r & in_s) / np.count_nonzero(in_r | in_s))
    ious = np.array(ious)
    aps = []
    for t in thresholds:  # IoU >= 0.5 pairs are unique (ties at exactly 0.5 aside)
        tp = int(np.count_nonzero(ious >= t))
        aps.append(tp / (n_true + n_pred - tp))
    return float(np.mean(aps))


def timed(f, *args, repeat=1, **kw):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f(*args, **kw)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller stack (16 slices)")
    args = ap.parse_args(argv)
    rows, ok = [], True

    true, pred = label_pair()
    n_obj = len(np.unique(true)) - 1
    t_fast, seg = timed(M.seg_score, true, pred, repeat=5)
    t_loop, seg_ref = timed(loop_seg, true, pred)
    ok &= abs(seg - seg_ref) < 1e-12
    rows.append((f"seg_score, 1024x1024, {n_obj} objects", t_fast, t_loop, seg, seg_ref))
    t_fast, res = timed(M.average_precision, true, pred, definition="stardist", repeat=5)
    t_loop, ap_ref = timed(loop_average_precision, true, pred)
    ok &= abs(res.ap - ap_ref) < 1e-12
    rows.append((f"average_precision (10 IoU thr.), {n_obj} obj.", t_fast, t_loop, res.ap, ap_ref))

    n = 16 if args.quick else 165
    truth, guess = mask_pair(n)
    t_fast, rep = timed(M.pixel_report, truth, guess)
    sub = 16
    try:
        from sklearn import metrics as skm

        def sklearn_scores(t, p):
            t, p = t.ravel(), p.ravel()
            return {"dice": skm.f1_score(t, p), "jaccard": skm.jaccard_score(t, p),
                    "kappa": skm.cohen_kappa_score(t, p), "accuracy": skm.accuracy_score(t, p),
                    "balanced_auroc": skm.balanced_accuracy_score(t, p)}

        t_sk, sk_rep = timed(sklearn_scores, truth[:sub], guess[:sub])
        t_sk *= n / sub
        sub_rep = M.pixel_report(truth[:sub], guess[:sub])
        ok &= all(abs(sub_rep[k] - v) < 1e-12 for k, v in sk_rep.items())
        ours, ref = sub_rep["kappa"], sk_rep["kappa"]  # compared on the same 16 slices
    except ImportError:
        t_sk, ours, ref = float("nan"), rep["kappa"], float("nan")
    rows.append((f"pixel_report (9 scores), {n}x768x1024 uint8", t_fast, t_sk, ours, ref))

    print(f"{'benchmark':<48} {'segkit':>10} {'reference':>10} {'speed-up':>9}   value")
    for name, a, b, v, vr in rows:
        print(f"{name:<48} {a * 1e3:8.1f}ms {b * 1e3:8.0f}ms {b / a:8.0f}x   "
              f"{v:.6f} (ref {vr:.6f})")
    print("references: per-object Python loops (objects); scikit-learn f1/jaccard/kappa/"
          f"accuracy/balanced accuracy timed on {sub} slices and scaled x{n / sub:g} (pixels).\n"
          "value: SEG, AP@[.5:.95], and kappa of the first 16 slices (segkit vs reference)")
    if not ok:
        print("MISMATCH between segkit and a reference implementation", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
