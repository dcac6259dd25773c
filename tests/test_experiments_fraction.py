"""Tests of segkit.experiments.fraction_study (notebook 09, Bellybutton's data fractions).

Kept apart from tests/test_experiments.py so that the branches adding studies do not edit one
file; the same conventions apply."""

import keras
import numpy as np
import pytest

from segkit import metrics, patches
from segkit.experiments import fraction_study


@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()


def _bellybutton_segmented_accuracy(mask, prediction, bg_val=0):
    """Bellybutton's SEG, transcribed from ``bellybuttonseg/saved_model_functions.py``
    (``segmented_accuracy``, commit 5c46b4a): the Jaccard index of each true region with the
    predicted region of highest overlap when that overlap is more than half of the region."""
    mask = mask.flatten()
    prediction = prediction.flatten()
    pred_regs, areas_pred_regions = np.unique(prediction, return_counts=True)
    true_regs = list(set(mask))
    true_regs.remove(bg_val)
    seg = np.zeros(len(true_regs))
    areas = np.zeros(len(true_regs), dtype=int)
    for k, reg in enumerate(true_regs):
        local = prediction[mask == reg]
        r = len(local)
        areas[k] = r
        regs, counts = np.unique(local, return_counts=True)
        best = np.argmax(counts)
        if regs[best] != bg_val and counts[best] > r * 0.5:
            inter = counts[best]
            p = areas_pred_regions[np.searchsorted(pred_regs, regs[best])]
            seg[k] = inter / (p + r - inter)
    return seg, areas


def _scene():
    lab = np.zeros((32, 32), np.int32)
    lab[3:11, 3:11], lab[3:11, 11:19] = 5, 9  # two touching squares, gaps in the numbering
    lab[20:29, 4:13], lab[18:27, 19:29] = 12, 40
    return lab


@pytest.mark.parametrize("seed", range(5))
def test_seg_on_a_test_area_is_bellybuttons(seed):
    """What fraction_study computes (seg_score of both label images restricted to the test
    area) is what Bellybutton's code reports, plain and area-weighted."""
    rng = np.random.default_rng(seed)
    truth = _scene()
    pred = np.roll(truth, rng.integers(-3, 4, 2), axis=(0, 1))
    pred[rng.random(pred.shape) < 0.1] = 0
    pred[pred == 9] = 5 if seed % 2 else 9  # sometimes two true objects merged
    test = np.zeros(truth.shape, bool)
    test[:, 10:] = True  # cuts objects at the border, as a held-out half does
    t, p = np.where(test, truth, 0), np.where(test, pred, 0)
    seg, areas = _bellybutton_segmented_accuracy(truth * test, pred * test)
    assert metrics.seg_score(t, p) == pytest.approx(seg.mean(), abs=1e-12)
    assert metrics.seg_score(t, p, area_weighted=True) == pytest.approx(
        np.mean(seg * areas) / np.mean(areas), abs=1e-12)


def test_fraction_study_rows_columns_and_what_they_count():
    lab = _scene()
    img = (lab > 0).astype(np.float32) + 0.1
    aoi = np.zeros(lab.shape, bool)
    aoi[:, :16] = True
    model = patches.patch_classifier(n_scales=2, size=9, filters=2, cap=3)
    before = [w.copy() for w in model.get_weights()]
    table = fraction_study(model, img, lab, fractions=[0.05, 0.1], ef=[0.1, 0.3], repeats=2,
                           aoi=aoi, scales=(1, 3), batch_size=16, seed=3, progress=False,
                           split={"min_area": 4})
    assert table.columns.tolist() == ["fraction", "epochs", "ef", "seed", "pixels", "seg",
                                      "seg_area_weighted", "ap", "objects", "seconds"]
    assert len(table) == 2 * 2 * 2
    assert table["epochs"].tolist() == [2, 2, 6, 6, 1, 1, 3, 3]  # ceil(ef / fraction)
    assert (table["ef"] >= [0.1, 0.1, 0.3, 0.3, 0.1, 0.1, 0.3, 0.3]).all()
    assert table["seed"].tolist() == [3, 4] * 4
    assert table["pixels"].tolist() == [26, 26, 26, 26, 51, 51, 51, 51]  # of 512 aoi pixels
    for col in ("seg", "seg_area_weighted", "ap"):
        assert table[col].between(0, 1).all()
    # the template is cloned, never trained
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_fraction_study_scores_only_the_test_area(monkeypatch):
    """A classifier that is always right (monkeypatched prediction) scores SEG 1 on the test
    area, whatever lies outside it; the held-out objects cut by the border count."""
    import segkit.patches as p

    lab = _scene()
    test = np.zeros(lab.shape, bool)
    test[16:, :] = True

    def perfect(model, image, *, scales, aoi):
        from segkit.instances import distance_targets

        assert aoi is not None and np.array_equal(aoi, test)  # only the test area predicted
        return np.where(aoi, lab > 0, 0).astype(np.float32), np.where(
            aoi, distance_targets(lab, cap=3), 0)

    monkeypatch.setattr(p, "predict_patch_classifier", perfect)
    model = patches.patch_classifier(n_scales=1, size=9, filters=2, cap=3)
    table = fraction_study(model, lab.astype(np.float32), lab, fractions=[0.1], epochs=1,
                           aoi=~test, test=test, scales=(1,), progress=False,
                           split={"sigma": 0})
    assert table["seg"].tolist() == [1.0] and table["objects"].tolist() == [2]


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(fractions=[0.1]), TypeError, r"give either `epochs` \(per run\) or `ef`.*neither"),
    (dict(fractions=[0.1], epochs=1, ef=1), TypeError, r"give either `epochs`.*not both"),
    (dict(fractions=[0], epochs=1), ValueError, r"`fractions` must be a number in \(0, 1\]"),
    (dict(fractions=[0.1], epochs=0), ValueError, r"`epochs` must be >= 1, got 0"),
    (dict(fractions=[0.1], ef=[-1]), ValueError, r"`ef` must be > 0, got -1"),
    (dict(fractions=[0.1], epochs=1, repeats=0), ValueError, r"`repeats` must be >= 1"),
    (dict(fractions=[0.1], epochs=1, aoi=np.ones((4, 4), bool)), ValueError,
     r"`aoi` \(shape \(4, 4\)\) must have the same shape as `labels` \(shape \(32, 32\)\)"),
    (dict(fractions=[0.1], epochs=1, aoi=np.ones((32, 32), bool)), ValueError,
     r"`test` holds no pixel: nothing to score"),
    (dict(fractions=[0.1], epochs=1, test=np.pad(np.ones((2, 2), bool), ((0, 30), (30, 0)))),
     ValueError, r"no labelled object lies in the `test` area"),
])
def test_fraction_study_bad_input(kwargs, exc, match):
    lab = _scene()
    model = patches.patch_classifier(n_scales=1, size=9, filters=2, cap=3)
    with pytest.raises(exc, match=match):
        fraction_study(model, lab.astype(np.float32), lab, scales=(1,), progress=False,
                       **kwargs)


def test_fraction_study_needs_a_patch_model():
    lab = _scene()
    with pytest.raises(TypeError, match=r"`model` must be a keras.Model from "
                                        r"segkit.patches.patch_classifier, got"):
        fraction_study("bellybutton", lab.astype(np.float32), lab, fractions=[0.1], epochs=1)
