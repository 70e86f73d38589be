"""The append-only timeline, internal notes, and attachment limits, through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from hypercare.vocabulary import EventKind
from tests.tickets.test_services_transitions import access_of, log
from tickets import services
from tickets.models import Attachment, TicketEvent

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def ticket(desk):
    return log(access_of(desk))


def test_every_change_is_an_event_with_actor_and_time(desk, engineer, ticket):
    desk_access = access_of(desk)
    services.ticket_take(access=desk_access, ticket=ticket)
    services.ticket_change_severity(
        access=desk_access, ticket=ticket, severity=2, reason="Finance is blocked"
    )
    services.ticket_update(access=desk_access, ticket=ticket, category="integration")
    services.ticket_comment(access=desk_access, ticket=ticket, body="Looking at the middleware logs")
    kinds = list(ticket.events.order_by("at", "pk").values_list("kind", "actor__username"))
    assert kinds == [
        (EventKind.CREATED, "desk"),
        (EventKind.ASSIGNED, "desk"),
        (EventKind.SEVERITY, "desk"),
        (EventKind.CATEGORY, "desk"),
        (EventKind.COMMENT, "desk"),
    ]
    severity = ticket.events.get(kind=EventKind.SEVERITY)
    assert (severity.from_value, severity.to_value, severity.note) == ("3", "2", "Finance is blocked")


def test_a_severity_change_needs_a_reason(desk, ticket):
    with pytest.raises(ValidationError) as error:
        services.ticket_change_severity(access=access_of(desk), ticket=ticket, severity=1, reason=" ")
    assert "severity_reason" in error.value.message_dict


def test_events_cannot_be_changed_or_deleted(ticket):
    event = ticket.events.get()
    event.note = "rewritten history"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(ticket=ticket).update(note="rewritten")
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(ticket=ticket).delete()
    assert ticket.events.get().note == ""


def test_internal_comments_are_for_the_support_team_only(champion, desk, ticket):
    with pytest.raises(PermissionDenied):
        services.ticket_comment(access=access_of(champion), ticket=ticket, body="psst", internal=True)
    comment = services.ticket_comment(access=access_of(desk), ticket=ticket, body="Apex trace", internal=True)
    assert comment.internal
    assert ticket.events.get(kind=EventKind.COMMENT).internal


@pytest.mark.parametrize("role_fixture", ["viewer", "sponsor"])
def test_read_only_roles_cannot_comment(request, role_fixture, ticket):
    persona = request.getfixturevalue(role_fixture)
    with pytest.raises(PermissionDenied):
        services.ticket_comment(access=access_of(persona), ticket=ticket, body="Any news?")


def test_it_stores_an_accepted_attachment_and_records_it(settings, tmp_path, desk, ticket):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("screen.png", PNG, content_type="image/png")
    attachment = services.ticket_attach(access=access_of(desk), ticket=ticket, upload=upload)
    assert (attachment.content_type, attachment.original_name, attachment.size) == (
        "image/png",
        "screen.png",
        len(PNG),
    )
    assert attachment.file.read() == PNG
    assert "screen.png" not in attachment.file.name  # a random name on disk
    assert ticket.events.filter(kind=EventKind.ATTACHMENT, to_value="screen.png").exists()


def test_it_refuses_an_attachment_over_10_mb(settings, tmp_path, desk, ticket):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("big.log", b"a" * (services.MAX_ATTACHMENT_BYTES + 1))
    with pytest.raises(ValidationError, match="the limit is 10 MB"):
        services.ticket_attach(access=access_of(desk), ticket=ticket, upload=upload)
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00", "not a file type we accept"),
        ("photo.png", b"MZ\x90\x00 pretending to be a picture", "not a file type we accept"),
        ("empty.txt", b"", "is empty"),
    ],
)
def test_it_refuses_attachments_by_content_with_a_clear_error(
    settings, tmp_path, desk, ticket, name, content, message
):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as error:
        services.ticket_attach(
            access=access_of(desk), ticket=ticket, upload=SimpleUploadedFile(name, content)
        )
    assert message in error.value.message_dict["file"][0]
    assert name in error.value.message_dict["file"][0]
    assert not Attachment.objects.exists()


def test_a_viewer_cannot_attach(settings, tmp_path, viewer, ticket):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(PermissionDenied):
        services.ticket_attach(
            access=access_of(viewer), ticket=ticket, upload=SimpleUploadedFile("a.png", PNG)
        )


def test_the_admin_shows_the_timeline_but_cannot_change_or_delete_it(client, ticket):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    event = ticket.events.get()
    assert client.get("/admin/tickets/ticket/").status_code == 200
    assert client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").status_code == 200
    assert client.get(f"/admin/tickets/ticketevent/{event.pk}/delete/").status_code == 403
    assert client.post(f"/admin/tickets/ticket/{ticket.pk}/delete/").status_code == 403
    assert client.post(f"/admin/tickets/ticketevent/{event.pk}/change/", {"note": "x"}).status_code == 403
    assert TicketEvent.objects.filter(pk=event.pk, note="").exists()
