"""The import API: POST a tracker's export (202 with the job), GET its state, progress and outcome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from hypercare.models import Notification
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
EXPORTS = Path(__file__).parent / "exports"
URL = "/api/v1/programmes/acme/imports/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def export(name: str, content: bytes | None = None):
    return SimpleUploadedFile(name, content or (EXPORTS / name).read_bytes(), content_type="text/csv")


def post(client, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(URL, data, format="multipart")


def test_a_script_dry_runs_with_the_proposed_mapping_then_commits_it(
    lead, django_capture_on_commit_callbacks, media
):
    client = lead.api()
    dry = post(
        client, django_capture_on_commit_callbacks, file=export("servicenow_incident.csv"), dry_run="true"
    )
    assert dry.status_code == 202, dry.json()
    mapping = dry.json()["mapping"]
    assert (
        mapping["columns"]["status"] == "incident_state"
        and mapping["values"]["severity"]["3 - Medium"] == "3"
    )
    checked = client.get(f"{URL}{dry.json()['id']}/").json()
    assert {k: checked[k] for k in ("state", "progress", "accepted", "refused", "references", "dry_run")} == {
        "state": "done",
        "progress": 100,
        "accepted": 6,
        "refused": [],
        "references": [],
        "dry_run": True,
    }
    assert not Ticket.objects.exists()

    mapping["time_zone"] = "America/Sao_Paulo"
    done = post(
        client,
        django_capture_on_commit_callbacks,
        file=export("servicenow_incident.csv"),
        mapping=json.dumps(mapping),
    )
    assert done.status_code == 202
    body = client.get(f"{URL}{done.json()['id']}/").json()
    assert body["state"] == "done" and body["mapping"]["time_zone"] == "America/Sao_Paulo"
    assert sorted(body["references"]) == sorted(Ticket.objects.values_list("reference", flat=True))
    assert len(body["references"]) == 6
    assert not Notification.objects.exists()
    assert not list(media.rglob("*.csv"))  # the upload is gone once the job ends


def test_refused_rows_say_the_line_and_the_fix_and_nothing_is_stored(
    lead, django_capture_on_commit_callbacks
):
    content = b"Key,Summary,Created,Priority,Status\nK-1,Fine,2026-03-02 09:00,High,Open\nK-2,Odd,2026-03-02 09:00,High,Limbo\n"
    response = post(lead.api(), django_capture_on_commit_callbacks, file=export("odd.csv", content))
    body = lead.api().get(f"{URL}{response.json()['id']}/").json()
    assert body["state"] == "done" and body["accepted"] == 1 and body["references"] == []
    assert body["refused"] == [
        {"line": 3, "reason": "Status: 'Limbo' is not mapped to a status: map it in the values step."}
    ]
    assert not Ticket.objects.exists()


def test_ambiguous_dates_without_an_order_are_refused_naming_the_option(lead):
    content = b"Key,Summary,Created,Priority\nK-1,One,03/04/2026,High\n"
    response = lead.api().post(URL, {"file": export("a.csv", content)}, format="multipart")
    assert response.status_code == 400
    assert "date_order" in response.json() and "day_first or month_first" in response.json()["date_order"][0]


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ("{not json", "mapping"),
        ('{"columns": {"title": "Nope"}}', "title"),
        ('{"time_zone": "Mars/Base"}', "time_zone"),
        ('{"date_order": "year_first"}', "mapping"),
    ],
)
def test_a_bad_mapping_is_a_400_naming_the_field(lead, mapping, field):
    response = lead.api().post(URL, {"file": export("zendesk.csv"), "mapping": mapping}, format="multipart")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_only_leads_import_and_read_imports(lead, desk, outsider, django_capture_on_commit_callbacks):
    created = post(lead.api(), django_capture_on_commit_callbacks, file=export("zendesk.csv"), dry_run="true")
    detail = f"{URL}{created.json()['id']}/"
    assert desk.api().post(URL, {"file": export("zendesk.csv")}, format="multipart").status_code == 403
    assert desk.api().get(detail).status_code == 403
    assert outsider.api().get(detail).status_code == 404
    assert APIClient().get(detail).status_code == 401
    assert lead.api().get(f"{URL}999999/").status_code == 404


def test_the_import_endpoints_are_described_in_the_openapi_schema():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    create = paths["/api/v1/programmes/{slug}/imports/"]["post"]
    assert {"202", "400", "401", "403", "404"} <= set(create["responses"])
    assert "multipart/form-data" in create["requestBody"]["content"]
    read = paths["/api/v1/programmes/{slug}/imports/{id}/"]["get"]
    assert {"200", "401", "403", "404"} <= set(read["responses"])
