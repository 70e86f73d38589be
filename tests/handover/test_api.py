"""GET /api/v1/programmes/{slug}/exit-gate/ and /sign-offs/ (list, create with the password, revoke)."""

import pytest

from handover.models import ExitCriterion, SignOff
from hypercare.models import ProgrammeStatus
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

GATE = "/api/v1/programmes/acme/exit-gate/"
SIGN_OFFS = "/api/v1/programmes/acme/sign-offs/"


def make_green(programme):
    ExitCriterion.objects.of(programme).exclude(kind__in=["open_sev12", "new_sev12", "volume_trend"]).delete()


def test_the_exit_gate_lists_every_criterion_with_status_value_and_threshold(viewer, programme):
    response = viewer.api().get(GATE)
    assert response.status_code == 200
    data = response.json()
    assert data["green"] is False and data["programme"] == "acme"
    assert len(data["criteria"]) == 14
    bau = next(c for c in data["criteria"] if c["kind"] == "bau_share")
    assert bau["status"] == "not_measurable" and bau["value"] is None
    assert bau["threshold"] == "80.0000" and bau["threshold_display"] == "≥ 80% of incoming"
    assert {"test", "evidence_url", "value_display", "window_days"} <= set(bau)
    assert data["pack"]["total"] == 7 and data["kt_phase"] in {
        "project_leads",
        "co_managed",
        "bau_leads",
        "handed_over",
    }


def test_outsiders_get_404_and_anonymous_callers_401(outsider, programme, client):
    assert outsider.api().get(GATE).status_code == 404
    assert outsider.api().get(SIGN_OFFS).status_code == 404
    assert outsider.api().post(SIGN_OFFS, {"password": PASSWORD}, format="json").status_code == 404
    assert client.get(GATE).status_code == 401


def test_a_sponsor_signs_through_the_api_with_the_password(sponsor, programme):
    make_green(programme)
    api = sponsor.api()
    assert api.post(SIGN_OFFS, {}, format="json").status_code == 400
    wrong = api.post(SIGN_OFFS, {"password": "nope"}, format="json")
    assert wrong.status_code == 400 and "password" in wrong.json()
    response = api.post(SIGN_OFFS, {"password": PASSWORD}, format="json", REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 201
    body = response.json()
    assert body["signatory"] == "sponsor" and body["gate_green"] is True and body["hash_verified"] is True
    assert body["ip_address"] == "192.0.2.9" and len(body["content_hash"]) == 64
    assert "password" not in body
    listed = api.get(SIGN_OFFS).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]


def test_signing_while_not_green_needs_justifications_in_the_body(owner, programme):
    api = owner.api()
    response = api.post(SIGN_OFFS, {"password": PASSWORD}, format="json")
    assert response.status_code == 400 and "justifications" in response.json()
    failing = [c for c in api.get(GATE).json()["criteria"] if c["status"] != "pass"]
    justifications = {str(c["id"]): "Accepted by the steering committee" for c in failing}
    response = api.post(SIGN_OFFS, {"password": PASSWORD, "justifications": justifications}, format="json")
    assert response.status_code == 201 and response.json()["gate_green"] is False
    assert response.json()["justifications"] == justifications


@pytest.mark.parametrize("persona", ["lead", "desk", "bau", "viewer", "champion", "engineer"])
def test_only_signatories_can_sign_through_the_api(request, persona, programme):
    make_green(programme)
    member = request.getfixturevalue(persona)
    assert member.api().post(SIGN_OFFS, {"password": PASSWORD}, format="json").status_code == 403
    assert not SignOff.objects.exists()


def test_sign_offs_have_no_update_or_delete_in_the_api(sponsor, programme):
    make_green(programme)
    api = sponsor.api()
    record = api.post(SIGN_OFFS, {"password": PASSWORD}, format="json").json()
    detail = f"{SIGN_OFFS}{record['id']}/"
    assert api.get(detail).status_code == 200
    assert api.put(detail, {"gate_green": False}, format="json").status_code == 405
    assert api.patch(detail, {"reason": "x"}, format="json").status_code == 405
    assert api.delete(detail).status_code == 405
    assert SignOff.objects.get(pk=record["id"]).gate_green is True


def test_revoking_through_the_api_adds_a_record_and_reopens_the_review(sponsor, owner, programme):
    make_green(programme)
    signed = sponsor.api().post(SIGN_OFFS, {"password": PASSWORD}, format="json").json()
    owner.api().post(SIGN_OFFS, {"password": PASSWORD}, format="json")
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.CLOSED
    revoke = f"{SIGN_OFFS}{signed['id']}/revoke/"
    assert owner.api().post(revoke, {"password": PASSWORD, "reason": "x"}, format="json").status_code == 403
    assert sponsor.api().post(revoke, {"password": "bad", "reason": "x"}, format="json").status_code == 400
    response = sponsor.api().post(
        revoke, {"password": PASSWORD, "reason": "Sev1 after signing"}, format="json"
    )
    assert response.status_code == 201 and response.json()["revokes"] == signed["id"]
    programme.refresh_from_db()
    assert programme.status == ProgrammeStatus.EXIT_REVIEW
    original = sponsor.api().get(f"{SIGN_OFFS}{signed['id']}/").json()
    assert original["revoked"] is True and original["hash_verified"] is True


def test_wrong_sign_off_passwords_count_towards_the_login_throttle(sponsor, programme):
    from django.conf import settings

    make_green(programme)
    api = sponsor.api()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        expected = 429 if attempt == settings.AXES_FAILURE_LIMIT - 1 else 400  # the last one locks out
        assert api.post(SIGN_OFFS, {"password": "guess"}, format="json").status_code == expected
    # Locked out now: even the right password no longer signs.
    assert api.post(SIGN_OFFS, {"password": PASSWORD}, format="json").status_code == 429
    assert not SignOff.objects.exists()


def test_a_locked_out_sign_off_answers_json_429_with_when_to_retry(sponsor, programme):
    """Five wrong passwords lock the signatory out; the API says so in JSON, never an HTML page."""
    make_green(programme)
    api = sponsor.api()
    for _ in range(5):
        api.post(SIGN_OFFS, {"password": "nope"}, format="json", REMOTE_ADDR="192.0.2.44")
    response = api.post(SIGN_OFFS, {"password": PASSWORD}, format="json", REMOTE_ADDR="192.0.2.44")
    assert response.status_code == 429 and response["Content-Type"] == "application/json"
    assert "Too many failed attempts" in response.json()["detail"] and int(response["Retry-After"]) > 0
    assert not SignOff.objects.filter(programme=programme).exists()
