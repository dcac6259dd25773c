"""Benchmark of the weak-label fillers (segkit.weak): are the notebook 03 sliders live?

    python benchmarks/bench_weak.py [--quick]

Both fillers on one 768 x 1024 slice of synthetic cells with 100 click points, beside
`skimage.segmentation.flood` from the same points for scale. Target: under 1 s each. Also
the exact region growing (``batch=0``) on a 128 x 160 slice of 12 cells, and how far the
default batched growth is from it there (per-object Dice). Prints a table; always exits 0
(no timing asserts). ``--quick`` times each call once and compares with the exact growth on
a smaller slice.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _timing import best_of as _best_of  # noqa: E402
from segkit import synthetic, weak  # noqa: E402

SHAPE, N_POINTS, REPEATS = (768, 1024), 100, 3


def cells(shape, n_cells, seed=0):
    """768 x 1024 cells with dark membranes (segkit.synthetic.make_cells)."""
    images, labels, _ = synthetic.make_cells(1, shape, seed=seed, n_cells=n_cells)
    return images[0], labels[0]


def best_of(fn, repeats=None):
    return _best_of(fn, REPEATS if repeats is None else repeats, warmup=True)

def main(argv=None):
    from skimage.segmentation import flood

    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    global REPEATS
    REPEATS = 1 if args.quick else REPEATS
    small, n_small = ((64, 80), 4) if args.quick else ((128, 160), 12)
    image, labels = cells(SHAPE, N_POINTS)
    points = weak.click_points(labels)[:N_POINTS]
    warnings.simplefilter("ignore", UserWarning)  # clicks on specks of border are expected
    rows = []
    t_flood = best_of(lambda: [flood(image, tuple(p), tolerance=30) for p in points])
    rows.append(("skimage.segmentation.flood x100 (tolerance 30)", t_flood))
    closed = weak.flood_fill_steps(image, points)["closed"]
    rows.append(("  same on the closed skeleton (step 4 alone)",
                 best_of(lambda: [flood(closed, tuple(p)) for p in points])))
    rows.append(("weak.flood_fill_labels (4 steps)", best_of(
        lambda: weak.flood_fill_labels(image, points))))
    rows.append(("weak.region_grow threshold=30/255, batch=0.1", best_of(
        lambda: weak.region_grow(image, points, threshold=30 / 255))))
    rows.append(("weak.region_grow threshold=45/255, batch=0.1", best_of(
        lambda: weak.region_grow(image, points, threshold=45 / 255))))

    crop, crop_labels = cells(small, n_small, seed=1)
    crop_pts = weak.click_points(crop_labels)
    t0 = time.perf_counter()
    exact = weak.region_grow(crop, crop_pts, threshold=30 / 255, batch=0)
    t_exact = time.perf_counter() - t0
    t_batch = best_of(lambda: weak.region_grow(crop, crop_pts, threshold=30 / 255))
    fast = weak.region_grow(crop, crop_pts, threshold=30 / 255)
    ids = [i + 1 for i in range(len(crop_pts)) if (exact == i + 1).any()]
    dice = [2 * ((exact == i) & (fast == i)).sum() / ((exact == i).sum() + (fast == i).sum())
            for i in ids]

    print(f"Weak-label fillers on one {SHAPE[0]} x {SHAPE[1]} slice, {len(points)} clicks "
          f"(best of {REPEATS})")
    print(f"{'method':<50} {'seconds':>8} {'x flood':>8}")
    for name, t in rows:
        print(f"{name:<50} {t:8.3f} {t / t_flood:8.1f}")
    print(f"\nregion_grow on a {small[0]} x {small[1]} slice, {len(crop_pts)} clicks, "
          "threshold 30/255 of the range:")
    print(f"{'  exact (batch=0)':<50} {t_exact:8.3f}")
    print(f"{'  batched (batch=0.1)':<50} {t_batch:8.3f}")
    print(f"  per-object Dice batched vs exact: mean {np.mean(dice):.3f}, min {np.min(dice):.3f}")
    target = [t for name, t in rows if name.startswith("weak.")]
    print(f"\ntarget < 1 s per filler call: {'met' if max(target) < 1 else 'NOT met'} "
          f"(slowest {max(target):.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
