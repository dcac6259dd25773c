"""segkit: deep-learning image segmentation for microscopy, the package behind the course.

Submodules are imported on first use, so ``import segkit`` stays fast and does not load
TensorFlow until a model is asked for::

    >>> import segkit
    >>> segkit.io.tile  # doctest: +ELLIPSIS
    <function tile at ...>

Module map, by layer (docs/architecture.md; the notebook that introduces each in brackets):

- data and I/O: ``segkit.io`` (TIFF stacks to NHWC, normalisation, tiling, splits, 01),
  ``segkit.data`` (synthetic EM data and the verified public datasets, 01),
  ``segkit.synthetic`` (stand-in predictions with controlled mistakes, 07)
- computation: ``segkit.eda`` (02), ``segkit.weak`` (weak labels from clicks, 03),
  ``segkit.augment`` (paired transforms, ``tf.data``, 04), ``segkit.models`` (U-Net, SegNet,
  the distance U-Net, 05, 06, 08), ``segkit.losses`` (05), ``segkit.predict`` (tiled
  prediction, 05), ``segkit.metrics`` (pixel, curve and object scores, 07),
  ``segkit.instances`` (touching objects, 08), ``segkit.uncertainty`` (Monte-Carlo dropout,
  08), ``segkit.measure`` (particle statistics, 08), ``segkit.patches`` (one image, 09)
- training: ``segkit.train`` (the one training loop, 05)
- experiments: ``segkit.experiments`` (studies and comparisons as DataFrames, 04-06)
- presentation: ``segkit.viz`` (figures), ``segkit.widgets`` (sliders and panels)
- course: ``segkit.exercises`` (the exercises' checkers)
"""

import importlib

from . import _quiet

_quiet.install()  # TensorFlow's C++ start-up log, whenever it is imported, goes nowhere

__version__ = "0.1.0"

_SUBMODULES = (
    "augment", "data", "eda", "exercises", "experiments", "instances", "io", "losses",
    "measure", "metrics", "models", "patches", "predict", "synthetic", "train", "uncertainty",
    "viz", "weak", "widgets",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'segkit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
