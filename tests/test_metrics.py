"""Tests of segkit.metrics: hand-worked cases, cross-checks against scikit-learn and against
straightforward per-object loops, properties, and every bad-input message."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from segkit import metrics as M
from segkit.metrics.curves import _roc_curve


def _score(name):
    """A count-based score of `Confusion` as a function of ``(y_true, y_pred)``."""
    def score(y_true, y_pred, *, threshold=0.5, **kwargs):
        return getattr(M.confusion(y_true, y_pred, threshold=threshold), name)(**kwargs)
    return score


accuracy, jaccard, precision, recall, fpr, fnr, cohen_kappa, balanced_auroc = (
    _score(n) for n in ("accuracy", "jaccard", "precision", "recall", "fpr", "fnr",
                        "cohen_kappa", "balanced_auroc"))

sk = pytest.importorskip("sklearn.metrics")

PROPS = settings(max_examples=40, deadline=None)
SEEDS = range(25)


# ============================================================================ helpers
def _random_pair(seed, shape=(9, 13)):
    """A random binary truth with both classes, a random probability map and its mask."""
    rng = np.random.default_rng(seed)
    t = rng.random(shape) < rng.uniform(0.05, 0.6)
    t.flat[0], t.flat[1] = True, False
    score = np.clip(0.35 * t + rng.random(shape) * 0.8, 0, 1)
    if seed % 3 == 0:
        score = np.round(score, 1)  # many ties
    return t, score, score >= 0.5


def _random_labels(rng, shape=(24, 24), n=7):
    """Voronoi-like label image: touching objects, some background."""
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    pts = np.stack([rng.integers(0, shape[0], n), rng.integers(0, shape[1], n)], 1)
    d = (yy[..., None] - pts[:, 0]) ** 2 + (xx[..., None] - pts[:, 1]) ** 2
    lab = d.argmin(-1) + 1
    lab[d.min(-1) > rng.integers(6, 50)] = 0
    return lab.astype(np.int32)


def _perturbed(rng, lab, n=7):
    """A plausible prediction: shifted, with objects merged, dropped and renumbered."""
    p = np.roll(lab, tuple(rng.integers(-2, 3, 2)), axis=(0, 1))
    table = rng.integers(0, n + 3, n + 1)  # random merges (equal values) and drops (0)
    table[0] = 0
    p = table[p]
    p[rng.random(p.shape) < 0.02] = n + 5  # a scattered false object
    return p


def _naive_iou(t, p, a, b):
    inter = np.count_nonzero((t == a) & (p == b))
    return inter / np.count_nonzero((t == a) | (p == b))


def _naive_seg(t, p):
    """The CTC SEG, object by object, as the definition reads."""
    scores = []
    for a in np.unique(t[t > 0]):
        r = t == a
        s = 0.0
        for b in np.unique(p[r & (p > 0)]):
            if np.count_nonzero(r & (p == b)) > 0.5 * np.count_nonzero(r):
                s = _naive_iou(t, p, a, b)
        scores.append(s)
    return float(np.mean(scores))


def _naive_tp(t, p, thr):
    """Largest one-to-one matching with IoU >= thr by brute force (small cases only)."""
    ta, pb = np.unique(t[t > 0]), np.unique(p[p > 0])
    iou = np.array([[_naive_iou(t, p, a, b) if np.any((t == a) & (p == b)) else 0.0
                     for b in pb] for a in ta]).reshape(ta.size, pb.size)
    ok = iou >= thr
    if thr > 0.5:  # unique: count the pairs
        return int(ok.sum())
    best = 0
    rows = [i for i in range(ta.size) if ok[i].any()]
    cols = [j for j in range(pb.size) if ok[:, j].any()]
    for k in range(min(len(rows), len(cols)), 0, -1):
        for rs in itertools.combinations(rows, k):
            for cs in itertools.permutations(cols, k):
                if all(ok[r, c] for r, c in zip(rs, cs)):
                    return k
    return best


# ============================================================================ pixel level: by hand
def test_confusion_counts_and_fractions():
    c = M.confusion([[1, 1, 1, 0], [0, 0, 0, 0]], [[1, 1, 0, 1], [1, 0, 0, 0]])
    assert (c.tp, c.fp, c.fn, c.tn) == (2, 2, 1, 3)
    assert c.total == 8
    assert c.fractions() == {"tp": 0.25, "fp": 0.25, "fn": 0.125, "tn": 0.375}
    assert c.matrix().tolist() == [[3, 2], [1, 2]]
    assert c.matrix(normalize=True).sum() == 1.0
    assert all(isinstance(v, int) for v in (c.tp, c.fp, c.fn, c.tn))


def test_scores_by_hand():
    t = [[1, 1, 1, 0], [0, 0, 0, 0]]
    p = [[1, 1, 0, 1], [1, 0, 0, 0]]  # TP 2, FP 2, FN 1, TN 3
    assert accuracy(t, p) == 5 / 8
    assert jaccard(t, p) == 2 / 5
    assert M.dice(t, p) == 4 / 7
    assert precision(t, p) == 2 / 4
    assert recall(t, p) == 2 / 3
    assert fpr(t, p) == 2 / 5
    assert fnr(t, p) == 1 / 3
    assert balanced_auroc(t, p) == 1 - (2 / 5 + 1 / 3) / 2
    pa, pc = 5 / 8, (3 / 8) * (4 / 8) + (5 / 8) * (4 / 8)
    assert cohen_kappa(t, p) == pytest.approx((pa - pc) / (1 - pc), abs=1e-15)
    c = M.confusion(t, p)
    assert (c.pa, c.pc) == (pa, pc)


def test_accuracy_misleads_under_imbalance():
    t = np.zeros((20, 20), bool)
    t[:2, :10] = True  # 5 % foreground
    nothing = np.zeros_like(t)
    assert accuracy(t, nothing) == 0.95
    assert M.dice(t, nothing) == 0.0
    assert cohen_kappa(t, nothing) == 0.0
    assert balanced_auroc(t, nothing) == 0.5


@pytest.mark.parametrize("encode", [
    lambda m: m, lambda m: m.astype(np.uint8), lambda m: m.astype(np.uint8) * 255,
    lambda m: m.astype(np.float32), lambda m: m[..., None], lambda m: m.tolist(),
    lambda m: m.astype(np.int16) * 255, lambda m: m.astype(np.uint16),
])
def test_input_encodings_agree(encode):
    t, _, p = _random_pair(1, shape=(3, 6, 7))
    want = M.confusion(t, p)
    got = M.confusion(encode(t), encode(p))
    assert got == want


def test_layouts_2d_stack_nhwc():
    t, s, p = _random_pair(2, shape=(4, 8, 8))
    assert M.dice(t, s) == M.dice(t[..., None], s[..., None]) == M.dice(t, p)
    per = M.confusion(t, s, per_image=True)
    assert per.tp.shape == (4,)
    assert per.tp.sum() == M.confusion(t, s).tp
    for i in range(4):
        assert per.dice()[i] == M.dice(t[i], s[i])
        assert per.cohen_kappa()[i] == cohen_kappa(t[i], s[i])
    assert M.confusion(t[0], s[0], per_image=True).tp.shape == (1,)


def test_threshold_rule_and_hard_predictions():
    t = [[1, 1, 0, 0]]
    s = [[0.5, 0.49, 0.51, 0.0]]
    assert M.confusion(t, s).tp == 1  # 0.5 >= 0.5 counts as foreground
    assert M.confusion(t, s, threshold=0.0) == M.Confusion(2, 2, 0, 0)
    assert M.confusion(t, s, threshold=1.0) == M.Confusion(0, 0, 2, 2)
    hard = np.array([[1, 0, 1, 0]], np.uint8)
    assert M.dice(t, hard, threshold=0.9) == M.dice(t, hard)  # threshold ignored for masks


def test_soft_and_thresholded_dice_are_distinct():
    t = np.array([[1, 1, 0, 0]])
    p = np.array([[0.9, 0.8, 0.2, 0.1]])
    assert M.dice(t, p) == 1.0
    assert M.soft_dice(t, p) == pytest.approx(2 * 1.7 / (2 + 2.0))
    assert M.soft_dice(t, t) == 1.0
    assert M.soft_dice(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0
    assert math.isnan(M.soft_dice(np.zeros((2, 2)), np.zeros((2, 2)), zero_division=np.nan))


# ----------------------------------------------------------------------------- 0/0 conventions
def test_empty_and_full_masks_have_defined_scores():
    z, o = np.zeros((4, 4), np.uint8), np.ones((4, 4), np.uint8)
    for f in (M.dice, jaccard, precision, recall, cohen_kappa):
        assert f(z, z) == 1.0
        assert f(o, o) == 1.0
    assert fpr(z, z) == fnr(z, z) == fpr(o, o) == fnr(o, o) == 0.0
    assert M.dice(z, o) == 0.0 and M.dice(o, z) == 0.0
    assert precision(o, z) == 1.0 and recall(o, z) == 0.0  # nothing predicted
    assert cohen_kappa(z, o) == 0.0  # Pc = 0, Pa = 0
    assert accuracy(z, z) == 1.0
    assert math.isnan(M.dice(z, z, zero_division=np.nan))
    assert jaccard(z, z, zero_division=0.0) == 0.0
    per = M.confusion(np.stack([z, o]), np.stack([z, z]), per_image=True)
    assert per.dice().tolist() == [1.0, 0.0]
    assert per.cohen_kappa().tolist() == [1.0, 0.0]  # slice 2: Pa = 0, Pc = 0
    assert cohen_kappa(o, z) == 0.0


def test_auroc_needs_both_classes():
    z = np.zeros((3, 3), np.uint8)
    with pytest.raises(ValueError, match=r"`y_true` holds only class 0 \(background\)"):
        M.roc_auc(z, np.random.default_rng(0).random((3, 3)))
    with pytest.raises(ValueError, match=r"`y_true` holds only class 1 \(foreground\)"):
        _roc_curve(1 - z, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="AUROC needs both classes"):
        balanced_auroc(z, z)
    assert math.isnan(M.pixel_report(z, z)["balanced_auroc"])


def test_constant_scores_give_half():
    t = np.array([[0, 1, 1, 0, 1]])
    assert M.roc_auc(t, np.full(t.shape, 0.3)) == 0.5
    f, tp, th = _roc_curve(t, np.full(t.shape, 0.3))
    assert f.tolist() == [0.0, 1.0] and tp.tolist() == [0.0, 1.0]


# ============================================================================ vs scikit-learn
@pytest.mark.parametrize("seed", SEEDS)
def test_against_sklearn(seed):
    t, s, p = _random_pair(seed)
    tf, pf, sf = t.ravel(), p.ravel(), s.ravel()
    c = M.confusion(t, s)
    assert c.matrix().tolist() == sk.confusion_matrix(tf, pf, labels=[0, 1]).tolist()
    assert cohen_kappa(t, s) == pytest.approx(sk.cohen_kappa_score(tf, pf), abs=1e-12)
    assert jaccard(t, s) == pytest.approx(sk.jaccard_score(tf, pf, zero_division=1.0),
                                            abs=1e-15)
    assert M.dice(t, s) == pytest.approx(sk.f1_score(tf, pf, zero_division=1.0), abs=1e-15)
    assert precision(t, s) == pytest.approx(sk.precision_score(tf, pf, zero_division=1.0),
                                              abs=1e-15)
    assert recall(t, s) == pytest.approx(sk.recall_score(tf, pf), abs=1e-15)
    assert balanced_auroc(t, s) == pytest.approx(sk.balanced_accuracy_score(tf, pf),
                                                   abs=1e-15)
    assert M.roc_auc(t, s) == pytest.approx(sk.roc_auc_score(tf, sf), abs=1e-12)
    assert balanced_auroc(t, p) == pytest.approx(sk.roc_auc_score(tf, pf), abs=1e-12)
    for drop in (True, False):
        ours = _roc_curve(t, s, drop_intermediate=drop)
        theirs = sk.roc_curve(tf, sf, drop_intermediate=drop)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_is_trapezoid_of_curve_and_exact_on_integers(seed):
    t, s, _ = _random_pair(seed, shape=(40, 50))
    f, tp, _ = _roc_curve(t, s)
    trapezoid = getattr(np, "trapezoid", None) or np.trapz  # NumPy 1.26 has only trapz
    assert M.roc_auc(t, s) == pytest.approx(trapezoid(tp, f), abs=1e-12)
    u8 = (s * 255).astype(np.uint8)  # integer scores are fine for a rank statistic
    assert M.roc_auc(t, u8) == pytest.approx(sk.roc_auc_score(t.ravel(), u8.ravel()), abs=1e-12)


def test_threshold_sweep_matches_single_thresholds():
    t, s, _ = _random_pair(4, shape=(3, 10, 10))
    th, c = M.threshold_sweep(t, s)
    assert th.size == 101 and c.tp.shape == (101,)
    for i in (0, 17, 50, 73, 100):
        assert c.dice()[i] == M.dice(t, s, threshold=float(th[i]))
        assert M.Confusion(int(c.tp[i]), int(c.fp[i]), int(c.fn[i]), int(c.tn[i])) \
            == M.confusion(t, s, threshold=float(th[i]))


def test_pixel_report_keys():
    t, s, p = _random_pair(5)
    r = M.pixel_report(t, s)
    assert set(r) == {"accuracy", "dice", "jaccard", "precision", "recall", "fpr", "fnr",
                      "kappa", "balanced_auroc", "roc_auc"}
    assert "roc_auc" not in M.pixel_report(t, p)
    assert r["dice"] == M.dice(t, s)


# ----------------------------------------------------------------------------- readings
@pytest.mark.parametrize("k, lk, fl", [
    (-0.3, "poor", "poor"), (0.0, "slight", "poor"), (0.2, "slight", "poor"),
    (0.21, "fair", "poor"), (0.4, "fair", "fair to good"), (0.41, "moderate", "fair to good"),
    (0.6, "moderate", "fair to good"), (0.61, "substantial", "fair to good"),
    (0.75, "substantial", "fair to good"), (0.8, "substantial", "excellent"),
    (0.81, "almost perfect", "excellent"), (1.0, "almost perfect", "excellent"),
])
def test_interpret_kappa(k, lk, fl):
    assert M.interpret_kappa(k) == lk
    assert M.interpret_kappa(k, scale="fleiss") == fl
    nb = M.interpret_kappa(k, scale="nyawira-bushman")  # their Table 3's words
    assert nb == ("no agreement" if k < 0 else f"{lk} agreement")


@pytest.mark.parametrize("a, word", [
    (0.3, "worse than chance"), (0.5, "no discrimination"), (0.55, "poor"), (0.69, "poor"),
    (0.7, "acceptable"), (0.79, "acceptable"), (0.8, "excellent"), (0.9, "outstanding"),
    (1.0, "outstanding"),
])
def test_interpret_auroc(a, word):
    assert M.interpret_auroc(a) == word


@pytest.mark.parametrize("a, word", [  # Nyawira & Bushman, Table 2
    (0.3, "worse than chance"), (0.5, "no agreement (F)"), (0.595, "no agreement (F)"),
    (0.6, "poor agreement (D)"), (0.69, "poor agreement (D)"), (0.7, "fair agreement (C)"),
    (0.835366, "good agreement (B)"), (0.9, "excellent agreement (A)"),
    (1.0, "excellent agreement (A)"),
])
def test_interpret_auroc_academic_scale(a, word):
    assert M.interpret_auroc(a, scale="academic") == word


def test_confusion_matrix_layouts():
    c = M.confusion([[1, 1, 1, 0, 0, 0, 0]], [[1, 1, 0, 1, 0, 0, 0]])  # TP 2 FN 1 FP 1 TN 3
    assert c.matrix().tolist() == [[3, 1], [1, 2]]  # scikit-learn: [[TN, FP], [FN, TP]]
    assert c.matrix(layout="tp-first").tolist() == [[2, 1], [1, 3]]  # the paper's
    with pytest.raises(ValueError, match="`layout` must be 'sklearn' or 'tp-first'"):
        c.matrix(layout="paper")


# ============================================================================ pixel properties
masks = arrays(bool, st.tuples(st.integers(1, 5), st.integers(1, 6)))


@PROPS
@given(masks, st.data())
def test_pixel_properties(t, data):
    p = data.draw(arrays(bool, t.shape))
    c = M.confusion(t, p)
    assert c.total == t.size
    for v in (c.accuracy(), c.dice(), c.jaccard(), c.precision(), c.recall(), c.fpr(), c.fnr()):
        assert 0.0 <= v <= 1.0
    assert -1.0 <= c.cohen_kappa() <= 1.0
    assert c.jaccard() <= c.dice()
    assert c.dice() == pytest.approx(2 * c.jaccard() / (1 + c.jaccard()))
    # symmetric scores
    assert M.dice(t, p) == M.dice(p, t)
    assert jaccard(t, p) == jaccard(p, t)
    assert accuracy(t, p) == accuracy(p, t)
    assert cohen_kappa(t, p) == pytest.approx(cohen_kappa(p, t), abs=1e-15)
    assert precision(t, p) == recall(p, t)
    # perfect prediction
    for f in (M.dice, jaccard, accuracy, precision, recall, cohen_kappa):
        assert f(t, t) == 1.0
    if t.any() and not t.all():
        assert balanced_auroc(t, t) == 1.0 == M.roc_auc(t, t.astype(float))
        assert M.roc_auc(t, 1.0 - t) == 0.0


@PROPS
@given(masks, st.data())
def test_roc_auc_properties(t, data):
    if t.all() or not t.any():
        return
    s = data.draw(arrays(np.float64, t.shape, elements=st.floats(0, 1)))
    a = M.roc_auc(t, s)
    assert 0.0 <= a <= 1.0
    assert M.roc_auc(t, -s) == pytest.approx(1.0 - a, abs=1e-12)  # reversed ranking
    assert M.roc_auc(t, s * 2.0) == a  # invariant under (exact) increasing maps


# ============================================================================ objects: by hand
def _row(*values):
    return np.array([values], dtype=np.int32)


def test_seg_hand_examples():
    t = _row(1, 1, 1, 1, 0, 2, 2, 0, 3, 3)
    assert M.seg_score(t, t) == 1.0
    assert M.seg_score(t, t * 7) == 1.0  # numbering does not matter
    # object 1 shrunk to 3 of 4 (J 3/4), object 2 shifted (1 of 2: not > half, so 0),
    # object 3 perfect, plus an extra prediction that SEG ignores
    p = _row(1, 1, 1, 0, 0, 0, 2, 2, 3, 3)
    assert M.seg_score(t, p) == pytest.approx((3 / 4 + 0 + 1) / 3, abs=1e-15)
    assert M.seg_score(t, p, area_weighted=True) == pytest.approx((4 * 3 / 4 + 2 * 1) / 8)
    assert M.seg_score(t, np.zeros_like(t)) == 0.0


def test_seg_tie_at_half_is_not_a_match():
    t = _row(1, 1)
    p = _row(1, 2)
    assert M.seg_score(t, p) == 0.0  # |R n S| = 0.5 |R| is not > 0.5 |R|
    m = M.match_objects(t, p)  # IoU 0.5 each: one of them is matched
    assert (m.tp, m.fp, m.fn) == (1, 1, 0)
    assert m.matched_iou.tolist() == [0.5]


def test_split_object():
    t = _row(1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
    p = _row(1, 1, 1, 1, 1, 1, 2, 2, 2, 2)
    assert M.seg_score(t, p) == 0.6
    m = M.match_objects(t, p)
    assert (m.tp, m.fp, m.fn) == (1, 1, 0) and m.matched_iou.tolist() == [0.6]
    r = M.object_report(t, p)
    assert (r.splits, r.merges, r.found, r.extra) == (1, 0, 1, 1)


def test_touching_objects_merged_into_one():
    t = _row(1, 1, 1, 1, 1, 2, 2, 2, 2, 2)  # two touching objects
    p = _row(3, 3, 3, 3, 3, 3, 3, 3, 3, 3)  # predicted as one
    assert M.seg_score(t, p) == 0.5  # each is more than half inside: J = 5 / 10
    assert M.seg_score(t, t) == 1.0
    m = M.match_objects(t, p)  # IoU exactly 0.5 with both: one match only
    assert (m.tp, m.fp, m.fn) == (1, 0, 1)
    assert M.match_objects(t, p, iou_threshold=0.55).tp == 0
    r = M.object_report(t, p)
    assert (r.merges, r.splits, r.found, r.missed) == (1, 0, 1, 1)
    assert "1 of 2 objects found" in str(r)


def test_optimal_assignment_below_half():
    # A = 0..9, B = 10..19; Y = 0..3 (IoU 0.4 with A); X = 4..14 (0.4 with A, 0.3125 with B)
    t = np.array([[1] * 10 + [2] * 10])
    p = np.array([[7] * 4 + [9] * 11 + [0] * 5])
    m = M.match_objects(t, p, iou_threshold=0.3)
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)  # greedy on IoU would find only one
    assert sorted(m.matched_iou.tolist()) == [0.3125, 0.4]
    assert sorted(map(tuple, np.c_[m.true_ids[:, 1], m.pred_ids[:, 1]].tolist())) \
        == [(1, 7), (2, 9)]
    assert M.match_objects(t, p, iou_threshold=0.5).tp == 0


def test_matching_scores_and_ids_in_a_stack():
    t = np.stack([_row(1, 1, 0, 2, 2), _row(1, 1, 1, 0, 0)])
    p = np.stack([_row(4, 4, 0, 0, 0), _row(2, 2, 2, 0, 3)])
    m = M.match_objects(t, p)
    assert (m.n_true, m.n_pred, m.tp, m.fp, m.fn) == (3, 3, 2, 1, 1)
    assert m.true_ids.tolist() == [[0, 1], [1, 1]]
    assert m.pred_ids.tolist() == [[0, 4], [1, 2]]
    assert (m.precision, m.recall, m.f1, m.accuracy) == (2 / 3, 2 / 3, 2 / 3, 0.5)
    assert m.mean_matched_iou == 1.0
    # each slice's label 1 is its own object: pooled mean over the three objects
    assert M.seg_score(t, p) == pytest.approx(2 / 3)
    assert M.seg_score(t[..., None], p[..., None]) == M.seg_score(t, p)


def test_average_precision_definition():
    t = _row(1, 1, 1, 1, 0, 2, 2, 0, 3)
    p = _row(1, 1, 1, 0, 0, 2, 2, 0, 0)  # IoU 0.75, 1; object 3 missed
    r = M.average_precision(t, p, definition="stardist")
    assert r.thresholds.tolist() == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    assert r.ap50 == r.ap75 == 2 / 3
    assert r.per_threshold.tolist() == [2 / 3] * 6 + [1 / 4] * 4
    assert r.ap == pytest.approx((6 * 2 / 3 + 4 / 4) / 10)
    d = r.as_dict()
    assert d["AP50"] == r.ap50 and d["AP@0.80"] == 0.25
    assert M.average_precision(t, p, thresholds=[0.8], definition="stardist").ap == 0.25


def test_mean_iou_and_empty_object_conventions():
    t = _row(1, 1, 0, 2, 2)
    p = _row(1, 1, 1, 2, 0)
    assert M.mean_iou(t, p, over="reference") == (2 / 3 + 1 / 2) / 2
    z = np.zeros((3, 3), np.int32)
    m = M.match_objects(z, z)
    assert (m.precision, m.recall, m.f1, m.accuracy) == (1.0, 1.0, 1.0, 1.0)
    assert math.isnan(m.mean_matched_iou)
    assert M.average_precision(z, z, definition="stardist").ap == 1.0
    assert M.average_precision(z, t[:, :3].repeat(3, 0), definition="stardist").ap == 0.0
    with pytest.raises(ValueError, match="`true_labels` contains no object: SEG"):
        M.seg_score(z, z)
    with pytest.raises(ValueError, match="`true_labels` contains no object"):
        M.mean_iou(z, z, over="reference")
    r = M.object_report(z, z)
    assert math.isnan(r.seg) and "0 of 0 objects found" in str(r)


# ============================================================================ objects vs loops
@pytest.mark.parametrize("seed", range(15))
def test_object_metrics_against_loops(seed):
    rng = np.random.default_rng(seed)
    t = _random_labels(rng)
    p = _perturbed(rng, t)
    assert M.seg_score(t, p) == pytest.approx(_naive_seg(t, p), abs=1e-15)
    for thr in (0.3, 0.5, 0.7):
        m = M.match_objects(t, p, iou_threshold=thr)
        assert m.tp == _naive_tp(t, p, thr)
        assert m.tp + m.fn == len(np.unique(t[t > 0]))
        assert m.tp + m.fp == len(np.unique(p[p > 0]))
        assert np.all(m.matched_iou >= thr)
        for (_, a), (_, b), iou in zip(m.true_ids, m.pred_ids, m.matched_iou):
            assert iou == pytest.approx(_naive_iou(t, p, a, b), abs=1e-15)
    assert M.mean_iou(t, p, over="reference") >= M.seg_score(t, p)


def test_sparse_label_numbers_and_large_stacks():
    rng = np.random.default_rng(3)
    t = _random_labels(rng)
    p = _perturbed(rng, t)
    big = np.where(t > 0, t.astype(np.int64) * 10**12, 0)  # forces the sorting path
    assert M.seg_score(big, p) == M.seg_score(t, p)
    assert M.seg_score(t.astype(np.uint16), p.astype(np.uint64)) == M.seg_score(t, p)
    # many objects in a stack: the sparse contingency path; pooled over slices
    ts = np.stack([_random_labels(np.random.default_rng(i), (12, 12), 30) for i in range(70)])
    ps = np.stack([_perturbed(np.random.default_rng(i), x, 30) for i, x in enumerate(ts)])
    n = [len(np.unique(x[x > 0])) for x in ts]
    per = [_naive_seg(a, b) for a, b in zip(ts, ps)]
    assert M.seg_score(ts, ps) == pytest.approx(np.dot(n, per) / sum(n), abs=1e-12)
    ap = M.average_precision(ts, ps, definition="stardist")
    m = [M.match_objects(a, b) for a, b in zip(ts, ps)]
    tp = sum(x.tp for x in m)
    assert ap.ap50 == tp / (tp + sum(x.fp for x in m) + sum(x.fn for x in m))


# ----------------------------------------------------------------------------- properties
labels = arrays(np.int32, (4, 6), elements=st.integers(0, 4))


@PROPS
@given(labels, labels)
def test_object_properties(t, p):
    if t.any():
        s = M.seg_score(t, p)
        assert 0.0 <= s <= 1.0
        assert s <= M.mean_iou(t, p, over="reference") <= 1.0
        assert M.seg_score(t, t) == 1.0 == M.mean_iou(t, t, over="reference")
        assert s == pytest.approx(_naive_seg(t, p), abs=1e-15)
    m = M.match_objects(t, p)
    assert 0.0 <= m.f1 <= 1.0 and 0.0 <= m.accuracy <= m.f1
    r = M.average_precision(t, p, definition="stardist")
    assert 0.0 <= r.ap <= r.ap50 <= 1.0
    assert np.all(np.diff(r.per_threshold) <= 0)  # stricter thresholds never match more
    assert M.average_precision(t, t, definition="stardist").ap == 1.0
    mt = M.match_objects(p, t)  # swapping roles swaps FP and FN
    assert (mt.tp, mt.fp, mt.fn) == (m.tp, m.fn, m.fp)


# ============================================================================ bad input
@pytest.mark.parametrize("call, exc, msg", [
    (lambda: M.dice(np.zeros((3, 4)), np.zeros((4, 4))), ValueError,
     r"`y_pred` \(shape \(4, 4\)\) must have the same shape as `y_true` \(shape \(3, 4\)\)"),
    (lambda: M.dice([[0, 1, 2]], [[0, 1, 1]]), ValueError,
     r"`y_true` must be a binary mask with values in \{0, 1\} or \{0, 255\}, got 3"),
    (lambda: M.dice([[0, 1, 1]], np.array([[0, 1, 7]])), ValueError,
     r"`y_pred` must be a binary mask"),
    (lambda: M.dice(np.array([[-1, 0, 1]], np.int16), [[0, 1, 1]]), ValueError,
     r"`y_true` must be a binary mask .* got 3 distinct values: -1, 0, 1"),
    (lambda: M.dice(np.array([[0, 1, 255]], np.uint8), [[0, 1, 1]]), ValueError,
     r"`y_true` must be a binary mask .* got 3 distinct values: 0, 1, 255"),
    (lambda: M.dice([[0, 1, 1]], [[0.0, 1.5, 0.2]]), ValueError,
     r"`y_pred` must hold probabilities in \[0, 1\].*from 0 to 1.5"),
    (lambda: M.dice([[0, 1, 1]], [[0.0, np.nan, 0.2]]), ValueError,
     r"`y_pred` must be finite, got 1 NaN/inf"),
    (lambda: M.roc_auc([[0, 1, 1]], [[0.0, np.nan, 0.2]]), ValueError,
     r"`y_score` must be finite"),
    (lambda: M.roc_auc([[0, 1, 1]], [[0.0, 0.2]]), ValueError,
     r"`y_score` \(shape \(1, 2\)\) must have the same shape as `y_true`"),
    (lambda: M.dice(np.zeros(5), np.zeros(5)), ValueError, r"`y_true` must be 2-D or 3-D or 4-D"),
    (lambda: M.dice(np.zeros((2, 4, 4, 3)), np.zeros((2, 4, 4, 3))), ValueError,
     r"`y_true` must have one channel"),
    (lambda: M.dice(np.zeros((0, 4)), np.zeros((0, 4))), ValueError, r"`y_true` is empty"),
    (lambda: M.dice("mask", [[1]]), TypeError, r"`y_true` must be an array, got str"),
    (lambda: M.dice([[0, 1]], [["a", "b"]]), TypeError, r"`y_pred` must be numeric"),
    (lambda: M.dice([[0, 1]], [[0.2, 0.7]], threshold=1.5), ValueError,
     r"`threshold` must be a number in \[0, 1\], got 1.5"),
    (lambda: M.dice([[0, 1]], [[0, 1]], zero_division="one"), TypeError,
     r"`zero_division` must be a number"),
    (lambda: M.seg_score(np.zeros((3, 3)), np.zeros((3, 3), int)), TypeError,
     r"`true_labels` must be an integer label image.*float64"),
    (lambda: M.seg_score(np.ones((3, 3), int), np.ones((3, 3), bool)), TypeError,
     r"`pred_labels` must be an integer label image.*bool"),
    (lambda: M.seg_score(np.ones((3, 3), int), -np.ones((3, 3), int)), ValueError,
     r"`pred_labels` must have non-negative labels \(0 background\), got minimum -1"),
    (lambda: M.match_objects(np.ones((3, 3), int), np.ones((3, 4), int)), ValueError,
     r"`pred_labels` \(shape \(1, 3, 4\)\) must have the same shape as `true_labels`"),
    (lambda: M.match_objects(np.ones((3, 3), int), np.ones((3, 3), int), iou_threshold=0),
     ValueError, r"`iou_threshold` must be a number in \(0, 1\], got 0"),
    (lambda: M.average_precision(np.ones((3, 3), int), np.ones((3, 3), int),
                                 thresholds=[0.5, 1.2], definition="stardist"), ValueError, r"`iou_threshold`"),
    (lambda: M.interpret_kappa(1.2), ValueError, r"`k` must be a number in \[-1, 1\]"),
    (lambda: M.interpret_kappa(float("nan")), ValueError, r"`k` must be a number"),
    (lambda: M.interpret_kappa(0.5, scale="cohen"), ValueError,
     r"`scale` must be one of 'landis-koch', 'nyawira-bushman', 'fleiss', got 'cohen'"),
    (lambda: M.interpret_auroc(-0.1), ValueError, r"`a` must be a number in \[0, 1\]"),
    (lambda: M.threshold_sweep([[0, 1]], [[0.1, 0.2]], thresholds=[[0.5]]), ValueError,
     r"`thresholds` must be a non-empty 1-D sequence"),
])
def test_bad_input(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_stack_with_an_empty_slice_keeps_slice_and_label_ids():
    t = np.zeros((3, 4, 5), np.int32)
    p = t.copy()
    t[0, :2, :2], t[2, 1:3, 1:4], t[2, 3, :] = 3, 1, 7  # slice 1 has no reference object
    p[0, :2, :1], p[2, 1:3, 1:4], p[1, 0, 0] = 1, 9, 4
    # (0, 3): half covered, so SEG 0 but IoU 0.5 matches; (2, 1) perfect; (2, 7) missed
    assert M.seg_score(t, p) == 1 / 3
    m = M.match_objects(t, p)
    assert (m.tp, m.fp, m.fn) == (2, 1, 1)
    assert m.true_ids.tolist() == [[0, 3], [2, 1]]
    assert m.pred_ids.tolist() == [[0, 1], [2, 9]]


# ============================================================================ BPartIS definitions
# Worked examples of docs/notes/issue13-definitions.md (section 1.6), computed by hand from
# by256/bpartis bpartis/utils/eval.py (commit 9754e10) and checked against a line-by-line
# NumPy transcription of that file.
GT = np.array([[1, 1, 1, 0, 2, 2, 0, 0, 0]])


@pytest.mark.parametrize("pred, ap, ap50, ap75, miou", [
    ([[1, 1, 0, 0, 2, 2, 0, 3, 3]], 1 / 3, 2 / 3, 1 / 3, 5 / 9),  # A: a false detection
    ([[1, 1, 0, 0, 2, 2, 0, 0, 0]], 1 / 2, 1, 1 / 2, 5 / 6),  # B: A without it
    ([[1, 1, 1, 0, 2, 2, 0, 0, 0]], 1, 1, 1, 1),  # C: perfect
    ([[1, 1, 1, 0, 2, 2, 0, 3, 3]], 0, 2 / 3, 2 / 3, 2 / 3),  # D: recall constant: area 0
    ([[1, 1, 1, 1, 1, 1, 0, 0, 0]], 1, 0, 0, 0),  # E: one merged blob
])
def test_bpartis_average_precision_and_mean_iou(pred, ap, ap50, ap75, miou):
    r = M.average_precision(GT, np.array(pred), definition="bpartis")
    assert (r.ap, r.ap50, r.ap75) == pytest.approx((ap, ap50, ap75), abs=1e-9)
    assert M.mean_iou(GT, np.array(pred), over="predicted") == pytest.approx(miou, abs=1e-7)
    assert r.definition == "bpartis" and r.thresholds.size == 20


def test_bpartis_matches_only_above_the_threshold():
    gt, pred = np.array([[1, 1, 1, 1, 0, 0]]), np.array([[1, 1, 1, 0, 0, 0]])  # IoU 0.75
    r = M.average_precision(gt, pred, definition="bpartis")
    assert r.ap75 == 0 and r.ap50 == pytest.approx(1.0, abs=1e-9)
    s = M.average_precision(gt, pred, definition="stardist")  # IoU >= t there
    assert s.ap75 == 1.0


def test_bpartis_averages_images_and_stardist_pools_objects():
    pred = np.array([[1, 1, 0, 0, 2, 2, 0, 3, 3]])
    stack_t, stack_p = np.stack([GT, GT]), np.stack([pred, GT])  # two (1, 9) images
    r = M.average_precision(stack_t, stack_p, definition="bpartis")
    assert r.per_image.tolist() == pytest.approx([1 / 3, 1.0], abs=1e-9)
    assert r.ap == pytest.approx((1 / 3 + 1) / 2, abs=1e-9)
    # the mean IoU over predictions rises when a false detection is removed
    without = np.array([[1, 1, 0, 0, 2, 2, 0, 0, 0]])
    assert M.mean_iou(GT, without, over="predicted") > M.mean_iou(GT, pred, over="predicted")
    assert M.mean_iou(GT, without, over="reference") == M.mean_iou(GT, pred, over="reference")


def test_definitions_differ_and_must_be_named():
    pred = np.array([[1, 1, 0, 0, 2, 2, 0, 3, 3]])
    s = M.average_precision(GT, pred, definition="stardist")
    assert (s.ap, s.ap50, s.ap75) == pytest.approx((5 / 12, 2 / 3, 1 / 4))
    with pytest.raises(TypeError, match="definition"):
        M.average_precision(GT, pred)
    with pytest.raises(ValueError, match="`definition` must be 'stardist' or 'bpartis'"):
        M.average_precision(GT, pred, definition="coco")
    with pytest.raises(ValueError, match="`thresholds` are fixed by the BPartIS code"):
        M.average_precision(GT, pred, definition="bpartis", thresholds=[0.5])
    with pytest.raises(TypeError, match="over"):
        M.mean_iou(GT, pred)


def test_scores_from_one_contingency_table():
    pred = np.array([[1, 1, 0, 0, 2, 2, 0, 3, 3]])
    table = M.contingency_table(GT, pred)
    assert (table.n_true, table.n_pred) == (2, 3)
    assert M.seg_score(table=table) == M.seg_score(GT, pred)
    assert M.average_precision(table=table, definition="bpartis").as_dict() == \
        M.average_precision(GT, pred, definition="bpartis").as_dict()
    assert M.object_report(table=table) == M.object_report(GT, pred)
    with pytest.raises(ValueError, match="either `true_labels` and `pred_labels` or `table`"):
        M.seg_score(GT, pred, table=table)
    with pytest.raises(TypeError, match="`table` must be a ContingencyTable"):
        M.seg_score(table={"iou": 1})


# ============================================================================ independent checks
# (notebook 07, issue 13) Each definition against an implementation written apart from segkit's:
# BPartIS's eval.py transcribed line by line, StarDist's AP from brute-force matchings.
def _bpartis_eval_py(pred, gt, eps=1e-12):
    """``metrics(pred, gt)`` of by256/bpartis ``bpartis/utils/eval.py`` (commit 9754e10) on one
    pair of 2-D label maps, transcribed line by line from torch to NumPy (float32 IoU, as the
    torch tensors are). Returns (mean_iou, ap, ap_50, ap_75)."""
    pred = np.stack([(pred == i) for i in np.unique(pred) if i != 0])
    gt = np.stack([(gt == i) for i in np.unique(gt) if i != 0])

    def compute_iou(pred_mask, gt_mask):
        intersection = np.float32(np.sum(np.bitwise_and(pred_mask, gt_mask)))
        union = np.float32(np.sum(np.bitwise_or(pred_mask, gt_mask)))
        return intersection / union

    def compute_tp_fp_fn(pred, gt, t=0.5):
        ious, tp, fp, fn = [], 0, 0, 0
        match_table = []
        for gt_idx, gt_mask in enumerate(gt):
            for pred_idx, pred_mask in enumerate(pred):
                iou = compute_iou(gt_mask, pred_mask).item()
                match = 1 if iou > t else 0
                match_table.append([gt_idx, pred_idx, match, iou])
        match_table = np.array(match_table)
        for gt_idx in range(len(gt)):
            current_idx_mt = match_table[match_table[:, 0] == gt_idx]
            n_matches = np.sum(current_idx_mt[:, 2], dtype=int)
            if n_matches > 0:
                tp += 1
            else:
                fn += 1
            n_iou_gt_thresh = np.sum((current_idx_mt[:, 3] > t).astype(int))
            if n_iou_gt_thresh > 1:
                fp += n_matches - 1
        for pred_idx in range(len(pred)):
            current_idx_mt = match_table[match_table[:, 1] == pred_idx]
            n_matches = np.sum(current_idx_mt[:, 2], dtype=int)
            if n_matches > 0:
                ious.append(np.max(current_idx_mt[:, 3]))
            if n_matches == 0:
                fp += 1
                ious.append(0.0)
        mean_iou = np.mean(ious) if len(ious) > 0 else 0.0
        return mean_iou, tp, fp, fn

    def make_monotonic(x):
        for i in range(len(x) - 2, -1, -1):
            x[i] = max(x[i], x[i + 1])
        return x

    ap, ar, ious = [], [], []
    for t in np.linspace(0.0, 0.95, 20):
        t = np.round(t, decimals=3)
        mean_iou, tp, fp, fn = compute_tp_fp_fn(pred, gt, t=t)
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        ap.append(precision)
        ar.append(recall)
        if t == 0.5:
            ap_50 = precision
            ious.append(mean_iou)
        elif t == 0.75:
            ap_75 = precision
    ap = make_monotonic(np.array(ap)[::-1])
    ar = np.array(ar)[::-1]
    if np.all(np.array(ar, dtype=np.float16) == 1.0) and \
            np.all(np.array(ap, dtype=np.float16) == 1.0):
        ap = 1.0
    elif np.all(np.array(ar, dtype=np.float16) == np.mean(ar)) and \
            np.all(np.array(ap, dtype=np.float16) == np.mean(ap)):
        ap = np.mean(ap)
    else:
        ap = np.sum((ar[1:] - ar[:-1]) * (ap[1:] + ap[:-1]) / 2)
    return np.mean(ious), ap, ap_50, ap_75


def _random_pairs(seed, n_images):
    """Label images with touching objects and plausible predictions (merges, drops, a false
    object), every image with objects on both sides (eval.py cannot score an empty one)."""
    rng = np.random.default_rng(seed)
    ts, ps = [], []
    while len(ts) < n_images:
        t = _random_labels(rng, (20, 20), int(rng.integers(2, 9)))
        p = _perturbed(rng, t, 9)
        if t.any() and p.any():
            ts.append(t)
            ps.append(p)
    return np.stack(ts), np.stack(ps)


@pytest.mark.parametrize("seed", range(12))
def test_bpartis_against_a_transcription_of_eval_py(seed):
    ts, ps = _random_pairs(seed, 3)
    ref = np.array([_bpartis_eval_py(p, t) for t, p in zip(ts, ps)])  # per image
    for i in range(len(ts)):  # one image at a time: the code's own unit
        r = M.average_precision(ts[i], ps[i], definition="bpartis")
        assert (r.ap, r.ap50, r.ap75) == pytest.approx(tuple(ref[i, 1:]), abs=1e-9)
        assert M.mean_iou(ts[i], ps[i], over="predicted") == pytest.approx(ref[i, 0], abs=1e-7)
    # a stack: every value per image, then the mean over the images (the repository's loops)
    r = M.average_precision(ts, ps, definition="bpartis")
    assert r.per_image == pytest.approx(ref[:, 1], abs=1e-9)
    assert (r.ap, r.ap50, r.ap75) == pytest.approx(tuple(ref[:, 1:].mean(axis=0)), abs=1e-9)
    assert M.mean_iou(ts, ps, over="predicted") == pytest.approx(ref[:, 0].mean(), abs=1e-7)


@pytest.mark.parametrize("seed", range(8))
def test_stardist_average_precision_against_brute_force(seed):
    ts, ps = _random_pairs(100 + seed, 2)
    per_t = []
    for thr in np.round(np.arange(0.5, 0.96, 0.05), 2):  # objects pooled over the images
        tp = sum(_naive_tp(t, p, thr) for t, p in zip(ts, ps))
        n_t = sum(len(np.unique(t[t > 0])) for t in ts)
        n_p = sum(len(np.unique(p[p > 0])) for p in ps)
        per_t.append(tp / (n_t + n_p - tp))  # TP / (TP + FP + FN)
    r = M.average_precision(ts, ps, definition="stardist")
    assert r.per_threshold == pytest.approx(per_t, abs=1e-15)
    assert (r.ap, r.ap50, r.ap75) == pytest.approx((np.mean(per_t), per_t[0], per_t[5]),
                                                   abs=1e-12)


def test_mean_iou_over_reference_against_loops():
    ts, ps = _random_pairs(7, 2)
    best = [max([_naive_iou(t, p, a, b) for b in np.unique(p[(t == a) & (p > 0)])] or [0.0])
            for t, p in zip(ts, ps) for a in np.unique(t[t > 0])]
    assert M.mean_iou(ts, ps, over="reference") == pytest.approx(np.mean(best), abs=1e-12)


def test_confusion_of_fractions_as_nyawira_and_bushman_compute_it():
    # Their Eqs. 3-6 with N = 1, worked by hand: TP .03, FN .01, FP .02, TN .94
    c = M.Confusion(tp=0.03, fn=0.01, fp=0.02, tn=0.94)
    fa, fc = 0.03 + 0.94, (0.94 + 0.01) * (0.94 + 0.02) + (0.02 + 0.03) * (0.01 + 0.03)
    assert c.cohen_kappa() == pytest.approx((fa - fc) / (1 - fc), abs=1e-12)
    assert c.balanced_auroc() == pytest.approx(1 - (0.02 / 0.96 + 0.01 / 0.04) / 2, abs=1e-12)
    assert c.matrix(layout="tp-first").dtype == np.float64
    assert c.matrix(layout="tp-first").tolist() == [[0.03, 0.01], [0.02, 0.94]]
    # the same rates at another foreground fraction: the balanced AUROC does not move, kappa does
    p = np.array([0.04, 0.4])
    d = M.Confusion(tp=0.75 * p, fn=0.25 * p, fp=0.02 / 0.96 * (1 - p),
                    tn=0.94 / 0.96 * (1 - p))
    assert d.balanced_auroc() == pytest.approx([c.balanced_auroc()] * 2, abs=1e-12)
    assert d.cohen_kappa()[0] == pytest.approx(c.cohen_kappa(), abs=1e-12)
    assert d.cohen_kappa()[1] > d.cohen_kappa()[0]
    # integer counts still divide exactly (as Python ints)
    big = M.Confusion(tp=10**17 + 1, fp=0, fn=10**17, tn=1)
    assert big.recall() == (10**17 + 1) / (2 * 10**17 + 1)

# ============================================================================ instance_scores
# (notebook 08: every object score in one row, for stacks and for lists of varying sizes)
_T = np.array([[1, 1, 1, 0, 2, 2, 0, 0, 0]])
_P = np.array([[1, 1, 0, 0, 2, 2, 0, 3, 3]])  # example A of docs/notes/issue13-definitions.md


def test_instance_scores_agree_with_the_single_scores():
    for definition, over in (("bpartis", "predicted"), ("stardist", "reference")):
        s = M.instance_scores(_T, _P, definition=definition)
        ap = M.average_precision(_T, _P, definition=definition)
        rep = M.object_report(_T, _P)
        assert (s["ap"], s["ap50"], s["ap75"]) == pytest.approx((ap.ap, ap.ap50, ap.ap75))
        assert s["mean_iou"] == pytest.approx(M.mean_iou(_T, _P, over=over))
        assert (s["precision"], s["recall"], s["f1"], s["seg"]) == pytest.approx(
            (rep.precision, rep.recall, rep.f1, rep.seg))
        assert (s["merges"], s["splits"], s["n_true"], s["n_pred"]) == (0, 0, 2, 3)
    # example A by hand (BPartIS form): AP 1/3, AP50 2/3, AP75 1/3, mean IoU 5/9
    s = M.instance_scores(_T, _P, definition="bpartis")
    assert [s[k] for k in ("ap", "ap50", "ap75", "mean_iou")] == pytest.approx(
        [1 / 3, 2 / 3, 1 / 3, 5 / 9], abs=1e-7)  # the IoU is float32, as in BPartIS's code


@pytest.mark.parametrize("definition", ["bpartis", "stardist"])
def test_instance_scores_of_a_list_equal_those_of_the_stack(definition):
    rng = np.random.default_rng(3)
    t = rng.integers(0, 4, (3, 6, 7))
    p = np.where(rng.random(t.shape) < 0.8, t, rng.integers(0, 5, t.shape))
    stack = M.instance_scores(t, p, definition=definition)
    listed = M.instance_scores(list(t), list(p), definition=definition)
    assert listed == pytest.approx(stack, nan_ok=True)


def test_instance_scores_lists_of_different_sizes():
    t2, p2 = _T[:, :6], _P[:, :6]  # example B: no false detection
    s = M.instance_scores([_T, t2], [_P, p2], definition="bpartis")
    assert s["ap"] == pytest.approx((1 / 3 + 1 / 2) / 2)  # per image, then the mean
    assert (s["n_true"], s["n_pred"]) == (4, 5) and s["precision"] == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match=r"`pred_labels\[1\]` \(shape \(1, 5\)\) must have the "
                                         r"same shape as `true_labels\[1\]`"):
        M.instance_scores([_T, t2], [_P, p2[:, :5]], definition="bpartis")
    with pytest.raises(ValueError, match=r"`pred_labels` has 1 images and `true_labels` 2"):
        M.instance_scores([_T, t2], [_P], definition="bpartis")
    with pytest.raises(TypeError, match=r"both be arrays, both be lists"):
        M.instance_scores([_T], _P, definition="bpartis")
    # a stack pairs with a list of its slices
    stack = M.instance_scores(np.stack([_T, _T]), [_P, _P], definition="stardist")
    assert stack == M.instance_scores(np.stack([_T, _T]), np.stack([_P, _P]),
                                      definition="stardist")
    with pytest.raises(ValueError, match=r"`definition`"):
        M.instance_scores(_T, _P, definition="coco")
    with pytest.raises(ValueError, match=r"`true_labels\[0\]` must be one 2-D label image"):
        M.instance_scores([np.stack([_T, _T])], [np.stack([_P, _P])], definition="bpartis")
