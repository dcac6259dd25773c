"""The machinery of the exercises: a checker that teaches, its graded hints and its solution.

An exercise module (``ex07``, ...) writes one *check function* per exercise and decorates it
with `exercise`::

    @exercise(title="Dice for one class", kind="write-a-function", minutes=15,
              hints=("...", "..."), solution=_dice_one_class)
    def ex07_3(fb, dice_one_class):
        \"\"\"The statement of the exercise (what ``help(check.ex07_3)`` shows).\"\"\"
        fn = as_function(dice_one_class, "dice_one_class", "(y_true, y_pred, cls)")
        ...
        fb.right("empty class", "1.0, as segkit's dice")       # what is right
        fb.wrong("two classes", "you returned the Jaccard index: ...")  # what is wrong, and why

The decorated name is an `Exercise`: calling it validates the answer (a wrong *type* is a
TypeError that names the argument, as everywhere in segkit), runs the checks, prints what is
right and what is wrong with a hint, and returns a `Result` (truthy when passed).
``.hint()`` gives the graded hints one at a time; ``.solution()`` shows the reference, and
nothing else ever does: a wrong answer's message says why it is wrong, never what is right.

Under nbgrader's autograder or validator (environment variable ``NBGRADER_EXECUTION`` set), a
failed check also raises AssertionError, so a check cell is an nbgrader test cell as it is.
"""

import inspect
import math
import numbers
import os
import re
import textwrap
import warnings

import numpy as np


__all__ = []  # private module: `segkit.exercises` re-exports Exercise and Result

KINDS = ("predict-then-run", "change-and-observe", "write-a-function", "test-a-claim")
RIGHT, WRONG, NOTE = "\u2713", "\u2717", "\u2192"  # check mark, ballot x, arrow


class Text(str):
    """A string that a notebook displays as itself (no quotes, real line breaks)."""

    __slots__ = ()

    def __repr__(self):
        return str(self)


class Result:
    """What a checker found: ``bool(result)`` is ``result.passed``.

    An `Exercise` makes one each time it is called, prints it and returns it.

    Parameters
    ----------
    exercise : str
        The exercise's name, e.g. ``"ex07_3"``.
    title : str
        The exercise's title.
    passed : bool
        Every check was right (and there was at least one).
    messages : iterable of str
        One line per check, starting with a check mark (right), a cross (wrong, with the hint)
        or an arrow (a note).

    Attributes
    ----------
    exercise, title, passed, messages
        As given (`messages` as a tuple).
    n_right, n_wrong : int
        Messages that start with a check mark, with a cross.

    Examples
    --------
    >>> r = Result("ex07_3", "Dice for one class", False,
    ...            ["✓ empty class: 1.0, as segkit's dice", "✗ two classes: the Jaccard index"])
    >>> bool(r), r.n_right, r.n_wrong
    (False, 1, 1)
    >>> print(r)  # doctest: +ELLIPSIS
    ex07_3 · Dice for one class
      ✓ empty class: 1.0, as segkit's dice
      ✗ two classes: the Jaccard index
    Not yet: 1 of 2 right. Ask `check.ex07_3.hint()` for a hint, ...
    >>> r
    <ex07_3: not passed, 1 of 2 right>
    """

    __slots__ = ("exercise", "title", "passed", "messages")

    def __init__(self, exercise, title, passed, messages):
        self.exercise = exercise
        self.title = title
        self.passed = bool(passed)
        self.messages = tuple(messages)

    def __bool__(self):
        return self.passed

    @property
    def n_right(self):
        return sum(m.startswith(RIGHT) for m in self.messages)

    @property
    def n_wrong(self):
        return sum(m.startswith(WRONG) for m in self.messages)

    def __str__(self):
        lines = [f"{self.exercise} \u00b7 {self.title}"]
        lines += [f"  {m}" for m in self.messages]
        total = self.n_right + self.n_wrong
        if self.passed:
            lines.append(f"Passed: {total} of {total} right.")
        else:
            lines.append(f"Not yet: {self.n_right} of {total} right. Ask "
                         f"`check.{self.exercise}.hint()` for a hint, "
                         f"`check.{self.exercise}.solution()` for a solution.")
        return "\n".join(lines)

    def __repr__(self):  # short: the full report has been printed by the checker
        state = "passed" if self.passed else "not passed"
        return f"<{self.exercise}: {state}, {self.n_right} of {self.n_right + self.n_wrong} right>"


class Feedback:
    """Collects what a check function finds; `Exercise` turns it into a `Result`."""

    def __init__(self):
        self.messages = []

    def right(self, what, why=""):
        self.messages.append(f"{RIGHT} {what}" + (f": {why}" if why else ""))

    def wrong(self, what, hint):
        self.messages.append(f"{WRONG} {what}: {hint}")

    def note(self, text):
        self.messages.append(f"{NOTE} {text}")

    @property
    def passed(self):
        marks = [m[0] for m in self.messages]
        return RIGHT in marks and WRONG not in marks


class Exercise:
    """One exercise: call it with the answer to check it; `hint` and `solution` on request.

    Made by the `exercise` decorator from a check function ``check(fb, *answers)``; the
    exercise's signature is the check function's without ``fb``, and its docstring is the
    exercise's statement.

    Parameters
    ----------
    check : callable
        ``check(fb, *answers)``: records what is right and wrong with ``fb.right(what,
        why)`` and ``fb.wrong(what, hint)``; its name is the exercise's name.
    title : str
        Shown above the checker's report.
    kind : str
        One of ``KINDS``.
    minutes : int
        Estimated time for a learner.
    hints : sequence of str
        The graded hints, at least one, from gentle to nearly the answer.
    solution : str or callable
        The text of the solution cell, or a reference function whose source is shown
        (`source_of`).

    Attributes
    ----------
    name : str
        ``"ex07_3"``: notebook 07, exercise 3.
    title, kind : str
        The title; the kind, one of ``KINDS``.
    minutes : int
        Estimated time for a learner.

    Examples
    --------
    >>> def ex00_1(fb, answer):
    ...     '''How many pixels has a 4 x 4 image?'''
    ...     if answer == 16:
    ...         fb.right("answer", "4 rows of 4")
    ...     else:
    ...         fb.wrong("answer", "count the pixels of one row first")
    >>> ex = Exercise(ex00_1, title="Counting pixels", kind="predict-then-run", minutes=1,
    ...               hints=("A row has 4 pixels.",), solution="answer = 4 * 4")
    >>> result = ex(16)
    ex00_1 · Counting pixels
      ✓ answer: 4 rows of 4
    Passed: 1 of 1 right.
    >>> bool(result), ex.name
    (True, 'ex00_1')
    >>> print(ex.hint())
    Hint 1 of 1 (the last one; `.solution()` shows a solution): A row has 4 pixels.
    >>> print(ex.solution())
    answer = 4 * 4
    """

    def __init__(self, check, *, title, kind, minutes, hints, solution):
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
        if not hints:
            raise ValueError(f"{check.__name__}: give at least one hint")
        self._check = check
        self.name = check.__name__
        self.title = title
        self.kind = kind
        self.minutes = int(minutes)
        self._hints = tuple(textwrap.dedent(h).strip() for h in hints)
        self._solution = solution
        self._next_hint = 0
        self.__doc__ = check.__doc__
        self.__name__ = self.name
        self.__module__ = check.__module__
        params = list(inspect.signature(check).parameters.values())[1:]  # drop `fb`
        self.__signature__ = inspect.Signature(params)

    def __call__(self, *args, **kwargs):
        self.__signature__.bind(*args, **kwargs)  # wrong number of answers: Python's TypeError
        fb = Feedback()
        self._check(fb, *args, **kwargs)
        result = Result(self.name, self.title, fb.passed, fb.messages)
        print(result)
        if not result and os.environ.get("NBGRADER_EXECUTION"):
            wrong = next((m for m in result.messages if m.startswith(WRONG)), "no check ran")
            raise AssertionError(f"{self.name} not passed: {wrong}")
        return result

    def hint(self, level=None):
        """The next hint (each call goes one step further), or hint number `level` (from 1).

        Examples
        --------
        >>> from segkit.exercises import ex07 as check
        >>> print(check.ex07_3.hint(1)[:50])
        Hint 1 of 3: Make two boolean masks first: `t = y_
        """
        n = len(self._hints)
        if level is None:
            level = self._next_hint + 1
            self._next_hint = min(self._next_hint + 1, n - 1)
        elif isinstance(level, bool) or not isinstance(level, numbers.Integral):
            raise TypeError(f"`level` must be an integer from 1 to {n}, got {level!r}")
        elif not 1 <= level <= n:
            raise ValueError(f"`level` must be an integer from 1 to {n}, got {level}")
        more = " (the last one; `.solution()` shows a solution)" if level == n else ""
        return Text(f"Hint {level} of {n}{more}: {self._hints[level - 1]}")

    def solution(self):
        """A reference solution: the code of a solution cell, with comments on why.

        Examples
        --------
        >>> from segkit.exercises import ex07 as check
        >>> print(check.ex07_4.solution().splitlines()[0])
        t7 = check.NYAWIRA_TABLE_7
        """
        sol = self._solution
        text = source_of(sol) if callable(sol) else textwrap.dedent(sol).strip("\n")
        return Text(text)

    def __repr__(self):
        return (f"<exercise {self.name}: {self.title} ({self.kind}, about {self.minutes} min); "
                "call it with your answer>")


def exercise(*, title, kind, minutes, hints, solution):
    """Decorator: make an `Exercise` from a check function ``check(fb, *answers)``.

    `solution` is either the text of the solution cell, or a private reference function
    ``_name`` whose source is shown under the learner's name ``name`` (`source_of`).
    """
    def wrap(check):
        return Exercise(check, title=title, kind=kind, minutes=minutes, hints=hints,
                        solution=solution)
    return wrap


def source_of(fn):
    """The source of a reference function, shown under the learner's name.

    A reference function is named like the learner's function with a leading underscore
    (``_dice_one_class`` for ``dice_one_class``) so that it is not public; the shown source
    drops the underscore.
    """
    src = textwrap.dedent(inspect.getsource(fn)).strip("\n")
    name = fn.__name__
    return re.sub(rf"^def {re.escape(name)}\(", f"def {name.lstrip('_')}(", src, count=1)


# ----------------------------------------------------------------------------- validation
def as_function(answer, name, params):
    """The learner's function, or a TypeError that says what to pass."""
    if not callable(answer):
        raise TypeError(f"`{name}` must be a function, `def {name}{params}: ...`, "
                        f"passed without calling it, got {_describe(answer)}")
    return answer


def as_mapping(answer, name, keys):
    """The learner's dict with exactly `keys`; a TypeError/ValueError naming what is off."""
    if not isinstance(answer, dict):
        raise TypeError(f"`{name}` must be a dict with keys {_names(keys)}, "
                        f"got {_describe(answer)}")
    missing = [k for k in keys if k not in answer]
    extra = [k for k in answer if k not in keys]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"misses {_names(missing)}")
        if extra:
            parts.append(f"has unknown key(s) {_names(extra)}")
        raise ValueError(f"`{name}` {' and '.join(parts)}; expected the keys {_names(keys)}")
    return answer


FAILED = object()       # what `call` returns when the learner's function raised
NOT_WRITTEN = object()  # ... raised NotImplementedError: nbgrader's stub is still there


def call(fb, fn, name, args, what, *, hint=""):
    """Call the learner's `fn`; on an exception, record it as a wrong check with `hint`.

    NumPy's warnings (0/0 and the like) are silenced: the checks judge the value returned,
    in a notebook and under pytest's warnings-as-errors alike.

    Returns the value; `NOT_WRITTEN` when `fn` raised NotImplementedError (the stub of a
    student copy), `FAILED` when it raised anything else (the reason is in `fb`).
    """
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*args)
    except NotImplementedError:
        fb.wrong(what, f"`{name}` is not written yet: replace `raise NotImplementedError()` "
                       "with your code")
        return NOT_WRITTEN
    except Exception as exc:  # the learner's bug is feedback, not a crash of the checker
        fb.wrong(what, f"`{name}` raised {type(exc).__name__}: {exc}"
                       + (f"; {hint}" if hint else ""))
        return FAILED


def as_number(value):
    """A learner function's return value as a float, or None when it is not one number."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        return float(value)
    return None


def close(a, b, tol):
    """Both NaN, or both finite and within `tol`."""
    if a is None or b is None:
        return False
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol


def judge_number(fb, what, got, expect, tol, *, hint, kind="one number", why="", right=""):
    """Record whether a learner's return value `got` is the number `expect`, within `tol`.

    Not one number: "return `kind`, not <type>" (": `why`" added when given); the right
    number: a right check with `right`; another number: a wrong check with ``hint(value)``.
    """
    v = as_number(got)
    if v is None:
        fb.wrong(what, f"return {kind}, not {type(got).__name__}" + (f": {why}" if why else ""))
    elif close(v, expect, tol):
        fb.right(what, right)
    else:
        fb.wrong(what, hint(v))


def _names(keys):
    return ", ".join(repr(k) for k in keys)


def _describe(x):
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    return f"{type(x).__name__} {x!r}"[:80]
