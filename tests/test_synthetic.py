"""Tests of segkit.synthetic: stand-in predictions with controlled mistakes."""

import numpy as np
import pytest

from segkit import metrics as M
from segkit import synthetic as S


def precision(t, p):
    return M.confusion(t, p).precision()


def recall(t, p):
    return M.confusion(t, p).recall()


def test_degrade_mask():
    m = np.zeros((2, 12, 12), bool)
    m[:, 2:6, 2:6] = True
    m[:, 8:11, 8:11] = True
    assert np.array_equal(S.degrade_mask(m), m)
    assert S.degrade_mask(m, erode=1).sum() < m.sum() < S.degrade_mask(m, dilate=1).sum()
    assert not S.degrade_mask(m, miss_rate=1.0).any()
    a = S.degrade_mask(m, noise=0.1, miss_rate=0.5, rng=7)
    assert np.array_equal(a, S.degrade_mask(m, noise=0.1, miss_rate=0.5, rng=7))
    assert S.degrade_mask(m[..., None], erode=1).shape == m.shape
    # scores respond in the expected direction
    assert recall(m, S.degrade_mask(m, erode=1)) < 1.0 == precision(m, S.degrade_mask(m, erode=1))
    assert precision(m, S.degrade_mask(m, dilate=1)) < 1.0 == recall(m, S.degrade_mask(m, dilate=1))


def test_degrade_labels():
    lab = np.zeros((16, 16), np.int32)
    lab[1:6, 1:6], lab[1:6, 6:11], lab[10:14, 10:14] = 1, 2, 3  # 1 and 2 touch
    assert np.array_equal(S.degrade_labels(lab), lab)
    er = S.degrade_labels(lab, erode=1)
    assert set(np.unique(er)) == {0, 1, 2, 3} and not np.any((er[:, 5] > 0) & (er[:, 6] > 0))
    assert S.degrade_labels(lab, dilate=2).astype(bool).sum() > lab.astype(bool).sum()
    gone = S.degrade_labels(lab, miss_rate=1.0)
    assert not gone.any()
    noisy = S.degrade_labels(np.stack([lab, lab]), noise=0.05, rng=1)
    assert noisy.shape == (2, 16, 16) and noisy.max() > 3  # new false objects
    assert M.match_objects(lab, noisy[0]).fp > 0


def test_synthetic_scores():
    m = np.zeros((3, 20, 20), np.uint8)
    m[:, 5:15, 5:15] = 1
    s = S.synthetic_scores(m, rng=0)
    assert s.dtype == np.float32 and s.shape == m.shape and 0 <= s.min() and s.max() <= 1
    assert 0.9 < M.roc_auc(m, s) <= 1.0
    assert np.array_equal(S.synthetic_scores(m, blur=0, noise=0), m.astype(np.float32))
    with pytest.raises(ValueError, match=r"`blur` must be >= 0, got -1"):
        S.synthetic_scores(m, blur=-1)


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: S.degrade_mask(np.ones((3, 3)), erode=-1), ValueError, r"`erode` must be >= 0"),
    (lambda: S.degrade_mask(np.ones((3, 3)), noise=2), ValueError,
     r"`noise` must be a fraction in \[0, 1\], got 2"),
    (lambda: S.degrade_mask(np.full((3, 3), 0.5)), ValueError, r"`mask` must be a binary mask"),
    (lambda: S.degrade_labels(np.full((3, 3), 0.5)), TypeError,
     r"`labels` must be an integer label image"),
])
def test_bad_input(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_miss_rate_removes_8_connected_objects_whole():
    m = np.zeros((6, 6), bool)
    m[1, 1] = m[2, 2] = True  # diagonal neighbours: one object under the package's rule
    kept = [S.degrade_mask(m, miss_rate=0.5, rng=seed).sum() for seed in range(20)]
    assert set(kept) == {0, 2}  # the object goes or stays whole, never half
