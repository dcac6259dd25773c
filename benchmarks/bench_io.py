"""Data wrangling costs, as ratios to a plain memory copy of the same stack (one run).

- tile + untile of a stack of 768 x 1024 slices into 256 x 256 tiles vs `np.copy` (the floor:
  tiling has to move every byte once each way). Target: under 5x a copy each way.
- synthetic data generation, slices per second (context: `make data` and first notebook runs).
- TIFF write + read round trip vs `np.save`/`np.load` of the same array.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from _timing import best_of
from segkit import io, synthetic


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    n = 4 if args.quick else 40
    t_gen = best_of(lambda: synthetic.make_em_volume(n, (768, 1024), seed=0), repeats=1)
    images, _ = synthetic.make_em_volume(n, (768, 1024), seed=0)
    x = images.astype(np.float32)
    t_copy = best_of(lambda: np.copy(x))
    tiles = io.tile(x, 256)
    t_tile = best_of(lambda: io.tile(x, 256))
    t_untile = best_of(lambda: io.untile(tiles, x.shape))
    with tempfile.TemporaryDirectory() as d:
        tif, npy = Path(d) / "s.tif", Path(d) / "s.npy"
        t_tiff = best_of(lambda: (io.write_stack(tif, images), io.read_stack(tif)))
        t_npy = best_of(lambda: (np.save(npy, images), np.load(npy)))
    mb = x.nbytes / 1e6
    print(f"stack {x.shape} float32 ({mb:.0f} MB); one run, best of 3")
    print(f"{'measure':<38}{'seconds':>10}{'ratio':>10}  target")
    print(f"{'np.copy (floor)':<38}{t_copy:10.3f}{1:10.2f}")
    print(f"{'tile 256x256':<38}{t_tile:10.3f}{t_tile / t_copy:10.2f}  < 5x copy")
    print(f"{'untile':<38}{t_untile:10.3f}{t_untile / t_copy:10.2f}  < 5x copy")
    print(f"{'TIFF write+read (uint8)':<38}{t_tiff:10.3f}{t_tiff / t_npy:10.2f}  vs np.save+load")
    print(f"{'generate synthetic EM':<38}{t_gen:10.3f}{'':>10}  {n / t_gen:.1f} slices/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
