import functools
import hashlib
import http.server
import json
import threading

import numpy as np
import pytest
from scipy import ndimage as ndi

from segkit import data, io


@pytest.fixture(scope="module")
def volume():
    return data.make_em_volume(8, (192, 256), seed=3)


# ----------------------------------------------------------------------------- EM volume
def test_em_volume_shapes_dtypes_and_determinism(volume):
    images, masks = volume
    assert images.shape == masks.shape == (8, 192, 256)
    assert images.dtype == masks.dtype == np.uint8
    assert set(np.unique(masks).tolist()) == {0, 1}
    again_i, again_m = data.make_em_volume(8, (192, 256), seed=3)
    np.testing.assert_array_equal(images, again_i)
    np.testing.assert_array_equal(masks, again_m)
    other_i, _ = data.make_em_volume(8, (192, 256), seed=4)
    assert not np.array_equal(images, other_i)


def test_em_volume_looks_like_em_data():
    images, masks = data.make_em_volume(6, (384, 512), seed=0)
    fg = masks.mean()
    assert 0.02 < fg < 0.15  # mitochondria are a minority class, as in the EPFL stacks
    # mitochondria are darker on average ...
    assert images[masks == 1].mean() < images[masks == 0].mean() - 15
    # ... but no global threshold segments them: the best one over all grey levels is poor
    best = max(2 * ((images < t) & (masks == 1)).sum() / ((images < t).sum() + masks.sum())
               for t in range(0, 256, 4))
    assert best < 0.5


def test_em_volume_neighbouring_slices_correlate_more_than_distant_ones():
    images, masks = data.make_em_volume(12, (192, 256), seed=1)
    flat = images.reshape(len(images), -1).astype(float)
    r = [np.corrcoef(flat[0], flat[k])[0, 1] for k in range(12)]
    assert r[1] > 0.3 and r[1] > r[11] + 0.15
    # mitochondria run through z: most of a slice's mask is still there one slice later
    overlap = (masks[5] & masks[6]).sum() / max(masks[5].sum(), 1)
    assert overlap > 0.7


def test_em_volume_bad_input():
    with pytest.raises(ValueError, match=r"`n_slices` must be >= 1, got 0"):
        data.make_em_volume(0, (64, 64))
    with pytest.raises(ValueError, match=r"`shape` must be \(height, width\)"):
        data.make_em_volume(2, (64,))
    with pytest.raises(TypeError, match=r"`seed` must be an int seed"):
        data.make_em_volume(2, (64, 64), seed="a")


# ----------------------------------------------------------------------------- other generators
def test_touching_particles_touch_and_are_labelled():
    images, labels = data.make_touching_particles(2, (128, 128), seed=0, n_particles=20)
    assert images.shape == labels.shape == (2, 128, 128) and labels.dtype == np.int32
    for lab in labels:
        k = lab.max()
        assert set(np.unique(lab).tolist()) == set(range(k + 1))
        merged = ndi.label(lab > 0)[1]
        assert merged < k  # some particles touch, so connected components merge them
    again = data.make_touching_particles(2, (128, 128), seed=0, n_particles=20)
    np.testing.assert_array_equal(labels, again[1])


@pytest.fixture(scope="module")
def particles_with_distractors():
    kw = dict(seed=3, n_particles=12)
    clean = data.make_touching_particles(3, (128, 128), **kw)
    dirty = data.make_touching_particles(3, (128, 128), distractors=4, return_distractors=True,
                                         **kw)
    return clean, dirty


def test_distractors_are_background_and_leave_particles_alone(particles_with_distractors):
    (images, labels), (images_d, labels_d, debris) = particles_with_distractors
    assert debris.shape == labels.shape and debris.dtype == np.int32
    np.testing.assert_array_equal(labels_d, labels)  # same particles, same labels
    assert (labels[debris > 0] == 0).all()  # a distractor is background
    for d in debris:
        k = int(d.max())
        assert 1 <= k <= 4 and set(np.unique(d).tolist()) == set(range(k + 1))
    changed = images_d != images
    assert changed.any() and not (changed & (labels > 0)).any()  # particles look the same
    # every change lies near a distractor (the image blur reaches 4 pixels) ...
    near = np.stack([ndi.binary_dilation(d > 0, iterations=5) for d in debris])
    assert not (changed & ~near).any()
    # ... and every distractor is there to see: brighter than the background around it
    for img, d in zip(images_d.astype(float), debris):
        for j in range(1, d.max() + 1):
            ring = ndi.binary_dilation(d == j, iterations=4) & ~ndi.binary_dilation(d > 0)
            assert img[d == j].mean() > img[ring].mean() + 10


def test_distractors_are_deterministic_and_follow_the_seed(particles_with_distractors):
    _, (images_d, labels_d, debris) = particles_with_distractors
    again = data.make_touching_particles(3, (128, 128), seed=3, n_particles=12, distractors=4,
                                         return_distractors=True)
    for a, b in zip((images_d, labels_d, debris), again):
        np.testing.assert_array_equal(a, b)
    other = data.make_touching_particles(3, (128, 128), seed=4, n_particles=12, distractors=4,
                                         return_distractors=True)
    assert not np.array_equal(other[2], debris)


@pytest.mark.parametrize("kind", data.DISTRACTOR_KINDS)
def test_each_distractor_kind(kind):
    images, labels = data.make_touching_particles(1, (96, 96), seed=0, n_particles=4)
    images_d, labels_d, debris = data.make_touching_particles(
        1, (96, 96), seed=0, n_particles=4, distractors=2, distractor_kinds=[kind],
        return_distractors=True)
    np.testing.assert_array_equal(labels_d, labels)
    assert debris.max() >= 1 and (images_d != images).any()
    inside = images_d[debris > 0].astype(float)
    if kind == "faint":  # dimmer than a particle
        assert inside.mean() < images[labels > 0].mean() - 20


def test_no_distractors_by_default_and_none_without_room():
    plain = data.make_touching_particles(1, (64, 64), seed=0, n_particles=5)
    images, labels, debris = data.make_touching_particles(1, (64, 64), seed=0, n_particles=5,
                                                          return_distractors=True)
    np.testing.assert_array_equal(images, plain[0])
    assert not debris.any()
    # a crowded image has no room: fewer distractors (here none), nothing else changes
    crowded = data.make_touching_particles(1, (32, 32), seed=0, n_particles=30, radius=(8, 9),
                                           distractors=3, return_distractors=True)
    assert not crowded[2].any()
    np.testing.assert_array_equal(crowded[1], data.make_touching_particles(
        1, (32, 32), seed=0, n_particles=30, radius=(8, 9))[1])


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(distractors=-1), ValueError, r"`distractors` must be >= 0, got -1"),
    (dict(distractors=1.5), TypeError, r"`distractors` must be an integer, got 1.5"),
    (dict(distractors=1, distractor_kinds=["faint", "dust"]), ValueError,
     r"`distractor_kinds` must be a non-empty sequence of names from .*'dust'"),
    (dict(distractors=1, distractor_kinds=[]), ValueError, r"`distractor_kinds` must be a non"),
    (dict(distractors=1, distractor_kinds=3), TypeError, r"`distractor_kinds` must be a seq"),
])
def test_distractors_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        data.make_touching_particles(1, (64, 64), **kwargs)


def test_cells_have_membranes_and_centres_inside():
    images, labels, centres = data.make_cells(2, (128, 128), seed=0, n_cells=12)
    assert centres.shape[1] == 3 and len(centres) == labels[0].max() + labels[1].max()
    assert (labels[tuple(centres.T)] > 0).all()
    membrane = labels == 0
    assert images[membrane].mean() < images[~membrane].mean() - 50
    # every centre is unique to its cell
    ids = labels[tuple(centres.T)] + 1000 * centres[:, 0]
    assert len(np.unique(ids)) == len(ids)


def test_cells_gaps_open_the_membrane():
    closed, labels, _ = data.make_cells(1, (128, 128), seed=5, n_cells=12, gap_rate=0.0)
    opened, labels2, _ = data.make_cells(1, (128, 128), seed=5, n_cells=12, gap_rate=0.3)
    np.testing.assert_array_equal(labels, labels2)  # gaps change the picture, not the truth
    membrane = labels[0] == 0
    assert opened[0][membrane].mean() > closed[0][membrane].mean() + 5
    with pytest.raises(ValueError, match=r"`gap_rate` must be in \[0, 1\)"):
        data.make_cells(1, (64, 64), gap_rate=1.5)


# ----------------------------------------------------------------------------- datasets on disk
def test_write_and_load_synthetic_dataset(tmp_path, monkeypatch):
    monkeypatch.setitem(data.SYNTHETIC, "tiny", dict(train_slices=3, test_slices=2,
                                                     shape=(64, 96), seed=7))
    paths = data.load_dataset("tiny", root=tmp_path)
    assert sorted(p.name for p in paths.values()) == sorted(f"{k}.tif" for k in data.EM_FILES)
    stacks = data.load_em_stacks("tiny", root=tmp_path)
    (xtr, ytr), (xte, _) = stacks["train"], stacks["test"]
    assert xtr.shape == ytr.shape == (3, 64, 96, 1) and xte.shape == (2, 64, 96, 1)
    expected, _ = data.make_em_volume(3, (64, 96), seed=7)
    np.testing.assert_array_equal(xtr[..., 0], expected)
    assert not np.array_equal(xtr[:2], xte)  # train and test are different volumes
    # a second call reuses the files ...
    mtime = paths["training"].stat().st_mtime_ns
    data.load_dataset("tiny", root=tmp_path)
    assert paths["training"].stat().st_mtime_ns == mtime
    # ... and changed parameters regenerate them
    monkeypatch.setitem(data.SYNTHETIC, "tiny", dict(train_slices=4, test_slices=2,
                                                     shape=(64, 96), seed=7))
    assert data.load_em_stacks("tiny", root=tmp_path)["train"][0].shape[0] == 4


def test_incomplete_dataset_is_regenerated(tmp_path, monkeypatch):
    monkeypatch.setitem(data.SYNTHETIC, "tiny", dict(train_slices=2, test_slices=2,
                                                     shape=(32, 32), seed=1))
    paths = data.load_dataset("tiny", root=tmp_path)
    paths["testing"].write_bytes(b"truncated")  # e.g. a crash or a full disk
    (tmp_path / "tiny" / "segkit-dataset.json").unlink()
    stacks = data.load_em_stacks("tiny", root=tmp_path)
    assert stacks["test"][0].shape == (2, 32, 32, 1)


def test_unknown_dataset_name(tmp_path):
    with pytest.raises(ValueError, match=r"`name` must be a synthetic dataset .* got 'nope'"):
        data.load_dataset("nope", root=tmp_path)


# ----------------------------------------------------------------------------- registry + fetch
@pytest.fixture
def served(tmp_path):
    """Serve a folder of real TIFFs over HTTP on localhost; yield (base_url, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    images, masks = data.make_em_volume(2, (32, 48), seed=9)
    for part in ("training", "testing"):
        io.write_stack(folder / f"{part}.tif", images)
        io.write_stack(folder / f"{part}_groundtruth.tif", masks, mask=True)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _registry(base, folder, *, corrupt=None, unknown=()):
    files = {}
    for k in data.EM_FILES:
        sha = hashlib.sha256((folder / f"{k}.tif").read_bytes()).hexdigest()
        if k == corrupt:
            sha = "0" * 64
        files[k] = (f"{base}/{k}.tif", None if k in unknown else sha)
    return {"local-em": data.RemoteDataset(description="test files", files=files)}


def test_fetch_downloads_verifies_and_caches(served, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    base, folder = served
    reg = _registry(base, folder)
    root = tmp_path / "cache"
    stacks = data.load_em_stacks("local-em", root=root, registry=reg)
    assert stacks["train"][0].shape == (2, 32, 48, 1)
    # cached: a second fetch works with the server's files gone
    for f in folder.iterdir():
        f.unlink()
    paths = data.fetch("local-em", root=root, registry=reg)
    assert all(p.is_file() for p in paths.values())


def test_fetch_rejects_wrong_checksum(served, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    base, folder = served
    reg = _registry(base, folder, corrupt="testing")
    with pytest.raises(ValueError, match=r"(?i)hash"):
        data.fetch("local-em", root=tmp_path / "cache", registry=reg)
    assert not (tmp_path / "cache" / "local-em" / "testing.tif").exists()


def test_fetch_refuses_unverified_unless_allowed(served, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    base, folder = served
    reg = _registry(base, folder, unknown=("training",))
    with pytest.raises(ValueError, match=r"no recorded checksum for \['training'\]; refusing"):
        data.fetch("local-em", root=tmp_path / "cache", registry=reg)
    paths = data.fetch("local-em", root=tmp_path / "cache", registry=reg, allow_unverified=True)
    sha = hashlib.sha256(paths["training"].read_bytes()).hexdigest()
    assert f"sha256 {sha} (unverified)" in capsys.readouterr().out


def test_real_registry_is_honest_about_unknown_checksums():
    ds = data.REGISTRY["epfl-hippocampus"]
    assert set(ds.files) == set(data.EM_FILES)
    for url, sha in ds.files.values():
        assert url.startswith("https://")
        assert sha is None or len(sha) == 64  # never a made-up placeholder
    with pytest.raises(ValueError, match=r"refusing to download unverified files"):
        data.fetch("epfl-hippocampus", root="unused")


def test_manifest_records_parameters(tmp_path):
    data.write_em_dataset(tmp_path, train_slices=1, test_slices=1, shape=(32, 32), seed=2)
    manifest = json.loads((tmp_path / "segkit-dataset.json").read_text())
    assert manifest["train_slices"] == 1 and manifest["shape"] == [32, 32]
