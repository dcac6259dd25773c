"""Exercises of the course notebooks: checkers that teach, graded hints, solutions on request.

Course material, not library API (the course layer of docs/architecture.md). One module per
notebook; in a notebook::

    from segkit.exercises import ex07 as check

    check.ex07_3(dice_one_class)   # what is right, what is wrong and why; returns a Result
    check.ex07_3.hint()            # the next of the graded hints
    check.ex07_3.solution()        # a reference solution, only when asked
    help(check.ex07_3)             # the exercise's statement

A checker validates its input like the rest of segkit (a wrong type is a TypeError that
names the argument) and never prints the expected answer: only `solution` shows it.
docs/exercises.md explains how to write exercises, make student copies and grade with
nbgrader.

Examples
--------
>>> from segkit.exercises import ex07 as check
>>> result = check.ex07_1({"accuracy": 0.96, "dice": 1.0, "kappa": 0.0,
...                        "balanced_auroc": 0.5})  # doctest: +ELLIPSIS
ex07_1 · The scores of a lazy model
  ✓ accuracy: every background pixel is predicted correctly
  ✗ dice: Dice is 1.0 only when both masks are empty ...
...
>>> bool(result), result.passed
(False, False)
>>> [e.name for e in overview()][:2]
['ex07_1', 'ex07_2']
"""

import importlib

from ._core import Exercise, Result

__all__ = ["Exercise", "Result", "overview"]

_MODULES = ("ex07", "ex09")  # one per notebook with exercises, in course order


def overview():
    """Every exercise of the course in order, as `Exercise` objects.

    Each has ``name``, ``title``, ``kind`` and ``minutes`` (the estimated time), for the
    index's table of exercises.

    Examples
    --------
    >>> for e in overview()[:2]:
    ...     print(f"{e.name}  {e.kind:<18} {e.minutes:>2} min  {e.title}")
    ex07_1  predict-then-run    5 min  The scores of a lazy model
    ex07_2  change-and-observe 10 min  The threshold trades one error for the other
    """
    out = []
    for mod_name in _MODULES:
        mod = importlib.import_module(f"{__name__}.{mod_name}")
        out += [getattr(mod, n) for n in mod.__all__ if isinstance(getattr(mod, n), Exercise)]
    return out
