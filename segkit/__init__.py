"""segkit: deep-learning image segmentation for microscopy, the package behind the course.

Submodules are imported on first use, so ``import segkit`` stays fast and does not load
TensorFlow until a model is asked for::

    >>> import segkit
    >>> segkit.io.tile  # doctest: +ELLIPSIS
    <function tile at ...>

Module map (the notebook that introduces each in brackets):

- ``segkit.io``: TIFF stacks to NHWC arrays, normalisation, tiling, splits, ``.npz`` (01)
- ``segkit.data``: deterministic synthetic EM data and the public dataset registry (01)
- ``segkit.viz``: figures used across the notebooks (01)
- ``segkit.models``: U-Net and SegNet (argmax pooling and unpooling layers) (05, 06)
- ``segkit.losses``: Dice, log-Dice, Jaccard, focal, weighted BCE and the U-Net weight map;
  Dice/IoU metrics (05)
- ``segkit.train``: `train` (Adam, atomic best checkpoint, logs, strategies), studies (05)
- ``segkit.predict``: full-size prediction by overlapping, blended tiles (05)
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "augment", "data", "eda", "instances", "io", "losses", "measure", "metrics", "models",
    "predict", "train", "uncertainty", "viz", "weak", "widgets",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'segkit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
