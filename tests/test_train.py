"""Tests of segkit.train: checks before training, checkpoints, logs, strategies, multi-output."""

import csv
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from segkit.losses import _DiceMetric, _IoUMetric, get_loss
from segkit.models import unet
from segkit.train import _BestCheckpoint, _check_checkpoint_path, _TimeLimit, train


@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()


def tiny():
    return unet((None, None, 1), depth=2, base_filters=4)


def data(n=8, seed=0):
    x = np.random.default_rng(seed).random((n, 16, 16, 1)).astype("float32")
    return x, (x > 0.5).astype("float32")


def test_train_checkpoints_logs_and_returns_history(tmp_path):
    x, y = data()
    ckpt, log = tmp_path / "runs" / "best.keras", tmp_path / "runs" / "log.csv"
    history = train(tiny, (x, y), data(4, seed=1), epochs=2, loss="bce", checkpoint=ckpt,
                    log_csv=log, verbose=0)
    assert set(history.history) >= {"loss", "val_loss", "dice", "val_dice", "iou", "val_iou"}
    assert len(history.history["loss"]) == 2
    with open(log, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    loaded = keras.models.load_model(ckpt)  # no custom_objects
    assert type(loaded.loss).__name__ == "SegLoss" and loaded.loss.kind == "bce"
    # restore_best: the model ends with the weights of the best epoch, the checkpoint's
    np.testing.assert_allclose(loaded.predict(x, verbose=0), history.model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert not [p for p in ckpt.parent.iterdir() if p.name.startswith(".")]  # no temp files


def test_interrupted_training_keeps_its_best_checkpoint(tmp_path):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    ckpt = tmp_path / "best.keras"
    x, y = data()
    with pytest.raises(KeyboardInterrupt):
        train(tiny, (x, y), (x, y), epochs=5, checkpoint=ckpt, callbacks=[Interrupt()],
              verbose=0)
    assert keras.models.load_model(ckpt).output_shape == (None, None, None, 1)


def test_best_checkpoint_saves_only_improvements(tmp_path):
    cb = _BestCheckpoint(tmp_path / "b.keras", monitor="val_loss")
    cb.set_model(tiny())
    cb.on_epoch_end(0, {"val_loss": 1.0})
    first = os.stat(tmp_path / "b.keras").st_mtime_ns
    cb.on_epoch_end(1, {"val_loss": 2.0})
    assert os.stat(tmp_path / "b.keras").st_mtime_ns == first and cb.best_epoch == 0
    cb.on_epoch_end(2, {"val_loss": float("nan")})
    assert cb.best == 1.0
    with pytest.raises(ValueError, match="`mode`"):
        _BestCheckpoint(mode="up")


def test_seed_makes_training_reproducible():
    x, y = data()
    a = train(tiny, (x, y), epochs=1, seed=3, verbose=0).history["loss"]
    keras.backend.clear_session()
    b = train(tiny, (x, y), epochs=1, seed=3, verbose=0).history["loss"]
    assert a == b


def test_default_strategy_takes_a_ready_model_and_a_dataset():
    model = tiny()
    ds = tf.data.Dataset.from_tensor_slices(data()).batch(4)
    history = train(model, ds, ds, epochs=1, verbose=0, early_stopping=2,
                    strategy=tf.distribute.get_strategy())
    assert history.model is model
    assert np.isfinite(history.history["val_loss"][0])


def test_one_device_strategy_builds_inside_its_scope():
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    history = train(tiny, data(), epochs=1, verbose=0, strategy=strategy)
    assert strategy.extended.variable_created_in_scope(history.model.weights[0].value)
    with pytest.raises(ValueError, match="built outside `strategy`.*pass a function"):
        train(tiny(), data(), epochs=1, verbose=0, strategy=strategy)


def test_weighted_bce_takes_two_channel_targets():
    from segkit.losses import with_weight_maps

    x, y = data(4)
    history = train(tiny, (x, with_weight_maps(y)), epochs=1, loss="weighted_bce", verbose=0)
    assert np.isfinite(history.history["loss"][0])
    with pytest.raises(ValueError, match="2 channels"):
        train(tiny, (x, y), epochs=1, loss="weighted_bce", verbose=0)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root can write anywhere")
def test_unwritable_checkpoint_fails_before_training(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="`checkpoint`.*cannot be written"):
            train(tiny, data(), epochs=1, checkpoint=locked / "best.keras", verbose=0)
    finally:
        locked.chmod(0o700)


def test_checkpoint_under_a_file_fails_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    calls = []
    with pytest.raises(PermissionError, match="`checkpoint`.*cannot be written"):
        train(lambda: calls.append(1) or tiny(), data(), epochs=1,
              checkpoint=blocker / "best.keras", verbose=0)
    assert not calls  # nothing was built, let alone trained


@pytest.mark.parametrize("path, match", [("best.h5", "must end in .keras"),
                                         (".", "is a folder")])
def test_checkpoint_name(tmp_path, path, match):
    target = tmp_path / path if path != "." else tmp_path
    if path == ".":
        target = tmp_path / "dir.keras"
        target.mkdir()
    with pytest.raises(ValueError, match=match):
        _check_checkpoint_path(target)


@pytest.mark.parametrize("mangle, match", [
    (lambda x, y: (x, y * 255), r"masks must hold values in \{0, 1\}.*255.*divide"),
    (lambda x, y: (x, y + 0.5), r"masks must hold values in \{0, 1\}"),
    (lambda x, y: (x, y[:-1]), "8 images but 7 masks"),
    (lambda x, y: (x, y[:, :8]), "same height and width"),
    (lambda x, y: (x[..., 0], y), "images must be NHWC"),
    (lambda x, y: (x, y[..., 0]), "masks must be NHWC"),
    (lambda x, y: ((x * 255).astype(np.uint8), y), "not normalised floats"),
    (lambda x, y: (np.where(x > 0.9, np.nan, x), y), "must be finite"),
])
def test_bad_data_is_rejected(mangle, match):
    with pytest.raises(ValueError, match=match):
        train(tiny, mangle(*data()), epochs=1, verbose=0)


def test_bad_dataset_and_arguments():
    x, y = data()
    ds = tf.data.Dataset.from_tensor_slices((x, y * 255)).batch(4)
    with pytest.raises(ValueError, match=r"`train_data \(first batch\)` masks must hold"):
        train(tiny, ds, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`val_data` is an empty dataset"):
        train(tiny, (x, y), ds.take(0), epochs=1, verbose=0)
    with pytest.raises(TypeError, match="`train_data` must be a tf.data.Dataset"):
        train(tiny, [x, y, y], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`learning_rate` must be > 0"):
        train(tiny, (x, y), epochs=1, learning_rate=0)
    with pytest.raises(ValueError, match="`epochs` must be >= 1"):
        train(tiny, (x, y), epochs=0)
    with pytest.raises(TypeError, match="`model` must be a keras.Model"):
        train("unet", (x, y), epochs=1)


def test_multiclass_labels():
    x, y = data()
    y3 = (x * 2.99).astype(np.int64).astype("float32")
    history = train(lambda: unet(depth=2, base_filters=4, n_classes=3), (x, y3), epochs=1,
                    loss="bce", verbose=0)
    assert np.isfinite(history.history["dice"][0])
    with pytest.raises(ValueError, match=r"values in 0..2"):
        train(lambda: unet(depth=2, base_filters=4, n_classes=3), (x, y3 + 1), epochs=1)
    with pytest.raises(ValueError, match="`loss` must be one of"):
        train(tiny, (x, y), epochs=1, loss="dise")


def test_time_limit_stops_training():
    history = train(tiny, data(), epochs=50, time_limit=1e-4, verbose=0)
    assert len(history.history["loss"]) == 1
    with pytest.raises(ValueError, match="`time_limit` must be > 0"):
        train(tiny, data(), epochs=1, time_limit=0)
    with pytest.raises(ValueError, match="`minutes` must be > 0"):
        _TimeLimit(-1)


# ----------------------------------------------------------------------------- multi-output
def two_heads():
    from segkit.models import distance_unet

    return distance_unet((None, None, 1), depth=1, base_filters=2, cap=3)


def two_head_targets(n=4):
    from segkit.instances import distance_targets

    x, y = data(n)
    labels = (y[..., 0] > 0).astype(np.int64)
    return x, {"prob": y, "dist": distance_targets(labels, cap=3)[..., None]}


def test_multi_output_model_trains_with_a_loss_per_output(tmp_path):
    x, y = two_head_targets()
    history = train(two_heads, (x, y), (x, y), epochs=2, loss={"prob": "bce", "dist": "mae"},
                    loss_weights={"prob": 1.0, "dist": 1 / 3}, checkpoint=tmp_path / "m.keras",
                    verbose=0)
    h = history.history
    assert len(h["loss"]) == 2 and {"prob_dice", "val_prob_dice", "dist_loss"} <= set(h)
    assert not any(k.startswith("dist_dice") for k in h)  # no Dice of a regression output
    loaded = keras.models.load_model(tmp_path / "m.keras")
    out = loaded.predict(x, verbose=0)
    assert set(out) == {"prob", "dist"}


def test_multi_output_model_with_no_metrics():
    # metrics=[] means none; Keras 3.13 (Colab's) refuses an empty list on a two-output model
    x, y = two_head_targets()
    history = train(two_heads, (x, y), epochs=1, loss={"prob": "bce", "dist": "mae"},
                    metrics=[], verbose=0)
    assert not [k for k in history.history if "dice" in k or "iou" in k]


def test_multi_output_targets_are_checked_per_output():
    x, y = two_head_targets()
    with pytest.raises(TypeError, match=r"the model has outputs \['prob', 'dist'\]: `loss` "
                                        r"must be a dict"):
        train(two_heads, (x, y), epochs=1, loss="bce")
    with pytest.raises(ValueError, match=r"`loss` must name exactly the model's outputs"):
        train(two_heads, (x, y), epochs=1, loss={"prob": "bce"})
    with pytest.raises(ValueError, match=r"`train_data` targets must be a dict with the "
                                         r"model's outputs \['dist', 'prob'\], got \['prob'\]"):
        train(two_heads, (x, {"prob": y["prob"]}), epochs=1, loss={"prob": "bce", "dist": "mae"})
    bad = {**y, "prob": y["prob"] * 3}
    with pytest.raises(ValueError, match=r"`train_data` targets\['prob'\] must hold values in "
                                         r"\{0, 1\}"):
        train(two_heads, (x, bad), epochs=1, loss={"prob": "bce", "dist": "mae"})
    nan = {**y, "dist": np.full_like(y["dist"], np.nan)}
    with pytest.raises(ValueError, match=r"`train_data` targets\['dist'\]` must be finite"):
        train(two_heads, (x, nan), epochs=1, loss={"prob": "bce", "dist": "mae"})
    with pytest.raises(TypeError, match="`loss` is a dict, but the model has a single output"):
        train(tiny, data(), epochs=1, loss={"prob": "bce"})


@pytest.mark.parametrize("batch_size", [3, 7])  # a partial last batch, and 7 = N - 2
def test_array_data_trains_exactly_as_keras_would(batch_size):
    # train() slices batches from the arrays itself (no copy in TensorFlow); the order, the
    # batches and so the weights must be those of Keras' own array path, epoch after epoch
    x, y = two_head_targets(9)
    xv, yv = two_head_targets(5)
    history = train(two_heads, (x, y), (xv, yv), epochs=3, loss={"prob": "bce", "dist": "mae"},
                    batch_size=batch_size, seed=5, restore_best=False, verbose=0,
                    precision="float32")
    keras.backend.clear_session()
    keras.utils.set_random_seed(5)
    model = two_heads()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  metrics={"prob": [_DiceMetric(), _IoUMetric()]},
                  loss={"prob": get_loss("bce"), "dist": get_loss("mae")})
    keras_history = model.fit(x, y, validation_data=(xv, yv), epochs=3, batch_size=batch_size,
                              shuffle=True, verbose=0)
    assert "val_prob_dice" in history.history
    assert history.history == keras_history.history  # losses and metrics, every epoch
    for a, b in zip(history.model.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_float16_arrays_train_as_their_float32_values_without_a_copy():
    # float16 halves a large training set in memory; train() widens batch by batch, so the
    # result is that of the same values given as float32, and no float32 set is made
    from segkit.train import _array_dataset, _check_arrays

    x, y = two_head_targets(9)
    x16, y16 = x.astype(np.float16), {k: v.astype(np.float16) for k, v in y.items()}
    x32, y32 = x16.astype(np.float32), {k: v.astype(np.float32) for k, v in y16.items()}
    kw = dict(epochs=2, loss={"prob": "bce", "dist": "mae"}, batch_size=4, seed=3,
              restore_best=False, verbose=0, precision="float32")
    h16 = train(two_heads, (x16, y16), (x16[:3], {k: v[:3] for k, v in y16.items()}), **kw)
    keras.backend.clear_session()
    h32 = train(two_heads, (x32, y32), (x32[:3], {k: v[:3] for k, v in y32.items()}), **kw)
    assert h16.history == h32.history
    for a, b in zip(h16.model.get_weights(), h32.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    names, shapes = ["prob", "dist"], {k: (None, None, None, 1) for k in ("prob", "dist")}
    spec = ({"prob": "mask", "dist": "value"}, shapes)
    cx, cy = _check_arrays((x16, y16), "train_data", spec)
    assert cx is x16 and all(cy[k] is y16[k] for k in names)  # kept, not widened whole
    ds, release = _array_dataset(cx, cy, 4, shuffle=False)
    first = next(iter(ds))
    assert first[0].dtype == "float32" and first[1]["dist"].dtype == "float32"
    np.testing.assert_array_equal(first[0].numpy(), x32[:4])
    release()


def test_array_batches_are_read_from_the_arrays_not_copied():
    from segkit.train import _array_dataset

    x = np.zeros((5, 2, 2, 1), np.float32)
    y = np.zeros_like(x)
    ds, release = _array_dataset(x, y, 2, shuffle=True)
    x[:] = 1  # a pipeline holding a copy would still yield zeros
    seen = [b[0].numpy() for b in ds]
    assert [len(b) for b in seen] == [2, 2, 1] and all((b == 1).all() for b in seen)
    assert len(ds) == 3
    ds, release = _array_dataset(np.arange(6, dtype=np.float32).reshape(6, 1, 1, 1),
                                 y[:1].repeat(6, 0), 1, True)
    assert sorted(b[0].numpy().item() for b in ds) == list(range(6))  # each once per epoch


def test_training_lets_go_of_its_arrays():
    # TensorFlow keeps a traced pipeline for the whole session: the arrays it read from must
    # not stay alive with it (a notebook training several models would keep every set)
    import gc
    import weakref

    x, y = two_head_targets(6)
    xv = x[:2].copy()
    alive = [weakref.ref(a) for a in (x, xv, y["prob"])]
    history = train(two_heads, (x, y), (xv, {k: v[:2] for k, v in y.items()}), epochs=1,
                    loss={"prob": "bce", "dist": "mae"}, verbose=0)
    assert np.isfinite(history.history["val_loss"][0])
    del x, xv, y
    gc.collect()
    assert [ref() is None for ref in alive] == [True, True, True]


def test_training_leaves_no_optimizer_or_tracker_graphs_behind():
    # Adam's variables, and the loss's and metrics' trackers, made inside the first training
    # step would each leave an initialisation graph that TensorFlow keeps for the whole
    # session (with the optimizer's, about 75 MB per training of notebook 08's network);
    # train() makes them eagerly instead
    import gc

    from tensorflow.python.framework.func_graph import FuncGraph

    def optimizer_graphs():
        gc.collect()
        return [g.name for g in gc.get_objects()
                if isinstance(g, FuncGraph) and g.name.startswith(("adam", "compile"))]

    before = optimizer_graphs()
    x, y = two_head_targets(4)
    for _ in range(2):
        train(two_heads, (x, y), epochs=1, loss={"prob": "bce", "dist": "mae"}, verbose=0)
        keras.backend.clear_session()
    assert optimizer_graphs() == before


def test_per_image_targets_of_a_patch_model():
    from segkit.patches import patch_classifier

    x = np.random.default_rng(0).random((8, 9, 9, 2)).astype("float32")
    y = {"prob": (x[:, 4, 4, :1] > 0.5).astype("float32"), "dist": x[:, 4, 4, :1] * 3}
    history = train(lambda: patch_classifier(n_scales=2, size=9, filters=2, cap=3), (x, y),
                    epochs=1, loss={"prob": "bce", "dist": "mae"}, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    with pytest.raises(ValueError, match=r"targets\['prob'\] must be 2-D \(N, 1\)"):
        train(lambda: patch_classifier(n_scales=2, size=9, filters=2, cap=3),
              (x, {**y, "prob": y["prob"][:, 0]}), epochs=1,
              loss={"prob": "bce", "dist": "mae"})


# ----------------------------------------------------------------------------- _train_each
def test_train_each_compiles_once_and_resets_weights_and_optimizer():
    import tensorflow as tf

    from segkit import models
    from segkit.train import _train_each

    rng = np.random.default_rng(1)
    x = rng.random((4, 16, 16, 1), dtype=np.float32)
    y = (x > 0.5).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)
    other = tf.data.Dataset.from_tensor_slices((x[::-1].copy(), y[::-1].copy())).batch(2)
    model = models.unet((16, 16, 1), depth=1, base_filters=2)
    start = [w.copy() for w in model.get_weights()]
    functions = []
    histories = []
    for h in _train_each(model, [ds, other, ds], ds, epochs=2, seed=3):
        histories.append(h.history)
        functions.append(model.train_function)
    # the first and third rows train on the same data from the same start: the same numbers,
    # which they would not be if the optimizer's state (Adam's moments) carried over
    assert histories[0]["loss"] == histories[2]["loss"]
    assert histories[0]["loss"] != histories[1]["loss"]
    assert functions[0] is functions[1] is functions[2]  # traced once, reused
    assert int(model.optimizer.iterations.numpy()) == 4  # 2 epochs x 2 batches of the last row
    assert not all(np.array_equal(a, b) for a, b in zip(start, model.get_weights()))


# ----------------------------------------------------------------------------- precision
from segkit import _precision  # noqa: E402


def no_gpu():
    return not tf.config.list_physical_devices("GPU")


@pytest.fixture
def fake_machine(monkeypatch, tmp_path):
    """A machine whose hardware and measured speeds the test chooses; cache in tmp_path."""
    monkeypatch.setenv("SEGKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SEGKIT_PRECISION", raising=False)  # "auto" decides here
    calls = []

    def setup(*, bf16, gpus=(), seconds=None):
        monkeypatch.setattr(_precision, "cpu_has_bf16", lambda *a, **k: bf16)
        monkeypatch.setattr(_precision, "gpu_names", lambda: list(gpus))

        def measure(mixed):
            calls.append(mixed)
            return seconds

        monkeypatch.setattr(_precision, "measure_speed", measure)
        return calls

    return setup


def test_segkit_precision_variable_fixes_auto(monkeypatch):
    monkeypatch.setenv("SEGKIT_PRECISION", "mixed_bfloat16")
    assert _precision.resolve("auto") == "mixed_bfloat16"
    assert _precision.resolve("float32") == "float32"  # an explicit choice wins
    monkeypatch.setenv("SEGKIT_PRECISION", "half")
    with pytest.raises(ValueError, match=r"`\$SEGKIT_PRECISION` must be 'float32', "
                                         r"'mixed_bfloat16' or 'mixed_float16'|"
                                         r"`\$SEGKIT_PRECISION` must be one of"):
        _precision.resolve("auto")


def test_precision_names_are_checked():
    assert _precision.resolve("float32") == "float32"
    assert _precision.resolve("mixed_bfloat16") == "mixed_bfloat16"
    with pytest.raises(ValueError, match="`precision` must be one of 'auto', 'float32'.*'bf16'"):
        _precision.resolve("bf16")
    with pytest.raises(ValueError, match="`precision` must be one of"):
        train(tiny, data(), epochs=1, precision="float64")


@pytest.mark.skipif(not no_gpu(), reason="checks the refusal on a machine without a GPU")
def test_mixed_float16_needs_a_gpu():
    with pytest.raises(ValueError, match="'mixed_float16' needs a GPU, and TensorFlow sees none"):
        _precision.resolve("mixed_float16")
    with pytest.raises(ValueError, match="'mixed_float16' needs a GPU"):
        train(tiny, data(), epochs=1, precision="mixed_float16", verbose=0)


def test_auto_is_float32_without_16_bit_hardware(fake_machine):
    calls = fake_machine(bf16=False)
    assert _precision.resolve("auto", purpose="train") == "float32"
    assert _precision.resolve("auto", purpose="predict") == "float32"
    assert calls == []  # nothing to measure
    assert not _precision.cache_file().exists()


@pytest.mark.parametrize("bf16, gpus, mixed", [(True, (), "mixed_bfloat16"),
                                               (False, ("GPU 0",), "mixed_float16")])
def test_auto_uses_the_mixed_policy_only_where_measured_faster(fake_machine, bf16, gpus, mixed):
    # mixed is faster for training (0.5 s vs 1 s) but not for prediction (0.98 vs 1.0: noise)
    seconds = {"float32": {"train": 1.0, "predict": 1.0},
               mixed: {"train": 0.5, "predict": 0.98}}
    calls = fake_machine(bf16=bf16, gpus=gpus, seconds=seconds)
    assert _precision.resolve("auto", purpose="train") == mixed
    assert _precision.resolve("auto", purpose="predict") == "float32"
    assert calls == [mixed]  # measured once, then read from the cache
    cache = _precision.cache_file()
    saved = json.loads(cache.read_text())
    (decision,) = saved.values()
    assert decision["speedup"] == {"train": 2.0, "predict": round(1 / 0.98, 3)}
    assert [p.name for p in cache.parent.iterdir()] == ["precision.json"]  # no temp files left


def test_auto_cache_is_per_machine_and_survives_an_unwritable_folder(fake_machine, monkeypatch,
                                                                     tmp_path):
    seconds = {"float32": {"train": 1.0, "predict": 1.0},
               "mixed_bfloat16": {"train": 2.0, "predict": 0.5}}
    calls = fake_machine(bf16=True, seconds=seconds)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SEGKIT_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    assert _precision.resolve("auto", purpose="predict") == "mixed_bfloat16"
    assert _precision.resolve("auto", purpose="train") == "float32"
    assert calls == ["mixed_bfloat16", "mixed_bfloat16"]  # no cache: measured each time
    monkeypatch.setenv("SEGKIT_CACHE_DIR", str(tmp_path / "cache"))
    _precision.resolve("auto")
    monkeypatch.setattr(_precision, "machine_key", lambda gpus=None: "another machine")
    _precision.resolve("auto")
    assert len(json.loads(_precision.cache_file().read_text())) == 2


def test_a_damaged_cache_is_measured_again(fake_machine, capsys):
    seconds = {"float32": {"train": 1.0, "predict": 1.0},
               "mixed_bfloat16": {"train": 0.5, "predict": 0.5}}
    calls = fake_machine(bf16=True, seconds=seconds)
    cache = _precision.cache_file()
    cache.parent.mkdir(parents=True)
    key = _precision.machine_key()
    for damaged in ("{not json", json.dumps({key: {"train": "float64", "predict": "float32"}})):
        cache.write_text(damaged)
        assert _precision.resolve("auto") == "mixed_bfloat16"
    assert len(calls) == 2
    assert "measures float32 against mixed_bfloat16 once" in capsys.readouterr().out


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx512f\n")
    assert not _precision.cpu_has_bf16(info)
    info.write_text("processor\t: 0\nflags\t\t: fpu amx_bf16 amx_tile\n")
    assert _precision.cpu_has_bf16(info)
    info.write_text("processor\t: 0\nFeatures\t: fp asimd bf16\n")  # ARM
    assert _precision.cpu_has_bf16(info)
    assert not _precision.cpu_has_bf16(tmp_path / "missing")


def test_a_builder_is_built_under_the_policy_and_its_output_stays_float32():
    history = train(tiny, data(), epochs=1, precision="mixed_bfloat16", verbose=0)
    model = history.model
    assert history.precision == "mixed_bfloat16"
    assert model.get_layer("enc0_conv1").dtype_policy.name == "mixed_bfloat16"
    assert model.get_layer("enc0_conv1").kernel.dtype == "float32"  # weights stay float32
    assert model.get_layer("head").dtype_policy.name == "float32"
    assert model.outputs[0].dtype == "float32"
    assert keras.mixed_precision.dtype_policy().name == "float32"  # global policy restored
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("builder", ["unet", "segnet", "distance_unet", "patch_classifier"])
def test_every_segkit_model_has_float32_outputs_under_a_mixed_policy(builder):
    from segkit import models, patches

    build = {"unet": lambda: models.unet(depth=2, base_filters=4),
             "segnet": lambda: models.segnet(depth=2, base_filters=4),
             "distance_unet": lambda: models.distance_unet(depth=2, base_filters=4),
             "patch_classifier": lambda: patches.patch_classifier(filters=4)}[builder]
    with _precision.policy_scope("mixed_bfloat16"):
        model = build()
    assert _precision.model_policy(model) == "mixed_bfloat16"
    assert [str(t.dtype) for t in model.outputs] == ["float32"] * len(model.outputs)
    _precision.check_float32_outputs(model)


def test_a_built_model_keeps_its_precision():
    model = tiny()
    history = train(model, data(), epochs=1, verbose=0)  # auto: as built
    assert history.precision == "float32" and history.model is model
    with pytest.raises(ValueError, match="already built under 'float32'.*pass a function"):
        train(model, data(), epochs=1, precision="mixed_bfloat16", verbose=0)
    with _precision.policy_scope("mixed_bfloat16"):
        mixed = tiny()
    assert train(mixed, data(), epochs=1, verbose=0).precision == "mixed_bfloat16"


def test_a_16_bit_output_is_refused():
    def sloppy():  # a custom builder that forgot dtype="float32" on its head
        inputs = keras.Input((None, None, 1))
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
        return keras.Model(inputs, keras.layers.Conv2D(1, 1, activation="sigmoid",
                                                       name="out")(x))

    with pytest.raises(ValueError, match="output 'out' computes in bfloat16, not float32"):
        train(sloppy, data(), epochs=1, precision="mixed_bfloat16", verbose=0)


@pytest.mark.parametrize("precision", ["float32", "mixed_bfloat16"])
def test_a_model_saved_under_either_policy_loads_and_predicts_the_same(tmp_path, precision):
    from segkit.models import load_model

    x, y = data()
    history = train(tiny, (x, y), data(4, seed=1), epochs=2, loss="bce", verbose=0,
                    checkpoint=tmp_path / "best.keras", precision=precision)
    model = history.model  # the best epoch's weights, as in the checkpoint
    keras.backend.clear_session()
    loaded = load_model(tmp_path / "best.keras")
    assert _precision.model_policy(loaded) == precision
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
