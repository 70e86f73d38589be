"""The hotfix protocol of seed 000: gated stages, no skipping, four eyes, the emergency path — service and API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from releases.models import Hotfix, HotfixStage, Stage
from tests.releases.conftest import REGRESSION, advance_to

pytestmark = pytest.mark.django_db

URL = "/api/v1/programmes/acme/hotfixes/"


def advance_url(hotfix) -> str:
    return f"{URL}{hotfix.pk}/advance/"


def test_it_creates_a_hotfix_linking_tickets_and_a_known_issue(engineer, sev3_ticket, known_issue):
    response = engineer.api().post(
        URL,
        {"title": "Fix the quote logo", "tickets": [sev3_ticket.reference], "known_issue": known_issue.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stage"] == "" and body["next_stage"] == "dev_sandbox"
    assert [t["reference"] for t in body["tickets"]] == [sev3_ticket.reference]
    assert body["known_issue"] == known_issue.pk and body["emergency"] is False


def test_it_names_unknown_ticket_references(engineer):
    response = engineer.api().post(URL, {"title": "x", "tickets": ["ACME-999"]}, format="json")
    assert response.status_code == 400
    assert "ACME-999" in response.json()["tickets"][0]
    assert not Hotfix.objects.exists()


def test_it_moves_through_every_stage_recording_who_and_when(engineer, owner, make_hotfix):
    hotfix = make_hotfix()
    api = engineer.api()
    for stage, client, evidence in [
        ("dev_sandbox", api, {}),
        ("hotfix_sandbox", api, {}),
        ("regression_passed", api, {"link": "https://ci.example.com/runs/42", "pass_count": 412}),
        ("uat_signed_off", owner.api(), {"note": "Checked three quotes"}),
        ("deployed", api, {}),
    ]:
        response = client.post(advance_url(hotfix), {"stage": stage, "evidence": evidence}, format="json")
        assert response.status_code == 200, (stage, response.content)
        assert response.json()["stage"] == stage
    records = {r.stage: r for r in HotfixStage.objects.filter(hotfix=hotfix).select_related("by")}
    assert list(records) == [s.value for s in Stage]
    assert records["uat_signed_off"].by == owner.user and records["dev_sandbox"].by == engineer.user
    assert records["regression_passed"].pass_count == 412
    assert all(record.at is not None for record in records.values())
    hotfix.refresh_from_db()
    assert hotfix.deployed_at is not None


@pytest.mark.parametrize(
    ("at", "wanted", "missing"),
    [
        ("", "hotfix_sandbox", "Dev sandbox"),
        ("", "deployed", "Dev sandbox"),
        ("hotfix_sandbox", "uat_signed_off", "Regression passed"),
        ("regression_passed", "deployed", "UAT signed off"),
    ],
)
def test_no_stage_can_be_skipped(engineer, owner, make_hotfix, at, wanted, missing):
    hotfix = make_hotfix(at)
    client = owner.api() if wanted == "uat_signed_off" else engineer.api()
    response = client.post(advance_url(hotfix), {"stage": wanted, "evidence": {}}, format="json")
    assert response.status_code == 409
    assert "skipped" in response.json()["detail"] and missing in response.json()["detail"]
    assert Hotfix.objects.get(pk=hotfix.pk).stage == at


def test_a_stage_is_never_recorded_twice(engineer, make_hotfix):
    hotfix = make_hotfix("dev_sandbox")
    response = engineer.api().post(advance_url(hotfix), {"stage": "dev_sandbox"}, format="json")
    assert response.status_code == 409
    assert "already passed" in response.json()["detail"]
    assert HotfixStage.objects.filter(hotfix=hotfix, stage="dev_sandbox").count() == 1


def test_the_database_refuses_a_second_row_for_the_same_stage(engineer, make_hotfix):
    from django.db import IntegrityError, transaction

    hotfix = make_hotfix("dev_sandbox")
    record = HotfixStage.objects.get(hotfix=hotfix, stage="dev_sandbox")
    with pytest.raises(IntegrityError), transaction.atomic():
        HotfixStage.objects.create(hotfix=hotfix, stage="dev_sandbox", by=engineer.user, at=record.at)


def test_regression_needs_evidence_and_a_pass_count(engineer, make_hotfix):
    hotfix = make_hotfix("hotfix_sandbox")
    api = engineer.api()
    no_evidence = api.post(advance_url(hotfix), {"stage": "regression_passed"}, format="json")
    assert no_evidence.status_code == 400 and "evidence" in no_evidence.json()
    no_count = api.post(
        advance_url(hotfix),
        {"stage": "regression_passed", "evidence": {"link": "https://ci.example.com/runs/42"}},
        format="json",
    )
    assert no_count.status_code == 400 and "pass" in no_count.json()["evidence"][0]
    assert Hotfix.objects.get(pk=hotfix.pk).stage == "hotfix_sandbox"


def test_regression_evidence_can_be_an_uploaded_report(engineer, make_hotfix, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hotfix = make_hotfix("hotfix_sandbox")
    report = SimpleUploadedFile("regression.html", b"<h1>412 passed</h1>", content_type="text/html")
    response = engineer.api().post(
        advance_url(hotfix),
        {"stage": "regression_passed", "evidence.pass_count": "412", "report": report},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    record = HotfixStage.objects.get(hotfix=hotfix, stage="regression_passed")
    assert record.pass_count == 412 and record.evidence_file_name == "regression.html"
    client.force_login(engineer.user)
    download = client.get(response.json()["stages"][-1]["report_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"<h1>412 passed</h1>"


def test_four_eyes_the_builder_cannot_sign_off_uat(make_persona, make_hotfix, engineer):
    # Someone who is both engineer and business tester builds the fix, then tries to sign it off.
    both = make_persona("engineer", "operational_owner", username="both")
    hotfix = make_hotfix()
    advance_to(hotfix, "regression_passed", builder=both, tester=None)
    response = both.api().post(advance_url(hotfix), {"stage": "uat_signed_off"}, format="json")
    assert response.status_code == 409
    assert "Four eyes" in response.json()["detail"]
    assert Hotfix.objects.get(pk=hotfix.pk).stage == "regression_passed"


def test_uat_on_the_normal_path_comes_from_a_business_tester(engineer2, lead, champion, make_hotfix):
    hotfix = make_hotfix("regression_passed")
    for persona in (engineer2, lead):
        response = persona.api().post(advance_url(hotfix), {"stage": "uat_signed_off"}, format="json")
        assert response.status_code == 403, persona.user.username
        assert "business tester" in response.json()["detail"]
    assert (
        champion.api().post(advance_url(hotfix), {"stage": "uat_signed_off"}, format="json").status_code
        == 200
    )


def test_the_emergency_path_is_for_sev1_only(engineer, sev3_ticket):
    response = engineer.api().post(
        URL, {"title": "Hurry", "tickets": [sev3_ticket.reference], "emergency": True}, format="json"
    )
    assert response.status_code == 400
    assert "Sev1" in response.json()["emergency"][0]


def test_the_emergency_path_has_the_same_stages_with_uat_by_a_lead(
    engineer, lead, owner, sev1_ticket, make_hotfix
):
    hotfix = make_hotfix(tickets=[sev1_ticket.reference], emergency=True)
    advance_to(hotfix, "regression_passed", builder=engineer, tester=None)
    # Skipping is refused on the emergency path too.
    skip = engineer.api().post(advance_url(hotfix), {"stage": "deployed"}, format="json")
    assert skip.status_code == 409
    # The business tester of the normal path may not sign the shortened UAT: a hypercare lead does.
    refused = owner.api().post(advance_url(hotfix), {"stage": "uat_signed_off"}, format="json")
    assert refused.status_code == 403 and "hypercare lead" in refused.json()["detail"]
    signed = lead.api().post(advance_url(hotfix), {"stage": "uat_signed_off"}, format="json")
    assert signed.status_code == 200
    record = HotfixStage.objects.get(hotfix=hotfix, stage="uat_signed_off")
    assert record.emergency and record.by == lead.user
    assert signed.json()["emergency"] is True


def test_four_eyes_holds_on_the_emergency_path(make_persona, sev1_ticket, make_hotfix):
    lead_engineer = make_persona("lead", "engineer", username="tom")
    hotfix = make_hotfix(tickets=[sev1_ticket.reference], emergency=True)
    advance_to(hotfix, "regression_passed", builder=lead_engineer, tester=None)
    response = lead_engineer.api().post(advance_url(hotfix), {"stage": "uat_signed_off"}, format="json")
    assert response.status_code == 409 and "Four eyes" in response.json()["detail"]


def test_the_emergency_flag_cannot_be_cleared(engineer, lead, sev1_ticket, make_hotfix):
    hotfix = make_hotfix(tickets=[sev1_ticket.reference], emergency=True)
    # The API has no way to change it: the create serializer is the only writer, and the record keeps it.
    response = engineer.api().patch(f"{URL}{hotfix.pk}/", {"emergency": False}, format="json")
    assert response.status_code == 405
    assert Hotfix.objects.get(pk=hotfix.pk).emergency is True


def test_an_unknown_stage_is_a_400(engineer, make_hotfix):
    hotfix = make_hotfix()
    response = engineer.api().post(advance_url(hotfix), {"stage": "production"}, format="json")
    assert response.status_code == 400 and "stage" in response.json()


def test_viewers_sponsors_and_champions_cannot_create_or_build(viewer, sponsor, champion, make_hotfix):
    hotfix = make_hotfix()
    for persona in (viewer, sponsor, champion):
        api = persona.api()
        assert api.post(URL, {"title": "x"}, format="json").status_code == 403
        assert api.post(advance_url(hotfix), {"stage": "dev_sandbox"}, format="json").status_code == 403
        assert api.get(URL).status_code == 200  # every member reads the hotfixes
    assert Hotfix.objects.get(pk=hotfix.pk).stage == ""


def test_a_viewer_cannot_sign_off_uat(viewer, make_hotfix):
    hotfix = make_hotfix("regression_passed")
    assert (
        viewer.api().post(advance_url(hotfix), {"stage": "uat_signed_off"}, format="json").status_code == 403
    )


def test_non_members_get_404(outsider, make_hotfix):
    hotfix = make_hotfix()
    api = outsider.api()
    assert api.get(URL).status_code == 404
    assert api.post(URL, {"title": "x"}, format="json").status_code == 404
    assert api.post(advance_url(hotfix), {"stage": "dev_sandbox"}, format="json").status_code == 404


def test_a_hotfix_of_another_programme_is_404(outsider, make_hotfix, other_programme):
    hotfix = make_hotfix()
    response = outsider.api().post(
        f"/api/v1/programmes/{other_programme.slug}/hotfixes/{hotfix.pk}/advance/",
        {"stage": "dev_sandbox"},
        format="json",
    )
    assert response.status_code == 404


def test_the_list_shows_only_tickets_the_member_may_see(champion, make_hotfix, sev1_ticket, sev3_ticket):
    make_hotfix(tickets=[sev1_ticket.reference, sev3_ticket.reference])
    # The champion reported the Sev1 (Sales); the Sev3 was reported in Finance by someone else.
    rows = champion.api().get(URL).json()["results"]
    assert [t["reference"] for t in rows[0]["tickets"]] == [sev1_ticket.reference]


def test_the_list_runs_in_constant_queries(engineer, make_hotfix, django_assert_num_queries):
    for n in range(6):
        make_hotfix("dev_sandbox" if n % 2 else "", title=f"Fix {n}")
    api = engineer.api()
    # token+user, membership, count, hotfixes (known issue, release, creator joined), tickets, stages
    with django_assert_num_queries(6):
        response = api.get(URL)
    assert response.status_code == 200 and response.json()["count"] == 6


def test_it_refuses_regression_evidence_that_is_not_a_link(engineer, make_hotfix):
    hotfix = make_hotfix("hotfix_sandbox")
    response = engineer.api().post(
        advance_url(hotfix),
        {"stage": "regression_passed", "evidence": {"link": "javascript:alert(1)", "pass_count": 3}},
        format="json",
    )
    assert response.status_code == 400


def test_services_refuse_a_skip_too(engineer, make_hotfix):
    from releases import services

    hotfix = make_hotfix()
    with pytest.raises(services.StageConflict):
        services.hotfix_advance(hotfix=hotfix, stage="regression_passed", by=engineer.user, **REGRESSION)


def test_business_testers_of_the_affected_unit_are_asked_for_uat(make_hotfix, make_persona, owner, engineer):
    from hypercare.models import Notification

    finance = make_persona("champion", username="fin-champion", business_unit="Finance")
    make_persona("champion", username="service-champion", business_unit="Service")
    make_hotfix("regression_passed")  # fixes a Finance ticket
    asked = set(
        Notification.objects.filter(kind="uat_needed", channel="in_app").values_list(
            "recipient__username", flat=True
        )
    )
    # reporter3 (who logged the Finance ticket) is a Finance champion too; the Service champion is not asked.
    assert asked == {finance.user.username, "reporter3", owner.user.username}


def test_the_management_command_sends_a_report_once(programme, sponsor, lead):
    from django.core import mail
    from django.core.management import call_command

    call_command("send_status_reports", programme="acme")
    call_command("send_status_reports", programme="acme")
    assert len(mail.outbox) == 2  # sponsor and lead, once


@pytest.mark.parametrize(
    "body",
    [
        {"stage": "regression_passed", "evidence": {"url": "https://ci.example.com/7", "pass_count": 9}},
        {"stage": "regression_passed", "evidence": "https://ci.example.com/7", "pass_count": 9},
    ],
)
def test_it_accepts_evidence_in_forgiving_shapes(engineer, make_hotfix, body):
    hotfix = make_hotfix("hotfix_sandbox")
    response = engineer.api().post(advance_url(hotfix), body, format="json")
    assert response.status_code == 200, response.content
    record = HotfixStage.objects.get(hotfix=hotfix, stage="regression_passed")
    assert (record.evidence_link, record.pass_count) == ("https://ci.example.com/7", 9)
