"""The import wizard in the browser's terms: upload, map, values, dry run, commit (leads only)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tickets.imports import TARGETS
from tickets.models import Ticket, TicketImport

pytestmark = pytest.mark.django_db

GOOD = (
    "Issue key,Summary,Priority,Status,Created,Resolved,Issue Type\n"
    "HC-1,Quote totals wrong,Highest,Done,2026-03-02 09:30,2026-03-02 13:00,Bug\n"
    "HC-2,How do I clone a quote?,Low,Open,2026-03-03 10:00,,Question\n"
)
BAD = GOOD + "HC-3,,Low,Open,2026-03-03 10:00,,Question\nHC-4,Odd one,Meh,Open,someday,,Bug\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def url(name: str) -> str:
    return reverse(f"tickets:{name}", args=["acme"])


def job_url(job) -> str:
    return reverse("tickets:import_job", args=["acme", job.pk])


def upload(client, content: str, name: str = "jira.csv"):
    return client.post(
        url("import"), {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv")}
    )


def mapping_post(client, **changes):
    """Submit the mapping step as the page proposes it, with `changes`."""
    form = client.get(url("import_map")).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, [])}
    data.update(changes)
    return client.post(url("import_map"), data)


def values_post(client, **changes):
    form = client.get(url("import_values")).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(changes)
    return client.post(url("import_values"), data)


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead.user)
    return client


def test_a_lead_imports_a_file_step_by_step(lead_client, media, django_capture_on_commit_callbacks):
    response = upload(lead_client, GOOD)
    assert response.status_code == 302 and response["Location"] == url("import_map")
    page = lead_client.get(url("import_map"))
    assert page.status_code == 200
    assert "Quote totals wrong" in page.content.decode()  # the first rows are shown
    assert page.context["form"]["title"].value() == "Summary"  # the obvious columns are proposed

    assert mapping_post(lead_client)["Location"] == url("import_values")
    values = lead_client.get(url("import_values"))
    assert values.context["form"]["severity-0"].value() == "1"  # Highest
    assert values_post(lead_client)["Location"] == url("import_preview")

    preview = lead_client.get(url("import_preview"))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "All 2 rows can be read" in html
    assert preview.context["ignored"] == []
    with django_capture_on_commit_callbacks(execute=True):
        dry = lead_client.post(url("import_dry_run"), {"plan": preview.context["signed_plan"]})
    job = TicketImport.objects.get()
    assert dry.status_code == 302 and dry["Location"] == job_url(job)
    page = lead_client.get(job_url(job))
    assert "The dry run passed: all 2 rows can be imported." in page.content.decode()
    assert not Ticket.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        committed = lead_client.post(url("import_commit"), {"plan": page.context["signed_plan"]})
    job = TicketImport.objects.get(dry_run=False)
    assert committed.status_code == 302 and committed["Location"] == job_url(job)
    done = lead_client.get(job_url(job)).content.decode()
    assert "Imported 2 tickets: ACME-1 to ACME-2." in done
    assert list(Ticket.objects.order_by("number").values_list("source_reference", "status")) == [
        ("HC-1", "resolved"),
        ("HC-2", "new"),
    ]
    assert not list(media.rglob("*.csv"))  # the uploaded file is gone
    assert "ticket-import:acme" not in lead_client.session


def test_the_job_page_polls_while_the_job_runs(lead_client, lead, programme):
    job = TicketImport.objects.create(
        programme=programme, created_by=lead.user, created_at=timezone.now(), file="x.csv", state="running"
    )
    page = lead_client.get(job_url(job)).content.decode()
    assert 'hx-trigger="every 1s"' in page and f'href="{job_url(job)}"' in page and "<progress" in page
    partial = lead_client.get(job_url(job), headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section class="card" id="import-progress"')


def test_the_dry_run_page_lists_every_bad_row_and_offers_no_import(lead_client):
    upload(lead_client, BAD)
    mapping_post(lead_client)
    values_post(lead_client)
    preview = lead_client.get(url("import_preview"))
    html = preview.content.decode()
    assert "2 bad rows" in html
    errors = [(error.line, error.field) for error in preview.context["plan"].errors]
    assert errors == [(4, "title"), (5, "severity"), (5, "reported_at")]
    assert "&#x27;Meh&#x27; is not mapped to a severity: map it in the values step." in html
    assert url("import_dry_run") not in html


def test_a_commit_with_bad_rows_stores_nothing(lead_client, django_capture_on_commit_callbacks):
    upload(lead_client, GOOD)
    mapping_post(lead_client)
    values_post(lead_client)
    signed = lead_client.get(url("import_preview")).context["signed_plan"]
    # The lead re-maps the severities to nothing after the check: the signed plan no longer matches.
    values_post(lead_client, **{"severity-0": ""})
    response = lead_client.post(url("import_commit"), {"plan": signed})
    assert response.status_code == 302 and response["Location"] == url("import")
    assert not Ticket.objects.exists()
    # A fresh check shows the problem; committing it anyway is refused with the rows and their fix.
    signed = lead_client.get(url("import_preview")).context["signed_plan"]
    with django_capture_on_commit_callbacks(execute=True):
        lead_client.post(url("import_commit"), {"plan": signed})
    job = TicketImport.objects.get()
    assert job.refused == [
        {"line": 2, "reason": "Severity: 'Highest' is not mapped to a severity: map it in the values step."}
    ]
    assert "Nothing was stored" in lead_client.get(job_url(job)).content.decode()
    assert not Ticket.objects.exists()


def test_a_saved_mapping_is_proposed_for_the_next_file_of_that_tracker(lead_client):
    upload(lead_client, GOOD)
    mapping_post(lead_client, description="Issue Type", category="")
    values_post(lead_client)
    saved = lead_client.post(url("import_save_mapping"))
    assert saved.status_code == 302
    upload(lead_client, GOOD.replace("HC-", "HD-"))
    form = lead_client.get(url("import_map")).context["form"]
    assert form["description"].value() == "Issue Type" and not form["category"].value()


def test_a_forged_plan_is_refused(lead_client):
    upload(lead_client, GOOD)
    response = lead_client.post(url("import_commit"), {"plan": "forged"})
    assert response.status_code == 302 and response["Location"] == url("import")
    assert not Ticket.objects.exists()


def test_the_mapping_step_names_missing_columns(lead_client):
    upload(lead_client, GOOD)
    response = mapping_post(lead_client, title="", description="Created")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["title"] == ["Choose the column that holds the title."]
    assert form.errors["reported_at"] == ["'Created' is already mapped to description: map each column once."]


def test_a_bad_file_is_refused_at_upload_with_the_line(lead_client):
    response = upload(lead_client, 'Summary,Created\n"open quote,2026-03-02\n')
    assert response.status_code == 200
    assert "Line 2" in response.context["form"].errors["file"][0]


def test_steps_without_an_upload_send_the_lead_back(lead_client):
    for step in ("import_map", "import_values", "import_preview"):
        response = lead_client.get(url(step))
        assert response.status_code == 302 and response["Location"] == url("import")


def test_cancel_forgets_the_file(lead_client, media):
    upload(lead_client, GOOD)
    assert list(media.rglob("*.csv"))
    assert lead_client.post(url("import_cancel")).status_code == 302
    assert not list(media.rglob("*.csv"))
    assert lead_client.get(url("import_map")).status_code == 302


@pytest.mark.parametrize("role", ["champion", "desk", "engineer", "sponsor", "owner", "bau", "viewer"])
def test_only_leads_use_the_wizard(client, request, role):
    persona = request.getfixturevalue(role)
    client.force_login(persona.user)
    assert client.get(url("import")).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert client.post(url("import_commit"), {"plan": "x"}).status_code == 403


def test_outsiders_get_404_and_anonymous_users_log_in(client, outsider):
    assert client.get(url("import"))["Location"].startswith("/accounts/login/")
    client.force_login(outsider.user)
    assert client.get(url("import")).status_code == 404


def test_the_commit_is_post_only(lead_client):
    assert lead_client.get(url("import_commit")).status_code == 405
    assert lead_client.get(url("import_cancel")).status_code == 405


def test_every_target_field_is_offered(lead_client):
    upload(lead_client, GOOD)
    form = lead_client.get(url("import_map")).context["form"]
    assert {target.name for target in TARGETS} <= set(form.fields)
