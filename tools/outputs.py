"""What a learner should never see in a notebook's outputs (course tooling, not the lesson).

One definition for every check that reads outputs: the browser test (what JupyterLab shows)
and the Colab profile (the executed copies, on Colab's ipykernel, which forwards output
written below Python to the notebook). Standard library only.

- ``error``: an exception (a traceback box).
- ``tensorflow log``: TensorFlow's or absl's log in a stream output, from C++, e.g.
  ``2026-11-29 11:38:42.907159: E external/.../cuda_platform.cc:51] failed call to cuInit``
  or ``I0000 00:00:1795954266.460995   15516 port.cc:153] oneDNN custom operations are on``,
  or from its Python logger (``WARNING:tensorflow:5 out of the last 11 calls to <function
  ...> triggered tf.function retracing``, which 05 shows on stdout): text about the machine,
  not the lesson, and a pink box when on stderr.
- ``stray value``: the repr of a value a cell returned by accident (its last line is
  ``viz.save_fig(...)`` or ``ax.plot(...)``): ``PosixPath('figures/...')``, ``<Figure ...>``,
  ``[<matplotlib.lines.Line2D ...>]``, ``Text(0.5, 1.0, '...')``.

Python warnings on stderr are not findings: the lessons show some on purpose.
"""

import re

__all__ = ["TENSORFLOW_LOG", "STRAY_REPR", "findings"]

TENSORFLOW_LOG = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] "      # TensorFlow's own format
    r"|^[IWEF]\d{4} \d\d:\d\d:[\d.]+ +\d+ \S+:\d+\] "       # absl's format
    r"|oneDNN custom operations|Could not find cuda drivers|failed call to cuInit"
    r"|WARNING: All log messages before absl::InitializeLog"
    r"|^(DEBUG|INFO|WARNING|ERROR|CRITICAL):(tensorflow|absl):", re.MULTILINE)
STRAY_REPR = re.compile(
    r"^\s*(\[?<matplotlib\.|<Figure size |<Axes[: ]|Text\(-?\d|(Posix|Windows)Path\()")


def _text(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def findings(cells):
    """``(cell index, kind, text)`` for each output a learner should not see.

    Parameters
    ----------
    cells : list of dict
        Cells as in a notebook's JSON (``nb["cells"]``); only code cells' ``outputs`` are read.

    Returns
    -------
    list of tuple
        ``kind`` is ``"error"``, ``"tensorflow log"`` or ``"stray value"``; ``text`` is the start
        of the output.

    Examples
    --------
    >>> cells = [{"cell_type": "code", "outputs": [
    ...     {"output_type": "stream", "name": "stderr", "text": "UserWarning: 3 clicks\\n"},
    ...     {"output_type": "execute_result", "data": {"text/plain": "PosixPath('a.png')"}}]}]
    >>> findings(cells)
    [(0, 'stray value', "PosixPath('a.png')")]
    """
    found = []
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            kind, text = None, ""
            if out.get("output_type") == "error":
                kind = "error"
                text = f"{out.get('ename')}: {out.get('evalue')}"
            elif out.get("output_type") == "stream":  # stderr, or stdout where a handler sends it
                text = _text(out.get("text"))
                if TENSORFLOW_LOG.search(text):
                    kind = "tensorflow log"
            elif out.get("output_type") == "execute_result":
                text = _text(out.get("data", {}).get("text/plain"))
                if STRAY_REPR.match(text):
                    kind = "stray value"
            if kind:
                found.append((i, kind, text.strip()[:300]))
    return found
