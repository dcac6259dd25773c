# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# The exercises of notebook 07, in jupytext's `py:percent` format, to be inserted at the end
# of `notebooks/07_evaluation.ipynb` before its Summary (see docs/exercises.md). The first
# code cell, tagged `context`, rebuilds what the notebook has defined by then (with its quick
# parameters) so that this file runs on its own: `cd docs/exercises && python 07_exercises.py`.
# Leave it out when inserting.

# %% tags=["context"]
# Context, not an exercise: the names notebook 07 defines before its exercises.
import numpy as np

from segkit import data, metrics, synthetic

DATA_DIR, DATASET, N_EVAL_SLICES = "../../data", "synthetic-em-small", 2
ERODE, NOISE, MISS_RATE, BLUR, SCORE_NOISE, SEED = 1, 0.002, 0.15, 2.0, 0.15, 0
stacks = data.load_em_stacks(DATASET, root=DATA_DIR)
images, masks = (a[:N_EVAL_SLICES] for a in stacks["test"])
del stacks
pred_mask = synthetic.degrade_mask(masks, erode=ERODE, noise=NOISE, miss_rate=MISS_RATE, rng=SEED)
scores = synthetic.synthetic_scores(pred_mask, blur=BLUR, noise=SCORE_NOISE, rng=SEED)

# %% [markdown]
# ## Exercises
# Five exercises on this notebook's scores, about an hour in all. Each ends with a cell that
# checks your answer: it says what is right, what is not and why. Stuck? Ask
# `check.ex07_1.hint()` (each call gives the next hint); `check.ex07_1.solution()` shows a
# solution, but try first. `help(check.ex07_1)` repeats the question.

# %%
from segkit.exercises import ex07 as check

# %% [markdown]
# ### Exercise 7.1 · The scores of a lazy model
# *Predict, then run; about 5 minutes.*
#
# A 100 × 100 image has 400 foreground pixels (4 %). A lazy model predicts background for
# every pixel. **Before running anything**, predict its accuracy, Dice, Cohen's kappa and
# balanced AUROC, as fractions (0.25, not 25 %). Write them as
# `prediction = {"accuracy": ..., "dice": ..., "kappa": ..., "balanced_auroc": ...}`.

# %% tags=["solution"]
### BEGIN SOLUTION
# Counts: TP = 0, FP = 0, FN = 400, TN = 9600.
prediction = {
    "accuracy": 0.96,       # (0 + 9600) / 10000: every background pixel is right
    "dice": 0.0,            # 2 * 0 / (0 + 0 + 400): no foreground found
    "kappa": 0.0,           # Pa = 0.96 and Pc = 0.04 * 0 + 0.96 * 1 = 0.96: chance level
    "balanced_auroc": 0.5,  # 1 - (FPR + FNR) / 2 = 1 - (0 + 1) / 2: chance level
}
### END SOLUTION

# %% tags=["check"]
check.ex07_1(prediction)

# %% [markdown]
# Now run it, and compare with your prediction:

# %%
truth = np.zeros((100, 100), dtype=bool)
truth[40:60, 40:60] = True
lazy = np.zeros_like(truth)
print({k: round(v, 4) for k, v in metrics.pixel_report(truth, lazy).items()})

# %% [markdown]
# ### Exercise 7.2 · The threshold trades one error for the other
# *Change and observe; about 10 minutes.*
#
# With `masks` and the probability map `scores` of section 1, find the false positive rate
# and the false negative rate at the thresholds 0.3, 0.5 and 0.7: compute them with
# `metrics.confusion(masks, scores, threshold=t)`, or move the threshold slider of section 8
# and note what it prints. Store them as
# `observed = {0.3: {"fpr": ..., "fnr": ...}, 0.5: {...}, 0.7: {...}}`. Then say which rate
# rises as the threshold goes up: `rises = "fpr"` or `rises = "fnr"`.

# %% tags=["solution"]
### BEGIN SOLUTION
observed = {}
for t in (0.3, 0.5, 0.7):
    c = metrics.confusion(masks, scores, threshold=t)
    observed[t] = {"fpr": c.fpr(), "fnr": c.fnr()}
print(observed)
# A higher threshold calls fewer pixels foreground: FP fall, FN rise.
rises = "fnr"
### END SOLUTION

# %% tags=["check"]
check.ex07_2(observed, rises)

# %% [markdown]
# No threshold lowers both errors. Which threshold would you use to report this model's
# Dice, and on which data would you choose it? Answer in a sentence or two in the cell below.

# %% [markdown] tags=["solution"]
# The threshold that serves the use: the best Dice, or a low FNR when missing an object costs
# more than a false alarm. Choose it on *validation* data, then apply it unchanged to the
# test set: a threshold tuned on the test set inflates the score you report (section 6).

# %% [markdown]
# ### Exercise 7.3 · A Dice for one class
# *Write a function; about 15 minutes.*
#
# Label images hold one class number per pixel (0 background, 1 membrane, 2 mitochondria,
# ...). Write `dice_one_class(y_true, y_pred, cls)`: the Dice of class `cls` alone, that is
# of the pixels equal to `cls` in each image, as one number. When the class is in neither
# image, return 1.0, as `metrics.dice` does for two empty masks. The checker tries your
# function on a few small label images, 16-bit ones included.

# %% tags=["solution"]
def dice_one_class(y_true, y_pred, cls):
    ### BEGIN SOLUTION
    t = np.asarray(y_true) == cls
    p = np.asarray(y_pred) == cls
    total = int(t.sum()) + int(p.sum())
    if total == 0:
        return 1.0  # the class is absent from both: nothing to get wrong (segkit's convention)
    return 2 * int(np.logical_and(t, p).sum()) / total
    ### END SOLUTION

# %% tags=["check"]
check.ex07_3(dice_one_class)

# %% [markdown]
# ### Exercise 7.4 · Nyawira & Bushman's AUROC, recomputed
# *Test a paper's claim; about 10 minutes.*
#
# Nyawira & Bushman (PEARC '18) define the AUROC as `1 - (FPR + FNR) / 2` (their Eq. 3) and
# print the FNR and FPR of their six networks in Table 7 (`check.NYAWIRA_TABLE_7`), the kappa
# and AUROC in Tables 5 and 6 (`check.NYAWIRA_TABLE_5`). Recompute the six AUROCs from Table 7
# as `auroc = {"UNet Flood": ..., ...}` (the table's row names) and compare them with Tables
# 5 and 6. The paper says that with region-growing and manual labels U-Net's AUROC is lower
# than SegNet's because of one of the two rates: which one? `explained_by = "fnr"` or `"fpr"`.

# %% tags=["solution"]
### BEGIN SOLUTION
auroc = {name: 1 - (r["fpr"] + r["fnr"]) / 2 for name, r in check.NYAWIRA_TABLE_7.items()}
for name, value in auroc.items():
    print(f"{name:14} Eq. 3: {value:.6f}   Table 5/6: {check.NYAWIRA_TABLE_5[name]['auroc']:.6f}")
# With region-growing and manual labels, U-Net's FNR / 2 is 0.14 and 0.15 above SegNet's
# while its FPR is lower: the FNR explains the whole gap, as the paper says.
explained_by = "fnr"
### END SOLUTION

# %% tags=["check"]
check.ex07_4(auroc, explained_by)

# %% [markdown]
# ### Exercise 7.5 · Is kappa or the AUROC free of class imbalance?
# *Test a paper's claim; about 15 minutes.*
#
# The paper prefers the AUROC and kappa because they "more accurately reflect the quality of
# segmentation for the smaller, more important class". Test it: keep a model's error rates
# fixed and change only how rare the foreground is. Write `scores_for(prevalence, fnr, fpr)`
# that returns `{"accuracy": ..., "kappa": ..., "balanced_auroc": ...}` for a foreground
# fraction `prevalence`, with the paper's Eq. 3–6 (its confusion matrix is in fractions of
# all pixels, N = 1). Print the scores of the rows UNet RG and SegNet Manual of Table 7 at
# foreground fractions 0.5, 0.2, 0.05 and 0.01, and say which score does not change:
# `unchanged = "accuracy"`, `"kappa"` or `"balanced_auroc"`.

# %% tags=["solution"]
### BEGIN SOLUTION
def scores_for(prevalence, fnr, fpr):
    # The confusion matrix as fractions of all pixels (N = 1, as in the paper's Eq. 4-6).
    tp = (1 - fnr) * prevalence
    fn = fnr * prevalence
    fp = fpr * (1 - prevalence)
    tn = (1 - fpr) * (1 - prevalence)
    pa = tp + tn                                             # observed agreement
    pc = (tp + fn) * (tp + fp) + (tn + fp) * (tn + fn)       # agreement by chance, Eq. 6
    return {"accuracy": pa,
            "kappa": (pa - pc) / (1 - pc),                   # Eq. 4
            "balanced_auroc": 1 - (fpr + fnr) / 2}           # Eq. 3


for name in ("UNet RG", "SegNet Manual"):
    rates = check.NYAWIRA_TABLE_7[name]
    for p in (0.5, 0.2, 0.05, 0.01):
        row = scores_for(p, rates["fnr"], rates["fpr"])
        print(f"{name:14} {p:5}", {k: round(v, 3) for k, v in row.items()})
# The balanced AUROC depends on the rates only. Kappa moves with the foreground fraction
# (SegNet Manual: from 0.93 to 0.34); accuracy moves towards 1 - FPR, the background's score.
unchanged = "balanced_auroc"
### END SOLUTION

# %% tags=["check"]
check.ex07_5(scores_for, unchanged)
