"""Peak memory of `segkit.predict.predict_volume` for a short and a long volume, one run.

    python benchmarks/bench_volume.py [--quick] [--slices 50 400] [--keep DIR]

Target (issue 17): peak memory does not grow with the number of slices. Two multipage TIFFs of
768 x 1024 uint8 slices (50 and 400 by default) are written slice by slice, then each is
predicted from disk to disk, to float32 probabilities in a TIFF, in a fresh subprocess of
its own. The subprocess imports TensorFlow, builds notebook 05's U-Net (depth 4, 8 base
filters; random weights, which cost the same as trained ones), warms it up on one slice,
resets the kernel's peak-RSS counter (``/proc/self/clear_refs``) and reads the peak
(``VmHWM``) after `predict_volume`; ``resource.getrusage`` gives the whole subprocess's
peak as well. The table gives both peaks, their ratio (long / short, target about 1.0) and
the seconds per slice. ``--quick``: 8 and 64 slices of 256 x 384 and a smaller U-Net.

The volumes and outputs (about 0.3 + 2 x 1.3 GB on disk at 400 slices) go to a temporary
folder that is removed at the end unless ``--keep`` names one. Prints a table, asserts
nothing.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, resource, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, ROOT)
import keras, numpy as np
from segkit import _precision
from segkit.io import Normalization
from segkit.models import unet
from segkit.predict import predict_tiled, predict_volume

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return None

args = json.loads(sys.argv[1])
keras.utils.set_random_seed(0)
model = unet((None, None, 1), depth=args["depth"], base_filters=args["base_filters"])
norm = Normalization(0.0, 255.0)
policy = _precision.resolve(args["precision"], purpose="predict")
warm = np.zeros((1, *args["shape"]), np.uint8)
predict_tiled(model, warm, tile=256, overlap=32, batch_size=4, normalization=norm,
              precision=policy)  # traces the model (and its copy under the policy)
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak-RSS counter to the current RSS
    reset = True
except OSError:
    reset = False
start_rss = status("VmRSS")
t0 = time.perf_counter()
predict_volume(model, args["source"], args["destination"], tile=256, overlap=32, batch_size=4,
               normalization=norm, precision=policy, progress=False)
seconds = time.perf_counter() - t0
print(json.dumps({"start_rss": start_rss, "peak_rss": status("VmHWM") if reset else None,
                  "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "seconds": seconds, "precision": policy}))
"""


def write_volume(path, n, shape, seed=0):
    """A multipage uncompressed uint8 TIFF written slice by slice (never whole in memory)."""
    import numpy as np
    import tifffile

    rng = np.random.default_rng(seed)

    def slices():
        for _ in range(n):
            yield rng.integers(0, 256, shape, dtype=np.uint8)

    with tifffile.TiffWriter(path, bigtiff=n * shape[0] * shape[1] > 2 ** 31) as tif:
        tif.write(slices(), shape=(n, *shape), dtype=np.uint8, photometric="minisblack")


def run_child(source, destination, *, shape, depth, base_filters, precision):
    args = dict(source=str(source), destination=str(destination), shape=list(shape),
                depth=depth, base_filters=base_filters, precision=precision)
    code = f"ROOT = {str(ROOT)!r}\n" + CHILD
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(args)], capture_output=True,
                          text=True)
    if proc.returncode:
        sys.exit(f"predict_volume subprocess failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small slices, few of them")
    parser.add_argument("--slices", type=int, nargs=2, default=None, metavar=("SHORT", "LONG"))
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--keep", type=Path, default=None, help="keep the files in this folder")
    args = parser.parse_args(argv)
    quick = args.quick
    shape = (256, 384) if quick else (768, 1024)
    counts = args.slices or ((8, 64) if quick else (50, 400))
    depth, base_filters = (2, 4) if quick else (4, 8)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="segkit-bench-volume-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for n in counts:
            source = folder / f"volume-{n}.tif"
            t0 = time.perf_counter()
            write_volume(source, n, shape)
            made = time.perf_counter() - t0
            result = run_child(source, folder / f"prob-{n}.tif", shape=shape, depth=depth,
                               base_filters=base_filters, precision=args.precision)
            result.update(n=n, made=made, out_bytes=(folder / f"prob-{n}.tif").stat().st_size)
            rows.append(result)
            if args.keep is None:
                (folder / f"prob-{n}.tif").unlink()
                source.unlink()
    finally:
        if args.keep is None:
            for p in folder.glob("*"):
                p.unlink() if p.is_file() else None
            folder.rmdir()

    gib = 2 ** 30
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"segkit predict_volume memory benchmark ({'quick' if quick else 'full'}; "
          f"{os.cpu_count()} CPUs, 1-min load {load:.1f}; {shape[0]} x {shape[1]} uint8 slices, "
          f"U-Net depth {depth}, {base_filters} base filters, tile 256, overlap 32, batch 4, "
          f"{rows[0]['precision']}, float32 probabilities to TIFF)")
    print(f"  {'slices':>6}  {'RSS at start':>12}  {'peak in predict_volume':>22}  "
          f"{'peak of process':>15}  {'s/slice':>7}  {'output':>9}")
    for r in rows:
        peak = "n/a" if r["peak_rss"] is None else f"{r['peak_rss'] / gib:.3f} GiB"
        print(f"  {r['n']:>6}  {r['start_rss'] / gib:>8.3f} GiB  {peak:>22}  "
              f"{r['maxrss'] / gib:>11.3f} GiB  {r['seconds'] / r['n']:>7.2f}  "
              f"{r['out_bytes'] / gib:>5.2f} GiB")
    short, long_ = rows
    if short["peak_rss"] and long_["peak_rss"]:
        ratio = long_["peak_rss"] / short["peak_rss"]
        growth = (long_["peak_rss"] - long_["start_rss"]) / max(
            short["peak_rss"] - short["start_rss"], 1)
        print(f"  peak ratio {long_['n']} / {short['n']} slices: {ratio:.3f} "
              f"(target about 1.0); growth above the start, ratio {growth:.2f}")
    print(f"  whole-process peak ratio: {long_['maxrss'] / short['maxrss']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
