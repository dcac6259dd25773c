"""Course data: deterministic synthetic microscopy and the registry of real public datasets.

Introduced in notebook 01. Everything here runs offline: the default data are generated, not
downloaded, and come out identical for the same seed on every machine. Real datasets are one
call away on a networked runtime: `load` returns one split of a dataset of `REGISTRY` as
arrays, with its conventions spelled out; `fetch` downloads (pooch), caches and verifies the
files. Every file is pinned to a URL and a SHA-256 computed from its real bytes, except those
of ``epfl-hippocampus``, for which no checksum is known (its sizes are checked instead).

The synthetic images themselves are drawn by `segkit.synthetic`; ``synthetic-em`` and
``synthetic-em-small`` are written to disk on first use (`fetch` returns their paths,
`load_em_stacks` their arrays), laid out like the EPFL CVLab hippocampus set: ``training.tif``, ``training_groundtruth.tif``, ``testing.tif``,
``testing_groundtruth.tif``, multipage TIFFs with masks stored as 0/255.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import io as _io
from .io import _read_image  # decoding PNG/TIFF to grey lives in io (read_stack uses it too)
from .synthetic import GENERATOR_VERSION, make_em_volume
from ._validate import as_binary, check_choice, describe

__all__ = ["REGISTRY", "RemoteDataset", "fetch", "load", "load_em_stacks"]

EM_FILES = ("training", "training_groundtruth", "testing", "testing_groundtruth")


# ----------------------------------------------------------------------------- datasets on disk
_SYNTHETIC = {
    # The default course data: EPFL-like slices (768 x 1024), fewer of them than EPFL's 165 so
    # that the whole course fits a free Binder session (about 2 GB of memory).
    "synthetic-em": dict(train_slices=40, test_slices=40, shape=(768, 1024), seed=2026),
    # Quick mode (CI, `make course QUICK=1`): same slice size, few slices.
    "synthetic-em-small": dict(train_slices=6, test_slices=6, shape=(768, 1024), seed=2026),
}


def _write_em_dataset(folder, *, train_slices, test_slices, shape=(768, 1024), seed=0):
    """Generate a synthetic EM dataset and write it like the EPFL hippocampus set.

    Training and testing stacks are two separate volumes (different seeds), as in EPFL's two
    sub-volumes, so no slice of one is a neighbour of a slice of the other. A
    ``segkit-dataset.json`` manifest records the parameters; it is written last, so a folder
    without it is incomplete.

    Returns
    -------
    dict of str to pathlib.Path
        The four TIFF files keyed by `EM_FILES`.
    """
    folder = Path(folder)
    params = dict(train_slices=train_slices, test_slices=test_slices, shape=list(shape),
                  seed=seed, generator_version=GENERATOR_VERSION)
    paths = {k: folder / f"{k}.tif" for k in EM_FILES}
    for part, n, s in (("training", train_slices, seed), ("testing", test_slices, seed + 1)):
        images, masks = make_em_volume(n, shape, seed=s, progress=True)
        _io.write_stack(paths[part], images)
        _io.write_stack(paths[f"{part}_groundtruth"], masks, mask=True)
        del images, masks
    with _io.atomic_path(folder / "segkit-dataset.json") as tmp:
        tmp.write_text(json.dumps(params, indent=2))
    return paths


def _synthetic_up_to_date(folder, params):
    manifest = folder / "segkit-dataset.json"
    if not manifest.is_file() or not all((folder / f"{k}.tif").is_file() for k in EM_FILES):
        return False
    try:
        saved = json.loads(manifest.read_text())
    except json.JSONDecodeError:
        return False
    want = dict(params, shape=list(params["shape"]), generator_version=GENERATOR_VERSION)
    return saved == want


@dataclass(frozen=True)
class RemoteDataset:
    """A public dataset: where its files are, their checksums, and what to cite.

    Attributes
    ----------
    description : str
    files : dict of str to (str, str or None)
        Relative path -> (URL, SHA-256). The relative path is the file's path in its source
        (repository or archive); `fetch` keeps the file at ``root/<name>/<relative path>``.
        A SHA-256 of None means that no checksum is known: `fetch` refuses the file unless
        asked to take it unverified.
    citation, license, page : str
        What to cite, the licence, and the dataset's home page.
    notes : str
        Anything a user should know (how the checksums were obtained, what is unverified).
    sizes : dict of str to int
        Expected sizes in bytes of unverified files, where a public source states them;
        `fetch` checks them, a weaker guard than a checksum.

    Examples
    --------
    >>> ds = REGISTRY["stardist-nuclei"]
    >>> sorted(ds.files)[0], ds.license
    ('stardist/data/images/img2d.tif', 'BSD-3-Clause (repository stardist/stardist)')
    >>> REGISTRY["epfl-hippocampus"].files["training.tif"][1] is None  # no known checksum
    True
    """

    description: str
    files: dict
    citation: str = ""
    license: str = ""
    page: str = ""
    notes: str = field(default="")
    sizes: dict = field(default_factory=dict)


_RAW = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
_EPFL = "https://documents.epfl.ch/groups/c/cv/cvlab-unit/www/data/%20ElectronMicroscopy_Hippocampus"
_EPFL_SIZE = 129_919_357  # bytes per TIFF, as listed by public torrent metadata (unverified)
_EMPS = ("by256/emps", "dd8f86d714894fd08f3db80041893982ce058dd6")
_ISBI = ("zhixuhao/unet", "b45af4d458437d8281cc218a07fd4380818ece4a")
_STARDIST = ("stardist/stardist", "650d3a19bf7380ec0476d672397ff0388687a9d3")
_LUCCHI_URL = "http://www.casser.io/files/lucchi_pp.zip"
_GITHUB_NOTE = (
    "Files are pinned to commit {commit} of github.com/{repo} and downloaded from "
    "raw.githubusercontent.com, which serves that commit's bytes. Their SHA-256 were computed "
    "by the segkit maintainers from the bytes of `git archive` at that commit, each file "
    "checked against the commit's git blob id.")


def _registry_file(filename, repo, commit):
    """Files of a GitHub-hosted dataset, read from a registry file shipped beside this module.

    The file is in pooch's registry format: one ``<path> sha256:<hex>`` per line, ``#``
    comments. The URL of each file is its raw.githubusercontent.com address at `commit`.
    """
    from importlib.resources import files as package_files

    text = (package_files("segkit") / "registry" / filename).read_text(encoding="utf-8")
    out = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        sha = parts[1][len("sha256:"):] if len(parts) == 2 else ""
        if len(parts) != 2 or not parts[1].startswith("sha256:") or len(sha) != 64:
            raise ValueError(f"segkit/registry/{filename} line {lineno}: expected "
                             f"'<path> sha256:<64 hex digits>', got {line!r}")
        out[parts[0]] = (_RAW.format(repo=repo, commit=commit, path=parts[0]), sha)
    return out


def _github(repo, commit, paths):
    """Files of a GitHub-hosted dataset with their hashes given inline (a handful of files)."""
    return {p: (_RAW.format(repo=repo, commit=commit, path=p), sha) for p, sha in paths.items()}


REGISTRY = {
    "epfl-hippocampus": RemoteDataset(
        description=(
            "FIB-SEM of the CA1 hippocampus (EPFL CVLab), 5x5x5 nm voxels; two sub-volumes of "
            "165 slices of 768 x 1024 with mitochondria annotated (masks 0/255)."),
        files={f"{k}.tif": (f"{_EPFL}/{k}.tif", None) for k in EM_FILES},
        citation=("A. Lucchi, K. Smith, R. Achanta, G. Knott, P. Fua, 'Supervoxel-Based "
                  "Segmentation of Mitochondria in EM Image Stacks with Learned Shape "
                  "Features', IEEE TMI 2012."),
        page="https://www.epfl.ch/labs/cvlab/data/data-em/",
        notes=(
            "No published SHA-256 of these files is known, so they are None: fetch() refuses "
            "to download them unless allow_unverified=True, and then prints each file's hash "
            "so you can record it here. Each file's size is checked against 129,919,357 bytes, "
            "the size public torrent metadata lists for all four TIFFs: that catches a "
            "truncated or wrong file, but it is no proof of the content. The URLs follow the "
            "layout used by public code and may move."),
        sizes={f"{k}.tif": _EPFL_SIZE for k in EM_FILES},
    ),
    "emps": RemoteDataset(
        description=(
            "Electron Microscopy Particle Segmentation (EMPS): 465 TEM/SEM images of "
            "nanoparticles from the literature, stored as RGB PNGs with grey content, 512 to "
            "621 px high and 512 to 1088 px wide, with uint16 instance label maps "
            "(0 = background); the BPartIS paper's split lists 366 training and 99 test ids "
            "(train.csv, test.csv)."),
        files=_registry_file("emps.txt", *_EMPS),
        citation=("B. Yildirim, J. M. Cole, 'Bayesian Particle Instance Segmentation for "
                  "Electron Microscopy Image Quantification', J. Chem. Inf. Model. 2021, "
                  "https://doi.org/10.1021/acs.jcim.0c01455"),
        license="MIT (repository by256/emps)",
        page="https://github.com/by256/emps",
        notes=_GITHUB_NOTE.format(repo=_EMPS[0], commit=_EMPS[1]),
    ),
    "isbi2012": RemoteDataset(
        description=(
            "ISBI 2012 EM segmentation challenge: serial-section TEM of the Drosophila ventral "
            "nerve cord, 30 training slices of 512 x 512 with membrane labels (255 = cell "
            "interior, 0 = membrane) and 30 test slices without labels, as laid out in "
            "zhixuhao/unet (data/membrane)."),
        files=_registry_file("isbi2012.txt", *_ISBI),
        citation=("I. Arganda-Carreras et al., 'Crowdsourcing the creation of image "
                  "segmentation algorithms for connectomics', Front. Neuroanat. 2015; "
                  "A. Cardona et al., PLoS Biol. 2010 (the data)."),
        license="MIT (repository zhixuhao/unet); the images are the ISBI 2012 challenge's",
        page="https://github.com/zhixuhao/unet",
        notes=_GITHUB_NOTE.format(repo=_ISBI[0], commit=_ISBI[1]),
    ),
    "stardist-nuclei": RemoteDataset(
        description=(
            "One 512 x 512 fluorescence image of nuclei (uint16, values 0 to 235) with its "
            "instance label map (125 nuclei numbered up to 183: the numbering has gaps), the "
            "2-D test image of the StarDist package."),
        files=_github(*_STARDIST, {
            "stardist/data/images/img2d.tif":
                "f9ccc1571b92c861ff87e28463068b43f61bd47357ed0503f711e5cd1eb97750",
            "stardist/data/images/mask2d.tif":
                "59ad5e820b7982ca9d13e946fa6e7f64e2714899e00a2ae6c69aa79aad53d46f",
        }),
        citation=("U. Schmidt, M. Weigert, C. Broaddus, G. Myers, 'Cell Detection with "
                  "Star-convex Polygons', MICCAI 2018. The image comes from the 2018 Data "
                  "Science Bowl (J. C. Caicedo et al., Nat. Methods 2019), as the StarDist "
                  "package says."),
        license="BSD-3-Clause (repository stardist/stardist)",
        page="https://github.com/stardist/stardist",
        notes=_GITHUB_NOTE.format(repo=_STARDIST[0], commit=_STARDIST[1]),
    ),
    "lucchi++": RemoteDataset(
        description=(
            "The EPFL hippocampus mitochondria stacks re-annotated by Casser et al. (Lucchi++): "
            "one zip holding Lucchi++/{Train_In,Train_Out,Test_In,Test_Out}, image slices "
            "mask%04d.png, label slices %d.png (white = mitochondrion, possibly RGBA)."),
        files={"lucchi_pp.zip": (
            _LUCCHI_URL, "770ce9e98fc6f29c1b1a250c637e6c5125f2b5f1260e5a7687b55a79e2e8844d")},
        citation=("V. Casser, K. Kang, H. Pfister, D. Haehn, 'Fast Mitochondria Detection for "
                  "Connectomics', MIDL 2020 (arXiv:1812.06024)."),
        page="https://casser.io/connectomics/",
        notes=(
            "The SHA-256 is the value the torch-em and micro-sam projects check this archive "
            "against; the segkit maintainers could not download the archive to recompute it. "
            "The reader follows the layout those projects' loaders read, is tested on a "
            "generated archive of that layout, and says what differs if the real one does not "
            "match."),
    ),
}


# ----------------------------------------------------------------------------- fetch
def _dataset(name, registry):
    registry = REGISTRY if registry is None else registry
    if name not in registry:
        raise ValueError(f"`name` must be one of {sorted(registry)}, got {name!r}")
    return registry[name]


def _sha256(path):
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _local_path(folder, rel, name):
    """``folder / rel`` for a registry's relative path, which must stay inside `folder`."""
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or ".." in parts:
        raise ValueError(f"dataset {name!r}: file name {rel!r} must be a relative path "
                         "inside the dataset's folder")
    return folder.joinpath(*parts)


def _check_local(name, rel, path, sha, size):
    """Refuse, by name, a file already on disk whose hash (or known size) is wrong."""
    if size is not None and path.stat().st_size != size:
        raise ValueError(
            f"dataset {name!r}: {path} has {path.stat().st_size:,} bytes, but {rel} should have "
            f"{size:,}; segkit will not use it. Delete it and call again to download it.")
    if sha:
        got = _sha256(path)
        if got != sha:
            raise ValueError(
                f"dataset {name!r}: {path} has SHA-256 {got}, but the registry expects {sha} "
                f"for {rel}: it is not the published file, so segkit will not use it. Delete "
                "it (or put the right file there) and call again to download it.")


def _download(name, rel, url, sha, size, path, progressbar):
    """Download one file with pooch, which writes to a temporary name in the same folder and
    moves it into place only once complete and, with a known hash, verified."""
    import pooch

    logger = pooch.get_logger()  # pooch logs every download at INFO: hundreds of lines
    level = logger.level
    logger.setLevel("WARNING")
    try:
        if sha:
            pooch.retrieve(url, known_hash=f"sha256:{sha}", fname=path.name, path=path.parent,
                           progressbar=progressbar)
            return path
        part = path.with_name(f".{path.name}.part")  # never taken for the complete file
        pooch.retrieve(url, known_hash=None, fname=part.name, path=path.parent,
                       progressbar=progressbar)
    except ValueError as exc:  # pooch's hash mismatch: the download was deleted
        raise ValueError(f"dataset {name!r}: the download of {rel} from {url} does not match "
                         f"the registry's SHA-256; it was not kept. pooch said: {exc}") from exc
    finally:
        logger.setLevel(level)
    got = part.stat().st_size
    if size is not None and got != size:
        part.unlink()
        raise ValueError(f"dataset {name!r}: the download of {rel} from {url} has {got:,} "
                         f"bytes, not the expected {size:,}; it was not kept.")
    os.replace(part, path)
    return path


def _byte_bar(rel):
    from tqdm.auto import tqdm

    return tqdm(total=1, unit="B", unit_scale=True, desc=rel, leave=True)


def _fetch_files(name, ds, rels, *, root, allow_unverified=False, progressbar=False):
    """Paths of the files `rels` of dataset `name`, downloading the missing ones."""
    folder = Path(root) / name
    # Files without a recorded checksum: one already on disk (an earlier download with
    # allow_unverified=True, or put there by hand) is used after its size check, as notebook
    # 01's download is by the notebooks after it; only a download needs the explicit consent.
    unknown = [k for k in rels if not ds.files[k][1]
               and not _local_path(folder, k, name).is_file()]
    if unknown and not allow_unverified:
        raise ValueError(
            f"dataset {name!r} has no recorded checksum for {unknown}; refusing to download "
            "unverified files. Pass `allow_unverified=True` to download them anyway (their "
            "SHA-256 will be printed so you can record it)."
        )
    paths, missing = {}, []
    for rel in rels:
        url, sha = ds.files[rel]
        path = _local_path(folder, rel, name)
        if path.is_file():  # downloaded before, or put there by hand: checked, never trusted
            _check_local(name, rel, path, sha, ds.sizes.get(rel))
        else:
            missing.append(rel)
        paths[rel] = path
    files_bar = None
    if progressbar and len(missing) > 4:
        from tqdm.auto import tqdm

        files_bar = tqdm(total=len(missing), unit="file", desc=f"downloading {name}")
    try:
        for rel in missing:
            url, sha = ds.files[rel]
            bar = _byte_bar(rel) if progressbar and files_bar is None else False
            _download(name, rel, url, sha, ds.sizes.get(rel), paths[rel], bar)
            if files_bar is not None:
                files_bar.update(1)
    finally:
        if files_bar is not None:
            files_bar.close()
    for rel in unknown:
        print(f"{name}/{rel}: sha256 {_sha256(paths[rel])} (unverified)")
    return paths


def fetch(name, *, root="data", allow_unverified=False, registry=None, progressbar=False):
    """The files of a dataset on disk: downloaded (once) and verified, or generated (once).

    Each file of a registered public dataset is kept at ``root/<name>/<relative path>``, its
    path in its source (repository or archive). A file already there, downloaded before or
    put there by hand, is checked against its SHA-256 and used without any network; one with
    the wrong hash is refused by name and never used. Downloads go through pooch, which
    writes to a temporary file beside the target and moves it into place only once complete
    and verified: an interrupted download leaves nothing under the real name.

    The course's synthetic stacks, ``"synthetic-em"`` and ``"synthetic-em-small"``, have no
    files to download: they are drawn by `segkit.synthetic` (the same bytes on every
    machine for a given generator version), written to ``root/<name>/`` on first use in the
    layout of ``epfl-hippocampus`` (four multipage TIFFs, masks stored 0/255), and their paths
    returned under the same relative names, so notebook 01 reads either by path. They are
    written again when the generator or its settings change.

    Parameters
    ----------
    name : str
        A key of `registry` (default `REGISTRY`), e.g. ``"emps"``, or a synthetic name.
    root : str or os.PathLike
        Folder that holds one folder per dataset.
    allow_unverified : bool
        Download files whose checksum is not recorded (``epfl-hippocampus``). Their SHA-256
        is printed so it can be added to the registry. Without this, such files are refused.
    registry : dict, optional
        Another registry of `RemoteDataset` (the tests use one served from localhost).
    progressbar : bool
        Show download progress (tqdm): one bar per file for a few large files, one bar
        counting files for many small ones.

    Returns
    -------
    dict of str to pathlib.Path
        Relative path -> local file, in registry order.

    Raises
    ------
    ValueError
        An unknown name, unverified files without `allow_unverified`, a file on disk or a
        download whose hash (or known size) is wrong.

    Examples
    --------
    >>> from pathlib import Path
    >>> import segkit
    >>> tests_data = Path(segkit.__file__).parent.parent / "tests" / "data"
    >>> paths = fetch("stardist-nuclei", root=tests_data)  # files placed by hand: no network
    >>> [p.name for p in paths.values()]
    ['img2d.tif', 'mask2d.tif']
    >>> sorted(_SYNTHETIC)  # generated on first use, e.g. fetch("synthetic-em", root="data")
    ['synthetic-em', 'synthetic-em-small']
    """
    if name in _SYNTHETIC and (registry is None or name not in registry):
        paths = _em_files(name, root=root)
        return {f"{k}.tif": paths[k] for k in EM_FILES}
    if name not in (REGISTRY if registry is None else registry):
        raise ValueError(f"`name` must be a registered dataset "
                         f"{sorted(REGISTRY if registry is None else registry)} or a synthetic "
                         f"one {sorted(_SYNTHETIC)}, got {name!r}")
    ds = _dataset(name, registry)
    return _fetch_files(name, ds, list(ds.files), root=root, allow_unverified=allow_unverified,
                        progressbar=progressbar)


def _em_files(name="synthetic-em", *, root="data", allow_unverified=False, registry=None,
                 progressbar=False):
    """The four EPFL-layout files of a dataset, generated or downloaded on first use.

    Synthetic names (`SYNTHETIC`) are generated into ``root/name/`` (and regenerated if their
    parameters or the generator changed); registry names with the EPFL layout
    (``epfl-hippocampus``) are fetched with `fetch`. Other real datasets are read with `load`.

    Returns
    -------
    dict of str to pathlib.Path
        Keys ``training``, ``training_groundtruth``, ``testing``, ``testing_groundtruth``.
    """
    registry = REGISTRY if registry is None else registry
    if name in _SYNTHETIC:
        folder = Path(root) / name
        if not _synthetic_up_to_date(folder, _SYNTHETIC[name]):
            print(f"generating {name} in {folder} (once) ...", flush=True)
            _write_em_dataset(folder, **_SYNTHETIC[name])
        return {k: folder / f"{k}.tif" for k in EM_FILES}
    if name in registry:
        keys = _em_layout(name, registry[name])
        paths = fetch(name, root=root, allow_unverified=allow_unverified, registry=registry,
                      progressbar=progressbar)
        return {k: paths[rel] for k, rel in keys.items()}
    raise ValueError(
        f"`name` must be a synthetic dataset {sorted(_SYNTHETIC)} or a registered one "
        f"{sorted(registry)}, got {name!r}"
    )


def _read_pair(image_path, mask_path):
    """Read an image stack and its ground truth; they must have the same shape.

    Returns
    -------
    images : (N, H, W, 1) ndarray
    masks : (N, H, W, 1) uint8 ndarray of {0, 1}
    """
    images = _io.read_stack(image_path, name="image_path")
    masks = _io.read_mask(mask_path, name="mask_path")
    if images.shape != masks.shape:
        raise ValueError(
            f"`mask_path` ({Path(mask_path).name}, shape {masks.shape}) must have the same shape "
            f"as `image_path` ({Path(image_path).name}, shape {images.shape})"
        )
    return images, masks


def _em_layout(name, ds):
    """EM_FILES key -> relative path (``training`` or ``training.tif``), or an error."""
    keys = {}
    for k in EM_FILES:
        rel = next((r for r in (k, f"{k}.tif") if r in ds.files), None)
        if rel is None:
            hint = " (read it with `segkit.data.load`)" if name in _LOADERS else ""
            raise ValueError(f"dataset {name!r} does not have the EPFL layout of four TIFF "
                             f"stacks {list(EM_FILES)}: no {k!r}{hint}")
        keys[k] = rel
    return keys


def load_em_stacks(name="synthetic-em", *, root="data", **kwargs):
    """Training and testing stacks as NHWC arrays: ``{"train": (x, y), "test": (x, y)}``.

    Works for the synthetic data (generated on first use), ``epfl-hippocampus`` and
    ``lucchi++``, and any registered dataset laid out like EPFL's four TIFF stacks. Images
    keep their dtype (uint8 for all of these); masks are uint8 {0, 1}.

    Parameters
    ----------
    name : str
        ``"synthetic-em"``, ``"synthetic-em-small"`` or a key of `REGISTRY` (or `registry`).
    root : str or os.PathLike
        Folder that holds one folder per dataset (as for `fetch`).
    **kwargs
        ``allow_unverified``, ``registry``, ``progressbar``, as for `fetch`.

    Returns
    -------
    dict
        ``"train"`` and ``"test"``, each an ``(images, masks)`` pair of (N, H, W, 1) arrays.

    Examples
    --------
    A registered stack whose files are already on disk (here written by hand) is read
    without any network:

    >>> import tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> x = np.zeros((2, 8, 8), np.uint8); m = x.copy(); m[:, 2:4, 2:4] = 1
    >>> files = {}
    >>> for key, arr, is_mask in [("training", x, False), ("training_groundtruth", m, True),
    ...                           ("testing", x, False), ("testing_groundtruth", m, True)]:
    ...     path = _io.write_stack(root / "tiny-em" / f"{key}.tif", arr, mask=is_mask)
    ...     files[f"{key}.tif"] = ("https://example.org/unused", _sha256(path))
    >>> stacks = load_em_stacks("tiny-em", root=root,
    ...                         registry={"tiny-em": RemoteDataset("a tiny stack", files)})
    >>> stacks["train"][0].shape, sorted(np.unique(stacks["test"][1]).tolist())
    ((2, 8, 8, 1), [0, 1])
    """
    if name == "lucchi++":
        parts = {split: load(name, root=root, split=split, **kwargs) for split in ("train", "test")}
        return {s: (d.images, d.masks) for s, d in (("train", parts["train"]),
                                                    ("test", parts["test"]))}
    paths = _em_files(name, root=root, **kwargs)
    return {
        "train": _read_pair(paths["training"], paths["training_groundtruth"]),
        "test": _read_pair(paths["testing"], paths["testing_groundtruth"]),
    }


# ----------------------------------------------------------------------------- loaders
@dataclass(frozen=True)
class DatasetSplit:
    """One split of a public dataset as arrays, with its conventions spelled out (`load`).

    Attributes
    ----------
    name, split : str
    ids : tuple of str
        One per image: the file's stem (``emps``, ``isbi2012``) or the slice index.
    images : list of (H, W) ndarray, or (N, H, W, 1) ndarray
        Grey images, dtype as stored (uint8; uint16 for ``stardist-nuclei``). A list for the
        instance datasets, whose images may differ in size; NHWC for the stacks.
    masks : (N, H, W, 1) uint8 ndarray of {0, 1}, or None
        Binary ground truth of the mask datasets (cells of ``isbi2012``, mitochondria of
        ``lucchi++`` and ``epfl-hippocampus``); None where a split has no labels.
    labels : list of (H, W) int32 ndarray, or None
        Instance labels of the instance datasets (0 background); numbering kept as stored,
        gaps included.
    """

    name: str
    split: str
    ids: tuple
    images: object
    masks: object = None
    labels: object = None


def _as_labels(arr, where):
    """Instance labels as int32, numbering kept (gaps included)."""
    if arr.dtype.kind not in "ui":
        raise ValueError(f"{where} must hold integer labels, got {describe(arr)}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) > np.iinfo(np.int32).max):
        raise ValueError(f"{where} has labels outside 0..{np.iinfo(np.int32).max}, got "
                         f"{int(arr.min())}..{int(arr.max())}")
    return arr.astype(np.int32)


def _as_mask(arr, where):
    """A {0, 255} (or {0, 1}) label image as uint8 {0, 1}, named in any error."""
    return as_binary(arr, where).astype(np.uint8)


def _same_shape(a, b, where_a, where_b):
    if a.shape != b.shape:
        raise ValueError(f"{where_b} (shape {b.shape}) must have the same shape as {where_a} "
                         f"(shape {a.shape})")


def _pick(all_ids, ids, name, split):
    """The requested ids, in the order given; unknown ones are an error."""
    if ids is None:
        return list(all_ids)
    if isinstance(ids, (str, bytes)):
        raise TypeError(f"`ids` must be a sequence of image ids, got {ids!r}")
    want = [str(i) for i in ids]
    known = set(all_ids)
    bad = [i for i in want if i not in known]
    if bad:
        raise ValueError(f"`ids` {bad} are not in split {split!r} of {name!r} "
                         f"({len(all_ids)} ids, e.g. {list(all_ids)[:3]})")
    return want


def _load_emps(name, ds, get, split, ids):
    csvs = {"train": ["train.csv"], "test": ["test.csv"], "all": ["train.csv", "test.csv"]}
    csv_paths = get(csvs[split])
    all_ids = [line.strip() for p in csv_paths.values()
               for line in p.read_text().splitlines() if line.strip()]
    chosen = _pick(all_ids, ids, name, split)
    rels = [f"{d}/{i}.png" for i in chosen for d in ("images", "segmaps")]
    missing = [r for r in rels if r not in ds.files]
    if missing:
        raise ValueError(f"dataset {name!r}: the split lists {missing[:3]}, which the "
                         "registry does not have")
    paths = get(rels)
    images, labels = [], []
    for i in chosen:
        img = _read_image(paths[f"images/{i}.png"], f"{name}/images/{i}.png")
        lab = _read_image(paths[f"segmaps/{i}.png"], f"{name}/segmaps/{i}.png")
        _same_shape(img, lab, f"{name}/images/{i}.png", f"{name}/segmaps/{i}.png")
        images.append(img)
        labels.append(_as_labels(lab, f"{name}/segmaps/{i}.png"))
    return DatasetSplit(name, split, tuple(chosen), images, labels=labels)


def _load_isbi(name, ds, get, split, ids):
    chosen = _pick([str(i) for i in range(30)], ids, name, split)
    folder = "data/membrane/train/image" if split == "train" else "data/membrane/test"
    rels = [f"{folder}/{i}.png" for i in chosen]
    if split == "train":
        rels += [f"data/membrane/train/label/{i}.png" for i in chosen]
    paths = get(rels)
    images = np.stack([_read_image(paths[f"{folder}/{i}.png"], f"{name}/{folder}/{i}.png")
                       for i in chosen])[..., None]
    masks = None
    if split == "train":  # 255 = cell interior, 0 = membrane: the mask is the cells
        rel = "data/membrane/train/label/{}.png"
        masks = np.stack([_as_mask(_read_image(paths[rel.format(i)], f"{name}/" + rel.format(i)),
                                   f"{name}/" + rel.format(i)) for i in chosen])[..., None]
        _same_shape(images, masks, f"{name} images", f"{name} labels")
    return DatasetSplit(name, split, tuple(chosen), images, masks=masks)


def _load_stardist(name, ds, get, split, ids):
    _pick(["img2d"], ids, name, split)
    img_rel, mask_rel = "stardist/data/images/img2d.tif", "stardist/data/images/mask2d.tif"
    paths = get([img_rel, mask_rel])
    img = _read_image(paths[img_rel], f"{name}/{img_rel}")
    lab = _read_image(paths[mask_rel], f"{name}/{mask_rel}")
    _same_shape(img, lab, f"{name}/{img_rel}", f"{name}/{mask_rel}")
    labels = [_as_labels(lab, f"{name}/{mask_rel}")]
    return DatasetSplit(name, split, ("img2d",), [img], labels=labels)


def _load_epfl(name, ds, get, split, ids):
    keys = _em_layout(name, ds)
    part = "training" if split == "train" else "testing"
    paths = get([keys[part], keys[f"{part}_groundtruth"]])
    images, masks = _read_pair(paths[keys[part]], paths[keys[f"{part}_groundtruth"]])
    chosen = _pick([str(i) for i in range(len(images))], ids, name, split)
    take = [int(i) for i in chosen]
    return DatasetSplit(name, split, tuple(chosen), images[take], masks=masks[take])


_LUCCHI_DIRS = {"train": ("Train_In", "Train_Out"), "test": ("Test_In", "Test_Out")}
_LUCCHI_LAYOUT = "Lucchi++/{Train_In,Train_Out,Test_In,Test_Out}"


def _lucchi_members(names, folder, pattern, where):
    """Slice number -> member name of the PNGs in `folder`, numbered 0..n-1 without gaps."""
    import re

    inside = [n for n in names if n.startswith(folder) and n.lower().endswith(".png")]
    if not inside:
        tops = sorted({n.split("/")[0] + ("/" if "/" in n else "") for n in names})
        raise ValueError(f"{where} has no PNG in {folder} (expected the layout "
                         f"{_LUCCHI_LAYOUT}); its top-level entries are {tops[:10]}")
    slices, odd = {}, []
    for n in inside:
        m = re.fullmatch(pattern, n[len(folder):])
        if m is None:
            odd.append(n)
        else:
            slices[int(m.group(1))] = n
    if odd:
        raise ValueError(f"{where}: {len(odd)} PNG(s) in {folder} are not named like "
                         f"{pattern!r}, e.g. {odd[:3]}")
    gaps = sorted(set(range(len(slices))) - set(slices))
    if gaps:
        raise ValueError(f"{where}: the slices in {folder} are not numbered 0..{len(slices) - 1} "
                         f"without gaps; missing {gaps[:5]}")
    return [slices[i] for i in range(len(slices))]


def _lucchi_mask(arr, where):
    """A Lucchi++ label slice as uint8 {0, 1}: white is mitochondrion.

    Grey labels hold {0, 255} (or {0, 1}). RGB(A) labels are white (255 in every channel,
    alpha included) on mitochondria, as the torch-em loader reads them, and one other colour
    elsewhere; more colours are an error that lists some.
    """
    if arr.ndim == 2:
        return _as_mask(arr, where)
    flat = arr.reshape(-1, arr.shape[-1])
    white = (flat == 255).all(axis=1)
    others = np.unique(flat[~white], axis=0)
    if len(others) > 1:
        shown = [tuple(int(v) for v in c) for c in others[:4]]
        raise ValueError(f"{where} must hold white (mitochondrion) and one background colour, "
                         f"got {len(others)} other colours, e.g. {shown}")
    return white.reshape(arr.shape[:2]).astype(np.uint8)


def _load_lucchi(name, ds, get, split, ids):
    import zipfile

    import imageio.v3 as iio

    (rel,) = ds.files
    path = get([rel])[rel]
    where = f"{name}/{rel}"
    in_dir, out_dir = _LUCCHI_DIRS[split]
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{where} is not a readable zip archive: {exc}") from exc
    with zf:
        names = [n for n in zf.namelist() if not n.endswith("/") and "__MACOSX" not in n]
        image_names = _lucchi_members(names, f"Lucchi++/{in_dir}/", r"mask(\d{4})\.png", where)
        label_names = _lucchi_members(names, f"Lucchi++/{out_dir}/", r"(\d+)\.png", where)
        if len(image_names) != len(label_names):
            raise ValueError(f"{where}: Lucchi++/{in_dir} has {len(image_names)} slices but "
                             f"Lucchi++/{out_dir} has {len(label_names)}")
        chosen = _pick([str(i) for i in range(len(image_names))], ids, name, split)
        images = masks = None
        for k, i in enumerate(int(c) for c in chosen):
            img_where, lab_where = f"{where}:{image_names[i]}", f"{where}:{label_names[i]}"
            img = _read_image(zf.read(image_names[i]), img_where)
            raw = np.asarray(iio.imread(zf.read(label_names[i]), extension=".png"))
            mask = _lucchi_mask(raw, lab_where)
            _same_shape(img, mask, img_where, lab_where)
            if images is None:  # filled in place: one copy of the stack in memory
                images = np.empty((len(chosen), *img.shape, 1), img.dtype)
                masks = np.empty((len(chosen), *img.shape, 1), np.uint8)
                first = img_where
            elif img.shape != images.shape[1:3] or img.dtype != images.dtype:
                raise ValueError(f"{img_where} ({describe(img)}) differs from {first} "
                                 f"({describe(images[0, ..., 0])})")
            images[k, ..., 0], masks[k, ..., 0] = img, mask
    return DatasetSplit(name, split, tuple(chosen), images, masks=masks)


# name -> (splits, default split, loader)
_LOADERS = {
    "emps": (("train", "test", "all"), "train", _load_emps),
    "isbi2012": (("train", "test"), "train", _load_isbi),
    "stardist-nuclei": (("all",), "all", _load_stardist),
    "lucchi++": (("train", "test"), "train", _load_lucchi),
    "epfl-hippocampus": (("train", "test"), "train", _load_epfl),
}


def load(name, *, root="data", split=None, ids=None, allow_unverified=False, registry=None,
         progressbar=False):
    """One split of a public dataset as arrays, downloading (once) only the files it needs.

    Files are fetched and verified as by `fetch`; files put by hand at
    ``root/<name>/<relative path>`` with the right hash are used without any network.

    ====================  ===============  =========================  ==============================
    name                  splits           images                     ground truth
    ====================  ===============  =========================  ==============================
    ``emps``              train, test,     list of (H, W) uint8,      ``labels``: list of (H, W)
                          all              sizes vary                 int32 particles
    ``isbi2012``          train, test      (N, 512, 512, 1) uint8     ``masks``: cells (train only)
    ``stardist-nuclei``   all              list of one (512, 512)     ``labels``: list of one int32
                                           uint16                     nuclei map
    ``lucchi++``          train, test      (N, H, W, 1) uint8         ``masks``: mitochondria
    ``epfl-hippocampus``  train, test      (N, 768, 1024, 1) uint8    ``masks``: mitochondria
    ====================  ===============  =========================  ==============================

    Conventions: an image stored as RGB (or RGBA) whose channels are equal becomes one grey
    channel, and true colour is an error that names the file; instance labels (uint16 PNGs,
    TIFFs) become int32 with their numbering kept, gaps included; ISBI membrane labels
    (255 = cell interior, 0 = membrane) become the cell mask (1 = cell); Lucchi++ label
    slices are white (255 in every channel) where there is a mitochondrion. Images of varying
    size come back as a list, never padded or resized.

    Parameters
    ----------
    name : str
        One of the names above (a key of `registry`).
    root : str or os.PathLike
        Folder that holds one folder per dataset (as for `fetch`).
    split : str or None
        One of the dataset's splits; None is ``"train"`` (``"all"`` for ``stardist-nuclei``).
        The ``emps`` split is the BPartIS paper's (``train.csv``/``test.csv``).
    ids : sequence of str, optional
        Only these images, in this order: file stems for ``emps`` and ``isbi2012``
        (``"0"``..``"29"``), slice numbers for the stacks. None loads the whole split.
    allow_unverified, registry, progressbar
        As for `fetch`.

    Returns
    -------
    DatasetSplit
        ``name``, ``split``, ``ids``, ``images`` and the ground truth (``masks`` or
        ``labels``, the other None).

    Examples
    --------
    >>> from pathlib import Path
    >>> import segkit
    >>> tests_data = Path(segkit.__file__).parent.parent / "tests" / "data"
    >>> d = load("stardist-nuclei", root=tests_data)  # files placed by hand: no network
    >>> d.images[0].shape, d.images[0].dtype, d.labels[0].dtype, int(d.labels[0].max())
    ((512, 512), dtype('uint16'), dtype('int32'), 183)
    """
    ds = _dataset(name, registry)
    splits, default, loader = _LOADERS.get(name, (("train", "test"), "train", _load_epfl))
    split = default if split is None else check_choice(split, "split", splits)

    def get(rels):
        return _fetch_files(name, ds, list(rels), root=root, allow_unverified=allow_unverified,
                            progressbar=progressbar)

    return loader(name, ds, get, split, ids)


def _main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="Generate the course's default synthetic data.")
    parser.add_argument("--root", default="data")
    parser.add_argument("--quick", action="store_true", help="only the small quick-mode set")
    args = parser.parse_args(argv)
    names = ["synthetic-em-small"] if args.quick else ["synthetic-em", "synthetic-em-small"]
    for name in names:
        paths = _em_files(name, root=args.root)
        print(f"{name}: {paths['training'].parent}")


if __name__ == "__main__":
    _main()
