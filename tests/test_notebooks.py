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
    "08_instances": [
        r"true distance \+ watershed\s+\d",  # the ideal case, scored
        r"\ndiscriminative\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+0\.560",  # Table 1 beside
        r"Bayesian \+ filter\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+0\.632",
        r"the 55th is 0\.012445",  # the t_u grid
        r"chosen on the validation images: t_u = [\d.e-]+ \(paper: 0\.0125\)",
        r"images \(section 3\)",  # AP against training images
        r"U-Net, MIA weights\s+\d",  # MIA's border weights
    ],
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
