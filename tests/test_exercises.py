"""Tests of segkit.exercises: every checker passes with its reference solution and fails, with
the intended hint, on each typical wrong answer; the machinery (results, hints, solutions,
nbgrader mode, input validation); the reference solutions against segkit.metrics; and the
exercise cells of notebook 07 against their checkers."""

import re
from pathlib import Path

import numpy as np
import pytest

from segkit import metrics, synthetic
from segkit.exercises import Exercise, Result, overview
from segkit.exercises import ex07 as check
from exercise_checks import assert_fails_with, wrong_messages
from segkit.exercises._core import RIGHT, WRONG, Feedback, exercise, source_of

ROOT = Path(__file__).resolve().parent.parent


def run(ex, *answers):
    """The result of a checker, with what it printed."""
    return ex(*answers)


# ============================================================================ the machinery
@exercise(title="Twice", kind="write-a-function", minutes=1,
          hints=("first hint", "second hint"), solution="x = 2")
def _toy(fb, x):
    """Set x to 2."""
    if x == 2:
        fb.right("x", "two")
    else:
        fb.wrong("x", "not two")


def test_result_is_truthy_when_passed_and_prints_its_report(capsys):
    ok = _toy(2)
    assert isinstance(ok, Result) and ok and ok.passed
    assert ok.messages == (f"{RIGHT} x: two",)
    out = capsys.readouterr().out
    assert out.startswith("_toy · Twice\n") and "Passed: 1 of 1 right." in out
    bad = _toy(3)
    assert not bad and bad.messages == (f"{WRONG} x: not two",)
    out = capsys.readouterr().out
    assert "Not yet: 0 of 1 right" in out and "check._toy.hint()" in out
    assert repr(bad) == "<_toy: not passed, 0 of 1 right>"  # short: the report was printed


def test_no_check_is_not_a_pass():
    fb = Feedback()
    assert not fb.passed
    fb.note("a note only")
    assert not fb.passed


def test_exercise_looks_like_a_function_of_the_answers():
    assert isinstance(_toy, Exercise)
    assert str(__import__("inspect").signature(_toy)) == "(x)"
    assert _toy.__doc__ == "Set x to 2."
    with pytest.raises(TypeError, match="missing a required argument: 'x'"):
        _toy()


def test_hints_are_graded_and_the_last_repeats():
    ex = Exercise(_toy._check, title="t", kind="predict-then-run", minutes=1,
                  hints=("one", "two"), solution="s")
    assert ex.hint() == "Hint 1 of 2: one"
    assert ex.hint().startswith("Hint 2 of 2 (the last one; `.solution()` shows a solution): two")
    assert ex.hint().endswith(": two")
    assert ex.hint(1) == "Hint 1 of 2: one"
    assert repr(ex.hint(1)) == "Hint 1 of 2: one"  # shown as text in a notebook, no quotes
    with pytest.raises(ValueError, match=r"`level` must be an integer from 1 to 2, got 3"):
        ex.hint(3)
    with pytest.raises(TypeError, match=r"`level` must be an integer from 1 to 2, got '1'"):
        ex.hint("1")


def test_exercise_definition_is_validated():
    with pytest.raises(ValueError, match="`kind` must be one of"):
        Exercise(_toy._check, title="t", kind="quiz", minutes=1, hints=("h",), solution="s")
    with pytest.raises(ValueError, match="at least one hint"):
        Exercise(_toy._check, title="t", kind="predict-then-run", minutes=1, hints=(),
                 solution="s")


def _secret_helper(a):
    return a + 1


def test_solution_of_a_reference_function_shows_it_under_the_learners_name():
    assert source_of(_secret_helper) == "def secret_helper(a):\n    return a + 1"
    assert check.ex07_3.solution().startswith("def dice_one_class(y_true, y_pred, cls):\n")


def test_under_nbgrader_a_failed_check_raises(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert _toy(2)
    with pytest.raises(AssertionError, match="_toy not passed: .* x: not two"):
        _toy(3)


def test_overview_lists_every_exercise_in_order():
    names = [e.name for e in overview()]
    assert names == sorted(names, key=lambda n: (int(n[2:4]), int(n[5:])))  # course order
    ex07 = [e for e in overview() if e.name.startswith("ex07")]
    assert [e.name for e in ex07] == ["ex07_1", "ex07_2", "ex07_3", "ex07_4", "ex07_5"]
    kinds = {e.kind for e in ex07}
    assert kinds == {"predict-then-run", "change-and-observe", "write-a-function",
                     "test-a-claim"}
    assert sum(e.minutes for e in ex07) == 55


@pytest.mark.parametrize("ex", overview(), ids=lambda e: e.name)
def test_every_exercise_has_hints_and_a_solution_and_never_prints_it_when_wrong(ex):
    assert ex.hint(1).startswith("Hint 1 of ")
    sol = ex.solution()
    assert sol.strip() and "BEGIN SOLUTION" not in sol


# ============================================================================ 7.1
LAZY_RIGHT = {"accuracy": 0.96, "dice": 0.0, "kappa": 0.0, "balanced_auroc": 0.5}


def test_ex07_1_reference_passes():
    assert run(check.ex07_1, dict(LAZY_RIGHT))


def test_ex07_1_reference_is_what_segkit_computes():
    truth, lazy = check._lazy_case()
    assert int(truth.sum()) == 400 and truth.size == 10_000
    report = metrics.pixel_report(truth, lazy)
    for key, value in LAZY_RIGHT.items():
        assert report[key] == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize("key, value, hint", [
    ("accuracy", 0.04, "that is the foreground fraction"),
    ("accuracy", 96, r"give fractions \(0.25\), not percentages"),
    ("accuracy", 0.5, r"accuracy = \(TP \+ TN\) / all pixels"),
    ("dice", 1.0, "Dice is 1.0 only when both masks are empty"),
    ("dice", 0.96, "that is the accuracy; Dice ignores the true negatives"),
    ("dice", 0.3, "how many true positives can a model make"),
    ("kappa", 0.96, "that is the accuracy, Pa; kappa subtracts the agreement Pc"),
    ("kappa", 1.0, "a kappa of 1 means perfect agreement beyond chance"),
    ("kappa", -0.5, r"Pc = p_true\(1\) p_pred\(1\)"),
    ("balanced_auroc", 0.96, "the balanced AUROC does not count pixels"),
    ("balanced_auroc", 0.0, "0 would mean every pixel of both classes wrong"),
    ("balanced_auroc", 1.0, "1 would mean no error in either class"),
    ("balanced_auroc", 0.7, r"find FPR = FP / \(FP \+ TN\)"),
])
def test_ex07_1_typical_wrong_answers_get_their_hint(key, value, hint):
    res = run(check.ex07_1, {**LAZY_RIGHT, key: value})
    assert_fails_with(res, rf"{key}: .*{hint}")
    assert res.n_right == 3 and res.n_wrong == 1


def test_ex07_1_never_states_the_expected_value_when_wrong():
    res = run(check.ex07_1, {"accuracy": 0.5, "dice": 0.3, "kappa": -0.5,
                             "balanced_auroc": 0.7})
    text = wrong_messages(res)
    assert res.n_wrong == 4
    assert "0.96" not in text and "0.0 " not in text and "= 0.5" not in text


@pytest.mark.parametrize("answer, exc, message", [
    ([0.96, 0, 0, 0.5], TypeError, r"`prediction` must be a dict with keys 'accuracy', 'dice'"),
    ({"accuracy": 0.96, "dice": 0.0, "kappa": 0.0}, ValueError,
     r"`prediction` misses 'balanced_auroc'; expected the keys"),
    ({**LAZY_RIGHT, "auroc": 0.5}, ValueError, r"`prediction` has unknown key\(s\) 'auroc'"),
    ({**LAZY_RIGHT, "kappa": None}, TypeError,
     r'`prediction\["kappa"\]` must be a number, got None'),
    ({**LAZY_RIGHT, "dice": "0"}, TypeError, r'`prediction\["dice"\]` must be a number'),
    ({**LAZY_RIGHT, "dice": float("nan")}, ValueError, r'`prediction\["dice"\]` must be a '),
])
def test_ex07_1_validates_its_input(answer, exc, message):
    with pytest.raises(exc, match=message):
        check.ex07_1(answer)


# ============================================================================ 7.2
OBSERVED = {0.3: {"fpr": 0.025, "fnr": 0.20}, 0.5: {"fpr": 0.0006, "fnr": 0.25},
            0.7: {"fpr": 0.00001, "fnr": 0.33}}


def _observed_from(masks, scores):
    out = {}
    for t in (0.3, 0.5, 0.7):
        c = metrics.confusion(masks, scores, threshold=t)
        out[t] = {"fpr": c.fpr(), "fnr": c.fnr()}
    return out


def _small_scores():
    truth = np.zeros((20, 20), dtype=bool)
    truth[5:12, 4:15] = True
    scores = synthetic.synthetic_scores(truth, blur=1.5, noise=0.2, rng=0)
    return truth, scores


def test_ex07_2_reference_passes_on_real_scores():
    truth, scores = _small_scores()
    assert run(check.ex07_2, _observed_from(truth, scores), "fnr")
    assert run(check.ex07_2, OBSERVED, "fnr")


def test_ex07_2_the_thresholded_mask_gets_the_pred_mask_hint():
    truth, scores = _small_scores()
    res = run(check.ex07_2, _observed_from(truth, scores >= 0.5), "fnr")  # a binary mask
    assert_fails_with(res, "the same at every threshold.*you probably used `pred_mask`")


def test_ex07_2_swapped_rates():
    swapped = {t: {"fpr": v["fnr"], "fnr": v["fpr"]} for t, v in OBSERVED.items()}
    assert_fails_with(run(check.ex07_2, swapped, "fnr"), "did you swap FPR and FNR")


def test_ex07_2_one_rate_moving_both_ways():
    bad = {**OBSERVED, 0.7: {"fpr": 0.03, "fnr": 0.33}}
    assert_fails_with(run(check.ex07_2, bad, "fnr"), "your FPR moves both ways")


def test_ex07_2_rates_must_be_fractions():
    bad = {t: {"fpr": 100 * v["fpr"], "fnr": 100 * v["fnr"]} for t, v in OBSERVED.items()}
    assert_fails_with(run(check.ex07_2, bad, "fnr"), "a rate is a fraction of one class")


def test_ex07_2_wrong_conclusion():
    res = run(check.ex07_2, OBSERVED, "fpr")
    assert_fails_with(res, "which rate rises: look at your own table")
    assert res.n_right == 1


@pytest.mark.parametrize("observed, rises, exc, message", [
    ({0.5: {"fpr": 0.1, "fnr": 0.1}}, "fnr", TypeError,
     "`observed` must be a dict of at least two thresholds"),
    ([0.1, 0.2], "fnr", TypeError, "`observed` must be a dict of at least two thresholds"),
    ({0.3: {"fpr": 0.1}, 0.5: {"fpr": 0.1, "fnr": 0.2}}, "fnr", ValueError,
     r"`observed\[0.3\]` misses 'fnr'"),
    ({"0.3": {"fpr": 0.1, "fnr": 0.1}, 0.5: {"fpr": 0.1, "fnr": 0.2}}, "fnr", TypeError,
     r"`observed key '0.3'` must be a number"),
    (OBSERVED, "FNR", ValueError, r"`rises` must be 'fpr' or 'fnr', got 'FNR'"),
])
def test_ex07_2_validates_its_input(observed, rises, exc, message):
    with pytest.raises(exc, match=message):
        check.ex07_2(observed, rises)


# ============================================================================ 7.3
def test_ex07_3_reference_passes():
    assert run(check.ex07_3, check._dice_one_class)


def test_ex07_3_reference_agrees_with_segkit_dice_on_random_label_images():
    rng = np.random.default_rng(7)
    for _ in range(20):
        t = rng.integers(0, 4, (6, 7)).astype(np.uint16)
        p = rng.integers(0, 4, (6, 7)).astype(np.uint16)
        for cls in range(5):
            assert check._dice_one_class(t, p, cls) == pytest.approx(
                metrics.dice(t == cls, p == cls), abs=1e-12)


def _jaccard_one_class(y_true, y_pred, cls):
    t, p = y_true == cls, y_pred == cls
    return (t & p).sum() / (t | p).sum()


def _foreground_dice(y_true, y_pred, cls):
    t, p = y_true > 0, y_pred > 0
    return 2 * (t & p).sum() / (t.sum() + p.sum())


def _dice_no_empty_case(y_true, y_pred, cls):
    t, p = y_true == cls, y_pred == cls
    return 2 * (t & p).sum() / (t.sum() + p.sum())


def _dice_per_pixel(y_true, y_pred, cls):
    t, p = y_true == cls, y_pred == cls
    return 2 * (t & p) / (t.sum() + p.sum() + 1e-9)


def _dice_percent(y_true, y_pred, cls):
    return 100 * check._dice_one_class(y_true, y_pred, cls)


def _dice_uint8(y_true, y_pred, cls):
    return check._dice_one_class(y_true.astype(np.uint8), y_pred.astype(np.uint8), cls)


def _not_written(y_true, y_pred, cls):
    # YOUR CODE HERE
    raise NotImplementedError()


@pytest.mark.parametrize("fn, hint, n_right", [
    (_jaccard_one_class, "that is the Jaccard index", 1),  # right on "truth only" (0 = 0)
    (_foreground_dice, r"that is the Dice of all foreground \(> 0\)", 0),
    (_dice_no_empty_case, "the class is in neither image.*return 1.0 there", 4),
    (_dice_per_pixel, "return one number \\(a float\\), not ndarray", 0),
    (_dice_percent, "return a fraction between 0 and 1, not a percentage", 1),
    (_dice_uint8, r"count \|T\| \(pixels of the class in y_true\)", 4),  # 300 wraps to 44
    (_not_written, r"`dice_one_class` is not written yet: replace `raise "
                   r"NotImplementedError\(\)`", 0),
])
def test_ex07_3_typical_wrong_answers_get_their_hint(fn, hint, n_right):
    res = run(check.ex07_3, fn)
    assert_fails_with(res, hint)
    assert res.n_right == n_right


def test_ex07_3_a_crashing_function_is_feedback_not_a_crash():
    def crashes(y_true, y_pred, cls):
        return y_true[cls, 99]

    res = run(check.ex07_3, crashes)
    assert_fails_with(res, "`dice_one_class` raised IndexError")


def test_ex07_3_validates_its_input():
    with pytest.raises(TypeError, match=r"`dice_one_class` must be a function, "
                                        r"`def dice_one_class\(y_true, y_pred, cls\): \.\.\.`, "
                                        r"passed without calling it, got float 0.5"):
        check.ex07_3(0.5)


# ============================================================================ 7.4
AUROC_EQ3 = {n: 1 - (r["fpr"] + r["fnr"]) / 2 for n, r in check.NYAWIRA_TABLE_7.items()}
T7 = check.NYAWIRA_TABLE_7
PARTS = {k: {r: (T7[f"UNet {k}"][r] - T7[f"SegNet {k}"][r]) / 2 for r in ("fnr", "fpr")}
         for k in ("Flood", "RG", "Manual")}


def _parts(f):
    return {k: {r: f(k, r) for r in ("fnr", "fpr")} for k in PARTS}


def test_ex07_4_reference_passes(capsys):
    assert run(check.ex07_4, PARTS, "fnr", ["RG", "Manual"])
    assert '"especially" reads "only"' in capsys.readouterr().out


def test_ex07_4_the_paper_is_self_consistent():
    """Eq. 3 on Table 7 gives Tables 5 and 6, so the parts add up to the tables' gaps."""
    for name, value in AUROC_EQ3.items():
        assert value == pytest.approx(check.NYAWIRA_TABLE_5[name]["auroc"], abs=5.1e-7)
    t5 = check.NYAWIRA_TABLE_5
    for k, part in PARTS.items():
        gap = t5[f"SegNet {k}"]["auroc"] - t5[f"UNet {k}"]["auroc"]
        assert part["fnr"] + part["fpr"] == pytest.approx(gap, abs=1.1e-6)


def test_ex07_4_the_solutions_claims_come_from_the_table():
    lower = [k for k, p in PARTS.items() if p["fnr"] + p["fpr"] > 0]
    assert lower == ["RG", "Manual"]  # U-Net behind with these labels only
    assert all(PARTS[k]["fnr"] > 0 > PARTS[k]["fpr"] for k in lower)  # the FNR is the gap
    assert all(T7[f"UNet {k}"]["fpr"] < T7[f"SegNet {k}"]["fpr"] for k in PARTS)  # the hint


@pytest.mark.parametrize("f, hint", [
    (lambda k, r: 2 * PARTS[k][r], "divide each difference of rates by 2"),
    (lambda k, r: -PARTS[k][r], "mind the sign"),
    (lambda k, r: PARTS[k]["fpr" if r == "fnr" else "fnr"], "FNR and FPR parts are swapped"),
    (lambda k, r: 100 * PARTS[k][r], "not percentages"),
    (lambda k, r: 0.1 if k == "RG" else PARTS[k][r], "RG differ from"),
])
def test_ex07_4_typical_wrong_parts_get_their_hint(f, hint):
    res = run(check.ex07_4, _parts(f), "fnr", ["RG", "Manual"])
    assert_fails_with(res, f"the two parts of each gap: .*{hint}")
    assert res.n_right == 2


@pytest.mark.parametrize("explained_by, unet_lower, hint", [
    ("fpr", ["RG", "Manual"], "U-Net's FPR is \\*lower\\* than SegNet's"),
    ("fnr", ["Flood", "RG", "Manual"], "Flood: add the two parts of that gap"),
    ("fnr", ("RG",), "you left out 1 kind"),
])
def test_ex07_4_wrong_conclusions(explained_by, unet_lower, hint):
    res = run(check.ex07_4, PARTS, explained_by, unet_lower)
    assert_fails_with(res, hint)
    assert res.n_right == 2


def test_ex07_4_validates_its_input():
    with pytest.raises(ValueError, match=r"`parts` misses 'RG'"):
        check.ex07_4({k: v for k, v in PARTS.items() if k != "RG"}, "fnr", ["RG"])
    with pytest.raises(ValueError, match=r'`parts\["Flood"\]` misses \'fpr\''):
        check.ex07_4({**PARTS, "Flood": {"fnr": 0.1}}, "fnr", ["RG"])
    with pytest.raises(ValueError, match=r"`explained_by` must be 'fnr' or 'fpr'"):
        check.ex07_4(PARTS, "both", ["RG"])
    with pytest.raises(TypeError, match=r"`unet_lower` must be a list of label names"):
        check.ex07_4(PARTS, "fnr", "RG")
    with pytest.raises(ValueError, match=r"`unet_lower\[1\]` must be one of 'Flood', 'RG', "
                                         r"'Manual', got 'Region growing'"):
        check.ex07_4(PARTS, "fnr", ["RG", "Region growing"])


# ============================================================================ 7.5
@pytest.mark.parametrize("p, fnr, fpr", [(0.2, 0.25, 0.05), (0.5, 0.1, 0.3), (0.04, 0.5, 0.0)])
def test_ex07_5_reference_agrees_with_segkit_on_pixel_counts(p, fnr, fpr):
    n = 1000
    pos = round(p * n)
    fn, fp = round(fnr * pos), round(fpr * (n - pos))
    truth = np.zeros(n, dtype=bool)
    truth[:pos] = True
    pred = np.zeros(n, dtype=bool)
    pred[fn:pos] = True            # the first fn foreground pixels are missed
    pred[pos:pos + fp] = True      # fp background pixels called foreground
    c = metrics.confusion(truth[None], pred[None])
    ref = check._scores_for(p, fnr, fpr)
    assert ref["accuracy"] == pytest.approx(c.accuracy(), abs=1e-12)
    assert ref["kappa"] == pytest.approx(c.cohen_kappa(), abs=1e-12)
    assert ref["balanced_auroc"] == pytest.approx(c.balanced_auroc(), abs=1e-12)


def test_ex07_5_reference_passes():
    assert run(check.ex07_5, check._scores_for, "balanced_auroc")


def _kappa_is_accuracy(p, fnr, fpr):
    r = check._scores_for(p, fnr, fpr)
    return {**r, "kappa": r["accuracy"]}


def _kappa_foreground_pc(p, fnr, fpr):
    return {**check._scores_for(p, fnr, fpr), "kappa": check._kappa_foreground_only(p, fnr, fpr)}


def _auroc_from_fractions(p, fnr, fpr):
    return {**check._scores_for(p, fnr, fpr),
            "balanced_auroc": 1 - (fpr * (1 - p) + fnr * p) / 2}


def _accuracy_is_tp(p, fnr, fpr):
    return {**check._scores_for(p, fnr, fpr), "accuracy": (1 - fnr) * p}


def _rates_not_scaled(p, fnr, fpr):  # forgot the prevalence when building the counts
    tp, fn, fp, tn = 1 - fnr, fnr, fpr, 1 - fpr
    pa = (tp + tn) / 2
    pc = ((tp + fn) * (tp + fp) + (tn + fp) * (tn + fn)) / 4
    return {"accuracy": pa, "kappa": (pa - pc) / (1 - pc), "balanced_auroc": 1 - (fpr + fnr) / 2}


def _returns_a_tuple(p, fnr, fpr):
    r = check._scores_for(p, fnr, fpr)
    return r["accuracy"], r["kappa"], r["balanced_auroc"]


@pytest.mark.parametrize("fn, hint, n_right", [
    (_kappa_is_accuracy, "kappa: that is the accuracy Pa", 3),
    (_kappa_foreground_pc, "kappa: Pc has two terms, one per class", 3),
    (_auroc_from_fractions, "balanced_auroc: Eq. 3 uses the rates FPR and FNR", 3),
    (_accuracy_is_tp, r"accuracy: accuracy counts the right background pixels too", 3),
    (_rates_not_scaled, "write TP, FN, FP and TN as fractions of all pixels first", 2),
    (_returns_a_tuple, "return a dict with the keys 'accuracy', 'kappa', 'balanced_auroc', "
                       "not tuple", 1),
])
def test_ex07_5_typical_wrong_answers_get_their_hint(fn, hint, n_right):
    res = run(check.ex07_5, fn, "balanced_auroc")
    assert_fails_with(res, hint)
    assert res.n_right == n_right


@pytest.mark.parametrize("unchanged, hint", [
    ("kappa", "Pc itself depends on the class frequencies"),
    ("accuracy", r"accuracy = \(1 - FNR\) p \+ \(1 - FPR\)\(1 - p\) moves"),
])
def test_ex07_5_wrong_conclusions(unchanged, hint):
    res = run(check.ex07_5, check._scores_for, unchanged)
    assert_fails_with(res, hint)


def test_ex07_5_the_note_after_passing_states_computed_numbers(capsys):
    run(check.ex07_5, check._scores_for, "balanced_auroc")
    t = check.NYAWIRA_TABLE_7
    hi = check._scores_for(0.5, t["SegNet Manual"]["fnr"], t["SegNet Manual"]["fpr"])["kappa"]
    lo = check._scores_for(0.01, t["SegNet Manual"]["fnr"], t["SegNet Manual"]["fpr"])["kappa"]
    unet = check._scores_for(0.01, t["UNet RG"]["fnr"], t["UNet RG"]["fpr"])["kappa"]
    assert lo < unet < hi  # the ranking flips, as the note says
    assert f"is {hi:.2f} at 50 % foreground and {lo:.2f} at 1 %" in capsys.readouterr().out


def test_ex07_5_validates_its_input():
    with pytest.raises(TypeError, match=r"`scores_for` must be a function"):
        check.ex07_5({"accuracy": 1}, "kappa")
    with pytest.raises(ValueError, match=r"`unchanged` must be one of 'accuracy', 'kappa', "
                                         r"'balanced_auroc', got 'auroc'"):
        check.ex07_5(check._scores_for, "auroc")


# ============================================================================ notebook 07's cells
# The exercises were drafted in docs/exercises/07_exercises.py and now live at the end of
# notebook 07 (the draft is gone, so the two cannot drift apart). The notebook itself runs,
# every check passing, in tests/test_notebooks.py (quick mode).
NB_07 = ROOT / "notebooks" / "07_evaluation.ipynb"


def notebook_cells(path):
    """(cell type, tags, source) of each cell of a notebook."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.metadata.get("tags", []), c.source) for c in nb.cells]


def _without_markers(source):
    return "\n".join(line for line in source.split("\n") if "SOLUTION" not in line)


def test_notebook_07_solution_cells_are_the_checkers_solutions():
    current, seen = None, []
    for kind, tags, source in notebook_cells(NB_07):
        m = re.search(r"^### Exercise 7\.(\d) · (.+)$", source, re.MULTILINE)
        if kind == "markdown" and m:
            current = getattr(check, f"ex07_{m[1]}")
            assert m[2] == current.title
            seen.append(current.name)
        if kind == "code" and "solution" in tags:
            assert _without_markers(source) == current.solution()
        if kind == "code" and "check" in tags:
            assert re.fullmatch(rf"check\.{current.name}\(.*\)", source)
    assert seen == [e.name for e in overview() if e.name.startswith("ex07")]


def test_notebook_07_student_stubs_are_valid_python():
    import exercises as tool  # tools/exercises.py (tests/conftest.py puts tools/ on the path)
    import nbformat

    stubs = 0
    for kind, tags, source in notebook_cells(NB_07):
        if kind == "code" and "solution" in tags:
            cell = nbformat.v4.new_code_cell(source)
            assert tool._clear_regions(cell, "doc")
            assert "raise NotImplementedError()" in cell.source
            compile(cell.source, "student cell", "exec")
            stubs += 1
    assert stubs == 5
