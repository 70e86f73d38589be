"""The triage matrix: severity from the impact of an issue, never from who reported it."""

from __future__ import annotations

from hypercare.vocabulary import Category, ImpactScope, Workaround

# (impact scope, workaround, vital process blocked) -> severity, after seed 000:
# Sev1 core function unavailable for a department or more, vital process blocked, no workaround;
# Sev2 high-impact degradation, or a workaround with extreme friction for a unit or more;
# Sev3 a subset of users, or a simple workaround; Sev4 one person with a simple workaround.
DEFAULT_MATRIX: dict[tuple[str, str, bool], int] = {
    (ImpactScope.ORGANISATION, Workaround.NONE, True): 1,
    (ImpactScope.ORGANISATION, Workaround.NONE, False): 2,
    (ImpactScope.ORGANISATION, Workaround.PAINFUL, True): 2,
    (ImpactScope.ORGANISATION, Workaround.PAINFUL, False): 2,
    (ImpactScope.ORGANISATION, Workaround.SIMPLE, True): 3,
    (ImpactScope.ORGANISATION, Workaround.SIMPLE, False): 3,
    (ImpactScope.DEPARTMENT, Workaround.NONE, True): 1,
    (ImpactScope.DEPARTMENT, Workaround.NONE, False): 2,
    (ImpactScope.DEPARTMENT, Workaround.PAINFUL, True): 2,
    (ImpactScope.DEPARTMENT, Workaround.PAINFUL, False): 3,
    (ImpactScope.DEPARTMENT, Workaround.SIMPLE, True): 3,
    (ImpactScope.DEPARTMENT, Workaround.SIMPLE, False): 3,
    (ImpactScope.SUBSET, Workaround.NONE, True): 2,
    (ImpactScope.SUBSET, Workaround.NONE, False): 3,
    (ImpactScope.SUBSET, Workaround.PAINFUL, True): 3,
    (ImpactScope.SUBSET, Workaround.PAINFUL, False): 3,
    (ImpactScope.SUBSET, Workaround.SIMPLE, True): 3,
    (ImpactScope.SUBSET, Workaround.SIMPLE, False): 4,
    (ImpactScope.INDIVIDUAL, Workaround.NONE, True): 3,
    (ImpactScope.INDIVIDUAL, Workaround.NONE, False): 3,
    (ImpactScope.INDIVIDUAL, Workaround.PAINFUL, True): 3,
    (ImpactScope.INDIVIDUAL, Workaround.PAINFUL, False): 4,
    (ImpactScope.INDIVIDUAL, Workaround.SIMPLE, True): 4,
    (ImpactScope.INDIVIDUAL, Workaround.SIMPLE, False): 4,
}

# Questions and enhancement requests are Sev4 whatever the answers (seed 000).
ALWAYS_SEV4_CATEGORIES = frozenset({Category.ENHANCEMENT})


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
    if category in ALWAYS_SEV4_CATEGORIES:
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
