"""TensorFlow's start-up log kept out of the learner's way (not the lesson).

Importing TensorFlow 2.21 prints lines such as "oneDNN custom operations are on", "Could not
find cuda drivers on your machine" and "failed call to cuInit" from its C++ core, straight to
the process's file descriptor 2, even with ``TF_CPP_MIN_LOG_LEVEL=3``; in JupyterLab they
appear as a pink error box in the first cell that builds a model. `install` (called by
``import segkit``) hooks the import of ``tensorflow``: whoever imports it first (Keras,
segkit, the learner), that one import runs with descriptor 2 pointed at the null device.
Python exceptions are raised as usual; only the C++ chatter of that import is dropped, and
TensorFlow's Python logger is set to show errors only.

Set ``TF_CPP_MIN_LOG_LEVEL`` to 0 or 1 yourself to see the log again (the hook then does
nothing), e.g. when TensorFlow does not find a GPU you expected.
"""

import importlib.abc
import importlib.util
import os
import sys
from contextlib import contextmanager

__all__ = []  # private module


@contextmanager
def _stderr_to_devnull():
    """Point file descriptor 2 at the null device for the duration (C code's output too)."""
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 (some embedded interpreters): nothing to hide
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with _stderr_to_devnull():
            self._loader.exec_module(module)
            try:  # the device scan prints "failed call to cuInit" on machines without a GPU
                module.config.list_physical_devices()
            except Exception:  # noqa: BLE001 (a failed scan is TensorFlow's to report later)
                pass
        # TensorFlow's Python logger: errors only. Its warnings here are hints about its own
        # machinery ("N out of the last M calls ... triggered tf.function retracing", printed
        # on Colab's Keras 3.13 when images of several sizes are predicted), not the lesson.
        import logging

        logging.getLogger("tensorflow").setLevel(logging.ERROR)


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` as usual, and wraps its loader in `_QuietLoader`."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the real finders take it from here
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def install():
    """Hook the first import of TensorFlow (no-op if it is loaded or the log was asked for)."""
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL") in ("0", "1"):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not any(isinstance(f, _QuietFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())
