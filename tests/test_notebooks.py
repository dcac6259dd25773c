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
    "06_segnet": [r"network\s+labels\s+kappa\s+balanced_auroc\s+fnr\s+fpr"]
    + [rf"\n{net}\s+{labels}\s+-?\d" for net in ("unet", "segnet")
       for labels in ("true", "flood", "region")],
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
