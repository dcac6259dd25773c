"""Scores for segmentations, split by concern.

Introduced in notebook 07; the scores that notebooks 03, 05 and 06 use before it are
introduced where they are first used.

- `segkit.metrics.pixel`: a binary mask against a prediction, every pixel counted once:
  `confusion` (whose `Confusion` has every count-based score as a method: accuracy, Jaccard,
  precision, recall, FPR, FNR, Cohen's kappa, the balanced AUROC), `dice`, `soft_dice`,
  `pixel_report` (every pixel score of one comparison).
- `segkit.metrics.curves`: a probability map over all thresholds: `roc_auc` (the curve
  itself is drawn by `segkit.viz.plot_roc`), `threshold_sweep`.
- `segkit.metrics.objects`: two label images object by object, all from one
  `contingency_table`: `seg_score` (Cell Tracking Challenge SEG), `match_objects`,
  `average_precision`, `mean_iou`, `object_report`, and `instance_scores` (all of them in
  one row, for a stack or a list of images of different sizes).
- `segkit.metrics.readings`: `interpret_kappa`, `interpret_auroc` (published guideline tables).
- `segkit.metrics.clicks`: `click_scores`, weak labels grown from clicks scored click by click
  (each region against the object its click was made for) and image by image (notebook 03).

Conventions where a ratio would be 0/0 (documented, tested, never a silent NaN):

- both masks empty: Dice, Jaccard, precision, recall = 1.0 and FPR, FNR = 0.0: a metric
  whose population is empty has nothing it could count as an error ("vacuous" value);
  pass ``zero_division=`` to choose another value (e.g. ``np.nan`` to skip such slices);
- Cohen's kappa when both masks are the same constant (Pc = Pa = 1): 1.0;
- AUROC (both kinds) when `y_true` holds one class only: ValueError, as in scikit-learn;
- SEG with no reference object: ValueError (a mean over no objects);
- object precision/recall/F1/AP with no objects on either side: 1.0.

A probability ``p`` counts as foreground when ``p >= threshold`` (the package-wide rule,
also the one the ROC curve uses for its thresholds). Stacks are pooled: every pixel of every
slice counts once (``confusion(..., per_image=True)`` gives one value per slice), and in a
label stack every slice's objects are distinct objects.

>>> from segkit import metrics
>>> metrics.dice([[1, 1, 0, 0]], [[1, 0, 1, 0]])
0.5
"""

from .curves import roc_auc, threshold_sweep
from .objects import ContingencyTable  # noqa: F401 (the type the object scores take)
from .objects import (average_precision, contingency_table, instance_scores, match_objects,
                      mean_iou, object_report, seg_score)
from .pixel import Confusion  # noqa: F401 (the type `confusion` returns)
from .pixel import confusion, dice, pixel_report, soft_dice
from .readings import interpret_auroc, interpret_kappa

# weak labels from clicks (notebooks 03 and 10)
from .clicks import ClickScores  # noqa: F401,E402 (the type `click_scores` returns)
from .clicks import click_scores  # noqa: E402

__all__ = [
    # pixel
    "confusion", "dice", "soft_dice", "pixel_report",
    # curves
    "roc_auc", "threshold_sweep",
    # objects
    "contingency_table", "seg_score", "match_objects", "average_precision", "mean_iou",
    "object_report", "instance_scores",
    # readings
    "interpret_kappa", "interpret_auroc",
    # weak labels from clicks
    "click_scores",
]
