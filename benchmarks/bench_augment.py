"""Can the augmentation pipeline keep a U-Net fed? One run, one machine, a ratio.

    python benchmarks/bench_augment.py [--quick]

Measures (1) augmented pairs per second delivered by `segkit.augment.make_dataset` on 256 x 256
tiles with every transform on (``p=1``, so the B-spline elastic deformation runs on every
tile: the worst case), and (2) training samples per second of a default U-Net
(`segkit.models.unet`; where that module is not available, a stand-in of the same
architecture defined here: depth 4, 16 base filters, batch normalisation) on the same tiles,
already in memory. Target: the pipeline delivers at least 3x what the model consumes. Prints a
table and exits 0 either way; the ratio is the result, never a timed assert in the tests.
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

TARGET_RATIO = 3.0


def _standin_unet(input_shape, depth=4, base_filters=16):
    """Same layout as segkit.models.unet's defaults (conv-BN-ReLU x2, max-pool, transposed conv)."""
    import keras
    from keras import layers

    def block(x, f):
        for _ in range(2):
            x = layers.Conv2D(f, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        return x

    inputs = keras.Input(input_shape)
    x, skips = inputs, []
    for level in range(depth):
        x = block(x, base_filters * 2 ** level)
        skips.append(x)
        x = layers.MaxPooling2D()(x)
    x = block(x, base_filters * 2 ** depth)
    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(base_filters * 2 ** level, 2, strides=2, padding="same")(x)
        x = block(layers.Concatenate()([x, skips[level]]), base_filters * 2 ** level)
    return keras.Model(inputs, layers.Conv2D(1, 1, activation="sigmoid")(x))


def build_unet(input_shape):
    try:
        from segkit.models import unet
    except ImportError:
        return _standin_unet(input_shape), "stand-in U-Net (segkit.models not available)"
    return unet(input_shape), "segkit.models.unet (defaults)"


def make_tiles(n, size, seed=0):
    """Synthetic normalised tiles with blob masks (the pipeline cost does not depend on content)."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    x = gaussian_filter(rng.random((n, size, size)), (0, 3, 3)).astype(np.float32)
    x = (x - x.min()) / (x.max() - x.min())
    y = (x > 0.55).astype(np.uint8)
    return x[..., None], y[..., None]


def pipeline_rate(x, y, *, batch_size, batches):
    from segkit.augment import TRANSFORMS, make_dataset

    transforms = tuple(t for t in TRANSFORMS if t != "elastic_alpha_sigma")
    ds = make_dataset(x, y, batch_size=batch_size, repeat=True, seed=0, p=1.0,
                      transforms=transforms)
    it = iter(ds)
    next(it)  # warm-up: graph tracing, thread pool
    start = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches * batch_size / (time.perf_counter() - start)


def training_rate(x, y, *, batch_size, steps):
    import keras

    keras.utils.set_random_seed(0)
    model, label = build_unet(x.shape[1:])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    xb, yb = x[:batch_size], y[:batch_size].astype(np.float32)
    model.train_on_batch(xb, yb)  # warm-up: tracing and compilation
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(xb, yb)
    return steps * batch_size / (time.perf_counter() - start), label


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer batches and steps")
    args = parser.parse_args(argv)
    size, batch_size = 256, 8
    batches, steps = (4, 2) if args.quick else (25, 10)
    x, y = make_tiles(32, size)
    pairs_s = pipeline_rate(x, y, batch_size=batch_size, batches=batches)
    samples_s, label = training_rate(x, y, batch_size=batch_size, steps=steps)
    ratio = pairs_s / samples_s
    rows = [
        ("machine", f"{platform.machine()}, {os.cpu_count()} CPU core(s)"),
        ("tiles", f"{size} x {size}, batch {batch_size}"),
        ("pipeline (all transforms, elastic grid on)", f"{pairs_s:8.1f} pairs/s"),
        (f"training: {label}", f"{samples_s:8.1f} samples/s"),
        ("ratio pipeline / training", f"{ratio:8.2f} x (target >= {TARGET_RATIO:g})"),
        ("verdict", "meets target" if ratio >= TARGET_RATIO else "BELOW TARGET"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"bench_augment{' (quick)' if args.quick else ''}")
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
