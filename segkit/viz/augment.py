"""Augmentation figures: transformed pairs side by side, and the loss of each transform.

Introduced in notebook 04.
"""

import numpy as np

from ._axes import _ax
from .images import show_images

__all__ = ["show_transform_gallery", "show_augmented", "plot_transform_losses"]


def show_transform_gallery(image, mask, pairs, *, ncols=4, size=3.0):
    """One panel per transformed ``(image, mask)`` pair, mask outlined, original first.

    Parameters
    ----------
    image, mask : (H, W) or (H, W, 1) ndarrays
    pairs : dict
        Title to ``(image, mask)``.
    ncols : int
    size : float
        Inches per panel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> img = np.zeros((16, 16)); msk = img > 1; msk[4:8, 4:12] = True
    >>> fig = show_transform_gallery(img, msk, {"flipped": (img[::-1], msk[::-1])})
    >>> [ax.get_title() for ax in fig.axes]
    ['original', 'flipped']
    """
    items = {"original": (image, mask), **pairs}
    return show_images({title: {"image": img, "outlines": np.squeeze(msk) > 0}
                        for title, (img, msk) in items.items()}, ncols=ncols, size=size)


def show_augmented(image, mask, *, seed=0, n=4, transforms=None, **params):
    """`n` draws of `segkit.augment.augment_pair` side by side (the widget explorer's view).

    Introduced in notebook 04.
    """
    from ..augment import _DEFAULT_TRANSFORMS, augment_pair

    transforms = _DEFAULT_TRANSFORMS if transforms is None else transforms
    rng = np.random.default_rng(seed)
    pairs = {f"draw {i + 1}": augment_pair(image, mask, rng=rng, transforms=transforms,
                                            **params) for i in range(n)}
    return show_transform_gallery(image, mask, pairs, ncols=n + 1)


def plot_transform_losses(rows, *, ax=None):
    """Grouped bars of train and validation loss per transform (`compare_transforms` rows).

    Introduced in notebook 04.
    """
    fig, ax = _ax(ax, figsize=(max(6, len(rows) * 1.1), 4))
    labels = [r["transform"] for r in rows]
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r["train_loss"] for r in rows], 0.4, label="train (augmented)")
    ax.bar(x + 0.2, [r["val_loss"] for r in rows], 0.4, label="validation")
    ax.set_xticks(x, labels, rotation=30, ha="right")
    ax.set_ylabel("binary cross-entropy")
    ax.legend()
    return fig
