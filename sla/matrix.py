"""The triage matrix: severity from the impact of an issue, never from who reported it."""

from __future__ import annotations

from hypercare.vocabulary import Category, ImpactScope, Workaround

# (impact scope, workaround, vital process blocked) -> severity, after seed 000 (README "Triage matrix"):
# - a vital process blocked with no workaround, for a department or the whole organisation: Sev1;
# - high impact on a department or more with no workaround, or one with heavy friction: Sev2;
# - a vital process blocked is never below Sev2, whoever is affected;
# - a subset of users, or a simple workaround: Sev3;
# - one person with a workaround: Sev4 (as are questions and enhancement requests, below).
_ORG, _DEPT, _SUBSET, _ONE = (
    ImpactScope.ORGANISATION,
    ImpactScope.DEPARTMENT,
    ImpactScope.SUBSET,
    ImpactScope.INDIVIDUAL,
)
_NONE, _PAINFUL, _SIMPLE = Workaround.NONE, Workaround.PAINFUL, Workaround.SIMPLE
DEFAULT_MATRIX: dict[tuple[str, str, bool], int] = {
    # A vital process blocked.
    (_ORG, _NONE, True): 1,
    (_DEPT, _NONE, True): 1,
    (_ORG, _PAINFUL, True): 2,
    (_DEPT, _PAINFUL, True): 2,
    (_ORG, _SIMPLE, True): 2,
    (_DEPT, _SIMPLE, True): 2,
    (_SUBSET, _NONE, True): 2,
    (_SUBSET, _PAINFUL, True): 2,
    (_SUBSET, _SIMPLE, True): 2,
    (_ONE, _NONE, True): 2,
    (_ONE, _PAINFUL, True): 2,
    (_ONE, _SIMPLE, True): 2,
    # No vital process blocked.
    (_ORG, _NONE, False): 2,
    (_DEPT, _NONE, False): 2,
    (_ORG, _PAINFUL, False): 2,
    (_DEPT, _PAINFUL, False): 2,
    (_ORG, _SIMPLE, False): 3,
    (_DEPT, _SIMPLE, False): 3,
    (_SUBSET, _NONE, False): 3,
    (_SUBSET, _PAINFUL, False): 3,
    (_SUBSET, _SIMPLE, False): 3,
    (_ONE, _NONE, False): 3,
    (_ONE, _PAINFUL, False): 4,
    (_ONE, _SIMPLE, False): 4,
}

# Questions (how-to) and enhancement requests are Sev4 whatever the answers (seed 000), unless they
# say a vital process is blocked: that is never below Sev2, so the matrix decides.
ALWAYS_SEV4_CATEGORIES = frozenset({Category.HOW_TO, Category.ENHANCEMENT})


def matrix_for(programme) -> dict[tuple[str, str, bool], int]:
    """The programme's matrix: its own rules over the defaults (one query)."""
    from sla.models import SeverityRule

    matrix = dict(DEFAULT_MATRIX)
    for rule in SeverityRule.objects.filter(programme=programme):
        matrix[(rule.impact_scope, rule.workaround, rule.blocks_vital_process)] = rule.severity
    return matrix


def severity_for(
    programme, *, impact_scope: str, workaround: str, blocks_vital_process: bool, category: str = ""
) -> int:
    """The severity the programme's matrix gives these triage answers."""
    if category in ALWAYS_SEV4_CATEGORIES and not blocks_vital_process:
        return 4
    from sla.models import SeverityRule

    # The one cell: the programme's rule over the default (matrix_for reads all 24).
    key = (impact_scope, workaround, bool(blocks_vital_process))
    rule = (
        SeverityRule.objects.filter(
            programme=programme, impact_scope=key[0], workaround=key[1], blocks_vital_process=key[2]
        )
        .order_by()
        .values_list("severity", flat=True)
    )
    return next(iter(rule), None) or DEFAULT_MATRIX[key]


# A ticket logged without triage answers (by e-mail: the answers are unknown) runs on this
# severity until the desk triages it and the matrix decides.
UNTRIAGED_SEVERITY = 3
