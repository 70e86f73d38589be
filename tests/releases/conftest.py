"""Fixtures of the releases tests: tickets to fix, a second engineer and lead, a hotfix at any stage."""

from __future__ import annotations

import pytest

from hypercare.roles import Role, Team
from releases import services
from releases.models import STAGE_ORDER, Stage
from tests.factories import KnownIssueFactory, TicketFactory


@pytest.fixture
def lead2(make_persona):
    return make_persona(Role.LEAD, username="lead2")


@pytest.fixture
def engineer2(make_persona):
    return make_persona(Role.ENGINEER, username="engineer2")


@pytest.fixture
def known_issue(programme, lead):
    return KnownIssueFactory(
        programme=programme,
        title="Opportunity save lock error",
        workaround="Wait a minute and save again",
        created_by=lead.user,
    )


@pytest.fixture
def sev1_ticket(programme, champion):
    return TicketFactory(
        programme=programme, severity=1, title="Nobody can save Opportunities", reporter=champion.user
    )


@pytest.fixture
def sev3_ticket(programme, make_persona):
    reporter = make_persona(Role.CHAMPION, team=Team.BAU, username="reporter3", business_unit="Finance")
    return TicketFactory(
        programme=programme,
        severity=3,
        title="Quote PDF shows wrong logo",
        reporter=reporter.user,
        business_unit="Finance",
    )


REGRESSION = {"evidence_link": "https://ci.example.com/runs/42", "pass_count": 412}


def advance_to(hotfix, stage: str, *, builder, tester):
    """Walk a hotfix through the stages up to and including `stage` (builder builds, tester signs off)."""
    for step in STAGE_ORDER[STAGE_ORDER.index(hotfix.stage) + 1 if hotfix.stage else 0 :]:
        by = tester if step == Stage.UAT_SIGNED_OFF else builder
        services.hotfix_advance(
            hotfix=hotfix, stage=step, by=by.user, **(REGRESSION if step == Stage.REGRESSION_PASSED else {})
        )
        hotfix.refresh_from_db()
        if step == stage:
            break
    return hotfix


@pytest.fixture
def make_hotfix(programme, engineer, owner, sev3_ticket, known_issue):
    def make(stage: str = "", *, title="Fix the quote logo", tickets=None, emergency=False, **kwargs):
        hotfix = services.hotfix_create(
            programme=programme,
            by=engineer.user,
            title=title,
            summary=kwargs.pop("summary", "Quote PDFs show the new company logo again"),
            tickets=tickets if tickets is not None else [sev3_ticket.reference],
            known_issue=kwargs.pop("known_issue", known_issue),
            emergency=emergency,
        )
        if stage:
            advance_to(hotfix, stage, builder=engineer, tester=kwargs.pop("tester", owner))
        return hotfix

    return make
