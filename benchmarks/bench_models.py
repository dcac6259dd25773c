"""Benchmark of segkit.models and segkit.predict, as ratios measured in one run.

    python benchmarks/bench_models.py [--quick]

1. U-Net training and inference on 256 x 256 tiles, as achieved FLOP/s over the machine's
   matmul FLOP/s measured in the same run (target >= 0.5), in float32 and under the
   ``mixed_bfloat16`` policy side by side (issue 17). Each precision is compared with the
   float32 matmul rate (the machine's reference, one scale for both) and with the matmul
   rate of its own arithmetic (bfloat16 matmul for the mixed policy). The model's FLOPs are
   counted analytically from its convolutions (2 multiply-adds per weight and output pixel;
   batch normalisation, ReLU and pooling are left out, so the ratio is slightly pessimistic);
   a training step is counted as 3 forward passes (forward + two backward products).
2. `predict_tiled` on one 768 x 1024 slice against a plain ``model.predict`` on the same number
   of 256 x 256 tiles (target: overhead under 10 %), and, stricter, against a bare loop of
   ``predict_on_batch`` calls (``model.predict`` has a per-call data-pipeline cost that
   `predict_tiled`, which calls ``predict_on_batch`` itself, does not pay). Because those
   timings swing with the load of a shared machine, the cost of the tiling itself is also
   measured alone, with a near-free 1x1 identity model in place of the U-Net. All in float32.

Timings are the best of several repeats, after a warm-up that traces the functions. On a
shared machine they move with the load of the other users: read them as ratios of one run.
Prints a table and exits 0 whatever the numbers are (no target is asserted).
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from _timing import best_of  # noqa: E402
from segkit import _precision  # noqa: E402
from segkit.models import unet  # noqa: E402
from segkit.predict import _tile_positions, predict_tiled  # noqa: E402


def conv_flops(model):
    """Forward FLOPs per image of every Conv2D / Conv2DTranspose (static shapes needed)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2DTranspose):
            _, h, w, cin = layer.input.shape
            kh, kw = layer.kernel_size
            total += 2 * kh * kw * cin * layer.filters * h * w
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, _ = layer.output.shape
            cin = layer.input.shape[-1]
            kh, kw = layer.kernel_size
            total += 2 * kh * kw * cin * layer.filters * h * w
    return total


def matmul_flops(n, repeats, dtype=tf.float32):
    a = tf.cast(tf.random.normal((n, n), seed=1), dtype)
    b = tf.cast(tf.random.normal((n, n), seed=2), dtype)

    @tf.function
    def mm(a, b):
        return tf.reduce_sum(tf.cast(tf.linalg.matmul(a, b), tf.float32))

    mm(a, b).numpy()
    return 2 * n ** 3 / best_of(lambda: mm(a, b).numpy(), repeats)


def unet_rates(policies, x, y, batch, repeats):
    """Seconds for one inference pass and one training epoch over `x`, per policy.

    The models are built and warmed up first, then timed in interleaved rounds, so that a
    change of load on a shared machine hits every policy alike.
    """
    models = {}
    for policy in policies:
        with _precision.policy_scope(policy):
            model = unet((256, 256, 1), depth=4, base_filters=16)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        model.predict(x, batch_size=batch, verbose=0)  # warm-up (tracing)
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        models[policy] = model
    seconds = {p: {"inference": float("inf"), "training": float("inf")} for p in policies}
    for _ in range(repeats):
        for policy, model in models.items():
            t = best_of(lambda: model.predict(x, batch_size=batch, verbose=0), 1)
            seconds[policy]["inference"] = min(seconds[policy]["inference"], t)
    for _ in range(max(1, repeats - 2)):
        for policy, model in models.items():
            t = best_of(lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0), 1)
            seconds[policy]["training"] = min(seconds[policy]["training"], t)
    return models, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer tiles and repeats")
    args = parser.parse_args(argv)
    quick = args.quick
    repeats = 2 if quick else 5
    n_tiles = 8 if quick else 32
    batch = 8
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)

    peak = matmul_flops(1024 if quick else 2048, repeats)
    peak_bf16 = matmul_flops(1024 if quick else 2048, repeats, tf.bfloat16)

    x = rng.random((n_tiles, 256, 256, 1), dtype=np.float32)
    y = (x > 0.5).astype(np.float32)
    models, seconds = unet_rates(("float32", "mixed_bfloat16"), x, y, batch, repeats)
    model = models["float32"]
    fwd = conv_flops(model)
    t_inf, t_train = seconds["float32"]["inference"], seconds["float32"]["training"]
    t_inf16 = seconds["mixed_bfloat16"]["inference"]
    t_train16 = seconds["mixed_bfloat16"]["training"]
    del models
    inf_flops, inf16_flops = fwd * n_tiles / t_inf, fwd * n_tiles / t_inf16
    train_flops, train16_flops = 3 * fwd * n_tiles / t_train, 3 * fwd * n_tiles / t_train16

    # predict_tiled on a 768 x 1024 slice against model.predict on as many tiles
    any_size = unet((None, None, 1), depth=4, base_filters=16)
    any_size.set_weights(model.get_weights())
    slice_ = rng.random((768, 1024), dtype=np.float32)
    tile, overlap = 256, 32
    n_slice_tiles = (len(_tile_positions(768 + overlap, tile, tile - overlap))
                     * len(_tile_positions(1024 + overlap, tile, tile - overlap)))
    tiles = rng.random((n_slice_tiles, tile, tile, 1), dtype=np.float32)

    def tiled():
        predict_tiled(any_size, slice_, tile=tile, overlap=overlap, batch_size=batch,
                      precision="float32")

    def plain():
        any_size.predict(tiles, batch_size=batch, verbose=0)

    identity = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(
        1, 1, kernel_initializer="ones", bias_initializer="zeros")])

    def bookkeeping():  # tiling, padding and blending alone, around a near-free model
        predict_tiled(identity, slice_, tile=tile, overlap=overlap, batch_size=batch,
                      precision="float32")

    def raw():  # the bare forward passes, without Keras' predict() data pipeline
        for i in range(0, n_slice_tiles, batch):
            any_size.predict_on_batch(tiles[i:i + batch])

    bookkeeping()
    t_book = best_of(bookkeeping, repeats)
    tiled(), plain(), raw()  # warm-up
    t_tiled, t_plain, t_raw = [], [], []
    for _ in range(repeats):  # interleaved, so that load changes hit all alike
        t_tiled.append(best_of(tiled, 1))
        t_plain.append(best_of(plain, 1))
        t_raw.append(best_of(raw, 1))
    t_tiled, t_plain, t_raw = min(t_tiled), min(t_plain), min(t_raw)
    overhead = t_tiled / t_plain - 1
    overhead_raw = t_tiled / t_raw - 1
    overhead_book = t_book / t_raw

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    hw = ("bf16 in CPU flags: " + ", ".join(sorted(_precision.cpu_flags()
                                                  & set(_precision.BF16_CPU_FLAGS)))
          if _precision.cpu_has_bf16() else "no bf16 in CPU flags: bf16 is emulated")
    rows = [
        ("float32 matmul (peak reference)", f"{peak / 1e9:8.1f} GFLOP/s", "", ""),
        ("bfloat16 matmul", f"{peak_bf16 / 1e9:8.1f} GFLOP/s",
         f"{peak_bf16 / peak:5.2f}x f32", hw),
        ("U-Net forward FLOPs per 256x256 tile", f"{fwd / 1e9:8.2f} GFLOP", "", ""),
        ("U-Net inference, float32", f"{inf_flops / 1e9:8.1f} GFLOP/s",
         f"{inf_flops / peak:5.2f} of peak", "target >= 0.5"),
        ("U-Net inference, mixed_bfloat16", f"{inf16_flops / 1e9:8.1f} GFLOP/s",
         f"{inf16_flops / peak:5.2f} of peak", f"{inf16_flops / peak_bf16:.2f} of bf16 matmul"),
        ("U-Net training (3x forward), float32", f"{train_flops / 1e9:8.1f} GFLOP/s",
         f"{train_flops / peak:5.2f} of peak", "target >= 0.5"),
        ("U-Net training (3x forward), mixed_bfloat16", f"{train16_flops / 1e9:8.1f} GFLOP/s",
         f"{train16_flops / peak:5.2f} of peak",
         f"{train16_flops / peak_bf16:.2f} of bf16 matmul"),
        ("inference throughput, float32 / bf16",
         f"{n_tiles / t_inf:8.1f} / {n_tiles / t_inf16:.1f} tiles/s",
         f"{t_inf / t_inf16:5.2f}x", "bf16 speed-up"),
        ("training throughput, float32 / bf16",
         f"{n_tiles / t_train:8.1f} / {n_tiles / t_train16:.1f} tiles/s",
         f"{t_train / t_train16:5.2f}x", "bf16 speed-up"),
        (f"predict_tiled 768x1024 ({n_slice_tiles} tiles)", f"{t_tiled * 1e3:8.0f} ms", "", ""),
        (f"model.predict on {n_slice_tiles} tiles", f"{t_plain * 1e3:8.0f} ms", "", ""),
        (f"predict_on_batch loop on {n_slice_tiles} tiles", f"{t_raw * 1e3:8.0f} ms", "", ""),
        ("predict_tiled overhead vs model.predict", f"{overhead * 100:7.1f} %", "",
         "target < 10 %"),
        ("predict_tiled overhead vs bare forward passes", f"{overhead_raw * 100:7.1f} %", "",
         "(stricter)"),
        ("predict_tiled alone (identity model) / forward", f"{overhead_book * 100:7.1f} %",
         "", "load-robust"),
    ]
    print(f"segkit models benchmark ({'quick' if quick else 'full'}; "
          f"{os.cpu_count()} CPUs, 1-min load {load:.1f}; TensorFlow {tf.__version__}, "
          f"Keras {keras.__version__})")
    width = max(len(r[0]) for r in rows)
    for name, val, ratio, target in rows:
        print(f"  {name:<{width}}  {val}  {ratio:>14}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
