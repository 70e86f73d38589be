"""Demo data of the releases app: hotfixes at every stage, one deployed patch, one planned, production changes."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from django.utils import timezone

from hypercare.vocabulary import Severity
from releases import services
from releases.models import STAGE_ORDER, Stage
from tickets.demo import FIXES_LANDED
from tickets.demo_catalogue import BY_KEY, KNOWN_ISSUES
from tickets.models import KnownIssue, Ticket

# The fixes, in the order they were started: (the catalogue issue whose tickets they fix, the known
# issue they fix or None, title and what changes for users when there is no known issue to name
# them after, stage reached, in the deployed patch, emergency). The known issues the deployed
# patch fixes are the ones the tickets demo marks fixed, when the patch went out.
FIXES = [
    ("vat-rate", "vat", "", "", Stage.DEPLOYED, True, False),
    ("sap-orders", "sap", "", "", Stage.DEPLOYED, True, False),
    ("big-opportunity", "cpu", "", "", Stage.UAT_SIGNED_OFF, False, False),
    ("mobile-region", None, "Mobile layout hides the Region field",
     "The Region field shows on phones again", Stage.REGRESSION_PASSED, False, False),
    ("record-lock", None, "Record lock when saving Opportunities",
     "Opportunities save again without UNABLE_TO_LOCK_ROW errors", Stage.HOTFIX_SANDBOX, False, True),
    ("migrated-owner", "owner", "", "", Stage.DEV_SANDBOX, False, False),
    ("nordics-assignment", None, "Case assignment rule skips the Nordics queue",
     "New Nordic cases reach the Nordics team again", Stage.DEV_SANDBOX, False, False),
]  # fmt: skip


def _fixed_tickets(tickets: list[Ticket], key: str, known: KnownIssue | None, before) -> list[Ticket]:
    """The first few tickets logged before the fix about the issue it fixes: those linked to its known
    issue, or those whose titles are that issue's."""
    pattern = re.compile(BY_KEY[key].pattern())
    about = [
        t
        for t in tickets
        if t.reported_at < before
        and (t.known_issue_id == known.pk if known else pattern.match(t.title) is not None)
    ]
    # A Sev1 first: the emergency path needs one.
    return sorted(about, key=lambda t: (t.severity != Severity.SEV1, t.number))[:3]


def seed(*, programme, people: dict, today: date) -> None:
    """A few hotfixes at different stages, one deployed release, one planned, two production changes."""
    now = timezone.now()
    lead, lead2 = people["lead"].user, people["lead2"].user
    engineer, owner = people["engineer"].user, people["owner"].user
    tickets = list(
        Ticket.objects.filter(programme=programme)
        .order_by("number")
        .only("id", "number", "reference", "title", "severity", "known_issue", "reported_at")
    )
    known_issues = {issue.title: issue for issue in KnownIssue.objects.filter(programme=programme)}
    services.release_settings_update(programme=programme, by=lead, cadence="daily", status_hour=8)

    deployed_at = now - FIXES_LANDED
    start = deployed_at - timedelta(days=3)
    deployed_patch = services.release_plan_next(programme=programme, by=lead, at=start + timedelta(days=1))
    for n, (key, known_key, title, summary, stage, in_patch, emergency) in enumerate(FIXES):
        known = known_issues.get(KNOWN_ISSUES[known_key][0]) if known_key else None
        if known is not None:
            title = f"Fix: {known.title}"
            summary = f"Fixed: {known.title[0].lower()}{known.title[1:]}"
        created = start + timedelta(hours=n)
        fixed = _fixed_tickets(tickets, key, known, created)
        emergency = emergency and any(t.severity == Severity.SEV1 for t in fixed)
        hotfix = services.hotfix_create(
            programme=programme,
            by=engineer,
            title=f"Urgent fix: {title}" if emergency else title,
            summary=summary,
            tickets=[t.reference for t in fixed],
            known_issue=known,
            emergency=emergency,
            at=created,
        )
        if in_patch:
            services.release_add_hotfix(release=deployed_patch, hotfix=hotfix, by=engineer)
        last = Stage.UAT_SIGNED_OFF if in_patch else stage
        for step_number, step in enumerate(STAGE_ORDER[: STAGE_ORDER.index(last) + 1]):
            by = (lead if hotfix.emergency else owner) if step == Stage.UAT_SIGNED_OFF else engineer
            evidence = (
                {"evidence_link": "https://ci.acme.example/regression/run-" + str(310 + n), "pass_count": 412}
                if step == Stage.REGRESSION_PASSED
                else {}
            )
            services.hotfix_advance(
                hotfix=hotfix,
                stage=step,
                by=by,
                at=created + timedelta(hours=2 * (step_number + 1)),
                **evidence,
            )
    services.release_deploy(release=deployed_patch, by=lead, at=deployed_at)
    planned = services.release_plan_next(programme=programme, at=now)
    for hotfix in programme.hotfixes.exclude(stage=Stage.DEPLOYED).filter(
        stage__in=["uat_signed_off", "regression_passed"]
    ):
        services.release_add_hotfix(release=planned, hotfix=hotfix, by=engineer)

    change = services.production_change_record(
        programme=programme,
        by=engineer,
        title="Deactivate VR_Close_Date until the fix ships",
        kind="validation_rule",
        component="Opportunity validation rule VR_Close_Date",
        description="Deactivate the rule so deals can close on the last day of the quarter.",
        impact_assessment="Finance could close deals with a past date for about a day; "
        "the desk reviews closed-won deals each morning until the rule is back.",
        risk="medium",
        rollback_plan="Reactivate the rule in Setup.",
        at=now - timedelta(days=1, hours=3),
    )
    services.production_change_decide(change=change, by=lead, approve=True, note="One day only.")
    services.production_change_record(
        programme=programme,
        by=lead2,
        title="Edit the active lead-routing flow",
        kind="flow",
        component="Flow: Lead_Routing (active version 7)",
        description="Route web leads from Ireland to the UK team.",
        impact_assessment="Affects every new Irish web lead; a wrong condition would drop leads into the default queue.",
        risk="high",
        rollback_plan="Activate version 6 again.",
        at=now - timedelta(hours=5),
    )

    # The change manager told users about the patch the morning after it went out, and the bulletin
    # now leaves by itself at 09:00 on working days.
    change_manager = people["change"].user
    told_at = deployed_at + timedelta(hours=14)
    bulletin = services.bulletin_create(
        programme=programme,
        by=change_manager,
        from_draft=True,
        at=told_at,
        message="Thank you for every issue you logged: yesterday's patch came straight from them.",
    )
    services.bulletin_send(bulletin=bulletin, by=change_manager, at=told_at)
    services.bulletin_schedule_set(programme=programme, by=change_manager, send_at=time(9, 0))
