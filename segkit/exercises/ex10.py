"""Exercises of notebook 10 (your own images): what a network learns from a few clicks, the
background band around them, and the export of the results.

In the notebook::

    from segkit.exercises import ex10 as check

    check.ex10_1(prediction)      # prints what is right, what is wrong and why
    check.ex10_1.hint()           # graded hints, one per call
    check.ex10_1.solution()       # a reference solution, only when asked

| exercise | kind | minutes |
|---|---|---|
| `ex10_1` what does the network learn about the objects you did not click? | predict-then-run | 5 |
| `ex10_2` how wide a background band is safe? | change-and-observe | 10 |
| `ex10_3` export the masks and the object table | write-a-function | 15 |
"""

import tempfile
from pathlib import Path

import numpy as np

from .. import instances, io, measure
from .._validate import check_choice, check_int
from ._core import FAILED, NOT_WRITTEN, as_function, as_mapping, call, exercise

__all__ = ["ex10_1", "ex10_2", "ex10_3"]


# ============================================================================ 10.1
_LEARNS = ("background", "foreground", "ignored")
_TARGETS = ("whole mask", "known pixels only")


@exercise(
    title="What does the network learn about the objects you did not click?",
    kind="predict-then-run", minutes=5,
    hints=(
        "Look at `ann.mask` on an annotated slice: what value does it hold on an object you "
        "did not click?",
        "A loss over the whole mask counts every pixel, with the mask's value as the answer "
        "to learn. A loss weighted by `ann.known()` multiplies each pixel's error by 0 or 1.",
        "Weight 0 means the pixel's error never reaches the gradient.",
    ),
    solution='''
        prediction = {
            "whole mask": "background",        # the mask is 0 there, and every pixel counts
            "known pixels only": "ignored",    # weight 0: those pixels never enter the loss
        }
    ''')
def ex10_1(fb, prediction):
    """Predict, then run: what a network learns about the objects you did not click.

    You clicked a few of the objects on a slice. Trained on the whole mask of that slice,
    what does the network learn about the objects you did not click: ``"background"``,
    ``"foreground"`` or ``"ignored"``? And trained with the loss weighted by `ann.known()`?
    Pass ``{"whole mask": ..., "known pixels only": ...}``.
    """
    answer = as_mapping(prediction, "prediction", _TARGETS)
    whole = check_choice(answer["whole mask"], 'prediction["whole mask"]', _LEARNS)
    known = check_choice(answer["known pixels only"], 'prediction["known pixels only"]',
                         _LEARNS)
    if whole == "background":
        fb.right("whole mask", "the mask is 0 on them and every pixel counts: the network "
                 "is taught to call them background")
    elif whole == "foreground":
        fb.wrong("whole mask", "nothing tells the network they are objects: the mask holds "
                 "0 on every pixel you did not annotate")
    else:
        fb.wrong("whole mask", "a plain loss has no way to skip a pixel: every pixel of the "
                 "mask counts, with the mask's value as its answer")
    if known == "ignored":
        fb.right("known pixels only", "their weight is 0, so they never enter the loss")
    elif known == "background":
        fb.wrong("known pixels only", "`known` is 0 on them: the loss multiplies their error "
                 "by 0, whatever the mask says")
    else:
        fb.wrong("known pixels only", "the weights say which pixels count, not what they "
                 "are: nothing marks the unclicked objects as foreground")
    if fb.passed:
        fb.note("now run the cell below: it counts how many object pixels the whole mask "
                "would teach as background.")


# ============================================================================ 10.2
def _band_fractions(ann, truth, max_ring, margin=0):
    """For each ring from margin + 1 to max_ring: the fraction of the band (the known
    background) that is truly object."""
    mask = ann.mask.astype(bool)
    t = np.asarray(truth).reshape(mask.shape) > 0
    out = {}
    for r in range(margin + 1, max_ring + 1):
        bg = ann.known(ring=r, margin=margin).astype(bool) & ~mask
        out[r] = float(t[bg].mean()) if bg.any() else 0.0
    return out


def _widest_safe(fractions, margin=0, limit=0.01):
    """The widest ring whose band, and every narrower one, stays under `limit` (`margin`:
    no band at all is safe)."""
    widest = margin
    for r in sorted(fractions):
        if fractions[r] >= limit:
            break
        widest = r
    return widest


@exercise(
    title="How wide a background band is safe?",
    kind="change-and-observe", minutes=10,
    hints=(
        "`ann.known(ring=r, margin=MARGIN)` marks the mask and a band around it; the band's "
        "pixels are `ann.known(ring=r, margin=MARGIN).astype(bool) & (ann.mask == 0)`.",
        "For each r from MARGIN + 1 up, take the truth's values on the band: "
        "`truth[..., 0][band]`; their mean is the fraction of the band that is really object.",
        "Stop at the first r where that fraction reaches 0.01; the answer is the r before (30 "
        "if none does).",
    ),
    solution='''
        band_fraction, ring = {}, MARGIN
        for r in range(MARGIN + 1, 31):
            band = ann.known(ring=r, margin=MARGIN).astype(bool) & (ann.mask == 0)
            band_fraction[r] = float(truth[..., 0][band].mean()) if band.any() else 0.0
            if band_fraction[r] >= 0.01:
                break
            ring = r
        print({r: round(f, 4) for r, f in band_fraction.items()}, ring)
    ''')
def ex10_2(fb, ring, ann, truth, margin=0):
    """Change and observe: the widest background band that is still background.

    `ann.known(ring=r, margin=m)` takes the pixels more than `m` and at most `r` pixels
    away from your mask as background. Too wide a band reaches the next object. With the
    example's ground truth `truth` and the notebook's `MARGIN`, find the widest `ring` (up
    to 30 pixels) for which less than 1 % of the band's pixels, and of every narrower band's,
    are really object. Pass ``ring``, the annotator ``ann``, ``truth`` and ``margin``.
    """
    from ..widgets import Annotator

    ring = check_int(ring, "ring", minimum=0)
    margin = check_int(margin, "margin", minimum=0)
    if not isinstance(ann, Annotator):
        raise TypeError(f"`ann` must be the notebook's Annotator, got {type(ann).__name__}")
    truth = np.asarray(truth)
    if truth.size != ann.mask.size:
        raise ValueError(f"`truth` (shape {truth.shape}) must be the ground truth of the "
                         f"annotated image (shape {ann.mask.shape})")
    fractions = _band_fractions(ann, truth, max(30, ring), margin)
    best = _widest_safe({r: f for r, f in fractions.items() if r <= 30}, margin)
    shown = (f"a band from {margin + 1} to {ring} pixels is {fractions[ring]:.2%} object"
             if ring in fractions else f"a ring of {ring} pixels gives no band beyond the "
             f"margin of {margin}")
    if ring == best:
        fb.right("ring", shown)
    elif ring < best:
        fb.wrong("ring", f"{shown}: a wider band is still safe, and each pixel of it is one "
                 "more background example")
    else:
        fb.wrong("ring", f"{shown}, or a narrower band already reaches 1 %: the band runs "
                 "into neighbouring objects (or over the edge of a weak region that stopped "
                 "short of its object)")
    if fb.passed:
        fb.note("on your own image there is no truth: look at the band over the image "
                "(`ann.known()` minus `ann.mask`) and keep it short of the neighbouring "
                "objects.")


# ============================================================================ 10.3
def _export(masks, images, folder):
    folder = Path(folder)
    io.write_stack(folder / "masks.tif", masks, mask=True)  # atomic; {0, 255} as EPFL's
    labels = instances.connected_components(masks)          # 8-connected, slice by slice
    table = measure.object_table(labels, images)
    with io.atomic_path(folder / "objects.csv") as tmp:     # never half a file
        table.to_csv(tmp, index=False)


def _export_case():
    """Hidden masks: two slices, objects of different sizes, one touching the border."""
    masks = np.zeros((2, 40, 50), np.uint8)
    masks[0, 5:15, 5:20] = 1
    masks[0, 20:30, 30:45] = 1
    masks[0, 30:40, 0:8] = 1      # touches the border
    masks[0, 32:35, 25:28] = 1
    masks[0, 35:38, 28:31] = 1    # 8-connected to the one before (a diagonal touch)
    masks[1, 8:20, 8:14] = 1
    masks[1, 10:14, 30:34] = 1
    masks[1, 14:18, 34:38] = 1    # 8-connected to the one before (a diagonal touch)
    rng = np.random.default_rng(3)
    images = (rng.integers(20, 60, masks.shape) + 120 * masks).astype(np.uint8)
    return masks, images


@exercise(
    title="Export the masks and the object table",
    kind="write-a-function", minutes=15,
    hints=(
        "Two files: `io.write_stack(folder / 'masks.tif', masks, mask=True)` for the masks "
        "(it writes atomically), and a CSV of `measure.object_table`.",
        "The table needs labels: `instances.connected_components(masks)` numbers the objects "
        "of each slice; `measure.object_table(labels, images)` measures them with its "
        "defaults.",
        "Write the CSV inside `with io.atomic_path(folder / 'objects.csv') as tmp:` with "
        "`table.to_csv(tmp, index=False)`: no index column, and never half a file.",
    ),
    solution=_export)
def ex10_3(fb, export):
    """Write a function: export the predicted masks and their object table.

    Write ``export(masks, images, folder)`` that writes, into the existing folder `folder`,

    - ``masks.tif``: the masks, a TIFF that `segkit.io.read_mask` reads back unchanged;
    - ``objects.csv``: one row per object, `segkit.measure.object_table` (with its
      defaults) of the objects of `masks` (8-connected, slice by slice) and the grey values
      of `images`, without an index column;

    each written atomically (`segkit.io.atomic_path`, or a segkit writer that is), so that
    an interrupted run never leaves half a file.
    """
    import pandas as pd

    fn = as_function(export, "export", "(masks, images, folder)")
    masks, images = _export_case()
    ref = measure.object_table(instances.connected_components(masks), images)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        got = call(fb, fn, "export", (masks.copy(), images.copy(), folder), "export")
        if got is NOT_WRITTEN or got is FAILED:
            return
        names = sorted(p.name for p in folder.iterdir())
        extra = [n for n in names if n not in ("masks.tif", "objects.csv")]
        if extra:
            fb.wrong("files", f"the folder also holds {extra}: write only masks.tif and "
                              "objects.csv (a leftover temporary file means a write that was "
                              "not finished or not atomic)")
        # masks
        path = folder / "masks.tif"
        if not path.is_file():
            fb.wrong("masks.tif", "no file masks.tif in the folder")
        else:
            try:
                back = io.read_mask(path)
            except ValueError as exc:
                fb.wrong("masks.tif", f"io.read_mask cannot read it back: {exc}"[:300])
            else:
                if back.shape != (*masks.shape, 1):
                    fb.wrong("masks.tif", f"it holds shape {back.shape[:3]}, not the masks' "
                                          f"{masks.shape}")
                elif not (back[..., 0] == masks).all():
                    fb.wrong("masks.tif", "it reads back different from the masks")
                else:
                    fb.right("masks.tif", "io.read_mask reads the masks back unchanged")
        # table
        path = folder / "objects.csv"
        if not path.is_file():
            fb.wrong("objects.csv", "no file objects.csv in the folder")
            return
        try:
            table = pd.read_csv(path)
        except Exception as exc:  # a broken file is feedback
            fb.wrong("objects.csv", f"pandas cannot read it: {type(exc).__name__}: {exc}"[:300])
            return
    if any(str(c).startswith("Unnamed") for c in table.columns):
        fb.wrong("objects.csv", "it has an unnamed first column, the DataFrame's index: "
                                "write it with index=False")
    missing = [c for c in ref.columns if c not in table.columns]
    if missing:
        fb.wrong("objects.csv", f"it lacks the column(s) {missing[:4]}: use "
                                "measure.object_table of the labels and the images")
        return
    if len(table) != len(ref):
        with_border = measure.object_table(instances.connected_components(masks), images,
                                           exclude_border=False)
        four = _four_connected_count(masks, images)
        if len(table) == len(with_border):
            hint = ("it keeps the objects that touch the image border; object_table's "
                    "default drops them (their size is cut by the frame)")
        elif len(table) == four:
            hint = ("diagonal neighbours were split: the course's objects are 8-connected "
                    "(instances.connected_components)")
        else:
            hint = "count the objects again: instances.connected_components, then object_table"
        fb.wrong("objects.csv", f"{len(table)} rows for {len(ref)} objects: {hint}")
        return
    if not np.allclose(np.sort(table["area"].to_numpy()), np.sort(ref["area"].to_numpy())):
        fb.wrong("objects.csv", "the areas differ from object_table's of these masks")
        return
    if "intensity_mean" not in table:
        fb.wrong("objects.csv", "pass the images to object_table for the intensity columns")
        return
    fb.right("objects.csv", f"{len(ref)} objects, object_table's columns")


def _four_connected_count(masks, images):
    from skimage.measure import label

    labels = np.stack([label(m > 0, connectivity=1) for m in masks])
    return len(measure.object_table(labels, images))
