"""pytest set-up shared by the tests and the doctests of the package (not part of segkit)."""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # no screen in CI; figures are drawn off screen
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# precision="auto" means float32 in the tests: their numbers must not depend on the machine
# (and no one-off speed measurement runs); tests of "auto" itself remove this variable
os.environ.setdefault("SEGKIT_PRECISION", "float32")


@pytest.fixture(autouse=True)
def _close_figures():
    """Every test and doctest starts and ends with no open figure."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
