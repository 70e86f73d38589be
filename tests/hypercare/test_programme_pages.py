"""The browser side of the core: login, the programme list and page, calendar and members."""

import subprocess
import sys

import pytest
from django.urls import reverse

from hypercare.models import Invitation, Membership, Programme
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_login(client, programme):
    for url in ["/", "/p/acme/", "/p/acme/calendar/", "/p/acme/members/"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url


def test_it_logs_in_through_the_login_page(client, desk):
    response = client.post("/accounts/login/", {"username": "desk", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert b"Acme go-live" in response.content


def test_the_home_page_lists_only_my_programmes(client, desk, outsider):
    client.force_login(desk.user)
    response = client.get("/")
    assert b"Acme go-live" in response.content
    assert b"Globex go-live" not in response.content


def test_the_navigation_shows_my_programmes_and_role(client, desk):
    client.force_login(desk.user)
    response = client.get("/p/acme/")
    assert b"Desk analyst (Tier 2)" in response.content


def test_a_non_member_gets_404_for_every_page_of_a_programme(client, outsider, programme):
    client.force_login(outsider.user)
    for url in ["/p/acme/", "/p/acme/edit/", "/p/acme/calendar/", "/p/acme/members/"]:
        assert client.get(url).status_code == 404, url


def test_it_warns_when_the_planned_exit_is_before_the_first_month_end_close(client, desk, programme):
    client.force_login(desk.user)
    assert b"month-end-warning" not in client.get("/p/acme/").content
    Programme.objects.filter(pk=programme.pk).update(planned_exit_date="2026-03-20")
    response = client.get("/p/acme/")
    assert b"Planned exit is before the first month-end close" in response.content


def test_a_lead_edits_the_calendar_with_hours_and_holidays(client, lead, programme):
    client.force_login(lead.user)
    data = {f"{day}_start": "08:00" for day in ["mon", "tue", "wed", "thu", "fri"]}
    data |= {f"{day}_end": "16:00" for day in ["mon", "tue", "wed", "thu", "fri"]}
    data["holidays"] = "2026-04-03 Good Friday\n2026-04-06 Easter Monday"
    response = client.post("/p/acme/calendar/", data)
    assert response.status_code == 302
    calendar = programme.calendar
    calendar.refresh_from_db()
    assert calendar.working_hours["mon"] == ["08:00", "16:00"] and calendar.working_hours["sat"] is None
    assert [str(h) for h in calendar.holidays.all()] == ["2026-04-03 Good Friday", "2026-04-06 Easter Monday"]


def test_it_names_the_line_of_a_bad_holiday_and_saves_nothing(client, lead, programme):
    client.force_login(lead.user)
    response = client.post(
        "/p/acme/calendar/",
        {"mon_start": "09:00", "mon_end": "17:00", "holidays": "2026-04-03\nEaster Monday"},
    )
    assert response.status_code == 200
    assert "Line 2" in response.content.decode()
    assert programme.calendar.holidays.count() == 0


def test_it_prefills_a_countrys_public_holidays(client, lead, programme):
    client.force_login(lead.user)
    client.post("/p/acme/calendar/", {"mon_start": "09:00", "mon_end": "17:00", "holiday_country": "GB-ENG"})
    dates = {h.date.isoformat() for h in programme.calendar.holidays.all()}
    assert "2026-04-03" in dates and "2026-12-25" in dates


def test_only_leads_change_the_calendar(client, desk, programme):
    client.force_login(desk.user)
    response = client.post("/p/acme/calendar/", {"mon_start": "00:00", "mon_end": "24:00"})
    assert response.status_code == 403


def test_a_lead_invites_a_member_in_the_browser(client, lead):
    client.force_login(lead.user)
    response = client.post(
        "/p/acme/members/",
        {
            "email": "fw@example.com",
            "roles": ["champion"],
            "team": "bau",
            "business_unit": "Service",
            "geography": "UK",
        },
        follow=True,
    )
    assert "Invitation sent to fw@example.com." in response.content.decode()
    assert not Membership.objects.filter(user__email="fw@example.com").exists()
    invitation = Invitation.objects.get(email="fw@example.com")
    assert (invitation.roles, invitation.team, invitation.business_unit) == (["champion"], "bau", "Service")


def test_user_text_is_escaped(client, lead, programme):
    Programme.objects.filter(pk=programme.pk).update(system='<script>alert("x")</script>')
    client.force_login(lead.user)
    content = client.get("/p/acme/").content.decode()
    assert '<script>alert("x")</script>' not in content
    assert "&lt;script&gt;" in content


def test_staff_create_a_programme_in_the_browser(admin_client):
    response = admin_client.post(
        reverse("hypercare:programme_create"),
        {
            "name": "Umbrella",
            "slug": "umbrella",
            "ticket_prefix": "UMB",
            "system": "Salesforce",
            "go_live_date": "2026-05-04",
            "planned_exit_date": "2026-06-15",
            "first_month_end_close": "2026-05-29",
            "timezone": "Europe/Berlin",
            "status": "planned",
        },
    )
    assert response.status_code == 302
    assert Programme.objects.get(slug="umbrella").calendar.working_hours["mon"] == ["09:00", "17:00"]


def test_pages_send_a_content_security_policy_without_inline_scripts(client, desk):
    client.force_login(desk.user)
    response = client.get("/p/acme/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.content.decode()


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "SECRET_KEY": "k" * 64 + "-unique-production-secret",
        "ALLOWED_HOSTS": "hypercare.example.com",
        "DJANGO_DEBUG": "0",
        "PATH": "/usr/bin:/bin",
        "HYPERCARE_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {"DJANGO_DEBUG": "0", "PATH": "/usr/bin:/bin", "HYPERCARE_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr


def test_a_permission_denial_explains_itself_and_is_audited(client, desk, caplog):
    import logging

    client.force_login(desk.user)
    with caplog.at_level(logging.INFO, logger="hypercare.audit"):
        response = client.post("/p/acme/calendar/", {"mon_start": "00:00", "mon_end": "24:00"})
    assert response.status_code == 403
    assert b"Only the programme&#x27;s hypercare leads can do this." in response.content
    assert any(r.getMessage().startswith("permission.denied actor=desk") for r in caplog.records)


def test_the_programme_page_shows_todays_figures_as_the_member_may_see_them(
    client, desk, champion, programme
):
    from tests.factories import TicketFactory

    TicketFactory(programme=programme, severity=1, status="in_progress", business_unit="Finance")
    TicketFactory(programme=programme, severity=2, status="new", business_unit="Sales")
    TicketFactory(programme=programme, severity=1, status="resolved", business_unit="Sales")
    client.force_login(desk.user)
    content = client.get("/p/acme/").content.decode()
    assert '<span class="figure" id="open-sev1">1</span>' in content
    assert '<span class="figure" id="open-sev2">1</span>' in content
    client.force_login(champion.user)  # a champion of Sales sees only their unit's tickets
    content = client.get("/p/acme/").content.decode()
    assert '<span class="figure" id="open-sev1">0</span>' in content
    assert "Log an issue" in content
