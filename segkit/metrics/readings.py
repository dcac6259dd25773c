"""Verbal readings of kappa and AUROC values, from the published guideline tables.

Introduced in notebook 07 (and used in 06). The bands are conventions, not statistics: quote
the number with its word, and name the table you read it with.
"""

from .._validate import check_choice, check_real

__all__ = ["interpret_kappa", "interpret_auroc"]

# Landis & Koch (1977); Nyawira & Bushman's Table 3 (PEARC '18) prints the same bands with
# "... agreement" after each word and "no agreement" below 0, where Landis & Koch say "poor"
_LANDIS_KOCH = ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"),
                (1.00, "almost perfect"))
# Table 2 of Nyawira & Bushman (PEARC '18), "Traditional Academic AUROC Curve Guidelines"
_ACADEMIC = ((0.60, "no agreement (F)"), (0.70, "poor agreement (D)"),
             (0.80, "fair agreement (C)"), (0.90, "good agreement (B)"),
             (float("inf"), "excellent agreement (A)"))


def interpret_kappa(k, *, scale="landis-koch"):
    """The verbal reading of a kappa value from a published guideline table.

    Parameters
    ----------
    k : float in [-1, 1]
        Cohen's kappa.
    scale : {"landis-koch", "nyawira-bushman", "fleiss"}
        ``"landis-koch"`` (Landis & Koch 1977, Biometrics 33:159-174): < 0 poor, 0-0.20
        slight, 0.21-0.40 fair, 0.41-0.60 moderate, 0.61-0.80 substantial, 0.81-1 almost
        perfect; each band includes its upper bound (0.40 is fair, 0.405 moderate).
        ``"nyawira-bushman"``: the same bands as Table 3 of Nyawira & Bushman (PEARC '18)
        words them, "slight agreement" ... "almost perfect agreement", and "no agreement"
        below 0. ``"fleiss"`` (Fleiss 1981, Statistical Methods for Rates and Proportions;
        their Table 4): < 0.40 poor, 0.40-0.75 fair to good, > 0.75 excellent.

    Returns
    -------
    str

    Examples
    --------
    >>> interpret_kappa(0.7)
    'substantial'
    >>> interpret_kappa(0.7, scale="fleiss")
    'fair to good'
    >>> interpret_kappa(-0.1), interpret_kappa(-0.1, scale="nyawira-bushman")
    ('poor', 'no agreement')
    """
    k = check_real(k, "k", low=-1.0, high=1.0)
    check_choice(scale, "scale", ("landis-koch", "nyawira-bushman", "fleiss"))
    if scale == "fleiss":
        return "poor" if k < 0.40 else ("fair to good" if k <= 0.75 else "excellent")
    if scale == "nyawira-bushman":
        return "no agreement" if k < 0 else interpret_kappa(k) + " agreement"
    if k < 0:
        return "poor"
    return next(word for upper, word in _LANDIS_KOCH if k <= upper)


def interpret_auroc(a, *, scale="hosmer-lemeshow"):
    """The verbal reading of an AUROC value from a published guideline table.

    Parameters
    ----------
    a : float in [0, 1]
        An AUROC (rank-based `roc_auc`, or the `balanced_auroc` of a hard prediction).
    scale : {"hosmer-lemeshow", "academic"}
        ``"hosmer-lemeshow"``: the commonly cited reading of Hosmer & Lemeshow, *Applied
        Logistic Regression*, 2nd ed. (Wiley 2000), p. 162: 0.5 no discrimination;
        0.5 < AUROC < 0.7 poor; 0.7-0.8 acceptable; 0.8-0.9 excellent; >= 0.9 outstanding
        (each band includes its lower bound). ``"academic"``: the "traditional academic
        point system" of Nyawira & Bushman's Table 2 (PEARC '18): 0.50-0.59 no agreement (F),
        0.60-0.69 poor (D), 0.70-0.79 fair (C), 0.80-0.89 good (B), 0.90-1 excellent (A).
        The table leaves gaps (0.595 is in no row); segkit lets each band run up to the next
        band's lower bound, so 0.595 reads F.
        Below 0.5 a classifier is worse than chance (usually inverted labels or scores);
        both scales say so.

    Returns
    -------
    str

    Examples
    --------
    >>> interpret_auroc(0.85)
    'excellent'
    >>> interpret_auroc(0.85, scale="academic")
    'good agreement (B)'
    >>> interpret_auroc(0.5)
    'no discrimination'
    >>> interpret_auroc(0.9)
    'outstanding'
    """
    a = check_real(a, "a", low=0.0, high=1.0)
    check_choice(scale, "scale", ("hosmer-lemeshow", "academic"))
    if a < 0.5:
        return "worse than chance"
    if scale == "academic":
        return next(word for upper, word in _ACADEMIC if a < upper)
    if a == 0.5:
        return "no discrimination"
    if a < 0.7:
        return "poor"
    if a < 0.8:
        return "acceptable"
    if a < 0.9:
        return "excellent"
    return "outstanding"
