"""Exercises of notebook 06 (SegNet): max-unpooling, Cohen's kappa, focal loss against the
U-Net's missed pixels, and Nyawira & Bushman's claim about few good labels.

In the notebook::

    from segkit.exercises import ex06 as check

    check.ex06_1(prediction)      # prints what is right, what is wrong and why
    check.ex06_1.hint()           # graded hints, one per call
    check.ex06_1.solution()       # a reference solution, only when asked

| exercise | kind | minutes |
|---|---|---|
| `ex06_1` where does max-unpooling put the values? | predict-then-run | 10 |
| `ex06_2` Cohen's kappa from two masks | write-a-function | 15 |
| `ex06_3` focal loss against the U-Net's missed pixels | change-and-observe | 15 |
| `ex06_4` few good labels or many rough ones? (Nyawira & Bushman) | test-a-claim | 10 |
"""

import numpy as np

from .. import metrics
from .._validate import describe
from ._core import (FAILED, NOT_WRITTEN, as_function, call, close, exercise, judge_number)

__all__ = ["ex06_1", "ex06_2", "ex06_3", "ex06_4"]


# ============================================================================ 6.1
UNPOOL_BLOCK = np.array([[3, 1, 0, 2],
                         [2, 0, 7, 1],
                         [0, 5, 4, 4],
                         [6, 1, 0, 9]], dtype="float32")
"""The 4 x 4 block of exercise 6.1."""


def _unpooled(block):
    from .. import models

    x = np.asarray(block, "float32")[None, :, :, None]
    pooled, where = models.MaxPoolingWithArgmax2D(2)(x)
    return np.asarray(models.MaxUnpooling2D(2)([pooled, where]))[0, ..., 0]


@exercise(
    title="Where does max-unpooling put the values?",
    kind="predict-then-run", minutes=10,
    hints=(
        "Pool first: split the block into four 2 x 2 windows and keep the largest value of "
        "each, and where it was.",
        "Unpooling puts each kept value back at its own position in its window and zeros "
        "everywhere else: exactly four non-zero pixels.",
        "Ties go to the first position in reading order (row by row), as `argmax` does; the "
        "lower-right window has 4, 4 in its top row and 0, 9 below.",
    ),
    solution='''
        # Windows: [[3, 1], [2, 0]] -> 3 at top-left; [[0, 2], [7, 1]] -> 7 at bottom-left;
        # [[0, 5], [6, 1]] -> 6 at bottom-left; [[4, 4], [0, 9]] -> 9 at bottom-right.
        prediction = np.array([[3, 0, 0, 0],
                               [0, 0, 7, 0],
                               [0, 0, 0, 0],
                               [6, 0, 0, 9]])
    ''')
def ex06_1(fb, prediction):
    """Predict, then run: SegNet's max-unpooling of one block.

    `models.MaxPoolingWithArgmax2D(2)` pools `check.UNPOOL_BLOCK` (a 4 x 4 block) and
    remembers where each maximum was; `models.MaxUnpooling2D(2)` then puts the pooled values
    back. Predict the 4 x 4 result before running it, as a NumPy array or nested list:
    ``prediction = [[..., ..., ..., ...], ...]``.
    """
    arr = np.asarray(prediction, dtype=float) if not isinstance(prediction, np.ndarray) \
        else prediction.astype(float)
    if arr.shape != (4, 4):
        raise ValueError(f"`prediction` must be a 4 x 4 array, got shape {arr.shape}")
    ref = _unpooled(UNPOOL_BLOCK)
    block = UNPOOL_BLOCK
    upsampled = np.kron(block.reshape(2, 2, 2, 2).max(axis=(1, 3)), np.ones((2, 2)))
    if np.array_equal(arr, ref):
        fb.right("the unpooled block", "each maximum back where it came from, zeros elsewhere")
    elif np.array_equal(arr, upsampled):
        fb.wrong("the unpooled block", "that is plain upsampling, which copies each value to "
                 "the whole window; unpooling puts it at one position only")
    elif np.array_equal(arr, block.reshape(2, 2, 2, 2).max(axis=(1, 3))) or arr.sum() == 0:
        fb.wrong("the unpooled block", "the output has the size of the block before pooling")
    elif np.count_nonzero(arr) != 4:
        fb.wrong("the unpooled block", "four windows, one maximum each: exactly four "
                 "non-zero pixels")
    elif sorted(arr[arr != 0].tolist()) != sorted(ref[ref != 0].tolist()):
        fb.wrong("the unpooled block", "the kept values are the maximum of each 2 x 2 "
                 "window; recheck which value wins in each")
    else:
        fb.wrong("the unpooled block", "the values are right, a position is not: on a tie "
                 "the first position in reading order wins")
    if fb.passed:
        fb.note("only these positions cross from SegNet's encoder to its decoder; a U-Net's "
                "skip sends the whole feature map.")


# ============================================================================ 6.2
def _kappa(y_true, y_pred):
    t = np.asarray(y_true).astype(bool).ravel()
    p = np.asarray(y_pred).astype(bool).ravel()
    n = t.size
    agree = np.mean(t == p)                                      # observed agreement Pa
    chance = (t.sum() * p.sum() + (n - t.sum()) * (n - p.sum())) / n ** 2  # Pc
    if chance == 1:
        return 1.0 if agree == 1 else 0.0  # one class everywhere in both: nothing to correct
    return float((agree - chance) / (1 - chance))


def _kappa_cases():
    rng = np.random.default_rng(6)
    t = rng.random((12, 12)) < 0.2
    p = t.copy()
    p[rng.random((12, 12)) < 0.15] ^= True
    sparse = np.zeros((20, 20), bool)
    sparse[3:6, 3:6] = True
    shifted = np.roll(sparse, 2, axis=1)
    return [
        ("a noisy copy of a mask (20 % foreground)", t, p),
        ("a prediction that is the truth inverted", t, ~t),
        ("two masks of a rare object, shifted by 2 pixels", sparse, shifted),
        ("a perfect prediction", sparse, sparse.copy()),
        ("masks stored as 0/255 uint8", (t * 255).astype(np.uint8),
         (p * 255).astype(np.uint8)),
    ]


@exercise(
    title="Cohen's kappa from two masks",
    kind="write-a-function", minutes=15,
    hints=(
        "Kappa = (Pa - Pc) / (1 - Pc), Nyawira & Bushman's Eq. 4. Pa is the fraction of "
        "pixels where the two masks agree (the accuracy).",
        "Pc is the agreement expected by chance from the class frequencies alone: "
        "p_true(1) * p_pred(1) + p_true(0) * p_pred(0), with p(1) the fraction of "
        "foreground pixels of each mask.",
        "Turn the masks into booleans first (`mask > 0`), so that 0/255 masks work too.",
    ),
    solution=_kappa)
def ex06_2(fb, kappa):
    """Write a function: Cohen's kappa of a predicted mask against the true one.

    Write ``kappa(y_true, y_pred)`` that returns Cohen's kappa of two binary masks of the
    same shape (bool, {0, 1} or {0, 255}): the agreement beyond what chance alone would give
    with these class frequencies, Nyawira & Bushman's Eq. 4-6. Pass the function itself:
    ``check.ex06_2(kappa)``.
    """
    fn = as_function(kappa, "kappa", "(y_true, y_pred)")
    for what, t, p in _kappa_cases():
        got = call(fb, fn, "kappa", (t.copy(), p.copy()), what)
        if got is NOT_WRITTEN:
            break
        if got is FAILED:
            continue
        ref = metrics.confusion(t > 0, p > 0).cohen_kappa()
        judge_number(fb, what, got, ref, 1e-9, hint=lambda v: _kappa_hint(v, t > 0, p > 0))


def _kappa_hint(v, t, p):
    c = metrics.confusion(t, p)
    if close(v, c.accuracy(), 1e-9):
        return "that is the accuracy Pa; kappa takes away the agreement Pc of chance"
    pc_fg = t.mean() * p.mean()
    if close(v, (c.accuracy() - pc_fg) / (1 - pc_fg), 1e-9):
        return ("Pc has a term per class: p_true(1) p_pred(1) for foreground and "
                "p_true(0) p_pred(0) for background")
    if close(v, c.jaccard(), 1e-9) or close(v, metrics.dice(t, p), 1e-9):
        return "that is an overlap score of the foreground; kappa counts agreement on both classes"
    return ("compute Pa (fraction of pixels where the masks agree) and Pc (chance agreement) "
            "by hand on this case, then (Pa - Pc) / (1 - Pc)")


# ============================================================================ 6.3
def _pick(table, network, labels, what):
    import pandas as pd

    if not isinstance(table, pd.DataFrame) or not {"network", "labels", "fnr", "fpr"} <= set(
            table.columns):
        raise TypeError(f"`{what}` must be a table of experiments.compare_labels, got "
                        f"{describe(table)}")
    rows = table[(table["network"] == network) & (table["labels"] == labels)]
    if rows.empty:
        raise ValueError(f"`{what}` has no row for network {network!r} on labels {labels!r}; "
                         f"it has {sorted(set(zip(table['network'], table['labels'])))}")
    return rows.iloc[0]


@exercise(
    title="Focal loss against the U-Net's missed pixels",
    kind="change-and-observe", minutes=15,
    hints=(
        "Call `experiments.compare_labels` as in section 8, with only the U-Net "
        "(`architectures=['unet']`), only the flood-fill labels, and `loss='focal'`; keep "
        "every other knob of `baseline`.",
        "Compare the FNR and FPR of your row with the row 'unet', 'flood' of the big table.",
    ),
    solution='''
        knobs = {k: v for k, v in baseline.items() if k not in ("architecture", "loss")}
        focal = experiments.compare_labels({"flood": label_sets["flood"]}, test_slices,
                                           architectures=["unet"], tile=TILE, overlap=OVERLAP,
                                           loss="focal", progress=False, **knobs)
        print(focal[["network", "labels", "kappa", "fnr", "fpr"]].round(3))
        fewer_missed = bool(focal["fnr"].iloc[0] < rows.query(
            "network == 'unet' and labels == 'flood'")["fnr"].iloc[0])
    ''')
def ex06_3(fb, focal, table, fewer_missed):
    """Change and observe: does the focal loss make the U-Net miss fewer pixels?

    Nyawira & Bushman found that their U-Net "had a higher FN rate than SegNet" and that it
    "will likely require more investigation into class imbalance solutions to reduce the
    high FN Rate". The focal loss is one (MIA's default loss, notebook 05). Train the U-Net
    on the flood-fill labels again with ``loss="focal"`` and the same tiles, knobs and test
    slices, then say whether its false negative rate is lower than with the notebook's
    loss. Pass your one-row table, the notebook's table `rows`, and
    ``fewer_missed = True or False``.
    """
    mine = _pick(focal, "unet", "flood", "focal")
    theirs = _pick(table, "unet", "flood", "table")
    if not isinstance(fewer_missed, (bool, np.bool_)):
        raise TypeError(f"`fewer_missed` must be True or False, got {describe(fewer_missed)}")
    if close(float(mine["fnr"]), float(theirs["fnr"]), 1e-12) and close(
            float(mine["fpr"]), float(theirs["fpr"]), 1e-12):
        fb.wrong("your table", "it is the same as the notebook's row: did you change the loss "
                 "to 'focal'?")
        return
    fb.right("your table", "a U-Net trained on the flood-fill labels with another loss")
    lower = bool(mine["fnr"] < theirs["fnr"])
    if bool(fewer_missed) == lower:
        fb.right("fewer missed pixels?", f"FNR {mine['fnr']:.3f} against {theirs['fnr']:.3f}")
    else:
        fb.wrong("fewer missed pixels?", "compare the `fnr` of your row with the notebook's "
                 "row ('unet', 'flood'): lower means fewer mitochondrion pixels missed")
    if fb.passed:
        fb.note("look at the FPR too: a loss that finds more foreground usually also marks "
                "more background, and kappa weighs both.")


# ============================================================================ 6.4
@exercise(
    title="Few good labels or many rough ones? (Nyawira & Bushman)",
    kind="test-a-claim", minutes=10,
    hints=(
        "The rows whose labels start with 'true (1/' are the networks trained on the few "
        "true tiles; 'flood' and 'region' are trained on nine times as many weak tiles.",
        "For SegNet, compare the kappa of the few-true row with the best of the two weak "
        "rows.",
    ),
    solution='''
        segnet = rows[rows["network"] == "segnet"].set_index("labels")["kappa"]
        few_true = segnet[[name for name in segnet.index if name.startswith("true (1/")]].iloc[0]
        few_good_win = bool(few_true > max(segnet["flood"], segnet["region"]))
        print(segnet.round(3), few_good_win)
    ''')
def ex06_4(fb, table, few_good_win):
    """Test a claim: "it is more important for SegNet to have a small number of very
    well-annotated training data than to have an abundance of moderately well annotated
    data" (Nyawira & Bushman, §5, from their 3,838 manual against 35,000 weak images).

    The table of section 8 (`rows`) has SegNet trained on the few true tiles and on the
    many weakly labelled ones (flood fill, region growing). By kappa against the true test
    masks, does the SegNet of the few true tiles beat both weak ones here? Pass the table and
    ``few_good_win = True or False``.
    """
    _pick(table, "segnet", "flood", "table")  # a compare_labels table with SegNet rows
    few = sorted(name for name in set(table["labels"]) if str(name).startswith("true (1/"))
    if not few:
        raise ValueError("`table` has no row trained on the few true tiles (labels "
                         "'true (1/...'): pass the table `rows` of section 8")
    few_row = _pick(table, "segnet", few[0], "table")
    weak = [_pick(table, "segnet", name, "table") for name in ("flood", "region")]
    if not isinstance(few_good_win, (bool, np.bool_)):
        raise TypeError(f"`few_good_win` must be True or False, got {describe(few_good_win)}")
    wins = bool(few_row["kappa"] > max(r["kappa"] for r in weak))
    if bool(few_good_win) == wins:
        fb.right("does the claim hold here?", "that is what the kappas of the SegNet rows say")
    else:
        fb.wrong("does the claim hold here?", "compare the SegNet rows only, by kappa: the "
                 "few-true row against the better of 'flood' and 'region'")
    if fb.passed:
        fb.note("one seed, one small synthetic data set: the paper's numbers (printed in "
                "section 8) came from 35,000 real images. Change SEED, or the ratio of tiles, "
                "before you generalise.")
