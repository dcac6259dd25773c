"""Quality under mixed precision: notebook 05's U-Net trained in float32 and in bf16, one run.

    python benchmarks/bench_precision_quality.py [--quick] [--epochs N]

Target (issue 17): at equal epochs, the U-Net's test Dice under ``mixed_bfloat16`` is within
0.01 of float32's. Both runs use the same tiles, the same seed (same initial weights, same
shuffling), the same number of epochs and notebook 05's settings (depth 4, 8 base filters,
dropout 0.1, Dice loss, Adam 1e-3, batch 4, 256 x 256 tiles, the best epoch by validation
loss); only the precision differs. Each model predicts the whole synthetic test stack
(`segkit.predict.predict_tiled`, tile 256, overlap 32) in the precision it was trained in,
and the bf16 model once more in float32, to tell training from inference effects.
Dice is `segkit.metrics.dice` over the whole test stack.

Full mode trains on ``synthetic-em`` (40 training slices, 40 test slices, 768 x 1024) for 8
epochs; ``--quick`` on ``synthetic-em-small`` for 3. Prints a table, asserts nothing.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from _em_data import em_tiles  # noqa: E402
from segkit import metrics, models, train  # noqa: E402
from segkit.predict import predict_tiled  # noqa: E402

POLICIES = ("float32", "mixed_bfloat16")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, 3 epochs")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    name = "synthetic-em-small" if args.quick else "synthetic-em"
    epochs = args.epochs or (3 if args.quick else 8)
    data = em_tiles(name)
    test_x, test_y = data["test"]

    rows = []
    for policy in POLICIES:
        keras.backend.clear_session()
        t0 = time.perf_counter()
        history = train.train(
            lambda: models.unet((None, None, 1), depth=4, base_filters=8, dropout=0.1),
            data["train"], data["val"], epochs=epochs, loss="dice", batch_size=4,
            learning_rate=1e-3, seed=args.seed, precision=policy, verbose=0)
        seconds = time.perf_counter() - t0
        model = history.model
        row = {"policy": history.precision, "seconds": seconds,
               "best_epoch": int(np.argmin(history.history["val_loss"])) + 1,
               "val_loss": float(np.min(history.history["val_loss"]))}
        for infer in ("same", "float32"):
            if infer == "float32" and policy == "float32":
                continue
            prob = predict_tiled(model, test_x, tile=256, overlap=32, batch_size=4,
                                 normalization=data["norm"],
                                 precision=policy if infer == "same" else "float32")
            row["dice" if infer == "same" else "dice_f32_inference"] = metrics.dice(test_y,
                                                                                    prob)
        rows.append(row)
        del model, history

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"segkit precision quality benchmark ({'quick' if args.quick else 'full'}: {name}, "
          f"{len(data['train'][0])} training tiles, {epochs} epochs, seed {args.seed}; "
          f"{os.cpu_count()} CPUs, 1-min load {load:.1f}; TensorFlow {tf.__version__}, "
          f"Keras {keras.__version__})")
    print(f"  {'policy':<16} {'test Dice':>9} {'(f32 inference)':>15} {'best epoch':>10} "
          f"{'val loss':>8} {'train s':>8}")
    for r in rows:
        extra = f"{r['dice_f32_inference']:.4f}" if "dice_f32_inference" in r else ""
        print(f"  {r['policy']:<16} {r['dice']:>9.4f} {extra:>15} {r['best_epoch']:>10} "
              f"{r['val_loss']:>8.4f} {r['seconds']:>8.0f}")
    f32, bf16 = rows
    print(f"  Dice difference bf16 - float32: {bf16['dice'] - f32['dice']:+.4f} "
          f"(target |difference| <= 0.01); training time ratio float32 / bf16: "
          f"{f32['seconds'] / bf16['seconds']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
