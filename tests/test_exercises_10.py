"""Tests of segkit.exercises.ex10: each checker passes with its reference solution and fails,
with the intended hint, on the typical wrong answers."""

import textwrap

import numpy as np
import pytest

from segkit import instances, io, measure
from segkit.exercises import ex10 as check
from exercise_checks import assert_fails_with
from segkit.widgets import Annotator


# ============================================================================ 10.1
RIGHT_101 = {"whole mask": "background", "known pixels only": "ignored"}


def test_ex10_1_reference_passes_and_matches_the_solution_text():
    assert check.ex10_1(dict(RIGHT_101))
    scope = {}
    exec(textwrap.dedent(check.ex10_1.solution()), scope)
    assert scope["prediction"] == RIGHT_101


@pytest.mark.parametrize("key, value, pattern", [
    ("whole mask", "foreground", r"nothing tells the network they are objects"),
    ("whole mask", "ignored", r"a plain loss has no way to skip a pixel"),
    ("known pixels only", "background", r"`known` is 0 on them"),
    ("known pixels only", "foreground", r"the weights say which pixels count"),
])
def test_ex10_1_typical_wrong_answers_get_their_hint(key, value, pattern):
    assert_fails_with(check.ex10_1({**RIGHT_101, key: value}), rf"{key}: {pattern}")


def test_ex10_1_validates_its_input():
    with pytest.raises(ValueError, match=r'`prediction\["whole mask"\]` must be one of'):
        check.ex10_1({**RIGHT_101, "whole mask": "zero"})
    with pytest.raises(ValueError, match=r"`prediction` misses 'known pixels only'"):
        check.ex10_1({"whole mask": "background"})


# ============================================================================ 10.2
def two_squares():
    """Bright squares 6 pixels apart on a dark background; the left one is clicked."""
    img = np.full((60, 60), 20, np.uint8)
    img[10:20, 10:20] = 200
    img[10:20, 26:36] = 200
    truth = (img > 100).astype(np.uint8)[..., None]
    ann = Annotator(img, points=[(15, 15)], method="region",
                    params={"threshold": 0.2, "sigma": 0.0})
    return ann, truth


def test_ex10_2_the_widest_safe_band_by_hand():
    # the band grows in city-block steps: at 7 pixels it reaches column 26, the next square
    ann, truth = two_squares()
    fractions = check._band_fractions(ann, truth, 10)
    assert all(fractions[r] == 0 for r in range(1, 7)) and fractions[7] >= 0.01
    assert check._widest_safe(fractions) == 6
    # a margin leaves the first pixels unknown; the band still stops at 6
    assert check._widest_safe(check._band_fractions(ann, truth, 10, margin=2), 2) == 6


def test_ex10_2_reference_passes():
    ann, truth = two_squares()
    for margin in (0, 2):
        scope = {"ann": ann, "truth": truth, "MARGIN": margin}
        exec(textwrap.dedent(check.ex10_2.solution()), scope)
        assert scope["ring"] == 6
        assert check.ex10_2(scope["ring"], ann, truth, margin=margin)


@pytest.mark.parametrize("ring, pattern", [
    (3, r"a wider band is still safe"),
    (9, r"the band runs into neighbouring objects"),
])
def test_ex10_2_typical_wrong_answers_get_their_hint(ring, pattern):
    ann, truth = two_squares()
    assert_fails_with(check.ex10_2(ring, ann, truth), rf"ring: a band from 1 to {ring} pixels "
                                                      rf"is .*{pattern}")


def test_ex10_2_validates_its_input():
    ann, truth = two_squares()
    with pytest.raises(TypeError, match=r"`ann` must be the notebook's Annotator"):
        check.ex10_2(3, ann.mask, truth)
    with pytest.raises(ValueError, match=r"`truth` \(shape \(5, 5\)\) must be the ground truth"):
        check.ex10_2(3, ann, np.zeros((5, 5)))
    with pytest.raises(ValueError, match=r"`ring` must be >= 0"):
        check.ex10_2(-1, ann, truth)


# ============================================================================ 10.3
def test_ex10_3_reference_passes():
    assert check.ex10_3(check._export)
    assert check.ex10_3.solution().startswith("def export(masks, images, folder):")


def test_ex10_3_hidden_case_tells_the_wrong_counts_apart():
    masks, images = check._export_case()
    right = len(measure.object_table(instances.connected_components(masks), images))
    border = len(measure.object_table(instances.connected_components(masks), images,
                                      exclude_border=False))
    four = check._four_connected_count(masks, images)
    assert len({right, border, four}) == 3


def _table(masks, images, **kwargs):
    return measure.object_table(instances.connected_components(masks), images, **kwargs)


def export_with_index(masks, images, folder):
    io.write_stack(folder / "masks.tif", masks, mask=True)
    _table(masks, images).to_csv(folder / "objects.csv")


def export_with_border(masks, images, folder):
    io.write_stack(folder / "masks.tif", masks, mask=True)
    _table(masks, images, exclude_border=False).to_csv(folder / "objects.csv", index=False)


def export_four_connected(masks, images, folder):
    from skimage.measure import label

    io.write_stack(folder / "masks.tif", masks, mask=True)
    labels = np.stack([label(m, connectivity=1) for m in masks])
    measure.object_table(labels, images).to_csv(folder / "objects.csv", index=False)


def export_no_intensity(masks, images, folder):
    io.write_stack(folder / "masks.tif", masks, mask=True)
    t = measure.object_table(instances.connected_components(masks), images)
    t.drop(columns=["intensity_min", "intensity_mean", "intensity_max"]).to_csv(
        folder / "objects.csv", index=False)


def export_table_only(masks, images, folder):
    _table(masks, images).to_csv(folder / "objects.csv", index=False)


def export_leftover(masks, images, folder):
    check._export(masks, images, folder)
    (folder / "objects.csv.tmp").write_text("half")


def export_wrong_masks(masks, images, folder):
    io.write_stack(folder / "masks.tif", masks[::-1], mask=True)
    _table(masks, images).to_csv(folder / "objects.csv", index=False)


@pytest.mark.parametrize("export, pattern", [
    (export_with_index, r"objects.csv: it has an unnamed first column, the DataFrame's index"),
    (export_with_border, r"keeps the objects that touch the image border"),
    (export_four_connected, r"diagonal neighbours were split"),
    (export_no_intensity, r"lacks the column\(s\) \['intensity_min'"),
    (export_table_only, r"masks.tif: no file masks.tif"),
    (export_leftover, r"files: the folder also holds \['objects.csv.tmp'\]"),
    (export_wrong_masks, r"masks.tif: it reads back different from the masks"),
])
def test_ex10_3_typical_wrong_exports_get_their_hint(export, pattern):
    assert_fails_with(check.ex10_3(export), pattern)


def test_ex10_3_reports_a_crash_as_feedback():
    def broken(masks, images, folder):
        raise OSError("disk full")

    assert_fails_with(check.ex10_3(broken), r"`export` raised OSError: disk full")
    with pytest.raises(TypeError, match=r"`export` must be a function"):
        check.ex10_3("masks.tif")


def test_ex10_2_a_band_safe_up_to_30_pixels():
    img = np.full((80, 80), 20, np.uint8)
    img[35:45, 35:45] = 200  # one square, nothing else within 30 pixels
    ann = Annotator(img, points=[(40, 40)], method="region",
                    params={"threshold": 0.2, "sigma": 0.0})
    truth = (img > 100).astype(np.uint8)
    scope = {"ann": ann, "truth": truth[..., None], "MARGIN": 1}
    exec(textwrap.dedent(check.ex10_2.solution()), scope)
    assert scope["ring"] == 30
    assert check.ex10_2(30, ann, truth, margin=1)
    assert_fails_with(check.ex10_2(29, ann, truth, margin=1), r"a wider band is still safe")
