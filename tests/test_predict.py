"""Tests of segkit.predict: tiled prediction reproduces an identity model exactly."""

import keras
import numpy as np
import pytest

from segkit.io import Normalization
from segkit.models import unet
from segkit.predict import _blend_window, _tile_positions, predict_tiled


@pytest.fixture(scope="module")
def identity():
    """A 1x1 convolution with kernel 1, bias 0, linear activation: output == input."""
    model = keras.Sequential([keras.Input((None, None, 1)),
                              keras.layers.Conv2D(1, 1, kernel_initializer="ones",
                                                  bias_initializer="zeros")])
    return model


@pytest.fixture(scope="module")
def tiny_unet():
    keras.utils.set_random_seed(0)
    return unet(depth=2, base_filters=4)


def rand(shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


@pytest.mark.parametrize("shape", [(300, 517), (3, 70, 45), (2, 33, 40, 1), (40, 41, 1),
                                   (5, 7), (1, 64, 64)])
@pytest.mark.parametrize("blend", ["average", "gaussian"])
def test_identity_model_is_reproduced_exactly(identity, shape, blend):
    x = rand(shape)
    y = predict_tiled(identity, x, tile=64, overlap=12, batch_size=3, blend=blend)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, x, rtol=1e-6, atol=1e-7)
    if blend == "average":
        np.testing.assert_array_equal(y, x)


def test_same_normalization_as_training(identity):
    raw = (rand((2, 50, 60)) * 200).astype(np.uint8)
    norm = Normalization.fit(raw)
    y = predict_tiled(identity, raw, tile=32, overlap=0.25, normalization=norm)
    np.testing.assert_array_equal(y, norm(raw))


def test_tiled_matches_whole_image_on_the_interior(tiny_unet):
    x = rand((1, 96, 128, 1))
    whole = tiny_unet.predict(x, verbose=0)
    tiled = predict_tiled(tiny_unet, x, tile=64, overlap=32, blend="gaussian")
    assert tiled.shape == x.shape
    assert (tiled >= 0).all() and (tiled <= 1).all()
    # far from tile borders the receptive field sees the same pixels
    assert np.abs(tiled - whole)[0, 24:72, 24:104].mean() < 0.05


def test_multiclass_output_layout():
    model = unet(depth=2, base_filters=4, n_classes=3)
    assert predict_tiled(model, rand((40, 50)), tile=32, overlap=8).shape == (40, 50, 3)
    assert predict_tiled(model, rand((2, 40, 50)), tile=32, overlap=8).shape == (2, 40, 50, 3)


def test_tile_positions_cover_everything():
    for length in (1, 63, 64, 65, 300, 1056):
        starts = _tile_positions(length, 64, 48)
        covered = np.zeros(max(length, 64), bool)
        for s in starts:
            covered[s:s + 64] = True
        assert covered.all() and starts[-1] == max(length - 64, 0)


def test_blend_window():
    assert (_blend_window(8) == 1).all()
    g = _blend_window(16, "gaussian")
    assert g[8, 8] > g[0, 0] >= 1e-3 and np.allclose(g, g.T)


@pytest.mark.parametrize("kwargs, match", [
    (dict(tile=30, overlap=8), r"`tile` .*30.*not a multiple of 4.*nearest valid size is 32"),
    (dict(tile=32, overlap=32), r"`overlap` \(32 pixels\) must be >= 0 and smaller"),
    (dict(tile=32, overlap=1.5), r"`overlap` as a fraction"),
    (dict(tile=32, overlap="8"), "`overlap` must be pixels"),
    (dict(tile=32, overlap=8, blend="median"), "`blend` must be"),
])
def test_bad_arguments(tiny_unet, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        predict_tiled(tiny_unet, rand((40, 40)), **kwargs)


def test_bad_images(identity):
    with pytest.raises(ValueError, match="pass the `normalization` used for training"):
        predict_tiled(identity, np.zeros((40, 40), np.uint8), tile=32, overlap=8)
    with pytest.raises(ValueError, match="must be finite"):
        predict_tiled(identity, np.full((40, 40), np.nan, np.float32), tile=32,
                      overlap=8)
    with pytest.raises(ValueError, match="colour"):
        predict_tiled(identity, np.zeros((40, 40, 3), np.float32), tile=32, overlap=8)
    fixed = unet((32, 32, 1), depth=2, base_filters=4)
    with pytest.raises(ValueError, match="must match the model's fixed input size"):
        predict_tiled(fixed, rand((40, 40)), tile=64)


# ----------------------------------------------------------------------------- precision
def test_predict_tiled_runs_under_the_precision_asked_for(tiny_unet):
    from segkit import _precision

    x = rand((2, 64, 96))
    f32 = predict_tiled(tiny_unet, x, tile=64, overlap=16, precision="float32")
    bf16 = predict_tiled(tiny_unet, x, tile=64, overlap=16, precision="mixed_bfloat16")
    assert bf16.dtype == np.float32 and bf16.shape == f32.shape
    diff = np.abs(bf16 - f32)
    assert 0 < diff.max() < 0.05  # bfloat16 arithmetic: close, not identical
    assert _precision.model_policy(tiny_unet) == "float32"  # the model itself is unchanged
    with _precision.policy_scope("mixed_bfloat16"):
        mixed = unet(depth=2, base_filters=4)
    mixed.set_weights(tiny_unet.get_weights())
    back = predict_tiled(mixed, x, tile=64, overlap=16, precision="float32")
    np.testing.assert_allclose(back, f32, rtol=1e-5, atol=1e-6)  # a float32 copy of it
    # a copy follows the weights of the model as they are now
    tiny_unet.set_weights([w * 0.5 for w in tiny_unet.get_weights()])
    try:
        again = predict_tiled(tiny_unet, x, tile=64, overlap=16, precision="mixed_bfloat16")
        assert np.abs(again - bf16).max() > 1e-3
    finally:
        tiny_unet.set_weights([w * 2.0 for w in tiny_unet.get_weights()])


def test_predict_tiled_checks_precision(identity):
    with pytest.raises(ValueError, match="`precision` must be one of"):
        predict_tiled(identity, rand((40, 40)), tile=32, overlap=8, precision="half")


# ----------------------------------------------------------------------------- volumes
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402

import tifffile  # noqa: E402

from segkit import predict as predict_module  # noqa: E402
from segkit.predict import predict_volume  # noqa: E402


class CountingSource:
    """An array-like volume that counts which slices were read (and reads them lazily)."""

    def __init__(self, array):
        self.array, self.shape, self.dtype = array, array.shape, array.dtype
        self.reads = []

    def __getitem__(self, k):
        self.reads.append(k)
        return self.array[k]


def volume(n=5, shape=(40, 50), seed=0, dtype=np.uint8):
    return (np.random.default_rng(seed).random((n, *shape)) * 250).astype(dtype)


VOL_KW = dict(tile=32, overlap=8, batch_size=3, precision="float32", progress=False)


@pytest.mark.parametrize("layout", ["tiff", "tiff-zlib", "tiff-pages", "tiff-nhwc1", "array"])
def test_predict_volume_equals_predict_tiled(tmp_path, tiny_unet, layout):
    vol = volume()
    norm = Normalization.fit(vol)
    path = tmp_path / "vol.tif"
    if layout == "tiff":
        tifffile.imwrite(path, vol, photometric="minisblack")
    elif layout == "tiff-zlib":
        tifffile.imwrite(path, vol, photometric="minisblack", compression="zlib")
    elif layout == "tiff-pages":  # separate pages, no shape metadata (like other software)
        with tifffile.TiffWriter(path) as tif:
            for s in vol:
                tif.write(s, photometric="minisblack", metadata=None)
    elif layout == "tiff-nhwc1":
        tifffile.imwrite(path, vol[..., None], photometric="minisblack")
    source = vol if layout == "array" else path
    out = predict_volume(tiny_unet, source, tmp_path / "prob.tif", normalization=norm,
                         **VOL_KW)
    expected = predict_tiled(tiny_unet, vol, tile=32, overlap=8, batch_size=3,
                             normalization=norm, precision="float32")
    got = tifffile.imread(out)
    assert got.dtype == np.float32 and got.shape == vol.shape
    np.testing.assert_array_equal(got, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["prob.tif"] + ([] if layout == "array" else ["vol.tif"]))  # no work folder left


def test_tiff_source_is_memory_mapped_when_uncompressed(tmp_path):
    vol = volume()
    tifffile.imwrite(tmp_path / "raw.tif", vol, photometric="minisblack")
    tifffile.imwrite(tmp_path / "zip.tif", vol, photometric="minisblack", compression="zlib")
    raw = predict_module._TiffSource(tmp_path / "raw.tif")
    packed = predict_module._TiffSource(tmp_path / "zip.tif")
    try:
        assert raw._mmap is not None and packed._mmap is None
        for k in (0, 3, 4, 1):
            np.testing.assert_array_equal(raw.read(k)[..., 0], vol[k])
            np.testing.assert_array_equal(packed.read(k)[..., 0], vol[k])
    finally:
        raw.close(), packed.close()


def test_predict_volume_writes_masks(tmp_path, tiny_unet):
    vol = rand((4, 40, 50))
    prob = predict_tiled(tiny_unet, vol, tile=32, overlap=8, batch_size=3, precision="float32")
    threshold = float(np.median(prob))  # about half the pixels on each side
    out = predict_volume(tiny_unet, vol, tmp_path / "mask.tif", output="mask",
                         threshold=threshold, **VOL_KW)
    mask = tifffile.imread(out)
    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, (prob >= threshold).astype(np.uint8))
    three = unet(depth=2, base_filters=4, n_classes=3)
    p3 = predict_tiled(three, vol, tile=32, overlap=8, precision="float32")
    out = predict_volume(three, vol, tmp_path / "classes.tif", output="mask", **VOL_KW)
    np.testing.assert_array_equal(tifffile.imread(out), p3.argmax(-1))
    out = predict_volume(three, vol, tmp_path / "p3.tif", **VOL_KW)
    np.testing.assert_array_equal(tifffile.imread(out), p3)


def test_predict_volume_resumes_after_an_interruption(tmp_path, tiny_unet, monkeypatch):
    vol = rand((6, 40, 50))
    dest = tmp_path / "prob.tif"
    expected = predict_tiled(tiny_unet, vol, tile=32, overlap=8, batch_size=3,
                             precision="float32")
    write = predict_module._Work.write
    written = []

    def interrupted_write(self, k, values):
        if len(written) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the third slice is being written
        write(self, k, values)
        written.append(k)

    monkeypatch.setattr(predict_module._Work, "write", interrupted_write)
    with pytest.raises(KeyboardInterrupt):
        predict_volume(tiny_unet, vol, dest, **VOL_KW)
    monkeypatch.undo()
    assert written == [0, 1] and not dest.exists()
    work = tmp_path / ".prob.tif.partial"
    assert np.fromfile(work / "done", np.uint8).tolist() == [1, 1, 0, 0, 0, 0]

    source = CountingSource(vol)
    predict_volume(tiny_unet, source, dest, **VOL_KW)
    assert source.reads == [2, 3, 4, 5]  # the two finished slices were skipped
    np.testing.assert_array_equal(tifffile.imread(dest), expected)
    assert not work.exists()
    again = CountingSource(vol)
    predict_volume(tiny_unet, again, dest, **VOL_KW)  # finished: nothing to do
    assert again.reads == []


@pytest.mark.slow
def test_predict_volume_resumes_after_the_process_is_killed(tmp_path, tiny_unet):
    vol = rand((8, 40, 50))
    np.save(tmp_path / "vol.npy", vol)
    tiny_unet.save(tmp_path / "model.keras")
    dest = tmp_path / "prob.tif"
    child = textwrap.dedent(f"""
        import time, numpy as np
        from segkit.models import load_model
        from segkit.predict import predict_volume

        class Slow:  # a slow disk: one slice per 0.3 s
            def __init__(self, a): self.a, self.shape, self.dtype = a, a.shape, a.dtype
            def __getitem__(self, k):
                time.sleep(0.3)
                return self.a[k]

        model = load_model({str(tmp_path / "model.keras")!r})
        predict_volume(model, Slow(np.load({str(tmp_path / "vol.npy")!r})), {str(dest)!r},
                       tile=32, overlap=8, batch_size=3, precision="float32", progress=False)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-c", child], env=env)
    done_file = tmp_path / ".prob.tif.partial" / "done"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if done_file.exists() and np.fromfile(done_file, np.uint8).sum() >= 2:
                break
            time.sleep(0.05)
    finally:
        proc.kill()  # SIGKILL: no clean-up code runs
        proc.wait()
    done = np.fromfile(done_file, np.uint8).astype(bool)
    assert 2 <= done.sum() < len(vol) and not dest.exists()
    source = CountingSource(vol)
    predict_volume(tiny_unet, source, dest, **VOL_KW)
    assert source.reads == list(np.flatnonzero(~done))
    expected = predict_tiled(tiny_unet, vol, tile=32, overlap=8, batch_size=3,
                             precision="float32")
    np.testing.assert_array_equal(tifffile.imread(dest), expected)


def test_predict_volume_guards_existing_work(tmp_path, tiny_unet, identity):
    vol = rand((3, 40, 50))
    dest = tmp_path / "prob.tif"
    predict_volume(tiny_unet, vol, dest, **VOL_KW)
    with pytest.raises(FileExistsError, match="exists, made with other settings"):
        predict_volume(tiny_unet, vol, dest, **{**VOL_KW, "overlap": 16})
    predict_volume(identity, vol, dest, overwrite=True, **VOL_KW)
    np.testing.assert_array_equal(tifffile.imread(dest), vol)
    foreign = tmp_path / "foreign.tif"
    tifffile.imwrite(foreign, vol, photometric="minisblack")
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        predict_volume(identity, vol, foreign, **VOL_KW)
    # an unfinished run with other settings is not resumed, nor silently discarded
    work = tmp_path / ".other.tif.partial"
    with pytest.raises(KeyboardInterrupt):
        predict_volume(identity, CountingInterrupt(vol, after=1), tmp_path / "other.tif",
                       **VOL_KW)
    assert work.exists()
    with pytest.raises(ValueError, match=r"other settings \(they differ in: model, overlap\)"):
        predict_volume(tiny_unet, vol, tmp_path / "other.tif", **{**VOL_KW, "overlap": 16})
    predict_volume(tiny_unet, vol, tmp_path / "other.tif", resume=False,
                   **{**VOL_KW, "overlap": 16})
    assert not work.exists()


class CountingInterrupt(CountingSource):
    """Raises KeyboardInterrupt when slice `after` is read."""

    def __init__(self, array, after):
        super().__init__(array)
        self.after = after

    def __getitem__(self, k):
        if k == self.after:
            raise KeyboardInterrupt
        return super().__getitem__(k)


def test_predict_volume_zarr(tmp_path, tiny_unet):
    zarr = pytest.importorskip("zarr")
    vol = volume()
    norm = Normalization.fit(vol)
    src = zarr.open_array(store=str(tmp_path / "vol.zarr"), mode="w", shape=vol.shape,
                          chunks=(1, 40, 50), dtype=vol.dtype)
    src[:] = vol
    expected = predict_tiled(tiny_unet, vol, tile=32, overlap=8, batch_size=3,
                             normalization=norm, precision="float32")
    out = predict_volume(tiny_unet, tmp_path / "vol.zarr", tmp_path / "prob.zarr",
                         normalization=norm, **VOL_KW)
    got = zarr.open_array(store=str(out), mode="r")
    assert got.chunks == (1, 40, 50)
    np.testing.assert_array_equal(got[:], expected)
    assert dict(got.attrs)["segkit"]["tile"] == 32
    out = predict_volume(tiny_unet, src, tmp_path / "mask.tif", normalization=norm,
                         output="mask", **VOL_KW)
    np.testing.assert_array_equal(tifffile.imread(out), expected >= 0.5)


def test_predict_volume_says_when_zarr_is_missing(tmp_path, identity, monkeypatch):
    monkeypatch.setitem(sys.modules, "zarr", None)  # as if not installed
    with pytest.raises(ImportError, match=r"install the optional package zarr: pip install "
                                          r"'segkit\[zarr\]'"):
        predict_volume(identity, rand((2, 40, 40)), tmp_path / "out.zarr", **VOL_KW)
    (tmp_path / "in.zarr").mkdir()
    with pytest.raises(ImportError, match="to read `source` as zarr"):
        predict_volume(identity, tmp_path / "in.zarr", tmp_path / "out.tif", **VOL_KW)


def test_predict_volume_bad_arguments(tmp_path, identity):
    vol = rand((2, 40, 40))
    tifffile.imwrite(tmp_path / "vol.tif", vol, photometric="minisblack")
    np.save(tmp_path / "vol.npy", vol)
    cases = [
        (dict(destination=tmp_path / "out.png"), ValueError, "must end in .tif, .tiff or .zarr"),
        (dict(destination=3), TypeError, "`destination` must be a file name"),
        (dict(source=tmp_path / "nope.tif"), FileNotFoundError, "no such file"),
        (dict(source=tmp_path / "vol.tif", destination=tmp_path / "vol.tif"), ValueError,
         "must differ from `source`"),
        (dict(source=np.zeros((2, 40, 40, 3), np.float32)), ValueError, "colour"),
        (dict(source=rand((40, 40))), ValueError, r"must be a stack \(N, H, W\)"),
        (dict(source=np.zeros((2, 40, 40), np.uint8)), ValueError, "`source` is uint8: pass "
         "the `normalization`"),
        (dict(source=tmp_path / "vol.npy"), ValueError, "must be a .tif/.tiff file or a .zarr"),
        (dict(output="labels"), ValueError, "`output` must be 'probability' or 'mask'"),
        (dict(threshold=2), ValueError, r"`threshold` must be a number in \[0, 1\]"),
        (dict(overlap=32), ValueError, r"`overlap` \(32 pixels\) must be >= 0 and smaller"),
    ]
    for kwargs, error, match in cases:
        args = {"source": vol, "destination": tmp_path / "out.tif", **kwargs}
        with pytest.raises(error, match=match):
            predict_volume(identity, args.pop("source"), args.pop("destination"),
                           **{**VOL_KW, **args})
    nan = vol.copy()
    nan[1, 3, 4] = np.nan
    with pytest.raises(ValueError, match="`source slice 1` must be finite"):
        predict_volume(identity, nan, tmp_path / "out.tif", **VOL_KW)
