"""Every notebook runs top to bottom from a fresh kernel, in quick mode, within memory."""

import re

import nbformat
import pytest

import course

# Generous ceiling for quick mode; the full-mode budget (2 GB on Binder) is measured by
# `make course` and reported in benchmarks/README.md.
QUICK_PEAK_RSS_MB = 1500

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
    "06_segnet": [r"network\s+labels\s+kappa\s+balanced_auroc\s+fnr\s+fpr"]
    + [rf"\n{net}\s+{labels}\s+-?\d" for net in ("unet", "segnet")
       for labels in ("true", "flood", "region")],
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
