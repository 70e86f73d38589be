"""Demo data of the releases app: hotfixes at every stage, one deployed patch, one planned, production changes."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from hypercare.vocabulary import Severity
from releases import services
from releases.models import STAGE_ORDER, Stage
from tickets.models import KnownIssue, Ticket

# Fixes without a known issue: (title, what changes for users). The rest come from the known issues.
OWN_FIXES = [
    ("Record lock when saving Opportunities", "Sales reps can save Opportunities again without lock errors"),
    ("Mobile layout hides the Region field", "The Region field shows on phones again"),
    ("Case assignment rule skips the Nordics queue", "New Nordic cases reach the Nordics team again"),
    ("Quote PDF template uses the old logo", "Quote PDFs show the new company logo again"),
]
# (stage reached, in the deployed patch, emergency) for the fixes in order.
PLAN = [
    ("deployed", True, False),
    ("deployed", True, False),
    ("uat_signed_off", False, False),
    ("regression_passed", False, False),
    ("hotfix_sandbox", False, True),
    ("dev_sandbox", False, False),
]


def _fixes(programme) -> list[tuple[str, str, KnownIssue | None, list[str]]]:
    """(title, summary, known issue, ticket references): fixes for the known issues first, then our own."""
    fixes = []
    for issue in KnownIssue.objects.filter(programme=programme).order_by("pk")[:3]:
        refs = list(issue.tickets.order_by("number").values_list("reference", flat=True)[:3])
        plain = issue.title[0].lower() + issue.title[1:]
        fixes.append((f"Fix: {issue.title}", f"Fixed: {plain}", issue, refs))
    for title, summary in OWN_FIXES:
        fixes.append((title, summary, None, []))
    return fixes


def seed(*, programme, people: dict, today: date) -> None:
    """A few hotfixes at different stages, one deployed release, one planned, two production changes."""
    now = timezone.now()
    lead, lead2 = people["lead"].user, people["lead2"].user
    engineer, owner = people["engineer"].user, people["owner"].user
    tickets = list(
        Ticket.objects.filter(programme=programme)
        .order_by("number")
        .only("id", "reference", "title", "severity", "known_issue")
    )
    sev1 = [t for t in tickets if t.severity == Severity.SEV1]
    services.release_settings_update(programme=programme, by=lead, cadence="daily", status_hour=8)

    deployed_patch = services.release_plan_next(programme=programme, by=lead, at=now - timedelta(days=1))
    start = now - timedelta(days=3)
    spare = iter([t.reference for t in tickets if t.severity != Severity.SEV1 and not t.known_issue_id])
    fixes = _fixes(programme)
    # The emergency fix is the Opportunity lock (a Sev1), whatever order the known issues came in.
    fixes.insert(4, fixes.pop(next(i for i, fix in enumerate(fixes) if fix[0].startswith("Record lock"))))
    for n, ((stage, in_patch, emergency), (title, summary, issue, refs)) in enumerate(
        zip(PLAN, fixes, strict=False)
    ):
        emergency = emergency and bool(sev1)
        if emergency:
            refs, title = [sev1[0].reference], f"Urgent fix: {sev1[0].title}"
            summary = f"Fixed urgently: {sev1[0].title[0].lower()}{sev1[0].title[1:]}"
        elif not refs:
            refs = [ref for ref in (next(spare, None), next(spare, None)) if ref]
        hotfix = services.hotfix_create(
            programme=programme,
            by=engineer,
            title=title,
            summary=summary,
            tickets=refs,
            known_issue=issue,
            emergency=emergency,
            at=start + timedelta(hours=n),
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
                at=start + timedelta(hours=n + 2 * (step_number + 1)),
                **evidence,
            )
    services.release_deploy(release=deployed_patch, by=lead, at=now - timedelta(hours=2))
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
