"""Every notebook runs top to bottom from a fresh kernel, in quick mode, within memory."""

import pytest

import course

# Generous ceiling for quick mode; the full-mode budget (2 GB on Binder) is measured by
# `make course` and reported in benchmarks/README.md.
QUICK_PEAK_RSS_MB = 1500

NOTEBOOKS = course.notebook_paths()


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(path, tmp_path):
    report = course.run_notebook(path, tmp_path, quick=True, timeout=600)
    assert report["status"] == "ok", report["error"][-4000:]
    assert report["peak_rss_mb"] is not None
    assert report["peak_rss_mb"] < QUICK_PEAK_RSS_MB, report
