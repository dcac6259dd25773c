"""The synthetic EM tiles that the training benchmarks share (imported by `bench_*.py`)."""

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def em_tiles(name, *, tile=256, val_slices=None, gap=None):
    """Training and validation tiles, the raw test stack, and the normalisation, like notebook 05.

    The training stack of `name` (`segkit.data.SYNTHETIC`, generated once under ``data/``) is
    split in z: the last `val_slices` slices validate, `gap` slices before them are dropped
    (neighbouring EM slices are near copies), the rest train. Both are cut into `tile`-sized
    tiles; the normalisation is fitted on the training slices only.

    Returns
    -------
    dict
        ``train`` and ``val``: (normalised float32 tiles, float32 {0, 1} masks);
        ``test``: (raw uint8 stack, {0, 1} masks), for `segkit.predict.predict_tiled`;
        ``norm``: the `segkit.io.Normalization`.
    """
    from segkit import data, io

    stacks = data.load_em_stacks(name, root=ROOT / "data")
    x, y = stacks["train"]
    n = len(x)
    val_slices = val_slices if val_slices is not None else max(1, n // 5)
    gap = gap if gap is not None else (2 if n >= 20 else 1)
    train_idx = np.arange(0, n - val_slices - gap)
    val_idx = np.arange(n - val_slices, n)
    norm = io.Normalization.fit(x[train_idx])

    def tiles(idx):
        return (norm(io.tile(x[idx], tile)),
                io.tile(y[idx], tile, pad_mode="constant").astype(np.float32))

    return {"train": tiles(train_idx), "val": tiles(val_idx), "test": stacks["test"],
            "norm": norm}
