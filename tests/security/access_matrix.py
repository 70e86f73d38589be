"""The access matrix: every route and method, and what each role gets.

route name -> Entry(kind, obj, methods={method: {role: outcome}}, data={method: body(side)})

Outcomes (see probe.py): OK (past the door), DENIED (403), HIDDEN (404), LOGIN (redirect to
the login page), UNAUTHENTICATED (401), NOT_ALLOWED (405), REFUSED (answered without error,
but nothing in the database changed: the view shows the refusal as a message or a form error).

Members of programme A are champion, desk, engineer, lead, sponsor, owner (operational owner),
bau and viewer; "outsider" is the lead of programme B; "anonymous" is logged out. A method not
listed for a route must answer 405. `test_route_inventory` fails for any route not listed here,
so a new URL cannot land without a decision on who may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from metrics.kpis import KPIS
from tests.security.probe import DENIED, HIDDEN, LOGIN, NOT_ALLOWED, OK, UNAUTHENTICATED
from tests.security.world import MEMBER_ROLES, PNG, ROLES, uploaded

REFUSED = "refused"

ALL = tuple(MEMBER_ROLES)
QUEUE = ("desk", "engineer", "lead", "bau")  # hypercare.roles.QUEUE_WORKERS
SEE_ALL = tuple(role for role in ALL if role != "champion")  # SEE_ALL_TICKETS
REPORTERS = ("champion", "desk", "engineer", "lead", "owner", "bau")  # may log tickets
WRITERS = REPORTERS  # not read-only (viewer, sponsor)
LEAD = ("lead",)
SIGNATORIES = ("sponsor", "owner")
BUILDERS = QUEUE  # may build hotfixes, bundle them into releases and record production changes
# Who may change the world's ticket (reported by the champion, worked by the desk).
TICKET_WRITERS = (*QUEUE, "champion")
# UAT sign-off of a hotfix: a business tester, not one of its builders.
UAT_TESTERS = ("champion", "owner")


@dataclass(frozen=True)
class Entry:
    kind: str  # page | api | public | auth | staff | admin | schema
    methods: dict[str, dict[str, str]]
    obj: str | None = None  # the object of programme A behind {pk}/{reference}
    data: dict[str, Callable] = field(default_factory=dict)  # method -> side -> body
    htmx: bool = True  # GET pages are also probed as htmx partial requests
    note: str = ""


def members(allowed: Iterable[str] = ALL, *, otherwise: str = DENIED, **specific: str) -> dict[str, str]:
    """Outcomes for A's members: OK for `allowed`, `otherwise` for the rest, `specific` overrides."""
    allowed = set(allowed)
    outcome = {role: (OK if role in allowed else otherwise) for role in MEMBER_ROLES}
    outcome.update(specific)
    return outcome


def page(obj: str | None = None, *, data=None, htmx: bool = True, **methods: dict) -> Entry:
    """An HTML page under /p/<slug>/: anonymous goes to the login page, outsiders get 404."""
    full = {m: {"anonymous": LOGIN, "outsider": HIDDEN, **outcome} for m, outcome in methods.items()}
    return Entry("page", full, obj, data or {}, htmx)


def api(obj: str | None = None, *, data=None, **methods: dict) -> Entry:
    """An API endpoint under /api/v1/programmes/<slug>/: 401 without a token, 404 for outsiders."""
    full = {
        m: {"anonymous": UNAUTHENTICATED, "outsider": HIDDEN, **outcome} for m, outcome in methods.items()
    }
    return Entry("api", full, obj, data or {})


def everyone(outcome: str = OK, *, anonymous: str | None = None) -> dict[str, str]:
    result = dict.fromkeys(ROLES, outcome)
    if anonymous:
        result["anonymous"] = anonymous
    return result


def _ref(side, name="ticket"):
    return side.objects[name].reference


MATRIX: dict[str, Entry] = {
    # Core -----------------------------------------------------------------------------------
    "hypercare:member_remove": page(POST=members((), lead=HIDDEN)),
    "hypercare:home": Entry("page", {"GET": everyone(anonymous=LOGIN)}),
    # Your own token only: nothing of anyone else's is reachable.
    "hypercare:api_tokens": Entry(
        "page", {"GET": everyone(anonymous=LOGIN), "POST": everyone(anonymous=LOGIN)}
    ),
    "hypercare:programme_create": Entry(
        "staff",
        {"GET": everyone(LOGIN), "POST": everyone(LOGIN)},
        note="staff only: others go to the admin login",
    ),
    "hypercare:programme": page(GET=members()),
    "hypercare:programme_edit": page(GET=members(LEAD), POST=members(LEAD)),
    "hypercare:calendar": page(GET=members(), POST=members(LEAD)),
    "hypercare:members": page(GET=members(), POST=members(LEAD)),
    # The audit trail: leads (and staff) only.
    "hypercare:audit": page(GET=members(LEAD)),
    "hypercare:audit_csv": page(GET=members(LEAD), htmx=False),
    # Tickets --------------------------------------------------------------------------------
    "tickets:queue": page(GET=members(SEE_ALL)),
    "tickets:new": page(GET=members(REPORTERS), POST=members(REPORTERS)),
    "tickets:assist": page(GET=members(REPORTERS), POST=members(REPORTERS)),
    "tickets:mine": page(GET=members()),
    "tickets:detail": page("ticket", GET=members()),
    "tickets:attachment": page("attachment", GET=members(), htmx=False),
    # One action's form (probed with "edit", see probe.param_values): who may take that action.
    "tickets:action_form": page("ticket", GET=members(TICKET_WRITERS)),
    "tickets:row_actions": page("ticket", GET=members(QUEUE)),
    # The reporter (the champion) rates the world's ticket; it is not resolved, so the POST is refused (409).
    "tickets:rate": page(
        "ticket",
        GET=members(("champion",)),
        POST=members(("champion",), champion=REFUSED),
        data={"POST": lambda side: {"rating": "5"}},
    ),
    "tickets:follow": page("ticket", POST=members(), data={"POST": lambda side: {"follow": "1"}}),
    "tickets:bulk": page(
        GET=members(QUEUE),
        POST=members(QUEUE),
        data={
            "POST": lambda side: {"action": "assign", "assignee": side.user("desk").pk, "ticket": _ref(side)}
        },
    ),
    "tickets:take": page("ticket", POST=members(QUEUE)),
    "tickets:assign": page(
        "ticket", POST=members(QUEUE), data={"POST": lambda side: {"assignee": side.user("desk").pk}}
    ),
    # Valid bodies, so the services' role rules answer; the champion reported the ticket. An
    # operational owner's edit of someone else's ticket changes nothing (no field is theirs to edit).
    **{
        f"tickets:{action}": page("ticket", POST=members(allowed, **extra), data={"POST": body})
        for action, allowed, body, extra in (
            (
                "transition",
                QUEUE,
                lambda side: {"status": "waiting_on_reporter", "comment": "Which quote?"},
                {},
            ),
            ("comment", WRITERS, lambda side: {"body": "Any news?"}, {}),
            (
                "escalate",
                QUEUE,
                lambda side: {"to_tier": 3, "replication_steps": "Open a quote.", "note": "T3"},
                {},
            ),
            ("resolve", QUEUE, lambda side: {"resolution": "Fixed by config."}, {}),
            ("reopen", TICKET_WRITERS, lambda side: {"reason": "Still broken."}, {}),
            ("severity", QUEUE, lambda side: {"severity": 1, "reason": "Whole team blocked."}, {}),
            ("edit", TICKET_WRITERS, lambda side: {"description": "More detail."}, {"owner": REFUSED}),
            ("attach", WRITERS, lambda side: {"file": uploaded("screen.png", PNG)}, {}),
            ("link", (*QUEUE, "champion"), lambda side: {"known_issue": side.objects["known_issue"].pk}, {}),
            ("duplicate", QUEUE, lambda side: {"original": side.objects["other_ticket"].reference}, {}),
        )
    },
    "tickets:known_issues": page(GET=members()),
    "tickets:canned_replies": page(
        GET=members((*QUEUE,)),
        POST=members(LEAD),
        data={"POST": lambda side: {"title": "Password reset", "body": "Use the self-service link."}},
    ),
    "tickets:canned_reply_edit": page(
        "canned_reply",
        GET=members(LEAD),
        POST=members(LEAD),
        data={"POST": lambda side: {"title": "Renamed", "body": "Better words."}},
    ),
    "tickets:canned_reply_delete": page("canned_reply", POST=members(LEAD)),
    "tickets:known_issue_new": page(GET=members(QUEUE), POST=members(QUEUE)),
    "tickets:known_issue_edit": page("known_issue", GET=members(QUEUE), POST=members(QUEUE)),
    "tickets:notifications": page(GET=members()),
    "tickets:notifications_read": page(POST=members()),
    "tickets:import": page(GET=members(LEAD), POST=members(LEAD)),
    "tickets:import_map": page(GET=members(LEAD), POST=members(LEAD)),
    "tickets:import_values": page(GET=members(LEAD), POST=members(LEAD)),
    "tickets:import_preview": page(GET=members(LEAD)),
    "tickets:import_commit": page(POST=members(LEAD)),
    "tickets:import_dry_run": page(POST=members(LEAD)),
    "tickets:import_save_mapping": page(POST=members(LEAD)),
    "tickets:import_job": page("ticket_import", GET=members(LEAD)),
    "tickets:import_cancel": page(POST=members(LEAD)),
    "tickets:export": page(GET=members(), htmx=False),
    # Triage ---------------------------------------------------------------------------------
    "triage:board": page(GET=members()),
    "triage:standup_start": page(POST=members((*QUEUE,), otherwise=REFUSED)),
    "triage:sla_policy": page(GET=members(), POST=members(LEAD)),
    "triage:matrix": page(GET=members(), POST=members(LEAD)),
    "triage:overrides": page(GET=members(SEE_ALL)),
    "triage:rota": page(GET=members(), POST=members(LEAD)),
    # Intake -------------------------------------------------------------------------------
    "intake:mailbox": page(
        GET=members(LEAD),
        POST=members(LEAD),
        data={
            "POST": lambda side: {
                "enabled": "on",
                "host": "imap.example.com",
                "port": "993",
                "security": "ssl",
                "username": "intake@example.com",
                "password": "secret",
                "folder": "INBOX",
            }
        },
    ),
    "intake:mail_raw": page("inbound_mail", GET=members(LEAD), htmx=False),
    "intake:mail_retry": page("inbound_mail", POST=members(LEAD)),
    "intake:chat": page(
        GET=members(LEAD),
        POST=members(LEAD),
        data={"POST": lambda side: {"platform": "slack", "team_id": "T0NEW", "channel_id": "C0NEW"}},
    ),
    "intake:chat_remove": page("chat_channel", POST=members(LEAD)),
    "triage:rota_remove": page("shift", POST=members(LEAD)),
    "triage:queue_leads": page(POST=members(LEAD)),
    "triage:preferences": page(GET=members(), POST=members()),
    "triage:ticket_sla": page("ticket", GET=members()),
    # Metrics --------------------------------------------------------------------------------
    "metrics:scorecard": page(GET=members()),
    "metrics:thresholds": page(
        GET=members(), POST=members(LEAD), data={"POST": lambda side: {"kpi": KPIS[0].slug, "reset": "1"}}
    ),
    "metrics:kpi": page(GET=members()),
    "metrics:chart_csv": page(GET=members(), htmx=False),
    "metrics:telemetry": page(GET=members()),
    "metrics:series_create": page(POST=members(LEAD)),
    "metrics:telemetry_upload": page(POST=members(LEAD)),
    "metrics:upload_preview": page("upload", GET=members(LEAD)),
    "metrics:upload_commit": page("upload", POST=members(LEAD)),
    "metrics:baselines": page(GET=members(), POST=members(LEAD)),
    "metrics:baselines_upload": page(POST=members(LEAD)),
    "metrics:baseline_delete": page("baseline", POST=members(LEAD)),
    "metrics:tokens": page(GET=members(LEAD), POST=members(LEAD)),
    "metrics:token_revoke": page("token", POST=members(LEAD)),
    # Handover -------------------------------------------------------------------------------
    "handover:exit_gate": page(GET=members()),
    "handover:criteria": page(GET=members(), POST=members(LEAD)),
    "handover:criterion_edit": page("criterion", POST=members(LEAD)),
    "handover:criterion_remove": page("criterion", POST=members(LEAD)),
    "handover:criterion_attest": page(
        "criterion", GET=members(("lead", "owner")), POST=members(("lead", "owner"))
    ),
    "handover:attestation_evidence": page("attestation", GET=members(), htmx=False),
    "handover:pack": page(GET=members(), POST=members(LEAD)),
    "handover:item": page("item", GET=members(), POST=members(LEAD)),
    "handover:item_document": page("item", POST=members(LEAD)),
    "handover:item_download": page("item", GET=members(), htmx=False),
    "handover:item_submit": page("item", POST=members(LEAD)),
    "handover:item_decide": page("item", POST=members(("owner",))),
    "handover:item_remove": page("item", POST=members(LEAD)),
    "handover:runbooks": page(GET=members(), POST=members(QUEUE)),
    "handover:runbook": page("runbook", GET=members(), POST=members(QUEUE)),
    "handover:runbook_publish": page("runbook", POST=members(QUEUE)),
    "handover:kt": page(GET=members(), POST=members(LEAD)),
    "handover:sign_off": page(GET=members(), POST=members(SIGNATORIES)),
    "handover:sign_off_detail": page("sign_off", GET=members()),
    # Only the signatory may revoke their own sign-off: the others' attempt changes nothing.
    "handover:sign_off_revoke": page(
        "sign_off",
        POST=members(("sponsor",)),
        data={
            "POST": lambda side: {"password": "correct-horse-battery", "reason": "Signed too early, sorry."}
        },
    ),
    "handover:celebration": page(GET=members()),
    "handover:exit_report": page(GET=members()),
    "handover:exit_report_pdf": page(GET=members(), htmx=False),
    # The weekly leadership summary: the readers of the daily status.
    "handover:weekly": page(GET=members(SEE_ALL)),
    "handover:weekly_report": page("weekly_report", GET=members(SEE_ALL)),
    # Releases -------------------------------------------------------------------------------
    "releases:hotfixes": page(GET=members(), POST=members(BUILDERS)),
    "releases:hotfix": page("hotfix", GET=members()),
    # UAT sign-off is the hotfix's next stage: a tester other than its builder, never a viewer.
    "releases:hotfix_advance": page(
        "hotfix",
        POST=members(UAT_TESTERS),
        data={"POST": lambda side: {"stage": "uat_signed_off", "note": "Tested in UAT."}},
    ),
    "releases:hotfix_report": page("hotfix", GET=members(), htmx=False),
    "releases:releases": page(GET=members()),
    "releases:release_create": page(POST=members(LEAD)),
    "releases:release_settings": page(POST=members(LEAD)),
    "releases:release": page("release", GET=members()),
    "releases:release_hotfixes": page(
        "release", POST=members(BUILDERS), data={"POST": lambda side: {"hotfix": side.objects["hotfix"].pk}}
    ),
    "releases:release_deploy": page("release", POST=members(LEAD)),
    "releases:release_resolve_tickets": page("release", POST=members(QUEUE)),
    "releases:production_changes": page(GET=members(SEE_ALL), POST=members(BUILDERS)),
    "releases:production_change_decide": page("production_change", POST=members(LEAD)),
    "releases:status": page(GET=members(SEE_ALL)),
    "releases:status_report": page("status_report", GET=members(SEE_ALL)),
    "releases:preferences": page(GET=members(), POST=members()),
    "releases:whats_happening": page(GET=members()),
    "releases:webhooks": page(GET=members(LEAD), POST=members(LEAD)),
    # Bulletins: every member reads those sent; the change manager and leads prepare, edit and send
    # (the world's bulletin is a draft, hidden from those who cannot send it).
    "releases:bulletins": page(GET=members()),
    "releases:bulletin_create": page(POST=members(LEAD)),
    "releases:bulletin_schedule": page(POST=members(LEAD), data={"POST": lambda side: {"send_at": "09:00"}}),
    "releases:bulletin": page("bulletin", GET=members(LEAD, otherwise=HIDDEN)),
    "releases:bulletin_edit": page(
        "bulletin",
        GET=members(LEAD),
        POST=members(LEAD),
        data={"POST": lambda side: {"date": "2026-11-12", "title": "Today", "fixed": "The quote logo"}},
    ),
    "releases:bulletin_send": page("bulletin", POST=members(LEAD)),
    "releases:webhook": page("webhook", GET=members(LEAD)),
    "releases:webhook_active": page("webhook", POST=members(LEAD)),
    # Outside a programme: health, authentication, schema ---------------------------------------
    "healthz": Entry("public", {"GET": everyone()}),
    # Chat: Slack and Teams sign each request (no session, no CSRF token: intake.chat.views); an
    # unsigned one answers 401 for everyone and creates nothing (tests/intake/test_chat_*.py).
    "integrations:slack": Entry("signed", {"POST": everyone(UNAUTHENTICATED)}),
    "integrations:teams": Entry("signed", {"POST": everyone(UNAUTHENTICATED)}),
    # A chat user's one-time link: anyone logged in may open it (the probe's token is not valid: 400).
    "integrations:chat_link": Entry(
        "page", {"GET": everyone(OK, anonymous=LOGIN), "POST": everyone(OK, anonymous=LOGIN)}
    ),
    "login": Entry("auth", {"GET": everyone(), "POST": everyone(), "PUT": everyone()}),
    "logout": Entry("auth", {"POST": everyone(LOGIN)}, note="logs out, then shows the login page"),
    # Single sign-on is not configured in these tests: its paths answer 404 (tests/hypercare/test_sso.py).
    "oidc_authentication_init": Entry("auth", {"GET": everyone(HIDDEN)}),
    "oidc_authentication_callback": Entry("auth", {"GET": everyone(HIDDEN)}),
    "oidc_refused": Entry("auth", {"GET": everyone(HIDDEN)}),
    "password_change": Entry("auth", {m: everyone(OK, anonymous=LOGIN) for m in ("GET", "POST", "PUT")}),
    "password_change_done": Entry("auth", {"GET": everyone(OK, anonymous=LOGIN)}),
    "password_reset": Entry("auth", {"GET": everyone(), "POST": everyone(), "PUT": everyone()}),
    "password_reset_done": Entry("auth", {"GET": everyone()}),
    "password_reset_confirm": Entry(
        "auth", {m: everyone() for m in ("GET", "POST", "PUT", "PATCH", "DELETE")}
    ),
    "password_reset_complete": Entry("auth", {"GET": everyone()}),
    "api-schema": Entry("schema", {"GET": everyone()}),
    "api-docs": Entry("schema", {"GET": everyone()}),
    "api:api-token": Entry("public", {"POST": everyone()}),
    # An invitation's link: an unknown token is 404 for everyone (tests/hypercare/test_invitations.py).
    "hypercare:invitation": Entry("auth", {"GET": everyone(HIDDEN), "POST": everyone(HIDDEN)}),
    # Core API -------------------------------------------------------------------------------
    "api:programme-list": Entry(
        "api",
        {
            "GET": everyone(OK, anonymous=UNAUTHENTICATED),
            **{m: everyone(DENIED, anonymous=UNAUTHENTICATED) for m in ("POST", "PUT", "PATCH", "DELETE")},
        },
        note="lists only the caller's programmes; staff create them",
    ),
    "api:programme-detail": Entry(
        "api",
        {
            "GET": {**members(), "anonymous": UNAUTHENTICATED, "outsider": HIDDEN},
            # Writes are refused to non-staff before the programme is looked up, so a missing
            # programme and someone else's look the same (403).
            **{m: everyone(DENIED, anonymous=UNAUTHENTICATED) for m in ("POST", "PUT", "PATCH", "DELETE")},
        },
    ),
    # An unknown username ("1"): leads and staff reach the lookup (404), everyone else is refused first.
    "api:member-detail": api(DELETE=members((), lead=HIDDEN)),
    # One's own notifications: every member reads and marks theirs.
    "api:notification-list": api(GET=members()),
    "api:notification-read": api(POST=members(), data={"POST": lambda side: {"all": True}}),
    "api:audit-list": api(GET=members(LEAD)),
    "api:member-list": api(
        GET=members(),
        POST=members(LEAD),
        data={"POST": lambda side: {"username": "newbie", "roles": ["viewer"], "team": "bau"}},
    ),
    # Tickets API: bodies are valid, so the service's role rules answer (not the serializer).
    "api:ticket-list": api(
        GET=members(),
        POST=members(REPORTERS),
        data={
            "POST": lambda side: {
                "title": "Quote PDF is blank",
                "description": "Since this morning.",
                "severity": 3,
            }
        },
    ),
    "api:ticket-detail": api(
        "ticket",
        GET=members(),
        PATCH=members(TICKET_WRITERS),
        data={"PATCH": lambda side: {"description": "More detail from the reporter."}},
    ),
    "api:ticket-bulk": api(
        POST=members(QUEUE),
        data={
            "POST": lambda side: {
                "action": "assign",
                "assignee": side.user("desk").username,
                "tickets": [_ref(side)],
            }
        },
    ),
    "api:ticket-duplicate": api(
        "ticket",
        POST=members(QUEUE),
        data={"POST": lambda side: {"original": side.objects["other_ticket"].reference}},
    ),
    "api:ticket-watch": api("ticket", POST=members()),
    "api:ticket-unwatch": api("ticket", POST=members()),
    # An empty probe is a 400 for whoever sees the ticket; only its reporter may rate (403 otherwise).
    "api:ticket-rate": api("ticket", POST=members()),
    "api:ticket-assign": api(
        "ticket", POST=members(QUEUE), data={"POST": lambda side: {"assignee": side.user("desk").username}}
    ),
    "api:ticket-attachments": api(
        "ticket",
        POST=members(WRITERS),
        data={"POST": lambda side: {"file": uploaded("log.txt", b"log line\n")}},
    ),
    "api:ticket-comment": api(
        "ticket", POST=members(WRITERS), data={"POST": lambda side: {"body": "Any news?"}}
    ),
    "api:ticket-escalate": api(
        "ticket",
        POST=members(QUEUE),
        data={
            "POST": lambda side: {"to_tier": 3, "replication_steps": "Open a quote, press PDF.", "note": "T3"}
        },
    ),
    "api:ticket-link": api(
        "ticket",
        POST=members((*QUEUE, "champion")),
        data={"POST": lambda side: {"known_issue": side.objects["known_issue"].pk}},
    ),
    "api:ticket-reopen": api(
        "ticket", POST=members(TICKET_WRITERS), data={"POST": lambda side: {"reason": "Again."}}
    ),
    "api:ticket-resolve": api(
        "ticket", POST=members(QUEUE), data={"POST": lambda side: {"resolution": "Fixed by config."}}
    ),
    "api:ticket-take": api("ticket", POST=members(QUEUE)),
    "api:ticket-transition": api(
        "ticket",
        POST=members(QUEUE),
        data={"POST": lambda side: {"status": "waiting_on_reporter", "comment": "?"}},
    ),
    # Without a file: leads get 400 (the file is required), everyone else 403.
    "api:ticket-import-list": api(POST=members(LEAD)),
    "api:ticket-import-detail": api("ticket_import", GET=members(LEAD)),
    "api:canned-reply-list": api(
        GET=members(QUEUE),
        POST=members(LEAD),
        data={"POST": lambda side: {"title": "Password reset", "body": "Use the self-service link."}},
    ),
    "api:canned-reply-detail": api(
        "canned_reply",
        GET=members(QUEUE),
        PATCH=members(LEAD),
        DELETE=members(LEAD),
        data={"PATCH": lambda side: {"body": "Better words."}},
    ),
    "api:known-issue-list": api(
        GET=members(), POST=members(QUEUE), data={"POST": lambda side: {"title": "Lock errors on save"}}
    ),
    "api:known-issue-detail": api(
        "known_issue",
        GET=members(),
        PATCH=members(QUEUE),
        data={"PATCH": lambda side: {"workaround": "Retry."}},
    ),
    # Triage API -----------------------------------------------------------------------------
    "api:sla-policy": api(GET=members(), PUT=members(LEAD)),
    "api:sla-policy-versions": api(GET=members()),
    "api:sla-compliance": api(GET=members(SEE_ALL)),
    "api:triage-matrix": api(GET=members(), PUT=members(LEAD)),
    "api:severity-overrides": api(GET=members(SEE_ALL)),
    "api:ticket-sla": api("ticket", GET=members()),
    "api:oncall-list": api(GET=members(), POST=members(LEAD)),
    "api:oncall-detail": api("shift", DELETE=members(LEAD)),
    # Metrics API ----------------------------------------------------------------------------
    "api:metrics-telemetry": api(POST=members(LEAD)),
    "api:metrics-snapshots": api(GET=members()),
    "api:metrics-scorecard": api(GET=members()),
    # Handover API ---------------------------------------------------------------------------
    "api:exit-gate": api(GET=members()),
    "api:sign-off-list": api(
        GET=members(),
        POST=members(SIGNATORIES),
        data={"POST": lambda side: {"password": "wrong password", "justifications": {}}},
    ),
    "api:sign-off-detail": api("sign_off", GET=members()),
    "api:sign-off-revoke": api(
        "sign_off",
        POST=members(("sponsor",)),
        data={"POST": lambda side: {"password": "correct-horse-battery", "reason": "Signed too early."}},
    ),
    "api:exit-criterion-list": api(GET=members()),
    "api:exit-criterion-detail": api(
        "criterion",
        GET=members(),
        PATCH=members(LEAD),
        data={"PATCH": lambda side: {"description": "Checked with finance."}},
    ),
    "api:exit-criterion-attest": api(
        "criterion",
        POST=members(("lead", "owner")),
        data={
            "POST": lambda side: {
                "outcome": "pass",
                "note": "Checked.",
                "evidence_url": "https://example.com/e",
            }
        },
    ),
    # The world's item is owned by the lead, who is no approver: the operational owner decides it.
    "api:handover-item-list": api(
        GET=members(), POST=members(LEAD), data={"POST": lambda side: {"title": "Data dictionary"}}
    ),
    "api:handover-item-detail": api(
        "item", GET=members(), PATCH=members(LEAD), data={"PATCH": lambda side: {"description": "Updated."}}
    ),
    "api:handover-item-submit": api("item", POST=members(LEAD)),
    "api:handover-item-accept": api("item", POST=members(("owner",))),
    "api:handover-item-reject": api(
        "item", POST=members(("owner",)), data={"POST": lambda side: {"reason": "The ERD is out of date."}}
    ),
    "api:runbook-list": api(
        GET=members(),
        POST=members(QUEUE),
        data={"POST": lambda side: {"known_issue": side.objects["known_issue"].pk}},
    ),
    "api:runbook-detail": api(
        "runbook", GET=members(), PATCH=members(QUEUE), data={"PATCH": lambda side: {"workaround": "Retry."}}
    ),
    "api:runbook-publish": api("runbook", POST=members(QUEUE)),
    "api:knowledge-transfer": api(GET=members(), PUT=members(LEAD)),
    # Releases API ---------------------------------------------------------------------------
    "api:hotfix-list": api(
        GET=members(),
        POST=members(BUILDERS),
        data={"POST": lambda side: {"title": "Fix the quote PDF", "tickets": [_ref(side)]}},
    ),
    "api:hotfix-detail": api("hotfix", GET=members()),
    "api:hotfix-advance": api(
        "hotfix",
        POST=members(UAT_TESTERS),
        data={"POST": lambda side: {"stage": "uat_signed_off", "note": "Tested in UAT."}},
    ),
    "api:patch-release-list": api(GET=members()),
    "api:patch-release-detail": api("release", GET=members()),
    "api:patch-release-deploy": api("release", POST=members(LEAD)),
    "api:patch-release-resolve-tickets": api("release", POST=members(QUEUE)),
    "api:production-change-list": api(
        GET=members(SEE_ALL),
        POST=members(BUILDERS, champion=DENIED),
        data={
            "POST": lambda side: {
                "title": "Raise the API limit",
                "component": "Org settings",
                "description": "Raise the limit for the ERP integration.",
                "impact_assessment": "Affects the ERP integration only; low risk, reversible.",
            }
        },
    ),
    "api:production-change-detail": api("production_change", GET=members(SEE_ALL)),
    "api:production-change-decide": api(
        "production_change", POST=members(LEAD), data={"POST": lambda side: {"approve": True, "note": "OK"}}
    ),
    "api:status-report-list": api(GET=members(SEE_ALL)),
    "api:status-report-detail": api("status_report", GET=members(SEE_ALL)),
    "api:bulletin-list": api(
        GET=members(), POST=members(LEAD), data={"POST": lambda side: {"from_draft": True}}
    ),
    "api:bulletin-detail": api(
        "bulletin",
        GET=members(LEAD, otherwise=HIDDEN),
        PATCH=members(LEAD),
        data={"PATCH": lambda side: {"message": "Thank you for your patience."}},
    ),
    "api:bulletin-send": api("bulletin", POST=members(LEAD)),
    "api:webhook-list": Entry(
        "api",
        {
            "GET": {**members(LEAD), "anonymous": UNAUTHENTICATED, "outsider": HIDDEN},
            "POST": {**members(LEAD), "anonymous": UNAUTHENTICATED, "outsider": HIDDEN},
            # The lead check comes before the method check: non-leads get 403, the lead 405.
            **{
                m: {**members((), lead=NOT_ALLOWED), "anonymous": UNAUTHENTICATED, "outsider": HIDDEN}
                for m in ("PUT", "PATCH", "DELETE")
            },
        },
    ),
}

# Route name prefixes declared wholesale: Django's admin (staff only; our personas are not staff,
# so every admin URL sends them to the admin login) and its unnamed catch-alls.
ADMIN_PREFIXES = ("admin:", "<unnamed> admin/")
# The admin's own login and logout pages are open doors, like the app's.
ADMIN_AUTH = {
    "admin:login": Entry("auth", {"GET": everyone(), "POST": everyone()}),
    "admin:logout": Entry("auth", {"POST": everyone()}),
}


def entry_for(name: str) -> Entry | None:
    if name in MATRIX:
        return MATRIX[name]
    if name in ADMIN_AUTH:
        return ADMIN_AUTH[name]
    if name.startswith(ADMIN_PREFIXES):
        return Entry("admin", {"GET": everyone(LOGIN)}, htmx=False)
    return None


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
