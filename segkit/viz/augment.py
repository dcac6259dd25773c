"""Augmentation figures: random draws of the augmentation pipeline side by side.

Introduced in notebook 04.
"""

import numpy as np

from .images import show_images

__all__ = []  # its figure is segkit.widgets.augment_explorer's


def _show_augmented(image, mask, *, seed=0, n=4, transforms=None, **params):
    """`n` draws of `segkit.augment.augment_pair` side by side (the widget explorer's view).

    Parameters
    ----------
    image, mask : (H, W) or (H, W, 1) ndarrays
    seed : int
        Picks the draws.
    n : int
        Number of draws.
    transforms : sequence of str, optional
        Names of `segkit.augment.TRANSFORMS` (default: the default mix).
    **params
        Strengths passed to `augment_pair`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> img = np.linspace(0, 1, 256, dtype=np.float32).reshape(16, 16)
    >>> fig = _show_augmented(img, img > 0.5, n=2, transforms=["dihedral"])
    >>> [ax.get_title() for ax in fig.axes]
    ['original', 'draw 1', 'draw 2']
    """
    from ..augment import _DEFAULT_TRANSFORMS, augment_pair

    transforms = _DEFAULT_TRANSFORMS if transforms is None else transforms
    rng = np.random.default_rng(seed)
    pairs = {f"draw {i + 1}": augment_pair(image, mask, rng=rng, transforms=transforms,
                                            **params) for i in range(n)}
    items = {"original": (image, mask), **pairs}
    return show_images({title: {"image": img, "outlines": np.squeeze(msk) > 0}
                        for title, (img, msk) in items.items()}, ncols=n + 1, size=3.0)
