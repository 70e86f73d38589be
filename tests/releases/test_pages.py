"""The releases pages: who sees and changes what, htmx partials, escaping and query budgets."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from releases import services
from releases.models import Hotfix, HotfixStage
from tests.factories import KnownIssueFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/p/acme/hotfixes/",
    "/p/acme/releases/",
    "/p/acme/production-changes/",
    "/p/acme/daily-status/",
    "/p/acme/daily-status/preferences/",
    "/p/acme/whats-happening/",
    "/p/acme/webhooks/",
]


def test_non_members_get_404_everywhere(client, outsider, make_hotfix, lead):
    hotfix = make_hotfix()
    release = services.release_plan_next(programme=hotfix.programme, by=lead.user)
    client.force_login(outsider.user)
    for url in [*PAGES, f"/p/acme/hotfixes/{hotfix.pk}/", f"/p/acme/releases/{release.pk}/"]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/p/acme/hotfixes/{hotfix.pk}/advance/", {"stage": "dev_sandbox"}).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, programme):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url


def test_a_viewer_reads_but_cannot_change_anything(client, viewer, make_hotfix, lead):
    hotfix = make_hotfix("regression_passed")
    release = services.release_plan_next(programme=hotfix.programme, by=lead.user)
    client.force_login(viewer.user)
    for url in [
        "/p/acme/hotfixes/",
        f"/p/acme/hotfixes/{hotfix.pk}/",
        "/p/acme/releases/",
        "/p/acme/whats-happening/",
    ]:
        page = client.get(url)
        assert page.status_code == 200, url
        assert b'<form method="post" enctype' not in page.content
    assert b"Record a hotfix" not in client.get("/p/acme/hotfixes/").content
    for url, data in [
        ("/p/acme/hotfixes/", {"title": "x"}),
        (f"/p/acme/hotfixes/{hotfix.pk}/advance/", {"stage": "uat_signed_off"}),
        ("/p/acme/releases/new/", {"next": "1"}),
        ("/p/acme/releases/settings/", {"cadence": "daily", "status_hour": 8, "weekly_weekday": 0}),
        (f"/p/acme/releases/{release.pk}/hotfixes/", {"hotfix": hotfix.pk}),
        (f"/p/acme/releases/{release.pk}/deploy/", {}),
        ("/p/acme/production-changes/", {"title": "x"}),
        ("/p/acme/webhooks/", {"name": "x"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert Hotfix.objects.get(pk=hotfix.pk).stage == "regression_passed" and hotfix.release is None


def test_an_engineer_records_and_advances_a_hotfix_in_plain_forms(client, engineer, sev3_ticket):
    client.force_login(engineer.user)
    response = client.post(
        "/p/acme/hotfixes/",
        {"title": "Fix the logo", "tickets": f"{sev3_ticket.reference}", "summary": "Logo fixed"},
    )
    hotfix = Hotfix.objects.get()
    assert response.status_code == 302 and response.url == f"/p/acme/hotfixes/{hotfix.pk}/"
    assert client.post(f"/p/acme/hotfixes/{hotfix.pk}/advance/", {"stage": "dev_sandbox"}).status_code == 302
    skipped = client.post(f"/p/acme/hotfixes/{hotfix.pk}/advance/", {"stage": "regression_passed"})
    assert (
        skipped.status_code == 409
        and "no stage of the hotfix protocol can be skipped" in skipped.content.decode()
    )


def test_an_htmx_advance_returns_the_stage_panel_with_the_refusal(client, engineer, make_hotfix):
    hotfix = make_hotfix("hotfix_sandbox")
    client.force_login(engineer.user)
    response = client.post(
        f"/p/acme/hotfixes/{hotfix.pk}/advance/", {"stage": "regression_passed"}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert response.status_code == 200 and content.lstrip().startswith(
        '<section class="card" id="hotfix-stages">'
    )
    assert "Regression evidence is required" in content
    ok = client.post(
        f"/p/acme/hotfixes/{hotfix.pk}/advance/",
        {"stage": "regression_passed", "evidence_link": "https://ci.example.com/1", "pass_count": "12"},
        HTTP_HX_REQUEST="true",
    )
    assert "12 regression tests passed" in ok.content.decode()
    assert HotfixStage.objects.filter(hotfix=hotfix, stage="regression_passed").exists()


def test_the_hotfix_list_filters_with_an_htmx_partial(client, engineer, make_hotfix):
    make_hotfix("deployed", title="Shipped fix")
    make_hotfix(title="Open fix")
    client.force_login(engineer.user)
    full = client.get("/p/acme/hotfixes/").content.decode()
    assert "Open fix" in full and "Shipped fix" not in full
    partial = client.get("/p/acme/hotfixes/?show=deployed", HTTP_HX_REQUEST="true").content.decode()
    assert (
        partial.lstrip().startswith('<div id="hotfix-table"')
        and "Shipped fix" in partial
        and "<html" not in partial
    )


def test_user_text_is_escaped(client, engineer, make_hotfix):
    make_hotfix(title='<script>alert("x")</script>', summary="<b>bold</b>")
    client.force_login(engineer.user)
    content = client.get("/p/acme/hotfixes/").content.decode()
    assert '<script>alert("x")</script>' not in content and "&lt;script&gt;" in content


def test_whats_happening_speaks_plainly_to_every_member(
    client, champion, programme, lead, engineer, make_hotfix
):
    KnownIssueFactory(
        programme=programme,
        title="Quotes show the old logo",
        symptoms="The PDF header has last year's logo.",
        workaround="Attach the logo by hand",
        fix_expected_on=date(2026, 3, 12),
        created_by=lead.user,
    )
    coming = make_hotfix("uat_signed_off", summary="Quote PDFs show the new logo")
    make_hotfix("deployed", summary="Cases can be closed from the console again", known_issue=None)
    release = services.release_create(
        programme=programme, by=lead.user, planned_for=timezone.localdate() + timedelta(days=1)
    )
    services.release_add_hotfix(release=release, hotfix=coming, by=engineer.user)
    client.force_login(champion.user)
    page = client.get("/p/acme/whats-happening/").content.decode()
    assert "Quotes show the old logo" in page and "Attach the logo by hand" in page
    assert "we expect a fix by Thursday 12 March" in page
    assert "Quote PDFs show the new logo" in page  # next release
    assert "Cases can be closed from the console again" in page  # recently fixed
    assert "sandbox" not in page.lower()


def test_champions_do_not_see_the_production_change_register(client, champion):
    client.force_login(champion.user)
    assert client.get("/p/acme/production-changes/").status_code == 403
    assert client.get("/p/acme/daily-status/").status_code == 403


def test_a_lead_plans_and_deploys_a_release_in_the_browser_forms(
    client, lead, engineer, make_hotfix, programme
):
    hotfix = make_hotfix("uat_signed_off")
    client.force_login(lead.user)
    planned = client.post("/p/acme/releases/new/", {"next": "1"})
    release = programme.patch_releases.get()
    assert planned.status_code == 302 and planned.url == f"/p/acme/releases/{release.pk}/"
    client.force_login(engineer.user)
    assert client.post(f"/p/acme/releases/{release.pk}/hotfixes/", {"hotfix": hotfix.pk}).status_code == 302
    assert client.post(f"/p/acme/releases/{release.pk}/deploy/").status_code == 403
    client.force_login(lead.user)
    assert client.post(f"/p/acme/releases/{release.pk}/deploy/").status_code == 302
    page = client.get(f"/p/acme/releases/{release.pk}/").content.decode()
    assert "in production since" in page


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # session, user, memberships (with the navigation and the unread badge), hotfixes
        # (joined), tickets, known-issue choices of the form
        ("/p/acme/hotfixes/?show=all", 6),
        # session, user, memberships (with nav and unread), settings, releases (counts annotated)
        ("/p/acme/releases/", 5),
        # session, user, memberships (with nav and unread), changes (people joined), hotfix choices
        ("/p/acme/production-changes/", 5),
        # session, user, memberships (with nav and unread), next release, its hotfixes, known
        # issues, recent fixes
        ("/p/acme/whats-happening/", 7),
    ],
)
def test_list_pages_run_in_constant_queries(
    client, lead, engineer, make_hotfix, programme, url, queries, django_assert_num_queries
):
    release = services.release_create(programme=programme, by=lead.user, planned_for=timezone.localdate())
    for n in range(5):
        hotfix = make_hotfix("deployed" if n % 2 else "dev_sandbox", title=f"Fix {n}")
        if n % 2 == 0:
            services.release_add_hotfix(release=release, hotfix=hotfix, by=engineer.user)
        services.production_change_record(
            programme=programme,
            by=engineer.user,
            title=f"Change {n}",
            component="Flow",
            description="Edit",
            impact_assessment="Affects the Sales team's lead routing for one day.",
        )
    client.force_login(lead.user)
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
