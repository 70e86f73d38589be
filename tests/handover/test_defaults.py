"""A new programme starts with the seeds' exit criteria, handover checklist and KT phases."""

from datetime import date

import pytest

from handover.criteria import criterion_threshold
from handover.models import CriterionKind, ExitCriterion, HandoverItem, ItemStatus, KtPhase, PhaseKind
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def test_it_creates_the_seeds_criteria_for_a_new_programme(programme):
    kinds = list(ExitCriterion.objects.of(programme).values_list("kind", flat=True))
    assert kinds == [
        CriterionKind.OPEN_SEV12,
        CriterionKind.NEW_SEV12,
        CriterionKind.VOLUME_TREND,
        CriterionKind.EXCEPTION_RATE,
        CriterionKind.INTEGRATION_SUCCESS,
        CriterionKind.GOVERNOR_LIMIT_ALERTS,
        CriterionKind.LOCK_CONTENTIONS,
        CriterionKind.BAU_COMANAGED,
        CriterionKind.BAU_SHARE,
        CriterionKind.MONTH_END_CLOSE,
        CriterionKind.HANDOVER_PACK,
        CriterionKind.SLA_COMPLIANCE,
        CriterionKind.BAU_RAN_QUEUE,
        CriterionKind.NO_RESCUE,
    ]
    thresholds = {c.kind: criterion_threshold(c) for c in ExitCriterion.objects.of(programme)}
    assert float(thresholds[CriterionKind.EXCEPTION_RATE]) == 0.1
    assert float(thresholds[CriterionKind.INTEGRATION_SUCCESS]) == 99.5
    assert float(thresholds[CriterionKind.BAU_SHARE]) == 80
    assert float(thresholds[CriterionKind.BAU_COMANAGED]) == 14
    assert float(thresholds[CriterionKind.BAU_RAN_QUEUE]) == 80
    assert float(thresholds[CriterionKind.NO_RESCUE]) == 0
    windows = dict(ExitCriterion.objects.of(programme).values_list("kind", "window_days"))
    assert windows[CriterionKind.BAU_RAN_QUEUE] == windows[CriterionKind.NO_RESCUE] == 14


def test_it_prefills_the_handover_pack_from_the_seeds(programme):
    titles = list(HandoverItem.objects.of(programme).values_list("title", flat=True))
    assert titles == [
        "Architectural decision records",
        "Entity-relationship diagrams",
        "Process flows",
        "Integration interface specifications",
        "Automated test suite documentation",
        "Hotfix deployment playbook",
        "Runbooks for recurring issues",
    ]
    assert set(HandoverItem.objects.of(programme).values_list("status", flat=True)) == {ItemStatus.MISSING}


def test_it_spreads_the_kt_phases_over_the_planned_window(db):
    programme = ProgrammeFactory(go_live_date=date(2026, 3, 2), planned_exit_date=date(2026, 4, 13))
    starts = dict(KtPhase.objects.filter(programme=programme).values_list("phase", "starts_on"))
    assert starts == {
        PhaseKind.PROJECT_LEADS: date(2026, 3, 2),
        PhaseKind.CO_MANAGED: date(2026, 3, 9),
        PhaseKind.BAU_LEADS: date(2026, 3, 23),
        PhaseKind.HANDED_OVER: date(2026, 4, 13),
    }
