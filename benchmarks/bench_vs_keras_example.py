"""segkit's U-Net against the Keras example's U-Net-like network, same data, same time budget.

    python benchmarks/bench_vs_keras_example.py [--quick] [--minutes M]

What would a learner use instead of segkit? Most likely the Keras example "Image
segmentation with a U-Net-like architecture" (F. Chollet, keras.io, Oxford-IIIT pets), the
first hit for Keras segmentation. `keras_example_unet` below is written here from that
example's description, not copied: an entry convolution with stride 2, three downsampling
blocks of two depthwise-separable 3x3 convolutions (+ batch normalisation, ReLU) and 3x3
max pooling with stride 2, each added to a strided 1x1 projection of the block's input
(residual connections); four upsampling blocks of two transposed 3x3 convolutions and
upsampling by 2, again with projected residuals; a 3x3 softmax head. Filters 32; 64, 128,
256; 256, 128, 64, 32, as in the example. It is trained the example's way: RMSprop, sparse
categorical cross-entropy over the classes (here 2: background, mitochondrion), plain
``model.fit``, and the last epoch's model is used (the example predicts with the model in
memory; its checkpoint callback only writes a file).

segkit's side is notebook 05's U-Net (depth 4, 8 base filters, dropout 0.1) trained by
`segkit.train.train` (Dice loss, Adam 1e-3, best epoch by validation loss).

Both train on the same 256 x 256 tiles of the synthetic EM data (`_em_data.em_tiles`), batch
4, in float32 (``--precision`` changes both), for the same wall-clock budget: each stops
before an epoch that would end after ``--minutes`` (``segkit.train._TimeLimit``). Both then
predict the whole test stack with `segkit.predict.predict_tiled` (tile 256, overlap 32),
and `segkit.metrics.dice` scores it. "Dice per minute" is test Dice over training minutes.
Full mode: ``synthetic-em``, 4 minutes each; ``--quick``: ``synthetic-em-small``, 0.5 min.
Prints a table, asserts nothing.
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
from keras import layers  # noqa: E402

from _em_data import em_tiles  # noqa: E402
from segkit import _precision, metrics, models, train  # noqa: E402
from segkit.predict import predict_tiled  # noqa: E402


def keras_example_unet(input_shape=(None, None, 1), n_classes=2):
    """The Keras example's Xception-style U-Net-like network, written from its description."""
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(32, 3, strides=2, padding="same")(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    shortcut = x
    for filters in (64, 128, 256):  # down: separable convolutions, residual projections
        for _ in range(2):
            x = layers.Activation("relu")(x)
            x = layers.BatchNormalization()(layers.SeparableConv2D(filters, 3,
                                                                   padding="same")(x))
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = layers.add([x, layers.Conv2D(filters, 1, strides=2, padding="same")(shortcut)])
        shortcut = x
    for filters in (256, 128, 64, 32):  # up: transposed convolutions, residual projections
        for _ in range(2):
            x = layers.Activation("relu")(x)
            x = layers.BatchNormalization()(layers.Conv2DTranspose(filters, 3,
                                                                   padding="same")(x))
        x = layers.UpSampling2D(2)(x)
        projected = layers.Conv2D(filters, 1, padding="same")(layers.UpSampling2D(2)(shortcut))
        x = layers.add([x, projected])
        shortcut = x
    outputs = layers.Conv2D(n_classes, 3, activation="softmax", padding="same",
                            dtype="float32")(x)  # float32 head, as mixed precision requires
    return keras.Model(inputs, outputs, name="keras_example_unet")


def test_dice(model, data, precision, channel=None):
    prob = predict_tiled(model, data["test"][0], tile=256, overlap=32, batch_size=4,
                         normalization=data["norm"], precision=precision)
    if channel is not None:
        prob = prob[..., channel]
    return metrics.dice(data["test"][1][..., 0], prob if prob.ndim == 3 else prob[..., 0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, 0.5 min each")
    parser.add_argument("--minutes", type=float, default=None, help="training budget each")
    parser.add_argument("--precision", default="float32", choices=_precision.PRECISIONS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    name = "synthetic-em-small" if args.quick else "synthetic-em"
    minutes = args.minutes or (0.5 if args.quick else 4.0)
    data = em_tiles(name)
    rows = []

    # segkit: notebook 05's U-Net through the one training loop
    keras.backend.clear_session()
    t0 = time.perf_counter()
    history = train.train(
        lambda: models.unet((None, None, 1), depth=4, base_filters=8, dropout=0.1),
        data["train"], data["val"], epochs=1000, loss="dice", batch_size=4, seed=args.seed,
        time_limit=minutes, precision=args.precision, verbose=0)
    seconds = time.perf_counter() - t0
    rows.append({"model": "segkit U-Net (depth 4, 8 filters)",
                 "params": history.model.count_params(), "epochs": len(history.epoch),
                 "seconds": seconds, "dice": test_dice(history.model, data, args.precision)})
    del history

    # the Keras example, trained its own way
    keras.backend.clear_session()
    keras.utils.set_random_seed(args.seed)
    policy = _precision.resolve(args.precision, purpose="train")
    with _precision.policy_scope(policy):
        model = keras_example_unet()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    x, y = data["train"]
    t0 = time.perf_counter()
    fit = model.fit(x, y.astype(np.int32), batch_size=4, epochs=1000, shuffle=True,
                    validation_data=(data["val"][0], data["val"][1].astype(np.int32)),
                    callbacks=[train._TimeLimit(minutes)], verbose=0)
    seconds = time.perf_counter() - t0
    rows.append({"model": "Keras example U-Net-like (Xception-style)",
                 "params": model.count_params(), "epochs": len(fit.epoch), "seconds": seconds,
                 "dice": test_dice(model, data, args.precision, channel=1)})

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"segkit vs the Keras example ({'quick' if args.quick else 'full'}: {name}, "
          f"{len(x)} training tiles of 256 x 256, batch 4, {policy}, budget {minutes:g} min "
          f"each; {os.cpu_count()} CPUs, 1-min load {load:.1f}; TensorFlow {tf.__version__}, "
          f"Keras {keras.__version__})")
    print(f"  {'model':<42} {'params':>9} {'epochs':>6} {'train min':>9} {'test Dice':>9} "
          f"{'Dice/min':>8}")
    for r in rows:
        minutes_used = r["seconds"] / 60
        print(f"  {r['model']:<42} {r['params']:>9,} {r['epochs']:>6} {minutes_used:>9.2f} "
              f"{r['dice']:>9.4f} {r['dice'] / minutes_used:>8.3f}")
    seg, ex = rows
    rate_seg, rate_ex = seg["dice"] / seg["seconds"], ex["dice"] / ex["seconds"]
    ratio = f"{rate_seg / rate_ex:.2f}" if rate_ex > 0 else "n/a (the Keras example's Dice is 0)"
    print(f"  test Dice segkit - Keras example: {seg['dice'] - ex['dice']:+.4f}; Dice per minute "
          f"ratio segkit / Keras example: {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
