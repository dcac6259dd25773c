"""A shared helper of the figure modules (private)."""


def _ax(ax, figsize=(6, 4)):
    """`ax` and its figure, or a new figure with one axes of `figsize`."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax
