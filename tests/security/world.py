"""Two programmes with one of every object, written through the services as real use writes them.

Programme A ("acme") has a persona per role; programme B ("globex") has its own people (its lead
is the conftest's `outsider`) and the same kinds of objects, optionally carrying sentinel or
attack strings in every user-writable field. The battery resolves URL parameters from here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.authtoken.models import Token

from hypercare import services as core
from hypercare.access import ProgrammeAccess, get_programme_for
from hypercare.models import Membership, Programme
from hypercare.roles import Role, Team
from tests.factories import PASSWORD, UserFactory

# A tiny but valid PNG (the content sniffers look at the first bytes).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The roles of the battery, in the order reports list them. "anonymous" and "outsider" are not members.
MEMBER_ROLES = {
    "champion": ([Role.CHAMPION], Team.BAU),
    "desk": ([Role.DESK], Team.PROJECT),
    "engineer": ([Role.ENGINEER], Team.PROJECT),
    "lead": ([Role.LEAD], Team.PROJECT),
    "sponsor": ([Role.SPONSOR], Team.BAU),
    "owner": ([Role.OPERATIONAL_OWNER], Team.BAU),
    "bau": ([Role.BAU], Team.BAU),
    "viewer": ([Role.VIEWER], Team.BAU),
}
ROLES = ["anonymous", *MEMBER_ROLES, "outsider"]

# Programme B's text carries this marker in every user-writable field: A's members must never see it.
SENTINEL = "Zq9Sentinel"


def sentinel_text(kind: str) -> str:
    return f"{SENTINEL}-{kind} text that is long enough for every minimum length"


@dataclass
class Side:
    """One programme of the world: its people (by role) and one object of each kind."""

    programme: Programme
    people: dict[str, Membership] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    def access(self, role: str) -> ProgrammeAccess:
        return get_programme_for(self.people[role].user, self.programme.slug)

    def user(self, role: str):
        return self.people[role].user


@dataclass
class World:
    a: Side
    b: Side


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def build_side(
    *, slug: str, prefix: str, username_prefix: str, text=None, people: dict | None = None, admin=None
) -> Side:
    """A programme with a person per role and one object of every kind.

    `text(kind)` gives the user-writable text for a field kind ("title", "body", "name", "unit",
    "file"…); by default plain, readable strings. `people` may hand in existing users by role.
    """
    text = text or (lambda kind: f"{prefix} {kind}")
    today = timezone.localdate()
    go_live = today - timedelta(days=14)
    programme = core.programme_create(
        name=text("programme")[:200] or f"{prefix} programme",
        slug=slug,
        ticket_prefix=prefix,
        system=text("system")[:200],
        go_live_date=go_live,
        planned_exit_date=go_live + timedelta(days=42),
        first_month_end_close=go_live + timedelta(days=20),
        timezone="Europe/London",
        status="active",
        by=admin,
    )
    side = Side(programme)
    for role, (roles, team) in MEMBER_ROLES.items():
        given = (people or {}).get(role)
        user = given or UserFactory(
            username=f"{username_prefix}{role}",
            first_name=text("first_name")[:150],
            last_name=text("last_name")[:150],
        )
        side.people[role] = core.member_add(
            programme=programme,
            username=user.username,
            roles=[str(r) for r in roles],
            email=user.email,
            team=team,
            business_unit=text("unit")[:100] if role == "champion" else "IT",
            geography=text("geography")[:100],
            by=admin,
            invite=False,
        )
    _objects(side, text, today)
    return side


def _objects(side: Side, text, today: date) -> None:
    from handover import services as handover
    from handover.models import ExitCriterion
    from metrics import services as metrics
    from releases import services as releases
    from releases.models import Stage
    from tickets import services as tickets

    programme, objects = side.programme, side.objects
    now = timezone.now()
    champion, desk, lead = side.access("champion"), side.access("desk"), side.access("lead")

    # Tickets: one the champion logged (public), worked by the desk with comments and attachments.
    known_issue = tickets.known_issue_create(
        access=desk, title=text("title"), symptoms=text("body"), workaround=text("body")
    )
    ticket = tickets.ticket_create(
        access=champion,
        title=text("title"),
        description=text("body"),
        business_unit=text("unit")[:100],
        geography=text("geography")[:100],
        process=text("process")[:100],
        answers=tickets.TriageAnswers("department", "painful", False),  # Sev2: reporters answer, never choose
    )
    tickets.ticket_take(access=desk, ticket=ticket)
    comment = tickets.ticket_comment(access=desk, ticket=ticket, body=text("body"))
    internal_comment = tickets.ticket_comment(access=desk, ticket=ticket, body=text("body"), internal=True)
    attachment = tickets.ticket_attach(
        access=champion, ticket=ticket, upload=_file(text("file") + ".png", PNG)
    )
    internal_attachment = tickets.ticket_attach(
        access=desk, ticket=ticket, upload=_file(text("file") + ".txt", b"internal log\n"), internal=True
    )
    tickets.ticket_link(access=desk, ticket=ticket, known_issue=known_issue)
    other = tickets.ticket_create(
        access=desk, title=text("title"), description=text("body"), severity=3, severity_reason=text("reason")
    )
    from tickets.models import TicketImport

    ticket_import = TicketImport.objects.create(
        programme=programme, created_by=lead.user, created_at=now, file="imports/none.csv", state="done"
    )
    objects.update(
        ticket_import=ticket_import,
        ticket=ticket,
        other_ticket=other,
        comment=comment,
        internal_comment=internal_comment,
        attachment=attachment,
        internal_attachment=internal_attachment,
        known_issue=known_issue,
    )

    # Metrics: a snapshot, a custom series with telemetry, a baseline, a staged upload, a token.
    metrics.series_create_standard(programme=programme)
    series = metrics.series_create(
        programme=programme,
        slug=f"custom-{programme.ticket_prefix.lower()}",
        name=text("name")[:200],
        kind="count",
        unit=text("unit")[:30],
        description=text("body"),
        by=lead.user,
    )
    metrics.telemetry_ingest(
        programme=programme,
        points=[
            {
                "series": series.slug,
                "date": (today - timedelta(days=offset)).isoformat(),
                "value": 10 + offset,
                "dimensions": {"business_unit": text("unit")[:100], "object": text("process")[:100]},
            }
            for offset in range(1, 4)
        ],
    )
    baseline = metrics.baseline_set(
        programme=programme, series=series, value=12, business_unit=text("unit")[:100], note=text("name")[:200],
        by=lead.user,
    )  # fmt: skip
    upload = metrics.telemetry_upload_stage(
        programme=programme,
        content=f"series,date,value\n{series.slug},{(today - timedelta(days=5)).isoformat()},7\n".encode(),
        filename=text("file") + ".csv",
        by=lead.user,
    )
    token = metrics.ingestion_token_create(programme=programme, name=text("name")[:100], by=lead.user)
    snapshot = metrics.snapshot_take(programme=programme, day=today - timedelta(days=1), at=now)
    objects.update(series=series, baseline=baseline, upload=upload, token=token.token, snapshot=snapshot)
    side.secrets["ingestion_key"] = token.key

    # Handover: a custom criterion with an attestation (evidence file), an item with a document,
    # a runbook, and the sponsor's sign-off (the gate is not green: every failing criterion justified).
    criterion = handover.criterion_add(
        access=lead, kind="attestation", title=text("title")[:200], description=text("body")
    )
    attestation = handover.criterion_attest(
        access=lead,
        criterion=criterion,
        outcome="pass",
        note=text("body"),
        evidence_file=_file(text("file") + ".pdf", PDF),
    )
    item = handover.item_add(
        access=lead, title=text("title")[:200], description=text("body"), owner=lead.user
    )
    handover.item_attach(access=lead, item=item, document=_file(text("file") + ".pdf", PDF))
    runbook = handover.runbook_draft(access=lead, known_issue=known_issue, title=text("title")[:200])
    sponsor = side.access("sponsor")
    justifications = {
        str(pk): text("body")
        for pk in ExitCriterion.objects.filter(programme=programme).values_list("pk", flat=True)
    }
    sign_off = handover.signoff_create(access=sponsor, password=PASSWORD, justifications=justifications)
    objects.update(
        criterion=criterion, attestation=attestation, item=item, runbook=runbook, sign_off=sign_off
    )

    # Releases: a hotfix with an uploaded regression report, a patch release, a production change,
    # a status report and a webhook.
    engineer = side.user("engineer")
    hotfix = releases.hotfix_create(
        programme=programme, by=engineer, title=text("title")[:200], summary=text("body"),
        tickets=[ticket.reference], known_issue=known_issue,
    )  # fmt: skip
    for stage in (Stage.DEV_SANDBOX, Stage.HOTFIX_SANDBOX):
        releases.hotfix_advance(hotfix=hotfix, stage=stage, by=engineer, note=text("body"))
    releases.hotfix_advance(
        hotfix=hotfix,
        stage=Stage.REGRESSION_PASSED,
        by=engineer,
        report=_file(text("file") + ".pdf", PDF),
        pass_count=3,
        note=text("body"),
    )
    release = releases.release_create(
        programme=programme, by=lead.user, planned_for=today + timedelta(days=3)
    )
    change = releases.production_change_record(
        programme=programme, by=engineer, title=text("title")[:200], component=text("name")[:100],
        description=text("body"), impact_assessment=text("body") + " affects every sales user; low risk of data loss.",
        rollback_plan=text("body"),
    )  # fmt: skip
    webhook = releases.webhook_register(
        programme=programme, by=lead.user, name=text("name")[:100], url="https://hooks.example.com/x",
        events=["sev1_ticket", "breach", "release", "daily_status"],
    )  # fmt: skip
    status_report = releases.status_report_send(programme=programme, at=now)
    from handover.services.weekly import weekly_report_send

    objects["weekly_report"] = weekly_report_send(programme=programme, at=now)

    # A bulletin draft, prepared from the known issues, with the programme's own words in it.
    bulletin = releases.bulletin_create(
        programme=programme, by=lead.user, from_draft=True, title=text("title")[:200], message=text("body")
    )
    objects["bulletin"] = bulletin
    objects.update(
        hotfix=hotfix,
        release=release,
        production_change=change,
        webhook=webhook,
        status_report=status_report,
    )
    # A canned reply the lead keeps for the desk.
    objects["canned_reply"] = tickets.canned_reply_create(
        access=lead, title=text("title")[:100], body=text("body")
    )
    # Triage: an on-call shift for the desk analyst.
    from triage.services import team as triage_team

    shift = triage_team.oncall_shift_add(
        access=lead, user=side.user("desk"), starts_at=now, ends_at=now + timedelta(days=1), note=text("body")
    )
    objects["shift"] = shift
    # Intake: a mail from a stranger, kept (its raw download and "process again" are the leads').
    from intake.services import mail_process

    objects["inbound_mail"] = mail_process(
        programme=programme,
        raw=(
            f"From: stranger@elsewhere.example\r\nSubject: {text('name')[:60]}\r\n"
            f"Message-ID: <world-{programme.slug}@elsewhere.example>\r\n\r\nHello\r\n"
        ).encode(),
        at=now,
    )
    # Chat: a Slack channel the lead linked.
    from intake.chat.services import chat_channel_link

    objects["chat_channel"] = chat_channel_link(
        access=lead,
        platform="slack",
        name=text("name")[:100],
        team_id="T0WORLD",
        channel_id=f"C0{programme.ticket_prefix}",
    )
    # API tokens for every member, as the API fuzzing and the matrix use them.
    for membership in side.people.values():
        Token.objects.get_or_create(user=membership.user)
    objects["stage"] = Stage.REGRESSION_PASSED


def build_world(*, a_text=None, b_text=None) -> World:
    a = build_side(slug="acme", prefix="ACME", username_prefix="", text=a_text)
    b = build_side(slug="globex", prefix="GLX", username_prefix="globex-", text=b_text)
    # The conftest's "outsider" is B's lead: powerful there, nobody in A.
    b.people["outsider"] = b.people["lead"]
    return world_from(a, b)


def world_from(a: Side, b: Side) -> World:
    return World(a, b)


def uploaded(name: str, content: bytes) -> SimpleUploadedFile:
    return _file(name, content)


def as_bytes(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())
