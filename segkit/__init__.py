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
- ``segkit.widgets``: slider panels shared by the notebooks (01)
- ``segkit.eda``: intensity histograms, object counts, slice correlation with honest CIs (02)
- ``segkit.weak``: weak labels from click points, flood fill and region growing (03)
- ``segkit.augment``: paired image/mask transforms and the ``tf.data`` pipeline (04)
- ``segkit.models``: U-Net and SegNet (max-unpooling) in Keras 3 (05, 06)
- ``segkit.losses``: Dice, log-Dice, BCE, focal, Jaccard, weighted BCE with border weights (05)
- ``segkit.train``: training with checkpoints, logs and ``tf.distribute`` (05)
- ``segkit.predict``: full-size prediction by overlapping tiles (05)
- ``segkit.metrics``: pixel and object scores, SEG, AP, kappa, AUROC (07)
- ``segkit.instances``: distance head and watershed for touching objects (08)
- ``segkit.uncertainty``: Monte-Carlo dropout uncertainty (08)
- ``segkit.measure``: particle statistics, histograms, radial distribution function (08)
- ``segkit.patches``: the multi-scale per-pixel patch classifier, one image (09)
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "augment", "data", "eda", "instances", "io", "losses", "measure", "metrics", "models",
    "patches", "predict", "train", "uncertainty", "viz", "weak", "widgets",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'segkit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
