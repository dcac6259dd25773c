"""The two conventions every module shares, stated and implemented once.

- **Foreground**: a probability ``p`` is foreground when ``p >= threshold``.
- **Objects of a binary mask**: connected components with full (8-) connectivity within each
  2-D slice; the slices of a stack are never joined.

Growth neighbourhoods (region growing) and structuring elements (erosion, dilation) are other
choices and are named as such where they are arguments.
"""

import numpy as np

__all__ = []  # private module: `instances.connected_components` is the public face

FOREGROUND_RULE = "p >= threshold"
CONNECTIVITY = 2  # skimage's name for 8-connectivity in 2-D


def foreground(prob, threshold=0.5):
    """Boolean foreground of a probability map: ``prob >= threshold``.

    >>> foreground(np.array([0.2, 0.5, 0.9])).tolist()
    [False, True, True]
    """
    return np.asarray(prob) >= threshold


def label_components(mask):
    """Label the 8-connected components of a 2-D mask or of each slice of a ``(N, H, W)`` stack.

    Labels are numbered 1..K per slice (0 background) and returned as int32.

    >>> m = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0]], bool)  # diagonal neighbours join
    >>> int(label_components(m).max())
    1
    """
    from skimage.measure import label

    m = np.asarray(mask, dtype=bool)
    if m.ndim == 2:
        return label(m, connectivity=CONNECTIVITY).astype(np.int32, copy=False)
    return np.stack([label(s, connectivity=CONNECTIVITY) for s in m]).astype(np.int32,
                                                                              copy=False)
