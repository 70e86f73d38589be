"""Triage pages: the standup board, SLA policy, matrix, reports, rota, preferences and the SLA panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hypercare.models import NotificationPreference
from sla.models import SeverityRule, SlaPolicy
from sla.policy import policy_for
from tests.triage.conftest import access_of, london
from tickets import services as tickets
from triage import services
from triage.models import OnCallShift, QueueLead, Standup

pytestmark = pytest.mark.django_db

MONDAY_10 = london(2026, 3, 9, 10, 0)


def logged_in(client, persona):
    client.force_login(persona.user)
    return client


def test_it_renders_the_board_with_its_sections_and_live_polling(client, lead, desk, log_ticket):
    log_ticket(severity=1, reported_at=MONDAY_10, title="Orders cannot be invoiced")
    response = logged_in(client, lead).get(reverse("triage:board", args=[lead.programme.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    for title in (
        "New since the last standup",
        "Open Sev1 and Sev2",
        "At risk or breached",
        "Waiting on Tier 3",
        "Unassigned",
        "SLA compliance",
    ):
        assert title in html
    assert 'hx-trigger="every 30s"' in html and "Orders cannot be invoiced" in html
    assert "overdue" in html  # a Sev1 open since March


def test_an_htmx_poll_gets_only_the_board_partial(client, lead):
    response = logged_in(client, lead).get(
        reverse("triage:board", args=[lead.programme.slug]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html


def test_the_board_takes_a_constant_number_of_queries(client, lead, log_ticket):
    url = reverse("triage:board", args=[lead.programme.slug])
    logged_in(client, lead)
    log_ticket(severity=1, reported_at=MONDAY_10)
    client.get(url)  # warm the session

    def board_queries(context):
        return [
            q["sql"]
            for q in context.captured_queries
            if '"tickets_ticket"' in q["sql"] or "triage_" in q["sql"]
        ]

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    # The board's own: standups, section counts, the ids of the five sections' first rows (one
    # UNION ALL), those tickets (assignee, reporter, programme and known issue joined), compliance
    # by severity and tier (one grouped query). The rest (session, user, membership) belongs to
    # every page.
    assert len(board_queries(few)) == 5
    for n in range(15):
        log_ticket(severity=1 + n % 4, reported_at=MONDAY_10 + timedelta(hours=n))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_start_standup_resets_new_since_after_the_standup(client, desk, lead, log_ticket):
    logged_in(client, desk)
    response = client.post(reverse("triage:standup_start", args=[desk.programme.slug]))
    assert response.status_code == 302 and Standup.objects.count() == 1
    assert client.get(reverse("triage:standup_start", args=[desk.programme.slug])).status_code == 405

    now = timezone.now()
    first = Standup.objects.get()
    # During the standup the board still shows what came in since the day before.
    board = services.triage_board(access_of(lead), at=first.started_at + timedelta(minutes=10))
    assert board.standup_in_progress and board.new_since == first.started_at - timedelta(hours=24)
    # Afterwards, "new" counts from the standup.
    later = services.triage_board(access_of(lead), at=now + timedelta(hours=3))
    assert not later.standup_in_progress and later.new_since == first.started_at


def test_new_since_the_last_standup_is_exact(lead, desk, log_ticket):
    lead_access = access_of(lead)
    services.standup_start(access=lead_access, at=london(2026, 3, 9, 9, 30))
    log_ticket(severity=3, reported_at=london(2026, 3, 9, 9, 29), title="Before the standup")
    log_ticket(severity=3, reported_at=london(2026, 3, 9, 9, 31), title="After the standup")
    board = services.triage_board(lead_access, at=london(2026, 3, 9, 11, 0))
    new = next(s for s in board.sections if s.key == "new")
    assert [t["title"] for t in new.tickets] == ["After the standup"] and new.count == 1


def test_viewers_and_champions_cannot_start_a_standup(client, viewer, outsider, lead):
    url = reverse("triage:standup_start", args=[lead.programme.slug])
    logged_in(client, viewer).post(url)
    assert not Standup.objects.exists()
    client.force_login(outsider.user)
    assert client.post(url).status_code == 404
    assert client.get(reverse("triage:board", args=[lead.programme.slug])).status_code == 404


def policy_post(**overrides):
    data = {}
    for severity, (response, resolution, clock) in {
        1: (15, 240, "24x7"),
        2: (60, 1440, "24x7"),
        3: (240, 2400, "business"),
        4: (1440, "", "business"),
    }.items():
        data.update(
            {
                f"sev{severity}_response_minutes": response,
                f"sev{severity}_resolution_minutes": resolution,
                f"sev{severity}_clock": clock,
                f"sev{severity}_at_risk_percent": 75,
            }
        )
    data.update(overrides)
    return data


def test_a_lead_publishes_a_policy_version_in_the_browser(client, lead):
    url = reverse("triage:sla_policy", args=[lead.programme.slug])
    logged_in(client, lead)
    assert "Publish a new version" in client.get(url).content.decode()
    response = client.post(url, policy_post(sev3_response_minutes=120, note="Week 3: relaxed"))
    assert response.status_code == 302
    current = policy_for(lead.programme, timezone.now())
    assert current.note == "Week 3: relaxed" and current.targets.get(severity=3).response_minutes == 120
    assert "Week 3: relaxed" in client.get(url).content.decode()


def test_a_bad_policy_form_shows_the_error_on_the_field(client, lead):
    url = reverse("triage:sla_policy", args=[lead.programme.slug])
    response = logged_in(client, lead).post(url, policy_post(sev2_resolution_minutes=30))
    assert response.status_code == 400
    assert "cannot be shorter than the response target" in response.content.decode()
    assert SlaPolicy.objects.filter(programme=lead.programme).count() == 1


def test_only_leads_publish_policies_or_edit_the_matrix(client, desk, outsider, lead):
    logged_in(client, desk)
    policy_url = reverse("triage:sla_policy", args=[lead.programme.slug])
    matrix_url = reverse("triage:matrix", args=[lead.programme.slug])
    assert "Publish a new version" not in client.get(policy_url).content.decode()
    assert client.post(policy_url, policy_post()).status_code == 403
    assert client.post(matrix_url, {}).status_code == 403
    client.force_login(outsider.user)
    assert client.get(policy_url).status_code == 404 and client.get(matrix_url).status_code == 404


def test_a_lead_edits_the_matrix_in_the_browser(client, lead):
    url = reverse("triage:matrix", args=[lead.programme.slug])
    logged_in(client, lead)
    page = client.get(url)
    form = page.context["form"]
    data = {name: field.initial for name, field in form.fields.items()}
    data["cell__subset__none__vital"] = 1
    assert client.post(url, data).status_code == 302
    rule = SeverityRule.objects.get(
        programme=lead.programme, impact_scope="subset", workaround="none", blocks_vital_process=True
    )
    assert rule.severity == 1


def test_the_report_page_shows_compliance_and_overrides(client, lead, desk, champion, log_ticket):
    log_ticket(severity=2, reported_at=MONDAY_10)
    response = logged_in(client, lead).get(
        reverse("triage:overrides", args=[lead.programme.slug]) + "?start=2026-03-01"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "SLA compliance" in html and "Severity overrides" in html
    client.force_login(champion.user)
    assert client.get(reverse("triage:overrides", args=[lead.programme.slug])).status_code == 403


def test_a_lead_plans_the_rota_and_names_queue_leads(client, lead, engineer, desk):
    url = reverse("triage:rota", args=[lead.programme.slug])
    logged_in(client, lead)
    response = client.post(
        url,
        {
            "user": engineer.user.pk,
            "starts_at": "2026-03-09T09:00",
            "ends_at": "2026-03-16T09:00",
            "note": "Week 2",
        },
    )
    assert response.status_code == 302
    shift = OnCallShift.objects.get()
    assert shift.starts_at == london(2026, 3, 9, 9, 0)
    clash = client.post(
        url, {"user": desk.user.pk, "starts_at": "2026-03-10T09:00", "ends_at": "2026-03-11T09:00"}
    )
    assert clash.status_code == 400 and "engineer is on call then" in clash.content.decode()

    client.post(
        reverse("triage:queue_leads", args=[lead.programme.slug]),
        {"tier2": desk.user.pk, "tier3": engineer.user.pk},
    )
    assert dict(QueueLead.objects.values_list("tier", "user__username")) == {2: "desk", 3: "engineer"}
    client.post(reverse("triage:rota_remove", args=[lead.programme.slug, shift.pk]))
    assert not OnCallShift.objects.exists()


def test_only_leads_change_the_rota(client, desk, engineer, lead):
    url = reverse("triage:rota", args=[lead.programme.slug])
    logged_in(client, desk)
    assert client.get(url).status_code == 200
    data = {"user": engineer.user.pk, "starts_at": "2026-03-09T09:00", "ends_at": "2026-03-16T09:00"}
    assert client.post(url, data).status_code == 403
    assert (
        client.post(
            reverse("triage:queue_leads", args=[lead.programme.slug]), {"tier2": desk.user.pk}
        ).status_code
        == 403
    )


def test_members_choose_email_or_in_app_per_kind(client, champion):
    url = reverse("triage:preferences", args=[champion.programme.slug])
    logged_in(client, champion)
    assert client.get(url).status_code == 200
    data = {"sla_at_risk__in_app": "on", "ticket_resolved__email": "on"}
    assert client.post(url, data).status_code == 302
    prefs = {p.kind: (p.in_app, p.email) for p in NotificationPreference.objects.filter(user=champion.user)}
    assert prefs["sla_at_risk"] == (True, False) and prefs["ticket_resolved"] == (False, True)


def test_the_sla_page_explains_the_clocks_and_hides_other_units_tickets(
    client, lead, desk, make_persona, log_ticket
):
    from hypercare.roles import Role

    ticket = log_ticket(severity=3, reported_at=london(2026, 3, 14, 11, 0))
    tickets.ticket_transition(
        access=access_of(desk), ticket=ticket, status="in_progress", at=london(2026, 3, 16, 9, 30)
    )
    url = reverse("triage:ticket_sla", args=[lead.programme.slug, ticket.reference])
    html = logged_in(client, lead).get(url).content.decode()
    assert "Both clocks started" in html and "Response clock stopped" in html
    assert "Due Fri 20 Mar 2026 17:00" in html  # a Sev3 logged on a Saturday
    client.force_login(make_persona(Role.CHAMPION, business_unit="Finance").user)
    assert client.get(url).status_code == 404
