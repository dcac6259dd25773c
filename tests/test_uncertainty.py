"""Tests of segkit.uncertainty: MC-dropout statistics, sampling, per-object filtering."""

import numpy as np
import pytest

from segkit import uncertainty as unc


def test_binary_entropy_bounds():
    p = np.linspace(0, 1, 101)
    h = unc.binary_entropy(p)
    assert h.min() >= 0 and h.max() == pytest.approx(np.log(2))
    assert np.allclose(h, h[::-1])  # symmetric about 0.5


def test_statistics_identical_samples_have_zero_mutual_info():
    s = np.repeat(np.random.default_rng(0).random((1, 8, 8)), 5, axis=0)
    st = unc.mc_statistics(s)
    assert np.allclose(st["mean"], s[0])
    assert np.allclose(st["entropy"], st["expected_entropy"], atol=1e-6)
    assert st["mutual_info"].min() >= 0 and st["mutual_info"].max() < 1e-6


def test_statistics_random_samples_nonnegative_mi():
    s = np.random.default_rng(1).random((20, 16, 16))
    st = unc.mc_statistics(s)
    assert st["mutual_info"].min() >= 0
    assert np.allclose(st["mutual_info"], st["entropy"] - st["expected_entropy"], atol=1e-6)
    assert st["entropy"].max() <= np.log(2) + 1e-6
    # disagreeing confident samples: all uncertainty is epistemic
    st = unc.mc_statistics(np.array([[0.0], [1.0]]))
    assert st["mutual_info"][0] == pytest.approx(np.log(2), abs=1e-4)
    assert st["expected_entropy"][0] == pytest.approx(0, abs=1e-4)


@pytest.fixture(scope="module")
def mc_model():
    from segkit.models import unet

    return unet((None, None, 1), depth=2, base_filters=4, dropout=0.5, mc_dropout=True)


def test_mc_predict_shapes_and_properties(mc_model):
    x = np.random.default_rng(0).random((2, 32, 32)).astype(np.float32)
    st = unc.mc_predict(mc_model, x, samples=4)
    assert st["samples"] == 4
    for k in ("mean", "entropy", "expected_entropy", "mutual_info", "std"):
        assert st[k].shape == (2, 32, 32)
    assert st["mutual_info"].min() >= 0 and st["mutual_info"].max() > 0
    assert unc.mc_predict(mc_model, x[0], samples=2)["mean"].shape == (32, 32)


def test_mc_predict_on_distance_unet():
    from segkit.instances import distance_unet

    model = distance_unet((None, None, 1), depth=2, base_filters=4, dropout=0.3,
                          mc_dropout=True)
    st = unc.mc_predict(model, np.zeros((32, 32), np.float32), samples=3)
    assert st["mean"].shape == st["dist_mean"].shape == (32, 32)
    with pytest.raises(ValueError, match=r"`output` must name one of the model's outputs"):
        unc.mc_predict(model, np.zeros((32, 32), np.float32), samples=2, output="nope")


def test_object_uncertainty_and_filter():
    lab = np.array([[1, 1, 0, 2, 2, 3]])
    u = np.array([[0.1, 0.3, 9.0, 0.5, 0.7, 0.05]])
    ids, m = unc.object_uncertainty(lab, u)
    assert ids.tolist() == [1, 2, 3] and m.tolist() == pytest.approx([0.2, 0.6, 0.05])
    assert unc.filter_uncertain(lab, u, threshold=0.5).tolist() == [[1, 1, 0, 0, 0, 3]]
    assert unc.filter_uncertain(lab, u, threshold=1.0).tolist() == lab.tolist()
    stack = np.stack([lab, lab])
    us = np.stack([u, np.zeros_like(u)])
    assert unc.filter_uncertain(stack, us, threshold=0.5).tolist() == [
        [[1, 1, 0, 0, 0, 3]], lab.tolist()]


def test_bad_input(mc_model):
    from segkit.models import unet

    x = np.zeros((32, 32), np.float32)
    with pytest.raises(ValueError, match=r"`samples` must be >= 2, got 1"):
        unc.mc_predict(mc_model, x, samples=1)
    with pytest.raises(ValueError, match=r"`samples` must hold T >= 2 .* shape \(1, 4\)"):
        unc.mc_statistics(np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"`samples` must be probabilities in \[0, 1\]"):
        unc.mc_statistics(np.array([[2.0], [0.0]]))
    plain = unet((None, None, 1), depth=2, base_filters=4, name="plain")
    with pytest.raises(ValueError, match=r"`model` \(plain\) has no dropout that stays on"):
        unc.mc_predict(plain, x)
    off = unet((None, None, 1), depth=2, base_filters=4, dropout=0.5, name="off")
    with pytest.raises(ValueError, match=r"`model` \(off\) has no dropout"):
        unc.mc_predict(off, x)
    with pytest.raises(TypeError, match=r"`labels` must be an integer label image.*float64"):
        unc.filter_uncertain(np.zeros((2, 2)), np.zeros((2, 2)), threshold=0.1)
    with pytest.raises(ValueError, match=r"`uncertainty` \(shape \(2, 3\)\) must have the same"):
        unc.object_uncertainty(np.zeros((2, 2), int), np.zeros((2, 3)))


def test_filter_sweep_extremes():
    t = np.array([[1, 1, 0, 2, 2, 2]])
    p = np.array([[1, 1, 0, 0, 0, 3]])
    u = np.array([[0.1, 0.1, 0.0, 0.0, 0.0, 0.9]])
    sweep = unc.filter_sweep(t, p, u, thresholds=[-1.0, 0.5, 2.0])
    assert sweep["kept"].tolist() == [0.0, 0.5, 1.0]
    assert sweep["ap50"].tolist() == pytest.approx([0.0, 0.5, 1 / 3])
