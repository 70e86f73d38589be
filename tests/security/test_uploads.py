"""Uploads: size and count limits, type checked by content, served only as access-checked downloads."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver

from handover import services as handover
from tests.security.access_matrix import MATRIX
from tests.security.probe import body_text, url_for
from tests.security.routes import inventory
from tests.security.world import PDF, PNG, uploaded
from tickets import services as tickets
from tickets.models import Attachment

# Routes that hand out stored files (user uploads): each must be a download, never inline.
FILE_ROUTES = (
    "tickets:attachment",
    "handover:attestation_evidence",
    "handover:item_download",
    "releases:hotfix_report",
    "intake:mail_raw",  # a mail that failed, kept raw for the leads
)


@pytest.fixture
def lead_client(world):
    client = Client()
    client.force_login(world.a.user("lead"))
    return client


def _attach(client, world, name, content, *, api=False):
    ref = world.a.objects["ticket"].reference
    slug = world.a.programme.slug
    if api:
        from rest_framework.test import APIClient

        api_client = APIClient()
        api_client.force_authenticate(world.a.user("desk"))
        return api_client.post(
            f"/api/v1/programmes/{slug}/tickets/{ref}/attachments/",
            {"file": uploaded(name, content)},
            format="multipart",
        )
    return client.post(f"/p/{slug}/tickets/{ref}/attach/", {"file": uploaded(name, content)})


def test_every_stored_file_is_served_as_a_download_with_nosniff(world, lead_client):
    for name in FILE_ROUTES:
        route = inventory()[name][0]
        url = url_for(name, route.params, world.a, MATRIX[name].obj)
        response = lead_client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"].startswith("attachment"), url
        assert response["X-Content-Type-Options"] == "nosniff", url
        content_type = response["Content-Type"]
        assert not content_type.startswith(("text/html", "image/svg", "text/xml", "application/xhtml")), url
        body_text(response)


def test_the_file_routes_are_the_only_ones_handing_out_stored_files(world, lead_client):
    """Every readable page that streams a file is in FILE_ROUTES or is a generated export."""
    generated = {"tickets:export", "metrics:chart_csv", "handover:exit_report_pdf", "hypercare:audit_csv"}
    for name, routes in inventory().items():
        entry = MATRIX.get(name)
        if entry is None or entry.kind != "page" or "GET" not in entry.methods:
            continue
        response = lead_client.get(url_for(name, routes[0].params, world.a, entry.obj))
        if "attachment" in response.get("Content-Disposition", ""):
            assert name in FILE_ROUTES or name in generated, name


def test_no_url_serves_the_media_folder(world, lead_client):
    attachment = world.a.objects["attachment"]
    assert attachment.file.name
    for client in (lead_client, Client()):
        assert client.get(f"/media/{attachment.file.name}").status_code == 404
    patterns = [str(p.pattern) for p in get_resolver().url_patterns]
    assert not any(p.startswith("media") for p in patterns)


def test_internal_attachments_are_hidden_from_those_who_may_not_see_internal_notes(world):
    attachment = world.a.objects["internal_attachment"]
    ref = world.a.objects["ticket"].reference
    url = f"/p/{world.a.programme.slug}/tickets/{ref}/attachments/{attachment.pk}/"
    for role, status in (("champion", 404), ("sponsor", 404), ("viewer", 404), ("desk", 200)):
        client = Client()
        client.force_login(world.a.user(role))
        assert client.get(url).status_code == status, role


@pytest.mark.parametrize("api", [False, True])
def test_attachments_are_typed_by_content_not_by_name(world, lead_client, api):
    before = Attachment.objects.count()
    for name, content in (
        ("screenshot.png", b"<html><script>alert(1)</script></html>"),  # HTML posing as a PNG
        ("page.html", b"<html><body>hello</body></html>"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("notes.txt", b"\x00\x01binary\x00"),
    ):
        response = _attach(lead_client, world, name, content, api=api)
        assert response.status_code in (200, 400), (name, response.status_code)
        assert "not a file type we accept" in body_text(response), name
    assert Attachment.objects.count() == before
    assert _attach(lead_client, world, "real.png", PNG, api=api).status_code in (200, 201, 302)
    assert Attachment.objects.get(original_name="real.png").content_type == "image/png"


def test_attachments_have_a_size_limit(world, lead_client, monkeypatch):
    monkeypatch.setattr(tickets, "MAX_ATTACHMENT_BYTES", 1024)
    before = Attachment.objects.count()
    response = _attach(lead_client, world, "big.txt", b"x" * 2048)
    assert "the limit is" in body_text(response)
    assert Attachment.objects.count() == before


def test_the_request_itself_has_a_size_limit(settings):
    # Django refuses bodies above these before any view reads them.
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 100 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES <= 100


def test_attachments_have_a_count_limit(world, lead_client, monkeypatch):
    ticket = world.a.objects["ticket"]
    monkeypatch.setattr(tickets, "MAX_ATTACHMENTS_PER_TICKET", ticket.attachments.count())
    response = _attach(lead_client, world, "one-more.png", PNG)
    assert "at most" in body_text(response)


def test_handover_documents_are_typed_by_content(world):
    access = world.a.access("lead")
    item = world.a.objects["item"]
    for name, content in (("runbook.pdf", b"<html><script>x</script>"), ("run.exe", b"MZ\x90\x00")):
        with pytest.raises(Exception, match="not a file type we accept"):
            handover.item_attach(access=access, item=item, document=uploaded(name, content))
    for name, content in (("adr.md", b"# ADR 1\n"), ("pack.pdf", PDF), ("diagram.png", PNG)):
        handover.item_attach(access=access, item=item, document=uploaded(name, content))


def test_handover_documents_have_a_size_limit(world, monkeypatch):
    monkeypatch.setattr("handover.services.uploads.MAX_UPLOAD_BYTES", 10)
    with pytest.raises(Exception, match="larger than"):
        handover.item_attach(
            access=world.a.access("lead"), item=world.a.objects["item"], document=uploaded("a.pdf", PDF)
        )
