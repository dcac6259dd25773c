"""Tests of segkit.uncertainty: MC-dropout statistics, sampling, per-object filtering."""

import numpy as np
import pandas as pd
import pytest

from segkit import uncertainty as unc


def test_binary_entropy_bounds():
    p = np.linspace(0, 1, 101)
    h = unc._binary_entropy(p)
    assert h.min() >= 0 and h.max() == pytest.approx(np.log(2))
    assert np.allclose(h, h[::-1])  # symmetric about 0.5


def test_statistics_identical_samples_have_zero_mutual_info():
    s = np.repeat(np.random.default_rng(0).random((1, 8, 8)), 5, axis=0)
    st = unc._mc_statistics(s)
    assert np.allclose(st["mean"], s[0])
    assert np.allclose(st["entropy"], st["expected_entropy"], atol=1e-6)
    assert st["mutual_info"].min() >= 0 and st["mutual_info"].max() < 1e-6


def test_statistics_random_samples_nonnegative_mi():
    s = np.random.default_rng(1).random((20, 16, 16))
    st = unc._mc_statistics(s)
    assert st["mutual_info"].min() >= 0
    assert np.allclose(st["mutual_info"], st["entropy"] - st["expected_entropy"], atol=1e-6)
    assert st["entropy"].max() <= np.log(2) + 1e-6
    # disagreeing confident samples: all uncertainty is epistemic
    st = unc._mc_statistics(np.array([[0.0], [1.0]]))
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
    from segkit.models import distance_unet

    model = distance_unet((None, None, 1), depth=2, base_filters=4, dropout=0.3,
                          mc_dropout=True)
    st = unc.mc_predict(model, np.zeros((32, 32), np.float32), samples=3)
    assert st["mean"].shape == st["dist_mean"].shape == (32, 32)
    with pytest.raises(ValueError, match=r"`output` must name one of the model's outputs"):
        unc.mc_predict(model, np.zeros((32, 32), np.float32), samples=2, output="nope")


def test_mc_predict_on_a_model_with_ordinary_dropout():
    """A learner's own model: keras.layers.Dropout is kept on, batch normalisation is not."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 1))
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Dropout(0.5)(h)
    own = keras.Model(inputs, keras.layers.Conv2D(1, 1, activation="sigmoid")(h), name="own")
    bn = own.layers[2]
    bn.moving_mean.assign(np.full(8, 0.3, np.float32))  # "learnt" statistics
    before = [w.copy() for w in own.get_weights()]
    x = np.random.default_rng(0).random((2, 16, 16)).astype(np.float32)
    st = unc.mc_predict(own, x, samples=5, progress=False)
    assert st["std"].max() > 0 and st["mutual_info"].max() > 0  # the samples differ
    for a, b in zip(before, own.get_weights()):  # nothing learnt or moved, BN included
        np.testing.assert_array_equal(a, b)
    # the deterministic model still predicts deterministically
    np.testing.assert_array_equal(own.predict(x[..., None], verbose=0),
                                  own.predict(x[..., None], verbose=0))
    assert unc._mc_model(own) is unc._mc_model(own)  # the copy is made once
    # with (almost) no dropout the samples are the model's prediction: batch normalisation ran
    # in inference mode (with its learnt statistics, not the batch's)
    h = keras.layers.BatchNormalization()(keras.layers.Conv2D(4, 3, padding="same")(inputs))
    tiny = keras.Model(inputs, keras.layers.Conv2D(1, 1, activation="sigmoid")(
        keras.layers.Dropout(1e-9)(h)))
    tiny.layers[2].moving_mean.assign(np.full(4, 0.7, np.float32))
    st = unc.mc_predict(tiny, x, samples=2, progress=False)
    np.testing.assert_allclose(st["mean"], tiny.predict(x[..., None], verbose=0)[..., 0],
                               rtol=1e-5)


def test_object_uncertainty_and_filter():
    lab = np.array([[1, 1, 0, 2, 2, 3]])
    u = np.array([[0.1, 0.3, 9.0, 0.5, 0.7, 0.05]])
    ids, m = unc._object_means(lab, u)
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
        unc._mc_statistics(np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"`samples` must be probabilities in \[0, 1\]"):
        unc._mc_statistics(np.array([[2.0], [0.0]]))
    plain = unet((None, None, 1), depth=2, base_filters=4, name="plain")
    with pytest.raises(ValueError, match=r"`model` \(plain\) has no dropout layer with rate"):
        unc.mc_predict(plain, x)
    with pytest.raises(TypeError, match=r"`labels` must be an integer label image.*float64"):
        unc.filter_uncertain(np.zeros((2, 2)), np.zeros((2, 2)), threshold=0.1)
    with pytest.raises(ValueError, match=r"`uncertainty` \(shape \(2, 3\)\) must have the same"):
        unc.filter_uncertain(np.zeros((2, 2), int), np.zeros((2, 3)), threshold=0.1)


def test_filter_sweep_extremes():
    t = np.array([[1, 1, 0, 2, 2, 2]])
    p = np.array([[1, 1, 0, 0, 0, 3]])
    u = np.array([[0.1, 0.1, 0.0, 0.0, 0.0, 0.9]])
    sweep = unc.filter_sweep(t, p, u, thresholds=[-1.0, 0.5, 2.0], definition="stardist")
    assert sweep["kept"].tolist() == [0.0, 0.5, 1.0]
    assert sweep["ap50"].tolist() == pytest.approx([0.0, 0.5, 1 / 3])


def _three_true_two_false():
    """Three true particles found exactly, two false detections; the false ones are unsure."""
    truth = np.zeros((12, 12), np.int32)
    truth[1:4, 1:4], truth[1:4, 6:9], truth[7:10, 1:4] = 1, 2, 3
    pred = truth.copy()
    pred[7:10, 6:8], pred[10:12, 9:12] = 4, 5  # nothing there in the reference
    u = np.zeros(pred.shape)
    for label, value in {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.6, 5: 0.8}.items():
        u[pred == label] = value
    return truth, pred, u


def test_filter_raises_precision_when_the_uncertain_objects_are_false():
    truth, pred, u = _three_true_two_false()
    sweep = unc.filter_sweep(truth, pred, u, thresholds=[0.1, 0.2, 0.3, 0.6, 0.8],
                             definition="stardist")
    assert sweep["n_pred"].tolist() == [1, 2, 3, 4, 5]
    assert sweep["kept"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    # the false detections go first: precision 3/5 unfiltered, 1 once they are removed
    assert sweep["precision"].tolist() == pytest.approx([1, 1, 1, 0.75, 0.6])
    assert sweep["recall"].tolist() == pytest.approx([1 / 3, 2 / 3, 1, 1, 1])
    # TP / (TP + FP + FN): rises while true objects come back, peaks, falls with the false
    assert sweep["ap"].tolist() == pytest.approx([1 / 3, 2 / 3, 1, 0.75, 0.6])
    assert sweep["ap50"].tolist() == pytest.approx(sweep["ap"].tolist())
    best = int(np.argmax(sweep["ap"]))
    assert 0 < best < len(sweep["ap"]) - 1 and sweep["threshold"][best] == pytest.approx(0.3)


def test_filter_cannot_help_when_the_uncertain_objects_are_true():
    truth, pred, u = _three_true_two_false()
    u = u.max() - u  # now the false detections are the surest
    sweep = unc.filter_sweep(truth, pred, u, thresholds=np.unique(u[pred > 0]),
                             definition="stardist")
    # removing objects only ever costs: AP never falls as more are kept, best unfiltered
    assert np.all(np.diff(sweep["ap"]) >= 0) and sweep["ap"].iloc[-1] > sweep["ap"].iloc[-2]
    assert sweep["precision"].iloc[0] == 0 and sweep["precision"].iloc[-1] == pytest.approx(0.6)


def test_a_stack_of_true_labels_pairs_with_lists_of_predictions():
    truth, pred, u = _three_true_two_false()
    stack = np.stack([truth, truth[::-1]])
    preds, us = [pred, pred[::-1]], [u, u[::-1]]
    kw = dict(thresholds=[0.2, 0.7, 1.0], definition="stardist")
    want = unc.filter_sweep(stack, np.stack(preds), np.stack(us), **kw)
    assert unc.filter_sweep(stack, preds, us, **kw).equals(want)
    by = unc.uncertainty_by_match(stack, preds, us)
    assert by["true"] == pytest.approx([0.1, 0.2, 0.3] * 2)
    assert sorted(by["false"]) == pytest.approx([0.6, 0.6, 0.8, 0.8])
    with pytest.raises(ValueError, match=r"`true_labels` must be a list or a stack of as many"):
        unc.filter_sweep(stack[:1], preds, us, **kw)


def test_filter_sweep_nothing_kept_and_nothing_predicted():
    truth, pred, u = _three_true_two_false()
    sweep = unc.filter_sweep(truth, pred, u, thresholds=[0.0], definition="stardist")
    assert sweep["n_pred"].tolist() == [0] and np.isnan(sweep["precision"][0])
    assert sweep["recall"].tolist() == [0.0] and sweep["ap"].tolist() == [0.0]
    empty = np.zeros_like(pred)
    sweep = unc.filter_sweep(truth, empty, u, thresholds=[0.0, 1.0], definition="stardist")
    assert sweep["kept"].tolist() == [0.0, 0.0] and np.isnan(sweep["precision"]).all()


def test_filter_sweep_iou_threshold():
    t = np.array([[1, 1, 1, 1, 0]])
    p = np.array([[1, 1, 0, 0, 0]])  # IoU 0.5
    u = np.zeros(t.shape)
    assert unc.filter_sweep(t, p, u, thresholds=[1.0],
                            definition="stardist")["precision"].tolist() == [1.0]
    strict = unc.filter_sweep(t, p, u, thresholds=[1.0], iou_threshold=0.6, definition="stardist")
    assert strict["precision"].tolist() == [0.0] and strict["recall"].tolist() == [0.0]


@pytest.mark.parametrize("call, exc, match", [
    (lambda t, p, u: unc.filter_sweep(t, p, u, thresholds=[], definition="stardist"), ValueError,
     r"`thresholds` must be a non-empty 1-D sequence"),
    (lambda t, p, u: unc.filter_sweep(t, p, u, thresholds=[[0.1, 0.2]],
                                      definition="stardist"), ValueError,
     r"`thresholds` must be a non-empty 1-D sequence, got .*shape \(1, 2\)"),
    (lambda t, p, u: unc.filter_sweep(t, p, u, thresholds=[np.nan],
                                      definition="stardist"), ValueError,
     r"`thresholds`"),
    (lambda t, p, u: unc.filter_sweep(t, p, u, thresholds=["a"],
                                      definition="stardist"), TypeError, r"`thresholds`"),
    (lambda t, p, u: unc.filter_sweep(t[:6], p, u, thresholds=[0.5],
                                      definition="stardist"), ValueError,
     r"`labels` \(shape \(12, 12\)\) must have the same shape as `true_labels` "
     r"\(shape \(6, 12\)\)"),
    (lambda t, p, u: unc.filter_sweep(t, p, u[:6], thresholds=[0.5],
                                      definition="stardist"), ValueError,
     r"`uncertainty` \(shape \(6, 12\)\) must have the same shape as `labels`"),
    (lambda t, p, u: unc.filter_sweep(t, p, u, thresholds=[0.5], iou_threshold=0,
                                      definition="stardist"),
     ValueError, r"`iou_threshold` must be a number in \(0, 1\]"),
    (lambda t, p, u: unc.filter_uncertain(p, u, threshold="0.5"), TypeError,
     r"`threshold` must be a number, got '0.5'"),
    (lambda t, p, u: unc.filter_uncertain(p, u, threshold=np.nan), ValueError,
     r"`threshold` must be a finite number, got nan"),
    (lambda t, p, u: unc.filter_sweep(t, p.astype(float), u, thresholds=[0.5],
                                      definition="bpartis"), TypeError,
     r"`labels` must be an integer label image"),
    (lambda t, p, u: unc.filter_sweep(t, p, u, thresholds=[0.5], definition="coco"),
     ValueError, r"`definition`"),
    (lambda t, p, u: unc.filter_sweep([t], [p], u, thresholds=[0.5], definition="bpartis"),
     ValueError, r"`labels` is a list of 1 images, so `uncertainty` must be a list"),
    (lambda t, p, u: unc.filter_sweep(t, [p], [u], thresholds=[0.5], definition="bpartis"),
     ValueError, r"`labels` is a list of 1 images, so `true_labels` must be a list"),
    (lambda t, p, u: unc.filter_uncertain([p, p], [u, u[:6]], threshold=0.5), ValueError,
     r"`uncertainty\[1\]` \(shape \(6, 12\)\) must have the same shape as `labels\[1\]`"),
])
def test_sweep_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call(*_three_true_two_false())


def test_uncertainty_by_match_separates_true_and_false_detections():
    truth, pred, u = _three_true_two_false()
    by = unc.uncertainty_by_match(truth, pred, u)
    assert by["true"].tolist() == pytest.approx([0.1, 0.2, 0.3])
    assert by["false"].tolist() == pytest.approx([0.6, 0.8])
    # a stack: the matching is per slice, labels repeat across slices
    by = unc.uncertainty_by_match(np.stack([truth, truth]), np.stack([pred, pred]),
                                  np.stack([u, u]))
    assert by["true"].size == 6 and by["false"].size == 4
    empty = unc.uncertainty_by_match(truth, np.zeros_like(pred), u)
    assert empty["true"].size == 0 and empty["false"].size == 0
    with pytest.raises(ValueError, match=r"`labels` \(shape \(12, 12\)\) must have the same"):
        unc.uncertainty_by_match(truth[:6], pred, u)


def test_filter_sweep_bpartis_form_reports_ap75_and_mean_iou_over_predictions():
    truth, pred, u = _three_true_two_false()
    sweep = unc.filter_sweep(truth, pred, u, thresholds=[0.25, 1.0], definition="bpartis")
    assert sweep.columns.tolist()[:5] == ["threshold", "ap", "ap50", "ap75", "mean_iou"]
    # the false detections count 0 in the mean IoU over predictions: removing them raises it
    assert sweep["mean_iou"].tolist() == pytest.approx([1.0, 0.6])
    with pytest.raises(ValueError, match="`definition` must be 'stardist' or 'bpartis'"):
        unc.filter_sweep(truth, pred, u, thresholds=[0.5], definition="coco")


# ----------------------------------------------------------------------------- lists, BPartIS
def test_lists_of_images_of_different_sizes_score_like_the_stack():
    truth, pred, u = _three_true_two_false()
    stack = unc.filter_sweep(np.stack([truth, truth[::-1]]), np.stack([pred, pred[::-1]]),
                             np.stack([u, u[::-1]]), thresholds=[0.25, 0.7, 1.0],
                             definition="bpartis")
    listed = unc.filter_sweep([truth, truth[::-1]], [pred, pred[::-1]], [u, u[::-1]],
                              thresholds=[0.25, 0.7, 1.0], definition="bpartis")
    pd.testing.assert_frame_equal(stack, listed)
    # a smaller second image: each list entry keeps its own shape
    small = (truth[:6, :6], pred[:6, :6], u[:6, :6])
    out = unc.filter_uncertain([pred, small[1]], [u, small[2]], threshold=0.25)
    assert [o.shape for o in out] == [(12, 12), (6, 6)]
    assert sorted(np.unique(out[0]).tolist()) == [0, 1, 2]
    by = unc.uncertainty_by_match([truth, small[0]], [pred, small[1]], [u, small[2]])
    assert by["true"].tolist() == pytest.approx([0.1, 0.2, 0.3, 0.1])


def test_filter_sweep_bpartis_mean_iou_rises_as_false_detections_go():
    truth, pred, u = _three_true_two_false()
    sweep = unc.filter_sweep(truth, pred, u, thresholds=[0.35, 1.0], definition="bpartis")
    # BPartIS's mean IoU is over the predicted objects, unmatched ones counting 0
    assert sweep["mean_iou"].tolist() == pytest.approx([1.0, 0.6])
    assert sweep.columns[-3:].tolist() == ["n_true", "n_pred", "kept"]


def test_thresholds_that_keep_the_same_objects_score_the_same():
    truth, pred, u = _three_true_two_false()
    grid = np.geomspace(1e-4, np.log(2), 100)  # the notebook's grid over [0, ln 2]
    sweep = unc.filter_sweep(truth, pred, u, thresholds=grid, definition="bpartis")
    assert len(sweep) == 100 and sweep["n_pred"].is_monotonic_increasing
    # the mean 0.8 of object 5 is above ln 2, the largest mutual information there can be
    assert set(sweep["n_pred"]) == {0, 1, 2, 3, 4} and sweep["threshold"].iloc[-1] < 0.8


def test_mc_predict_samples_a_model_built_without_mc_dropout():
    from segkit.models import distance_unet

    model = distance_unet((None, None, 1), depth=2, base_filters=4, encoder_dropout=(0.1, 0.5))
    x = np.random.default_rng(0).random((2, 16, 16)).astype(np.float32)
    one_pass = model.predict(x[..., None], verbose=0)["prob"][..., 0]
    assert np.allclose(one_pass, model.predict(x[..., None], verbose=0)["prob"][..., 0])
    st = unc.mc_predict(model, x, samples=6, progress=False)
    assert st["std"].max() > 0 and st["mutual_info"].max() > 0
    assert set(st) >= {"mean", "dist_mean", "mutual_info"} and st["mean"].shape == (2, 16, 16)
    # the model itself is unchanged: one ordinary pass is still deterministic
    assert np.allclose(one_pass, model.predict(x[..., None], verbose=0)["prob"][..., 0])


def test_mc_predict_maps_and_scale(mc_model):
    x = np.random.default_rng(1).random((2, 20, 24)).astype(np.float32)
    st = unc.mc_predict(mc_model, [x[0], x[1, :18]], samples=3, maps=("mean", "mutual_info"),
                        scale=0.5, progress=False)
    assert set(st) == {"mean", "mutual_info", "samples"}
    assert [m.shape for m in st["mean"]] == [(20, 24), (18, 24)]
    with pytest.raises(ValueError, match=r"`maps` \['dist'\] are not maps of this model"):
        unc.mc_predict(mc_model, x, samples=2, maps=("dist",), progress=False)
    with pytest.raises(TypeError, match=r"`maps` must be a sequence of map names"):
        unc.mc_predict(mc_model, x, samples=2, maps="mean", progress=False)


def test_mc_predict_normalises_each_raw_image_when_it_is_predicted():
    from segkit import io
    from segkit.models import distance_unet

    model = distance_unet((None, None, 1), depth=2, base_filters=2, encoder_dropout=(0.1, 0.5))
    raw = np.random.default_rng(2).integers(0, 256, (2, 20, 24)).astype(np.uint8)
    norm = io.Normalization.fit(raw)
    seen = []

    def spy(img):  # records what it is given: one raw image at a time
        seen.append((img.dtype, img.shape))
        return norm(img)

    st = unc.mc_predict(model, [raw[0], raw[1, :18]], samples=3, scale=0.5, progress=False,
                        normalization=spy, maps=("mean", "dist_mean"))
    assert seen == [(np.uint8, (20, 24)), (np.uint8, (18, 24))]
    assert [m.shape for m in st["mean"]] == [(20, 24), (18, 24)]
    assert all(0 <= m.min() and m.max() <= 1 for m in st["mean"])
    # an input that needs its normalisation: unnormalised uint8 (0..255) saturates the net
    # differently, so the maps differ from those of the normalised images
    st_raw = unc.mc_predict(model, raw, samples=3, progress=False, maps=("dist_mean",))
    st_norm = unc.mc_predict(model, raw, samples=3, progress=False, maps=("dist_mean",),
                             normalization=norm)
    assert not np.allclose(st_raw["dist_mean"], st_norm["dist_mean"], atol=1e-3)
    with pytest.raises(TypeError, match=r"`normalization` must be None or a function"):
        unc.mc_predict(model, raw, samples=2, normalization="percentile", progress=False)


def test_mc_predict_splits_the_mean_prediction_into_objects(mc_model):
    # split= gives BPartIS's "Bayesian" objects image by image, so that only the objects and
    # the uncertainty of many large images are kept: the same objects as splitting the
    # returned mean maps afterwards
    from segkit.instances import split_touching
    from segkit.models import distance_unet

    model = distance_unet((None, None, 1), depth=2, base_filters=4, encoder_dropout=(0.1, 0.5))
    rng = np.random.default_rng(3)
    images = [rng.random((24, 40), dtype=np.float32), rng.random((19, 16), dtype=np.float32)]
    split = {"h": 0.5, "keep_unmarked": True, "min_area": 2}
    for x in (images, np.stack([images[0], images[0]])):
        st = unc.mc_predict(model, x, samples=3, batch_size=2, progress=False, split=split,
                            maps=("mean", "dist_mean", "mutual_info"))
        assert sorted(st) == ["dist_mean", "labels", "mean", "mutual_info", "samples"]
        for lab, mean, dist in zip(st["labels"], st["mean"], st["dist_mean"]):
            assert lab.dtype == np.uint16
            np.testing.assert_array_equal(lab, split_touching(mean, dist, **split))
    only = unc.mc_predict(model, images, samples=2, progress=False, split=split,
                          maps=("mutual_info",))
    assert sorted(only) == ["labels", "mutual_info", "samples"]
    assert [lab.shape for lab in only["labels"]] == [(24, 40), (19, 16)]
    with pytest.raises(TypeError, match=r"`split` must be a dict of segkit.instances"
                                        r".split_touching's arguments.*got list"):
        unc.mc_predict(model, images, samples=2, progress=False, split=[0.5])
    with pytest.raises(ValueError, match=r"`split` needs a model with a distance output"):
        unc.mc_predict(mc_model, images, samples=2, progress=False, split={})
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'hh'"):
        unc.mc_predict(model, images, samples=2, progress=False, split={"hh": 1})
    big = np.arange(70_000, dtype=np.int32)
    assert unc._narrow(big).dtype == np.int32 and unc._narrow(big[:5]).dtype == np.uint16


def test_mc_predict_float16_maps_are_the_float32_maps_rounded():
    # dtype="float16" halves the maps kept for many large images; they are computed in
    # float32 (and the objects from those), then rounded once
    import keras

    from segkit.models import distance_unet

    def model():  # the same weights and the same dropout draws every time
        keras.backend.clear_session()
        keras.utils.set_random_seed(7)
        return distance_unet((None, None, 1), depth=2, base_filters=4,
                             encoder_dropout=(0.1, 0.5))

    rng = np.random.default_rng(4)
    images = [rng.random((24, 40), dtype=np.float32), rng.random((19, 16), dtype=np.float32)]
    kw = dict(samples=3, batch_size=2, progress=False, split={"h": 0.5, "min_area": 2},
              maps=("mean", "mutual_info"))
    st32 = unc.mc_predict(model(), images, **kw)
    again = unc.mc_predict(model(), images, **kw)  # reproducible, so comparable
    np.testing.assert_array_equal(st32["mean"][0], again["mean"][0])
    st16 = unc.mc_predict(model(), images, dtype="float16", **kw)
    for key in ("mean", "mutual_info"):
        for a, b in zip(st32[key], st16[key]):
            assert a.dtype == np.float32 and b.dtype == np.float16
            np.testing.assert_array_equal(b, a.astype(np.float16))
    for a, b in zip(st32["labels"], st16["labels"]):
        np.testing.assert_array_equal(a, b)
    assert st32["mutual_info"][0].max() > 0  # the samples differ: something was rounded
    with pytest.raises(ValueError, match=r"`dtype` must be 'float32' or 'float16', got "
                                         r"'float64'"):
        unc.mc_predict(model(), images, dtype="float64", **kw)
