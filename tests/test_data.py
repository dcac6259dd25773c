import dataclasses
import functools
import hashlib
import http.server
import importlib.resources
import json
import shutil
import socket
import threading
import zipfile
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from scipy import ndimage as ndi

from segkit import data, io, synthetic


@pytest.fixture(scope="module")
def volume():
    return synthetic.make_em_volume(8, (192, 256), seed=3)


# ----------------------------------------------------------------------------- EM volume
def test_em_volume_shapes_dtypes_and_determinism(volume):
    images, masks = volume
    assert images.shape == masks.shape == (8, 192, 256)
    assert images.dtype == masks.dtype == np.uint8
    assert set(np.unique(masks).tolist()) == {0, 1}
    again_i, again_m = synthetic.make_em_volume(8, (192, 256), seed=3)
    np.testing.assert_array_equal(images, again_i)
    np.testing.assert_array_equal(masks, again_m)
    other_i, _ = synthetic.make_em_volume(8, (192, 256), seed=4)
    assert not np.array_equal(images, other_i)


def test_em_volume_looks_like_em_data():
    images, masks = synthetic.make_em_volume(6, (384, 512), seed=0)
    fg = masks.mean()
    assert 0.02 < fg < 0.15  # mitochondria are a minority class, as in the EPFL stacks
    # mitochondria are darker on average ...
    assert images[masks == 1].mean() < images[masks == 0].mean() - 15
    # ... but no global threshold segments them: the best one over all grey levels is poor
    best = max(2 * ((images < t) & (masks == 1)).sum() / ((images < t).sum() + masks.sum())
               for t in range(0, 256, 4))
    assert best < 0.5


def test_em_volume_neighbouring_slices_correlate_more_than_distant_ones():
    images, masks = synthetic.make_em_volume(12, (192, 256), seed=1)
    flat = images.reshape(len(images), -1).astype(float)
    r = [np.corrcoef(flat[0], flat[k])[0, 1] for k in range(12)]
    assert r[1] > 0.3 and r[1] > r[11] + 0.15
    # mitochondria run through z: most of a slice's mask is still there one slice later
    overlap = (masks[5] & masks[6]).sum() / max(masks[5].sum(), 1)
    assert overlap > 0.7


def test_em_volume_bad_input():
    with pytest.raises(ValueError, match=r"`n_slices` must be >= 1, got 0"):
        synthetic.make_em_volume(0, (64, 64))
    with pytest.raises(ValueError, match=r"`shape` must be \(height, width\)"):
        synthetic.make_em_volume(2, (64,))
    with pytest.raises(TypeError, match=r"`seed` must be an int seed"):
        synthetic.make_em_volume(2, (64, 64), seed="a")


# ----------------------------------------------------------------------------- other generators
def test_touching_particles_touch_and_are_labelled():
    images, labels = synthetic.make_touching_particles(2, (128, 128), seed=0, n_particles=20)
    assert images.shape == labels.shape == (2, 128, 128) and labels.dtype == np.int32
    for lab in labels:
        k = lab.max()
        assert set(np.unique(lab).tolist()) == set(range(k + 1))
        merged = ndi.label(lab > 0)[1]
        assert merged < k  # some particles touch, so connected components merge them
    again = synthetic.make_touching_particles(2, (128, 128), seed=0, n_particles=20)
    np.testing.assert_array_equal(labels, again[1])


@pytest.fixture(scope="module")
def particles_with_distractors():
    kw = dict(seed=3, n_particles=12)
    clean = synthetic.make_touching_particles(3, (128, 128), **kw)
    dirty = synthetic.make_touching_particles(3, (128, 128), distractors=4, return_distractors=True,
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
    again = synthetic.make_touching_particles(3, (128, 128), seed=3, n_particles=12, distractors=4,
                                         return_distractors=True)
    for a, b in zip((images_d, labels_d, debris), again):
        np.testing.assert_array_equal(a, b)
    other = synthetic.make_touching_particles(3, (128, 128), seed=4, n_particles=12, distractors=4,
                                         return_distractors=True)
    assert not np.array_equal(other[2], debris)


@pytest.mark.parametrize("kind", synthetic._DISTRACTOR_KINDS)
def test_each_distractor_kind(kind):
    images, labels = synthetic.make_touching_particles(1, (96, 96), seed=0, n_particles=4)
    images_d, labels_d, debris = synthetic.make_touching_particles(
        1, (96, 96), seed=0, n_particles=4, distractors=2, distractor_kinds=[kind],
        return_distractors=True)
    np.testing.assert_array_equal(labels_d, labels)
    assert debris.max() >= 1 and (images_d != images).any()
    inside = images_d[debris > 0].astype(float)
    if kind == "faint":  # dimmer than a particle
        assert inside.mean() < images[labels > 0].mean() - 20


def test_no_distractors_by_default_and_none_without_room():
    plain = synthetic.make_touching_particles(1, (64, 64), seed=0, n_particles=5)
    images, labels, debris = synthetic.make_touching_particles(1, (64, 64), seed=0, n_particles=5,
                                                          return_distractors=True)
    np.testing.assert_array_equal(images, plain[0])
    assert not debris.any()
    # a crowded image has no room: fewer distractors (here none), nothing else changes
    crowded = synthetic.make_touching_particles(1, (32, 32), seed=0, n_particles=30, radius=(8, 9),
                                           distractors=3, return_distractors=True)
    assert not crowded[2].any()
    np.testing.assert_array_equal(crowded[1], synthetic.make_touching_particles(
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
        synthetic.make_touching_particles(1, (64, 64), **kwargs)


def test_cells_have_membranes_and_centres_inside():
    images, labels, centres = synthetic.make_cells(2, (128, 128), seed=0, n_cells=12)
    assert centres.shape[1] == 3 and len(centres) == labels[0].max() + labels[1].max()
    assert (labels[tuple(centres.T)] > 0).all()
    membrane = labels == 0
    assert images[membrane].mean() < images[~membrane].mean() - 50
    # every centre is unique to its cell
    ids = labels[tuple(centres.T)] + 1000 * centres[:, 0]
    assert len(np.unique(ids)) == len(ids)


def test_cells_gaps_open_the_membrane():
    closed, labels, _ = synthetic.make_cells(1, (128, 128), seed=5, n_cells=12, gap_rate=0.0)
    opened, labels2, _ = synthetic.make_cells(1, (128, 128), seed=5, n_cells=12, gap_rate=0.3)
    np.testing.assert_array_equal(labels, labels2)  # gaps change the picture, not the truth
    membrane = labels[0] == 0
    assert opened[0][membrane].mean() > closed[0][membrane].mean() + 5
    with pytest.raises(ValueError, match=r"`gap_rate` must be in \[0, 1\)"):
        synthetic.make_cells(1, (64, 64), gap_rate=1.5)


# ----------------------------------------------------------------------------- datasets on disk
def test_write_and_load_synthetic_dataset(tmp_path, monkeypatch):
    monkeypatch.setitem(data._SYNTHETIC, "tiny", dict(train_slices=3, test_slices=2,
                                                     shape=(64, 96), seed=7))
    paths = data._em_files("tiny", root=tmp_path)
    assert sorted(p.name for p in paths.values()) == sorted(f"{k}.tif" for k in data.EM_FILES)
    stacks = data.load_em_stacks("tiny", root=tmp_path)
    (xtr, ytr), (xte, _) = stacks["train"], stacks["test"]
    assert xtr.shape == ytr.shape == (3, 64, 96, 1) and xte.shape == (2, 64, 96, 1)
    expected, _ = synthetic.make_em_volume(3, (64, 96), seed=7)
    np.testing.assert_array_equal(xtr[..., 0], expected)
    assert not np.array_equal(xtr[:2], xte)  # train and test are different volumes
    # a second call reuses the files ...
    mtime = paths["training"].stat().st_mtime_ns
    data._em_files("tiny", root=tmp_path)
    assert paths["training"].stat().st_mtime_ns == mtime
    # ... and changed parameters regenerate them
    monkeypatch.setitem(data._SYNTHETIC, "tiny", dict(train_slices=4, test_slices=2,
                                                     shape=(64, 96), seed=7))
    assert data.load_em_stacks("tiny", root=tmp_path)["train"][0].shape[0] == 4


def test_incomplete_dataset_is_regenerated(tmp_path, monkeypatch):
    monkeypatch.setitem(data._SYNTHETIC, "tiny", dict(train_slices=2, test_slices=2,
                                                     shape=(32, 32), seed=1))
    paths = data._em_files("tiny", root=tmp_path)
    paths["testing"].write_bytes(b"truncated")  # e.g. a crash or a full disk
    (tmp_path / "tiny" / "segkit-dataset.json").unlink()
    stacks = data.load_em_stacks("tiny", root=tmp_path)
    assert stacks["test"][0].shape == (2, 32, 32, 1)


def test_fetch_writes_synthetic_data_and_returns_its_paths(tmp_path, monkeypatch):
    monkeypatch.setitem(data._SYNTHETIC, "tiny", dict(train_slices=2, test_slices=2,
                                                     shape=(32, 48), seed=5))
    paths = data.fetch("tiny", root=tmp_path)
    # keyed like the EPFL files of the registry, so notebook 01 reads either by path
    assert list(paths) == [f"{k}.tif" for k in data.EM_FILES]
    assert list(paths) == list(data.REGISTRY["epfl-hippocampus"].files)
    assert all(p.is_file() and p.parent == tmp_path / "tiny" for p in paths.values())
    images = io.read_stack(paths["training.tif"])
    expected, _ = synthetic.make_em_volume(2, (32, 48), seed=5)
    np.testing.assert_array_equal(images[..., 0], expected)
    assert data.fetch("tiny", root=tmp_path) == paths  # the second call reuses the files
    with pytest.raises(ValueError, match=r"`name` must be a registered dataset \[.*'emps'.*\] "
                                         r"or a synthetic one \[.*'tiny'\], got 'nope'"):
        data.fetch("nope", root=tmp_path)


def test_unknown_dataset_name(tmp_path):
    with pytest.raises(ValueError, match=r"`name` must be a synthetic dataset .* got 'nope'"):
        data._em_files("nope", root=tmp_path)


# ----------------------------------------------------------------------------- registry + fetch
@pytest.fixture
def served(tmp_path):
    """Serve a folder of real TIFFs over HTTP on localhost; yield (base_url, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    images, masks = synthetic.make_em_volume(2, (32, 48), seed=9)
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
    # once on disk, the notebooks after the one that downloaded it use it without the flag
    again = data.fetch("local-em", root=tmp_path / "cache", registry=reg)
    assert again["training"] == paths["training"] and "unverified" not in capsys.readouterr().out


def test_real_registry_is_honest_about_unknown_checksums():
    ds = data.REGISTRY["epfl-hippocampus"]
    assert set(ds.files) == {f"{k}.tif" for k in data.EM_FILES}  # relative paths (issue 18)
    for url, sha in ds.files.values():
        assert url.startswith("https://")
        assert sha is None or len(sha) == 64  # never a made-up placeholder
    with pytest.raises(ValueError, match=r"refusing to download unverified files"):
        data.fetch("epfl-hippocampus", root="unused")


def test_manifest_records_parameters(tmp_path):
    data._write_em_dataset(tmp_path, train_slices=1, test_slices=1, shape=(32, 32), seed=2)
    manifest = json.loads((tmp_path / "segkit-dataset.json").read_text())
    assert manifest["train_slices"] == 1 and manifest["shape"] == [32, 32]


# ----------------------------------------------------------------------------- real data
DATA = Path(__file__).parent / "data"  # real files from the sources, see tests/data/README.md
EMPS_IDS = ["2897b777fe", "de1d3f1409", "065d8e352c"]  # train split; f7fa7d1729 is a test id


def _committed(name):
    """Relative paths of the committed real files of dataset `name`."""
    folder = DATA / name
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def real_root(tmp_path):
    """A copy of tests/data: files put in place by hand, as a user would."""
    root = tmp_path / "root"
    shutil.copytree(DATA, root, ignore=shutil.ignore_patterns("README.md", "LICENSES"))
    return root


@pytest.mark.parametrize("name", ["emps", "isbi2012", "stardist-nuclei"])
def test_registry_hashes_match_the_committed_real_files(name):
    ds = data.REGISTRY[name]
    rels = _committed(name)
    assert len(rels) >= 2
    for rel in rels:
        url, sha = ds.files[rel]
        assert hashlib.sha256((DATA / name / rel).read_bytes()).hexdigest() == sha, rel


@pytest.mark.parametrize("name, repo, commit", [
    ("emps", "by256/emps", "dd8f86d714894fd08f3db80041893982ce058dd6"),
    ("isbi2012", "zhixuhao/unet", "b45af4d458437d8281cc218a07fd4380818ece4a"),
    ("stardist-nuclei", "stardist/stardist", "650d3a19bf7380ec0476d672397ff0388687a9d3"),
])
def test_github_datasets_are_pinned_to_their_commit(name, repo, commit):
    for rel, (url, sha) in data.REGISTRY[name].files.items():
        assert url == f"https://raw.githubusercontent.com/{repo}/{commit}/{rel}"
        assert len(sha) == 64 and int(sha, 16) >= 0


def test_registry_files_are_in_pooch_format_and_complete():
    import pooch

    for name, count in (("emps", 2 + 465 * 2), ("isbi2012", 90)):
        reg = pooch.create(path="unused", base_url="")
        with importlib.resources.as_file(
                importlib.resources.files("segkit") / "registry" / f"{name}.txt") as path:
            reg.load_registry(path)
        files = data.REGISTRY[name].files
        assert len(files) == len(reg.registry) == count
        assert {k: f"sha256:{sha}" for k, (_, sha) in files.items()} == reg.registry
    emps = data.REGISTRY["emps"].files
    for split in ("train", "test"):  # every id of the paper's split has an image and a map
        ids = (DATA / "emps" / f"{split}.csv").read_text().split()
        assert len(ids) == {"train": 366, "test": 99}[split]
        assert all(f"images/{i}.png" in emps and f"segmaps/{i}.png" in emps for i in ids)
    isbi = data.REGISTRY["isbi2012"].files
    assert all(f"data/membrane/{d}/{i}.png" in isbi
               for d in ("train/image", "train/label", "test") for i in range(30))


def test_lucchi_and_epfl_registry_entries():
    (rel, (url, sha)), = data.REGISTRY["lucchi++"].files.items()
    assert (rel, url) == ("lucchi_pp.zip", "http://www.casser.io/files/lucchi_pp.zip")
    assert sha == "770ce9e98fc6f29c1b1a250c637e6c5125f2b5f1260e5a7687b55a79e2e8844d"
    epfl = data.REGISTRY["epfl-hippocampus"]
    assert epfl.sizes == {f"{k}.tif": 129_919_357 for k in data.EM_FILES}
    assert "129,919,357" in epfl.notes


def test_emps_rgb_grey_becomes_one_channel_and_labels_int32(real_root, offline):
    d = data.load("emps", root=real_root, ids=EMPS_IDS)
    assert (d.name, d.split, d.ids, d.masks) == ("emps", "train", tuple(EMPS_IDS), None)
    assert isinstance(d.images, list) and isinstance(d.labels, list)
    for i, img, lab in zip(EMPS_IDS, d.images, d.labels):
        raw = iio.imread(DATA / "emps" / "images" / f"{i}.png")
        assert raw.ndim == 3 and raw.shape[-1] == 3  # stored as RGB ...
        assert img.ndim == 2 and img.dtype == np.uint8  # ... read as one grey channel
        np.testing.assert_array_equal(img, raw[..., 1])
        # its own contiguous memory: a view of the decoded RGB would keep 3x the image alive
        assert img.base is None and img.flags.c_contiguous
        stored = iio.imread(DATA / "emps" / "segmaps" / f"{i}.png")
        assert stored.dtype == np.uint16 and lab.dtype == np.int32
        np.testing.assert_array_equal(lab, stored)  # numbering kept, gaps included
        assert lab.shape == img.shape


def test_emps_sizes_vary_and_are_not_multiples_of_16(real_root, offline):
    d = data.load("emps", root=real_root, ids=EMPS_IDS)
    assert [im.shape for im in d.images] == [(512, 626), (512, 512), (512, 525)]
    test = data.load("emps", root=real_root, split="test", ids=["f7fa7d1729"])
    assert test.images[0].shape == test.labels[0].shape == (516, 512)  # 516 = 32 * 16 + 4
    assert int(test.labels[0].max()) == 16


def test_emps_label_gap_is_kept(real_root, offline):
    (lab,) = data.load("emps", root=real_root, ids=["065d8e352c"]).labels
    present = set(np.unique(lab).tolist())
    assert max(present) == 33 and 31 not in present and len(present) == 33  # 32 particles


def test_stardist_uint16_image_and_gappy_labels(real_root, offline):
    import tifffile

    d = data.load("stardist-nuclei", root=real_root)
    assert (d.split, d.ids, d.masks) == ("all", ("img2d",), None)
    (img,), (lab,) = d.images, d.labels
    assert img.shape == (512, 512) and img.dtype == np.uint16
    stored = tifffile.imread(DATA / "stardist-nuclei/stardist/data/images/mask2d.tif")
    assert stored.dtype == np.uint16 and lab.dtype == np.int32
    np.testing.assert_array_equal(lab, stored)
    assert int(lab.max()) == 183 and len(np.unique(lab)) - 1 == 125  # gaps in the numbering


def test_isbi_membrane_labels_become_the_cell_mask(real_root, offline):
    d = data.load("isbi2012", root=real_root, ids=[1, "0"])
    assert d.ids == ("1", "0") and d.labels is None
    assert d.images.shape == d.masks.shape == (2, 512, 512, 1)
    assert d.images.dtype == d.masks.dtype == np.uint8
    for k, i in enumerate(d.ids):
        stored = iio.imread(DATA / f"isbi2012/data/membrane/train/label/{i}.png")
        assert set(np.unique(stored).tolist()) == {0, 255}
        np.testing.assert_array_equal(d.masks[k, ..., 0], (stored == 255).astype(np.uint8))
        raw = iio.imread(DATA / f"isbi2012/data/membrane/train/image/{i}.png")
        np.testing.assert_array_equal(d.images[k, ..., 0], raw)
    # cells are the majority, membranes are darker than cell interiors
    assert 0.6 < d.masks.mean() < 0.9
    assert d.images[d.masks == 0].mean() < d.images[d.masks == 1].mean() - 30


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(name="emps", split="val"), ValueError, r"`split` must be one of 'train', 'test', 'all'"),
    (dict(name="emps", split="test", ids=["2897b777fe"]), ValueError,
     r"`ids` \['2897b777fe'\] are not in split 'test' of 'emps' \(99 ids"),
    (dict(name="emps", ids="2897b777fe"), TypeError, r"`ids` must be a sequence of image ids"),
    (dict(name="isbi2012", ids=[30]), ValueError, r"`ids` \['30'\] are not in split 'train'"),
    (dict(name="stardist-nuclei", split="train"), ValueError, r"`split` must be one of 'all'"),
    (dict(name="nope"), ValueError, r"`name` must be one of \[.*'emps'.*\], got 'nope'"),
])
def test_load_bad_arguments(real_root, offline, kwargs, error, message):
    with pytest.raises(error, match=message):
        data.load(root=real_root, **kwargs)


def test_files_placed_by_hand_are_used_without_network(real_root, offline):
    paths = data.fetch("stardist-nuclei", root=real_root)
    assert paths == {rel: real_root / "stardist-nuclei" / rel
                     for rel in data.REGISTRY["stardist-nuclei"].files}
    # the guard works: a missing file is a download, which the `offline` fixture stops
    paths["stardist/data/images/img2d.tif"].unlink()
    with pytest.raises(AssertionError, match="the network was used"):
        data.fetch("stardist-nuclei", root=real_root)


def test_a_file_with_the_wrong_hash_is_refused_by_name(real_root, offline):
    bad = real_root / "emps" / "images" / "2897b777fe.png"
    content = bytearray(bad.read_bytes())
    content[-20] ^= 1
    bad.write_bytes(bytes(content))
    with pytest.raises(ValueError, match=r"dataset 'emps': .*2897b777fe.png has SHA-256 "
                                         r"[0-9a-f]{64}, but the registry expects [0-9a-f]{64} "
                                         r"for images/2897b777fe.png: it is not the published "
                                         r"file, so segkit will not use it"):
        data.load("emps", root=real_root, ids=EMPS_IDS)
    assert bad.read_bytes() == bytes(content)  # refused, not overwritten: the user decides
    data.load("emps", root=real_root, ids=["de1d3f1409"])  # the other files are fine


def test_a_registry_path_cannot_leave_the_dataset_folder(tmp_path):
    reg = {"x": data.RemoteDataset(description="", files={"../evil.png": ("http://x/e", "0" * 64)})}
    with pytest.raises(ValueError, match=r"file name '\.\./evil\.png' must be a relative path"):
        data.fetch("x", root=tmp_path, registry=reg)


def test_load_dataset_points_real_non_epfl_data_to_load():
    with pytest.raises(ValueError, match=r"'emps' does not have the EPFL layout .* \(read it with "
                                         r"`segkit.data.load`"):
        data._em_files("emps", root="unused")


# ----------------------------------------------------------------------------- image conventions
def _hand_placed_emps(root, image, segmap, ident="x1"):
    """A one-image dataset named 'emps' (so `load` reads it as EMPS), files placed by hand."""
    folder = root / "emps"
    (folder / "images").mkdir(parents=True)
    (folder / "segmaps").mkdir()
    (folder / "train.csv").write_text(f"{ident}\n")
    iio.imwrite(folder / "images" / f"{ident}.png", image)
    iio.imwrite(folder / "segmaps" / f"{ident}.png", segmap)
    files = {}
    for rel in ("train.csv", f"images/{ident}.png", f"segmaps/{ident}.png"):
        sha = hashlib.sha256((folder / rel).read_bytes()).hexdigest()
        files[rel] = (f"http://127.0.0.1:9/{rel}", sha)
    return {"emps": data.RemoteDataset(description="hand-made", files=files)}


def test_true_colour_is_refused_naming_the_file(tmp_path, offline):
    rgb = np.zeros((8, 9, 3), np.uint8)
    rgb[..., 0] = 10
    rgb[2, 3] = (10, 200, 10)
    reg = _hand_placed_emps(tmp_path, rgb, np.zeros((8, 9), np.uint16))
    with pytest.raises(ValueError, match=r"emps/images/x1.png holds true colour \(R, G, B differ "
                                         r"at 72 pixels, e.g. \(10, 0, 0\) at \(0, 0\)\).*"
                                         r"skimage.color.rgb2gray"):
        data.load("emps", root=tmp_path, registry=reg)


def test_rgba_grey_is_one_channel_and_transparency_is_refused(tmp_path, offline):
    grey = np.arange(72, dtype=np.uint8).reshape(8, 9)
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    reg = _hand_placed_emps(tmp_path / "a", rgba, np.ones((8, 9), np.uint16))
    d = data.load("emps", root=tmp_path / "a", registry=reg)
    np.testing.assert_array_equal(d.images[0], grey)
    assert d.images[0].base is None and d.images[0].flags.c_contiguous  # not a view of RGBA
    rgba[0, 0, 3] = 0
    reg = _hand_placed_emps(tmp_path / "b", rgba, np.ones((8, 9), np.uint16))
    with pytest.raises(ValueError, match=r"emps/images/x1.png has transparent pixels"):
        data.load("emps", root=tmp_path / "b", registry=reg)


def test_image_and_labels_of_different_sizes_are_an_error(tmp_path, offline):
    reg = _hand_placed_emps(tmp_path, np.zeros((8, 9), np.uint8), np.zeros((8, 8), np.uint16))
    with pytest.raises(ValueError, match=r"emps/segmaps/x1.png \(shape \(8, 8\)\) must have the "
                                         r"same shape as emps/images/x1.png \(shape \(8, 9\)\)"):
        data.load("emps", root=tmp_path, registry=reg)


# ----------------------------------------------------------------------------- lucchi++
def _png(arr):
    return iio.imwrite("<bytes>", arr, extension=".png")


def _lucchi_zip(path, *, n=3, shape=(12, 16), top="Lucchi++", skip=None, extra=None,
                colours=False):
    """A zip in the layout of lucchi_pp.zip: slices mask%04d.png, labels %d.png.

    Train labels are RGBA (white = mitochondrion, opaque black elsewhere), test labels grey
    {0, 255}. Returns the images and masks written, per split.
    """
    rng = np.random.default_rng(0)
    written = {}
    with zipfile.ZipFile(path, "w") as zf:
        for split, (in_dir, out_dir) in (("train", ("Train_In", "Train_Out")),
                                         ("test", ("Test_In", "Test_Out"))):
            images = rng.integers(0, 256, (n, *shape), dtype=np.uint8)
            masks = (rng.uniform(size=(n, *shape)) < 0.3).astype(np.uint8)
            for z in range(n):
                if (split, z) == skip:
                    continue
                img = images[z]
                if split == "train":  # stored as RGB holding grey, as EMPS does
                    img = np.dstack([img] * 3)
                zf.writestr(f"{top}/{in_dir}/mask{z:04d}.png", _png(img))
                if split == "train":
                    lab = np.zeros((*shape, 4), np.uint8)
                    lab[..., 3] = 255
                    lab[masks[z] == 1] = 255
                    if colours and z == 1:
                        lab[0, 0] = (255, 0, 0, 255)
                else:
                    lab = masks[z] * np.uint8(255)
                zf.writestr(f"{top}/{out_dir}/{z}.png", _png(lab))
            written[split] = (images, masks)
        for name, content in (extra or {}).items():
            zf.writestr(name, content)
    return written


def _lucchi_registry(zip_path):
    sha = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    ds = dataclasses.replace(data.REGISTRY["lucchi++"],
                             files={"lucchi_pp.zip": ("http://127.0.0.1:9/lucchi_pp.zip", sha)})
    return {"lucchi++": ds}


def test_lucchi_reader_on_a_generated_archive(tmp_path, offline):
    zip_path = tmp_path / "lucchi++" / "lucchi_pp.zip"
    zip_path.parent.mkdir()
    written = _lucchi_zip(zip_path, extra={"__MACOSX/Lucchi++/._x": b"", "Lucchi++/": b""})
    reg = _lucchi_registry(zip_path)
    stacks = data.load_em_stacks("lucchi++", root=tmp_path, registry=reg)
    for split in ("train", "test"):
        x, y = stacks[split]
        images, masks = written[split]
        assert x.shape == y.shape == (3, 12, 16, 1) and x.dtype == y.dtype == np.uint8
        np.testing.assert_array_equal(x[..., 0], images)
        np.testing.assert_array_equal(y[..., 0], masks)
    d = data.load("lucchi++", root=tmp_path, registry=reg, split="test", ids=[2, 0])
    assert d.ids == ("2", "0")
    np.testing.assert_array_equal(d.masks[:, ..., 0], written["test"][1][[2, 0]])


@pytest.mark.parametrize("kwargs, message", [
    (dict(top="Lucchi"), r"has no PNG in Lucchi\+\+/Train_In/ \(expected the layout "
                         r"Lucchi\+\+/\{Train_In,Train_Out,Test_In,Test_Out\}\); its top-level "
                         r"entries are \['Lucchi/'\]"),
    (dict(skip=("train", 1)), r"Lucchi\+\+/Train_In/ are not numbered 0..1 without gaps; "
                              r"missing \[1\]"),
    (dict(extra={"Lucchi++/Train_In/slice7.png": b""}),
     r"1 PNG\(s\) in Lucchi\+\+/Train_In/ are not named like 'mask\(\\\\d\{4\}\)\\\\.png'"),
    (dict(extra={"Lucchi++/Train_Out/3.png": _png(np.zeros((12, 16), np.uint8))}),
     r"Lucchi\+\+/Train_In has 3 slices but Lucchi\+\+/Train_Out has 4"),
    (dict(colours=True), r"Train_Out/1.png must hold white \(mitochondrion\) and one background "
                         r"colour, got 2 other colours"),
])
def test_lucchi_reader_says_what_differs_from_the_expected_layout(tmp_path, offline, kwargs,
                                                                   message):
    zip_path = tmp_path / "lucchi++" / "lucchi_pp.zip"
    zip_path.parent.mkdir()
    _lucchi_zip(zip_path, **kwargs)
    with pytest.raises(ValueError, match=message):
        data.load("lucchi++", root=tmp_path, registry=_lucchi_registry(zip_path))


def test_lucchi_archive_that_is_not_a_zip(tmp_path, offline):
    zip_path = tmp_path / "lucchi++" / "lucchi_pp.zip"
    zip_path.parent.mkdir()
    zip_path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"lucchi\+\+/lucchi_pp.zip is not a readable zip"):
        data.load("lucchi++", root=tmp_path, registry=_lucchi_registry(zip_path))


# ----------------------------------------------------------------------------- downloads
class _TruncatingHandler(_QuietHandler):
    """Announces the whole file, sends half of it, then drops the connection."""

    def do_GET(self):
        body = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture
def truncating(served):
    base, folder = served
    handler = functools.partial(_TruncatingHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def test_interrupted_download_leaves_nothing_that_passes_for_the_file(truncating, tmp_path,
                                                                      monkeypatch):
    import requests

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    base, folder = truncating
    for unknown in ((), ("training",)):  # with and without a known checksum
        reg = _registry(base, folder, unknown=unknown)
        root = tmp_path / f"cache{len(unknown)}"
        with pytest.raises(requests.exceptions.RequestException):
            data.fetch("local-em", root=root, registry=reg, allow_unverified=True)
        leftovers = [p for p in (root / "local-em").rglob("*") if p.is_file()]
        assert leftovers == []  # pooch removed its temporary file; nothing under any name


def test_download_stopped_by_the_user_leaves_nothing(served, tmp_path, monkeypatch):
    import pooch

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    base, folder = served

    def half_then_interrupt(self, url, output_file, pooch_obj, check_only=False):
        Path(output_file).write_bytes(b"II*\0 half a tiff")
        raise KeyboardInterrupt

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        data.fetch("local-em", root=tmp_path, registry=_registry(base, folder))
    assert [p for p in (tmp_path / "local-em").rglob("*") if p.is_file()] == []


def test_unverified_file_of_the_wrong_size_is_not_kept(served, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    base, folder = served
    reg = _registry(base, folder, unknown=("training",))
    size = (folder / "training.tif").stat().st_size
    ds = reg["local-em"]
    wrong = {"local-em": dataclasses.replace(ds, sizes={"training": size + 1})}
    with pytest.raises(ValueError, match=rf"the download of training from .* has {size:,} bytes, "
                                         rf"not the expected {size + 1:,}; it was not kept"):
        data.fetch("local-em", root=tmp_path, registry=wrong, allow_unverified=True)
    assert not any(p.name.startswith((".training", "training"))
                   for p in (tmp_path / "local-em").iterdir())
    right = {"local-em": dataclasses.replace(ds, sizes={"training": size})}
    paths = data.fetch("local-em", root=tmp_path, registry=right, allow_unverified=True)
    assert paths["training"].stat().st_size == size
    # a file of the wrong size already on disk is refused by name
    paths["training"].write_bytes(b"short")
    with pytest.raises(ValueError, match=rf"training has 5 bytes, but training should have "
                                         rf"{size:,}; segkit will not use it"):
        data.fetch("local-em", root=tmp_path, registry=right, allow_unverified=True)


@pytest.mark.parametrize("n_files, bar", [(4, "one bar per file"), (6, "one bar for all files")])
def test_downloads_show_a_progress_bar_when_asked(served, tmp_path, monkeypatch, capsys, n_files,
                                                  bar):
    import logging

    import pooch

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    base, folder = served
    files = _registry(base, folder)["local-em"].files
    if n_files > 4:
        files = {**files, **{f"copy/{k}": v for k, v in list(files.items())[:2]}}
    reg = {"local-em": data.RemoteDataset(description="", files=files)}
    logged = []  # pooch logs each download at INFO level; segkit keeps it quiet
    handler = logging.Handler()
    handler.emit = logged.append
    pooch.get_logger().addHandler(handler)
    try:
        data.fetch("local-em", root=tmp_path / "quiet", registry=reg)
    finally:
        pooch.get_logger().removeHandler(handler)
    assert capsys.readouterr().err == "" and logged == []
    data.fetch("local-em", root=tmp_path / "loud", registry=reg, progressbar=True)
    err = capsys.readouterr().err
    if n_files <= 4:
        assert all(k in err for k in files) and "100%" in err
    else:
        assert "downloading local-em: 100%" in err and f"{n_files}/{n_files}" in err
