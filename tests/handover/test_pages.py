"""The handover pages for each role: what they show, who may change what, and 404 for outsiders."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from handover.criteria import criterion_threshold
from handover.models import (
    Attestation,
    CriterionKind,
    ExitCriterion,
    HandoverItem,
    ItemStatus,
    KtPhase,
    PhaseKind,
    Runbook,
    SignOff,
)
from hypercare.models import ProgrammeStatus
from metrics.models import KpiThreshold
from tests.factories import PASSWORD, KnownIssueFactory
from tests.handover.factories import ticket

pytestmark = pytest.mark.django_db


def url(name, *args, slug="acme"):
    return reverse(f"handover:{name}", args=[slug, *args])


def criterion(programme, kind):
    return ExitCriterion.objects.get(programme=programme, kind=kind)


def first_item(programme):
    return HandoverItem.objects.of(programme).first()


def test_every_member_sees_the_exit_gate_with_each_criterion(client, viewer, programme):
    client.force_login(viewer.user)
    response = client.get(url("exit_gate"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "The gate is not green" in body
    for c in ExitCriterion.objects.of(programme):
        assert c.title in body
    assert "Least-squares slope" in body  # the exact volume test is stated on the page
    assert "Days in hypercare" in body and "Handover pack" in body and "Forecast" in body
    assert "Edit criteria" not in body and 'id="sign-form"' not in body


def test_the_exit_gate_partial_is_served_to_htmx(client, lead):
    client.force_login(lead.user)
    response = client.get(url("exit_gate"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="criteria">') and "<html" not in body


def test_a_non_member_gets_404_on_every_handover_page(client, outsider, programme):
    item = first_item(programme)
    c = criterion(programme, CriterionKind.MONTH_END_CLOSE)
    client.force_login(outsider.user)
    names = _handover_names()
    assert len(names) >= 20
    for name in names:
        pk = {"criterion_edit": c.pk, "criterion_remove": c.pk, "criterion_attest": c.pk}.get(name, item.pk)
        target = url(name, pk) if name in _WITH_PK else url(name)
        method = client.post if name in _POST_ONLY else client.get
        assert method(target).status_code == 404, name


_WITH_PK = {
    "criterion_edit",
    "criterion_remove",
    "criterion_attest",
    "attestation_evidence",
    "item",
    "item_document",
    "item_download",
    "item_submit",
    "item_decide",
    "item_remove",
    "runbook",
    "runbook_publish",
    "sign_off_detail",
    "weekly_report",
    "sign_off_revoke",
}
_POST_ONLY = {
    "criterion_edit",
    "criterion_remove",
    "item_document",
    "item_submit",
    "item_decide",
    "item_remove",
    "runbook_publish",
    "sign_off_revoke",
}


def _handover_names():
    from handover.urls import urlpatterns

    return [p.name for p in urlpatterns]


def test_anonymous_visitors_are_sent_to_login(client, programme):
    response = client.get(url("exit_gate"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# Criteria: leads edit ----------------------------------------------------------------------------


def test_a_lead_changes_a_threshold_and_picks_the_seed_002_variant(client, lead, programme):
    client.force_login(lead.user)
    bau = criterion(programme, CriterionKind.BAU_SHARE)
    response = client.post(
        url("criterion_edit", bau.pk),
        {f"c{bau.pk}-title": "BAU handles 75%", f"c{bau.pk}-threshold": "75", f"c{bau.pk}-window_days": "14"},
    )
    assert response.status_code == 302
    bau.refresh_from_db()
    assert (bau.title, float(criterion_threshold(bau)), bau.window_days) == ("BAU handles 75%", 75.0, 14)
    # The BAU share is a scorecard figure: its threshold is the KPI's green boundary, changed for both.
    assert KpiThreshold.objects.get(programme=programme, kpi="bau_share").green == 75
    sev = criterion(programme, CriterionKind.OPEN_SEV12)
    client.post(
        url("criterion_edit", sev.pk),
        {f"c{sev.pk}-title": sev.title, f"c{sev.pk}-variant": "cap", f"c{sev.pk}-sev2_cap": "3"},
    )
    sev.refresh_from_db()
    assert int(sev.threshold) == 3
    page = client.get(url("exit_gate")).content.decode()
    assert "at most 3 open Sev2" in page


def test_the_seed_002_variant_needs_a_cap(client, lead, programme):
    client.force_login(lead.user)
    sev = criterion(programme, CriterionKind.OPEN_SEV12)
    response = client.post(
        url("criterion_edit", sev.pk), {f"c{sev.pk}-title": sev.title, f"c{sev.pk}-variant": "cap"}
    )
    assert response.status_code == 400 and "Give the cap" in response.content.decode()


def test_a_lead_adds_and_removes_criteria(client, lead, programme):
    client.force_login(lead.user)
    response = client.post(url("criteria"), {"add-kind": "attestation", "add-title": "Hotfix path rehearsed"})
    assert response.status_code == 302
    added = ExitCriterion.objects.get(programme=programme, title="Hotfix path rehearsed")
    assert client.post(url("criterion_remove", added.pk)).status_code == 302
    assert not ExitCriterion.objects.filter(pk=added.pk).exists()


def test_a_bad_threshold_names_the_field_and_saves_nothing(client, lead, programme):
    client.force_login(lead.user)
    bau = criterion(programme, CriterionKind.BAU_SHARE)
    response = client.post(
        url("criterion_edit", bau.pk), {f"c{bau.pk}-title": "x", f"c{bau.pk}-threshold": "-5"}
    )
    assert response.status_code == 400
    bau.refresh_from_db()
    assert float(criterion_threshold(bau)) == 80


@pytest.mark.parametrize("persona", ["desk", "sponsor", "owner", "viewer", "champion", "bau"])
def test_only_leads_change_criteria(client, request, persona, programme):
    member = request.getfixturevalue(persona)
    client.force_login(member.user)
    bau = criterion(programme, CriterionKind.BAU_SHARE)
    assert (
        client.post(
            url("criterion_edit", bau.pk), {f"c{bau.pk}-title": "x", f"c{bau.pk}-threshold": "1"}
        ).status_code
        == 403
    )
    assert client.post(url("criterion_remove", bau.pk)).status_code == 403
    assert client.post(url("criteria"), {"add-kind": "attestation", "add-title": "x"}).status_code == 403
    bau.refresh_from_db()
    assert float(criterion_threshold(bau)) == 80


def test_the_owner_attests_the_month_end_close_with_a_file(client, owner, programme, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner.user)
    c = criterion(programme, CriterionKind.MONTH_END_CLOSE)
    upload = SimpleUploadedFile("close-report.pdf", b"%PDF-1.4 close report", content_type="application/pdf")
    response = client.post(
        url("criterion_attest", c.pk), {"outcome": "pass", "note": "Clean.", "evidence_file": upload}
    )
    assert response.status_code == 302
    attestation = Attestation.objects.get(criterion=c)
    assert attestation.by == owner.user and attestation.evidence_name == "close-report.pdf"
    download = client.get(url("attestation_evidence", attestation.pk))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 close report"


def test_an_attestation_needs_evidence_and_an_attester_role(client, owner, desk, programme):
    c = criterion(programme, CriterionKind.MONTH_END_CLOSE)
    client.force_login(owner.user)
    response = client.post(url("criterion_attest", c.pk), {"outcome": "pass", "note": "Clean."})
    assert response.status_code == 200 and "Give a link to the evidence" in response.content.decode()
    client.force_login(desk.user)
    assert (
        client.post(
            url("criterion_attest", c.pk), {"outcome": "pass", "note": "x", "evidence_url": "https://e.x"}
        ).status_code
        == 403
    )
    assert not Attestation.objects.exists()


# The handover pack -------------------------------------------------------------------------------


def test_the_pack_workflow_from_missing_to_accepted(
    client, lead, owner, engineer, programme, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(programme)
    client.force_login(lead.user)
    response = client.post(
        url("item", item.pk), {"title": item.title, "owner": engineer.user.pk, "due_date": "2026-04-01"}
    )
    assert response.status_code == 302
    client.force_login(engineer.user)  # the owner supplies the document and submits it
    upload = SimpleUploadedFile("adr.md", b"# ADR 1", content_type="text/markdown")
    assert client.post(url("item_document", item.pk), {"document": upload}).status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.DRAFT and item.document_name == "adr.md"
    assert client.post(url("item_submit", item.pk)).status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.SUBMITTED
    assert client.post(url("item_decide", item.pk), {"decision": "accept"}).status_code == 403
    client.force_login(owner.user)
    response = client.post(url("item_decide", item.pk), {"decision": "reject"})
    assert response.status_code == 400 and "Say why" in response.content.decode()
    assert (
        client.post(
            url("item_decide", item.pk), {"decision": "reject", "reason": "No ERD links."}
        ).status_code
        == 302
    )
    item.refresh_from_db()
    assert item.status == ItemStatus.REJECTED and item.rejection_reason == "No ERD links."
    client.force_login(engineer.user)
    client.post(url("item_document", item.pk), {"link": "https://docs.example.com/adr"})
    client.post(url("item_submit", item.pk))
    client.force_login(owner.user)
    response = client.post(
        url("item_decide", item.pk), {"decision": "accept"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and 'id="item-status"' in response.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.ACCEPTED and item.decided_by == owner.user
    page = client.get(url("pack")).content.decode()
    assert "1 of 7" in page and "Accepted" in page


@pytest.mark.parametrize("persona", ["lead", "bau", "sponsor", "desk", "champion"])
def test_only_the_operational_owner_or_a_bau_lead_accepts(client, request, persona, programme, bau_lead):
    item = first_item(programme)
    HandoverItem.objects.filter(pk=item.pk).update(status=ItemStatus.SUBMITTED, link="https://e.x/doc")
    member = request.getfixturevalue(persona)
    client.force_login(member.user)
    assert client.post(url("item_decide", item.pk), {"decision": "accept"}).status_code == 403
    client.force_login(bau_lead.user)
    assert client.post(url("item_decide", item.pk), {"decision": "accept"}).status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.ACCEPTED


def test_someone_elses_item_cannot_be_supplied_or_submitted(client, desk, engineer, programme):
    item = first_item(programme)
    HandoverItem.objects.filter(pk=item.pk).update(owner=engineer.user)
    client.force_login(desk.user)
    assert client.post(url("item_document", item.pk), {"link": "https://e.x"}).status_code == 403
    assert client.post(url("item_submit", item.pk)).status_code == 403


def test_a_lead_adds_an_item_with_an_owner_and_due_date(client, lead, bau, programme):
    client.force_login(lead.user)
    response = client.post(
        url("pack"),
        {
            "new-title": "Licence inventory",
            "new-kind": "other",
            "new-owner": bau.user.pk,
            "new-due_date": "2026-04-10",
        },
    )
    assert response.status_code == 302
    item = HandoverItem.objects.get(programme=programme, title="Licence inventory")
    assert item.owner == bau.user and str(item.due_date) == "2026-04-10"


# Runbooks and knowledge transfer -----------------------------------------------------------------


def test_a_runbook_is_drafted_from_a_known_issues_resolved_tickets(client, desk, programme):
    from datetime import timedelta

    from tests.handover.factories import AT

    issue = KnownIssueFactory(
        programme=programme, title="Opportunity save lock", workaround="Retry after a minute."
    )
    ticket(programme, reported_at=AT - timedelta(days=3), status="resolved", known_issue=issue,
           resolution="Cleared the record lock held by the nightly batch.", resolved_at_tier=3)  # fmt: skip
    ticket(programme, reported_at=AT - timedelta(days=2), status="closed", known_issue=issue,
           resolution="Cleared the record lock held by the nightly batch.")  # fmt: skip
    ticket(programme, reported_at=AT - timedelta(days=1), status="new", known_issue=issue)
    client.force_login(desk.user)
    page = client.get(url("runbooks")).content.decode()
    assert "Opportunity save lock" in page
    response = client.post(url("runbooks"), {"known_issue": issue.pk})
    runbook = Runbook.objects.get(programme=programme)
    assert response.status_code == 302 and response.url == url("runbook", runbook.pk)
    assert runbook.workaround == "Retry after a minute."
    assert runbook.steps.count("Cleared the record lock") == 1 and "resolved at Tier 3" in runbook.steps
    assert runbook.tickets.count() == 2 and runbook.item.kind == "runbooks"
    response = client.post(
        url("runbook", runbook.pk), {"title": "Lock on save", "steps": "1. Find the batch.\n2. Clear it."}
    )
    runbook.refresh_from_db()
    assert runbook.title == "Lock on save"


def test_a_runbook_names_unknown_or_unresolved_tickets(client, desk, programme):
    from tests.handover.factories import AT

    ticket(programme, reported_at=AT, status="new", reference="ACME-900", number=900)
    client.force_login(desk.user)
    response = client.post(url("runbooks"), {"tickets": "ACME-900, ACME-999"})
    assert response.status_code == 400
    assert "ACME-999" in response.content.decode()
    response = client.post(url("runbooks"), {"tickets": "ACME-900"})
    assert "no resolution yet: ACME-900" in response.content.decode()
    assert not Runbook.objects.exists()


def test_champions_and_viewers_do_not_write_runbooks(client, champion, viewer, programme):
    for member in (champion, viewer):
        client.force_login(member.user)
        assert client.post(url("runbooks"), {"tickets": "ACME-1"}).status_code == 403


def test_kt_phases_show_the_bau_share_measured_in_each(client, lead, programme):
    from datetime import UTC, datetime

    ticket(programme, reported_at=datetime(2026, 3, 4, 10, tzinfo=UTC), team="project")
    ticket(programme, reported_at=datetime(2026, 3, 4, 11, tzinfo=UTC), team="bau")
    ticket(programme, reported_at=datetime(2026, 3, 12, 11, tzinfo=UTC), team="bau")
    ticket(programme, reported_at=datetime(2026, 3, 12, 11, 30, tzinfo=UTC), team="bau")
    ticket(programme, reported_at=datetime(2026, 3, 12, 12, tzinfo=UTC), team="")  # unassigned: counts
    client.force_login(lead.user)
    body = client.get(url("kt")).content.decode()
    assert "50.0%" in body and "66.7%" in body
    response = client.post(
        url("kt"),
        {
            "project_leads": "2026-03-02",
            "co_managed": "2026-03-05",
            "bau_leads": "2026-03-20",
            "handed_over": "2026-04-13",
        },
    )
    assert response.status_code == 302
    assert KtPhase.objects.get(programme=programme, phase=PhaseKind.CO_MANAGED).starts_on.day == 5
    response = client.post(
        url("kt"),
        {
            "project_leads": "2026-03-02",
            "co_managed": "2026-03-25",
            "bau_leads": "2026-03-20",
            "handed_over": "2026-04-13",
        },
    )
    assert response.status_code == 400 and "must start after" in response.content.decode()


def test_only_leads_plan_knowledge_transfer(client, owner, programme):
    client.force_login(owner.user)
    response = client.post(
        url("kt"),
        {
            "project_leads": "2026-03-02",
            "co_managed": "2026-03-05",
            "bau_leads": "2026-03-20",
            "handed_over": "2026-04-13",
        },
    )
    assert response.status_code == 403


# Sign-off pages ----------------------------------------------------------------------------------


def test_the_sponsor_signs_in_the_page_with_justifications_and_the_password(client, sponsor, programme):
    client.force_login(sponsor.user)
    page = client.get(url("sign_off"))
    assert 'id="sign-form"' in page.content.decode()
    failing = [name for name in page.context["form"].fields if name.startswith("justify_")]
    assert failing
    response = client.post(url("sign_off"), {"password": "wrong", **dict.fromkeys(failing, "Accepted")})
    assert response.status_code == 400 and "not your password" in response.content.decode()
    response = client.post(url("sign_off"), {"password": PASSWORD}, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    response = client.post(
        url("sign_off"),
        {"password": PASSWORD, **dict.fromkeys(failing, "Risk accepted by the board")},
        REMOTE_ADDR="198.51.100.4",
    )
    record = SignOff.objects.get()
    assert response.status_code == 302 and response.url == url("sign_off_detail", record.pk)
    assert str(record.ip_address) == "198.51.100.4" and not record.gate_green
    detail = client.get(response.url).content.decode()
    assert (
        "not green" in detail
        and "Risk accepted by the board" in detail
        and "content matches the hash" in detail
    )
    report = client.get(url("exit_report")).content.decode()
    assert "signed while not green" in report and "Risk accepted by the board" in report
    assert client.get(url("exit_report_pdf")).status_code == 200


@pytest.mark.parametrize("persona", ["lead", "desk", "bau", "viewer", "champion"])
def test_non_signatories_get_no_sign_form_and_cannot_post(client, request, persona, programme):
    member = request.getfixturevalue(persona)
    client.force_login(member.user)
    assert 'id="sign-form"' not in client.get(url("sign_off")).content.decode()
    assert client.post(url("sign_off"), {"password": PASSWORD}).status_code == 403
    assert not SignOff.objects.exists()


def test_there_is_no_page_to_edit_or_delete_a_sign_off(client, sponsor, programme):
    from handover import services
    from tests.handover.factories import access_of

    ExitCriterion.objects.of(programme).exclude(kind__in=["open_sev12", "new_sev12", "volume_trend"]).delete()
    record = services.signoff_create(access=access_of(sponsor), password=PASSWORD)
    client.force_login(sponsor.user)
    detail = url("sign_off_detail", record.pk)
    assert client.post(detail, {"gate_green": "false"}).status_code == 405
    assert client.delete(detail).status_code == 405
    assert client.put(detail).status_code == 405
    assert not [p for p in _handover_names() if "edit" in p and "sign" in p or "delete" in p]


def test_the_programme_closes_and_the_celebration_lists_achievements(client, sponsor, owner, programme):
    ExitCriterion.objects.of(programme).exclude(kind__in=["open_sev12", "new_sev12", "volume_trend"]).delete()
    from datetime import timedelta

    from tests.handover.factories import AT

    ticket(
        programme,
        reported_at=AT - timedelta(days=9),
        status="resolved",
        severity=2,
        resolved_at_tier=1,
        team="bau",
    )
    client.force_login(sponsor.user)
    assert client.get(url("celebration")).status_code == 302  # not yet
    client.post(url("sign_off"), {"password": PASSWORD})
    client.force_login(owner.user)
    response = client.post(url("sign_off"), {"password": PASSWORD})
    assert response.status_code == 302 and response.url == url("celebration")
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.CLOSED
    page = client.get(url("celebration")).content.decode()
    assert "hypercare is complete" in page and "runbook" in page and "Sev1/Sev2 issues fixed" in page


def test_a_signatory_revokes_with_the_password_and_a_reason(client, sponsor, programme):
    from handover import services
    from tests.handover.factories import access_of

    ExitCriterion.objects.of(programme).exclude(kind__in=["open_sev12", "new_sev12", "volume_trend"]).delete()
    record = services.signoff_create(access=access_of(sponsor), password=PASSWORD)
    client.force_login(sponsor.user)
    response = client.post(url("sign_off_revoke", record.pk), {"reason": "", "password": PASSWORD})
    assert response.status_code == 400
    response = client.post(url("sign_off_revoke", record.pk), {"reason": "New Sev1.", "password": PASSWORD})
    assert response.status_code == 302
    assert SignOff.objects.filter(kind="revocation", revokes=record).exists()
    assert "Revoked on" in client.get(url("sign_off_detail", record.pk)).content.decode()


# The exit report ---------------------------------------------------------------------------------


def test_the_exit_report_prints_as_html_and_downloads_as_pdf(client, lead, programme):
    from datetime import timedelta

    from tests.handover.factories import AT

    ticket(
        programme, reported_at=AT - timedelta(days=3), status="resolved", resolved_at=AT - timedelta(days=2)
    )
    client.force_login(lead.user)
    page = client.get(url("exit_report"))
    body = page.content.decode()
    for heading in (
        "Timeline",
        "Burn-up",
        "SLA compliance",
        "Adoption scorecard",
        "Exit criteria",
        "Handover pack",
        "Sign-offs",
    ):
        assert f"<h2>{heading}</h2>" in body, heading
    assert "<polyline" in body
    pdf = client.get(url("exit_report_pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 2000


def test_user_text_is_escaped(client, lead, programme):
    ExitCriterion.objects.filter(programme=programme, kind="bau_share").update(
        title="<script>alert(1)</script>"
    )
    client.force_login(lead.user)
    body = client.get(url("exit_gate")).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
