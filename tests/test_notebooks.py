"""Every notebook runs top to bottom from a fresh kernel, in quick mode, within memory."""

import os
import re
import shutil

import nbformat
import pytest

import course

# Issue 17's ceiling of a kernel (1.5 GiB: room for the Jupyter server and one more kernel on a
# 2 GiB runtime), checked here in quick mode; full mode is checked by `make course`, which
# marks a notebook over course.GOAL in its report and in benchmarks/README.md.
QUICK_PEAK_RSS_MB = course.GOAL["rss_mb"]

NOTEBOOKS = course.notebook_paths()

# What a notebook must print even in quick mode: the lesson's result is there, not just no error.
EXPECTED_OUTPUT = {
    "01_wrangling": [r"3 x 4 = 12 tiles per slice",
                     r"validation slices with a training neighbour \(±1 slice\): blocks 0%",
                     r"same normalisation after the round trip: True"],
    "02_eda": [r"best single threshold: foreground (above|below) [\d.]+, Dice 0\.\d{3}",
               r"\d+ objects in \d+ slices by 2-D components; \d+ objects in the volume",
               r"mean area per object and slice \(nm²\)\s+70013\.9\s+\d",
               r"mean volume per object \(nm³\)\s+13430224\.3\s+\d"],
    "04_augmentation": [r"transform\s+train_loss\s+val_loss\s+paper_train_loss\s+paper_val_loss",
                        r"\n\s*None\s+\d\.\d{3}\s+\d\.\d{3}\s+0\.302\s+0\.905",
                        r"Rotate 90\s+\d\.\d{3}\s+\d\.\d{3}\s+0\.143\s+0\.284"],
    "03_weak_labels": [
        r"flood fill, closing r=\d+: +per click: Dice \d\.\d{3}, kappa -?\d\.\d{3} \(\d+ of \d+ "
        r"clicks without a region\) \| per image: Dice",
        r"region growing, threshold [\d.]+: per click: Dice \d\.\d{3}",
        r"near-best range of the threshold",
        r"\nflood fill +[\d.]+ +[\d.]+ +[\d.]+\nregion growing +[\d.]+ +[\d.]+ +[\d.]+",
        r"EM region growing: per click: Dice \d\.\d{3}",
    ],
    "10_your_own_images": [
        r"\d+ clicks on slice\(s\) \[",
        r"network after training +\d",
        r"wrote \S+masks.tif and \S+objects.csv: \d+ objects in \d+ slice\(s\)",
    ],
    "05_unet": [r"Dice: validation tiles \d\.\d{3}, full-size test stack \d\.\d{3}",
                r"parameter\s+value\s+train_dice\s+val_dice\s+test_dice\s+epochs\s+"
                r"seconds_per_epoch",
                r"Malec val Dice\s+val Dice change\s+Malec's change\s+same direction"]
    + [rf"ex05_{k} · [^\n]+\n(?:  [^\n]*\n)+Passed: " for k in range(1, 5)],
    "06_segnet": [r"network\s+labels\s+tiles\s+epochs\s+kappa\s+paper kappa\s+"
                  r"balanced_auroc\s+paper AUROC\s+fnr\s+paper FNR\s+fpr\s+paper FPR"]
    + [rf"\n\s*{net}\s+{labels}\s+\d+\s+\d+\s+-?\d" for net in ("unet", "segnet")
       for labels in ("true", "flood", "region", r"true \(1/9\.1 of the tiles\)")]
    + [r"segnet: few true tiles (beat|lose to) the better weak label set here"]
    + [rf"ex06_{k} · [^\n]+\n(?:  [^\n]*\n)+Passed: " for k in range(1, 5)],
    # 07: both AP definitions side by side on the worked example, Nyawira & Bushman's tables
    # recomputed beside theirs, and every exercise's check passing (solutions in place)
    "07_evaluation": [
        r"StarDist\s+BPartIS\s+mean IoU",
        r"\nA: IoUs 2/3 and 1, one false detection\s+0\.4167\s+0\.6667\s+0\.25\d*\s+0\.3333",
        r"\nD: perfect plus one false detection\s+0\.6667\s+0\.6667\s+0\.6667\s+0\.0+\s",
        r"foreground fraction that fits all six kappas: p = 0\.0\d+",
        r"FNR \(Table 7\)\s+FPR \(Table 7\)\s+kappa \(paper\)\s+kappa \(run\)\s+AUROC \(paper\)"
        r"\s+AUROC \(run, Eq\. 3\)",
        r"\nSegNet Manual\s+0\.032981\s+0\.036248\s+0\.615110\s+0\.6\d+\s+0\.965385\s+0\.96\d+",
        r"their Table 3\s+AUROC\s+their Table 2\s+Hosmer & Lemeshow",
    ] + [rf"ex07_{k} · [^\n]+\n(?:  [^\n]*\n)+Passed: " for k in range(1, 6)],
    "08_instances": [
        r"true distance \+ watershed\s+\d",  # the ideal case, scored
        r"\ndiscriminative\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+0\.560",  # Table 1 beside
        r"Bayesian \+ filter\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+0\.632",
        r"the 55th is 0\.012445",  # the t_u grid
        r"chosen on the validation images: t_u = [\d.e-]+ \(paper: 0\.0125\)",
        r"images \(section 3\)",  # AP against training images
        r"U-Net, MIA weights\s+\d",  # MIA's border weights
    ],
    "09_one_image": [
        r"layers \(conv, pool, dense, output\)\s+15\s+15\n",
        r"last feature map\s+2x2x96 / 2x2x32\s+2x2x32\n",
        r"parameters \(code, 4 scales\)\s+78,755\s+78,690\n",
        r"epochs on \d+ pixels \(E·F = [\d.]+\): SEG [01]\.\d{3}, area-weighted SEG "
        r"[01]\.\d{3}, AP [01]\.\d{3}",
        r"fraction\s+epochs\s+ef\s+seed\s+pixels\s+seg\s+seg_area_weighted\s+ap",
        r"runs with E·F >= [\d.]+, SEG on the held-out half:\n\s+count\s+mean\s+std",
        r"Bellybutton, photoelastic disks \(all training pixels, E = 2\):\s+SEG above 0\.9\n"
        r"this run, best of the runs with E·F >= [\d.]+:\s+SEG [01]\.\d{3}",
        r"U-Net, every labelled pixel\s+SEG [01]\.\d{3}, AP [01]\.\d{3}",
    ] + [rf"ex09_{k} · [^\n]+\n(?:  [^\n]*\n)+Passed: " for k in range(1, 5)],
}


def printed(notebook):
    """Everything the executed notebook printed, as one string."""
    return "\n".join(out.get("text", "") for cell in notebook.cells
                     for out in cell.get("outputs", []) if out.get("output_type") == "stream")


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(path, tmp_path):
    report = course.run_notebook(path, tmp_path, quick=True, timeout=600)
    assert report["status"] == "ok", report["error"][-4000:]
    assert report["peak_rss_mb"] is not None
    assert report["peak_rss_mb"] < QUICK_PEAK_RSS_MB, report
    text = printed(nbformat.read(tmp_path / path.name, as_version=4))
    for pattern in EXPECTED_OUTPUT.get(path.stem, []):
        assert re.search(pattern, text), f"{path.stem} did not print {pattern!r}"
    keep_executed_copy(tmp_path / path.name, report)


def keep_executed_copy(executed, report):
    """Leave a passing notebook's executed copy where `make course QUICK=1` puts it.

    ``build/notebooks/`` and ``build/course-report-quick.json``, so that `make book-built`
    (CI's book stage) builds the site from the runs this test made instead of running every
    notebook once more. Written atomically: a stopped run leaves no half-written copy.
    """
    build = course.ROOT / "build"
    (build / "notebooks").mkdir(parents=True, exist_ok=True)
    tmp = build / "notebooks" / f".{executed.name}.tmp"
    shutil.copyfile(executed, tmp)
    os.replace(tmp, build / "notebooks" / executed.name)
    course.save_reports(build, [report], mode="quick")
