"""Tests of segkit.experiments: studies and comparisons, each one DataFrame."""

import keras
import numpy as np
import pytest

from segkit.experiments import (compare_labels, compare_transforms, one_at_a_time,
                                run_experiment)
from segkit.io import Normalization
from segkit.models import unet


@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()


def data(n=8, seed=0):
    x = np.random.default_rng(seed).random((n, 16, 16, 1)).astype("float32")
    return x, (x > 0.5).astype("float32")


def test_one_at_a_time():
    seen = []

    def evaluate(lr, depth):
        seen.append((lr, depth))
        return {"score": lr * depth}

    rows = one_at_a_time(evaluate, {"lr": 1, "depth": 2}, {"lr": [1, 10], "depth": [3]},
                         progress=False)
    assert seen == [(1, 2), (10, 2), (1, 3)]  # the baseline value is not run twice
    assert rows.iloc[1].to_dict() == {"parameter": "lr", "value": 10, "score": 20}
    with pytest.raises(ValueError, match="missing from `baseline`"):
        one_at_a_time(evaluate, {"lr": 1}, {"epochs": [1]})


def test_run_experiment_with_one_at_a_time():
    x, y = data(6)
    raw = (x * 255).astype(np.uint8)
    split = {"train": (raw[:4], y[:4]), "val": (raw[4:5], y[4:5]), "test": (raw[5:], y[5:])}
    rows = one_at_a_time(
        lambda **p: run_experiment(split, epochs=1, depth=1, base_filters=2, **p)[0],
        {"architecture": "unet"}, {"architecture": ["segnet"]}, progress=False)
    assert rows["value"].tolist() == [None, "segnet"]
    for row in rows.to_dict("records"):
        assert 0 <= row["val_dice"] <= 1 and 0 <= row["test_dice"] <= 1 and row["epochs"] == 1
        assert 0 <= row["train_dice"] <= 1 and 0 < row["seconds_per_epoch"] <= row["seconds"]
    with pytest.raises(ValueError, match="missing"):
        run_experiment({"train": split["train"]})


def test_one_at_a_time_with_data_trains_one_model_per_row():
    x, y = data(6)
    raw = (x * 255).astype(np.uint8)
    split = {"train": (raw[:4], y[:4]), "val": (raw[4:], y[4:])}
    rows = one_at_a_time(split, dict(epochs=2, depth=1, base_filters=2, batch_norm=True),
                         {"batch_norm": [False], "epochs": [1]}, progress=False)
    assert rows["parameter"].tolist() == ["baseline", "batch_norm", "epochs"]
    assert rows["epochs"].tolist() == [2, 2, 1]
    assert {"train_dice", "val_dice", "seconds_per_epoch"} <= set(rows.columns)
    with pytest.raises(TypeError, match="`evaluate` must be a function of the knobs or a dict"):
        one_at_a_time([split], {"epochs": 1}, {})


def test_run_experiment_passes_network_knobs_to_the_builder():
    x, y = data(6)
    raw = (x * 255).astype(np.uint8)
    split = {"train": (raw[:4], y[:4]), "val": (raw[4:], y[4:])}
    _, plain = run_experiment(split, epochs=1, depth=1, base_filters=2, batch_norm=False,
                              kernel_size=5)
    layers = plain.model.layers
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in layers)
    assert plain.model.get_layer("enc0_conv1").kernel_size == (5, 5)


def test_run_experiment_without_test_set_returns_its_normalization():
    x, y = data(6)
    raw = (x * 255).astype(np.uint8)
    scores, history = run_experiment({"train": (raw[:4], y[:4]), "val": (raw[4:], y[4:])},
                                     epochs=1, depth=1, base_filters=2)
    assert "test_dice" not in scores and 0 <= scores["val_dice"] <= 1
    assert isinstance(history.normalization, Normalization)
    assert history.normalization.to_dict() == Normalization.named("percentile",
                                                                 raw[:4]).to_dict()


def bright_blobs(n, seed):
    """Raw uint8 images whose foreground is exactly the bright pixels (a learnable task)."""
    x = np.random.default_rng(seed).random((n, 16, 16, 1))
    return (x * 255).astype(np.uint8), (x > 0.5).astype(np.float32)


def test_compare_labels_scores_every_network_on_every_label_set_against_true_masks():
    x, y = bright_blobs(16, seed=0)
    test_x, test_y = bright_blobs(2, seed=1)
    sets = {"true": {"train": (x[:12], y[:12]), "val": (x[12:], y[12:])},
            "inverted": {"train": (x[:12], 1 - y[:12]), "val": (x[12:], 1 - y[12:])}}
    rows = compare_labels(sets, (test_x[..., 0], test_y[..., 0].astype(np.uint8)),
                          architectures=("unet",), tile=16, overlap=0, progress=False,
                          depth=1, base_filters=4, epochs=12, learning_rate=1e-2, loss="bce",
                          batch_size=4)
    assert [(r["network"], r["labels"]) for r in rows.to_dict("records")] == [
        ("unet", "true"), ("unet", "inverted")]
    true, inverted = rows.to_dict("records")
    assert {"tiles", "kappa", "balanced_auroc", "fnr", "fpr", "dice", "val_dice", "epochs",
            "seconds"} <= set(true)
    assert true["tiles"] == 12
    # scored against the *true* test masks: labels that are wrong make a worse network
    assert true["kappa"] > 0.3 and inverted["kappa"] < 0
    assert true["balanced_auroc"] > 0.65 > 0.5 > inverted["balanced_auroc"]
    assert inverted["fnr"] > true["fnr"] and inverted["fpr"] > true["fpr"]
    # validated on their own labels, both learned what they were shown
    assert true["val_dice"] > 0.6 and inverted["val_dice"] > 0.6


def test_compare_labels_rejects_malformed_input():
    x, y = bright_blobs(4, seed=0)
    good = {"true": {"train": (x, y), "val": (x, y)}}
    with pytest.raises(TypeError, match="`label_sets` must be a non-empty dict"):
        compare_labels({}, (x, y))
    with pytest.raises(ValueError, match=r"`label_sets\['weak'\]` must be a dict"):
        compare_labels({"weak": (x, y)}, (x, y))
    with pytest.raises(TypeError, match="`test` must be an \\(images, masks\\) pair"):
        compare_labels(good, x)
    with pytest.raises(ValueError, match="`test masks` must be a binary mask"):
        compare_labels(good, (x, x))
    with pytest.raises(ValueError, match="`architectures` must name"):
        compare_labels(good, (x, y), architectures=("resnet",))
    with pytest.raises(ValueError, match=r"`label_sets\['true'\]` has unknown key\(s\) "
                                         r"\['steps'\]"):
        compare_labels({"true": {**good["true"], "steps": 3}}, (x, y))
    with pytest.raises(TypeError, match=r"unknown knob\(s\) \['lr'\]"):
        compare_labels(good, (x, y), lr=0.1)
    with pytest.raises(ValueError, match=r"`threshold` must be .*1"):  # before any training
        compare_labels(good, (x, y), threshold=1.5)


def test_compare_labels_a_set_may_override_knobs():
    x, y = bright_blobs(8, seed=0)
    sets = {"many": {"train": (x[:6], y[:6]), "val": (x[6:], y[6:])},
            "few": {"train": (x[:2], y[:2]), "val": (x[6:], y[6:]), "epochs": 3}}
    rows = compare_labels(sets, (x[6:, ..., 0], y[6:, ..., 0].astype(np.uint8)),
                          architectures=("unet",), tile=16, overlap=0, progress=False,
                          depth=1, base_filters=2, epochs=1, batch_size=2)
    assert rows["labels"].tolist() == ["many", "few"]
    assert rows["tiles"].tolist() == [6, 2] and rows["epochs"].tolist() == [1, 3]


def test_compare_transforms_one_row_per_entry():
    x, y = data(4)
    rows = compare_transforms((x, y), (x, y), transforms=["none", ("mix", ("noise", "shift"))],
                              batch_size=4, model=unet((16, 16, 1), depth=1, base_filters=2),
                              progress=False)
    assert rows["transform"].tolist() == ["none", "mix"]
    assert all(np.isfinite(r["train_loss"]) and np.isfinite(r["val_loss"])
               for r in rows.to_dict("records"))


def test_compare_transforms_rejects_unknown_names():
    x, y = data(2)
    with pytest.raises(ValueError, match=r"`transforms` has unknown name\(s\) 'spin'"):
        compare_transforms((x, y), (x, y), transforms=["none", "spin"], progress=False)


def test_compare_transforms_row_settings_override_the_common_ones():
    x, y = data(4)
    # every tile rotated by an angle up to 90 degrees, except in the row that sets 0: a
    # rotation by 0 is the identity, so that row trains exactly like "none"
    rows = compare_transforms(
        (x, y), (x, y), transforms=["none", ("rotate 0", ("rotate",), {"max_angle": 0.0}),
                                    ("rotate 90", "rotate")],
        batch_size=4, model=unet((16, 16, 1), depth=1, base_filters=2), progress=False,
        p=1.0, max_angle=90.0)
    losses = rows.set_index("transform")["train_loss"]
    assert losses["rotate 0"] == pytest.approx(losses["none"], rel=1e-5)
    assert losses["rotate 90"] != pytest.approx(losses["none"], rel=1e-5)


@pytest.mark.parametrize("entry, exc, match", [
    (("r", ("rotate",), [("max_angle", 4)]), TypeError,
     r"`transforms` entry 'r': its third item must be a dict"),
    (("r", ("rotate",), {"max_angel": 4}), TypeError,
     r"unknown augmentation parameter\(s\) `max_angel`"),
    (("r", ("rotate",), {"max_angle": -4}), ValueError, r"`max_angle` must be >= 0.0"),
    (("r", "rotate", {}, "extra"), TypeError, r"`transforms` entries must be names"),
])
def test_compare_transforms_checks_every_row_before_training(entry, exc, match):
    x, y = data(2)
    with pytest.raises(exc, match=match):
        compare_transforms((x, y), (x, y), transforms=["none", entry], progress=False)

def test_run_experiment_runs_eagerly_and_restores_the_setting():
    import tensorflow as tf

    x, y = data(4)
    raw = (x * 255).astype(np.uint8)
    assert not tf.config.functions_run_eagerly()
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(tf.config.functions_run_eagerly())

    import segkit.experiments as E
    original = E._EpochClock
    E._EpochClock = type("Clock", (original, Spy), {})
    try:
        run_experiment({"train": (raw, y), "val": (raw, y)}, epochs=1, depth=1, base_filters=2)
    finally:
        E._EpochClock = original
    assert seen == [True] and not tf.config.functions_run_eagerly()

# ----------------------------------------------------------------------------- notebook 08
def _touching_squares(n=4):
    rng = np.random.default_rng(0)
    labels = np.zeros((n, 16, 16), np.int32)
    labels[:, 2:8, 2:8], labels[:, 8:14, 4:10] = 1, 2
    x = labels.astype(np.float32) / 2 + rng.random(labels.shape, dtype=np.float32) / 4
    return x, labels


def test_compare_instances_one_row_per_run_with_instance_scores():
    from segkit.experiments import compare_instances

    x, y = _touching_squares()
    runs = {"2 images": {"n_train": 2}, "all": {},
            "MIA weights": {"model": "unet", "loss": "weighted_bce", "separate": True}}
    # a test set given as a list of images of different sizes
    test = ([x[0], x[1, :12, :14]], [y[0], y[1, :12, :14]])
    table = compare_instances((x, y), (x[:1], y[:1]), test, runs, depth=1, base_filters=2,
                              epochs=1, progress=False)
    assert table["run"].tolist() == list(runs)
    assert table["n_train"].tolist() == [2, 4, 4] and table["model"].tolist()[-1] == "unet"
    assert table["loss"].tolist() == ["bce + mae", "bce + mae", "weighted_bce"]
    assert {"ap", "ap50", "ap75", "mean_iou", "precision", "recall", "seg", "merges",
            "splits", "n_true", "n_pred", "epochs", "seconds"} <= set(table.columns)
    assert (table["n_true"] == 4).all() and (table["epochs"] == 1).all()
    assert table[["ap", "ap50", "precision", "recall"]].apply(lambda c: c.between(0, 1)).all().all()


@pytest.mark.parametrize("runs, exc, match", [
    ({}, TypeError, r"`runs` must be a non-empty dict"),
    ({"a": 3}, TypeError, r"`runs\['a'\]` must be a dict of knobs"),
    ({"a": {"lr": 1}}, ValueError, r"`runs\['a'\]` has unknown knob\(s\) \['lr'\]"),
    ({"a": {"model": "segnet"}}, ValueError, r"`runs\['a'\]\['model'\]`"),
    ({"a": {"loss": "weighted_bce"}}, ValueError, r"are knobs of model='unet' runs"),
    ({"a": {"model": "unet", "loss": "dice"}}, ValueError, r"`runs\['a'\]\['loss'\]`"),
    ({"a": {"n_train": 9}}, ValueError, r"`runs\['a'\]\['n_train'\]` is 9, but `train_data` "
                                        r"has only 4 images"),
])
def test_compare_instances_rejects_bad_runs_before_training(runs, exc, match):
    from segkit.experiments import compare_instances

    x, y = _touching_squares()
    with pytest.raises(exc, match=match):
        compare_instances((x, y), (x, y), (x, y), runs, epochs=1, progress=False)


def test_compare_instances_normalises_raw_test_images():
    from segkit import io
    from segkit.experiments import compare_instances

    x, y = _touching_squares()
    raw = np.round(x * 200).astype(np.uint8)
    norm = io.Normalization(0.0, 200.0)
    kwargs = dict(depth=1, base_filters=2, epochs=1, progress=False)
    runs = {"all": {}, "U-Net": {"model": "unet"}}
    want = compare_instances((x, y), (x, y), (norm(raw), y), runs, **kwargs)
    for test in ((raw, y.astype(np.uint16)), (list(raw), list(y))):  # a stack, a list
        got = compare_instances((x, y), (x, y), test, runs, normalization=norm, **kwargs)
        assert got[["ap", "n_pred"]].equals(want[["ap", "n_pred"]])
    with pytest.raises(TypeError, match=r"`normalization` must be None or a function"):
        compare_instances((x, y), (x, y), (raw, y), runs, normalization=1, **kwargs)


def test_compare_instances_rejects_float_labels():
    from segkit.experiments import compare_instances

    x, y = _touching_squares()
    with pytest.raises(TypeError, match=r"`train_data\[1\] \(labels\)` must be an integer label"):
        compare_instances((x, y.astype(float)), (x, y), (x, y), {"a": {}}, progress=False)


def test_compare_instances_keeps_float16_training_images(monkeypatch):
    # float16 training tiles (half the memory on real data) reach train() as they are, and
    # give the table of the same values given as float32
    import segkit.train
    from segkit.experiments import compare_instances

    x, y = _touching_squares()
    x16 = x.astype(np.float16)
    kwargs = dict(depth=1, base_filters=2, epochs=1, progress=False)
    runs = {"all": {}, "MIA weights": {"model": "unet", "loss": "weighted_bce"}}
    want = compare_instances((x16.astype(np.float32), y), (x16[:2].astype(np.float32), y[:2]),
                             (x, y), runs, **kwargs)
    seen, real = [], segkit.train.train

    def spy(model, train_data, val_data=None, **kw):
        seen.append((train_data[0].dtype, val_data[0].dtype))
        return real(model, train_data, val_data, **kw)

    monkeypatch.setattr(segkit.train, "train", spy)
    got = compare_instances((x16, y), (x16[:2], y[:2]), (x, y), runs, **kwargs)
    assert seen == [(np.float16, np.float16)] * 2
    assert got[["ap", "n_pred", "epochs"]].equals(want[["ap", "n_pred", "epochs"]])
