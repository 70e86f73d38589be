"""Ticket pages: logging, queues, the ticket page, known issues (owned by the ticket UI)."""

from django.urls import path, register_converter

from tickets import views
from tickets.actions import TICKET_ACTIONS  # actions on one ticket: POST only, each through its service


class TicketReference:
    """ACME-142: a prefix, a hyphen and a number (so /tickets/import/ and the like stay free)."""

    regex = r"[^/]+-[0-9]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TicketReference, "ticket_ref")


class TicketAction:
    """One of TICKET_ACTIONS, e.g. "escalate"."""

    regex = "|".join(TICKET_ACTIONS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TicketAction, "ticket_action")

urlpatterns = [
    path("tickets/", views.queue, name="queue"),
    path("tickets/bulk/", views.bulk, name="bulk"),
    path("tickets/new/", views.ticket_new, name="new"),
    path("tickets/new/assist/", views.ticket_assist, name="assist"),
    path("tickets/mine/", views.my_tickets, name="mine"),
    path("tickets/<ticket_ref:reference>/", views.ticket_detail, name="detail"),
    path("tickets/<ticket_ref:reference>/row-actions/", views.row_actions, name="row_actions"),
    path("tickets/<ticket_ref:reference>/follow/", views.ticket_follow, name="follow"),
    path("tickets/<ticket_ref:reference>/rate/", views.ticket_rate, name="rate"),
    path(
        "tickets/<ticket_ref:reference>/attachments/<int:pk>/",
        views.attachment_download,
        name="attachment",
    ),
    *[
        path(
            f"tickets/<ticket_ref:reference>/{action}/", views.ticket_action, {"action": action}, name=action
        )
        for action in TICKET_ACTIONS
    ],
    # Each action's form on its own (GET): what a ticket page panel loads when it is opened,
    # and the page it links to without JavaScript. The form posts to the action above.
    path(
        "tickets/<ticket_ref:reference>/actions/<ticket_action:action>/",
        views.ticket_action_form,
        name="action_form",
    ),
    path("known-issues/", views.known_issues, name="known_issues"),
    path("known-issues/new/", views.known_issue_new, name="known_issue_new"),
    path("known-issues/<int:pk>/edit/", views.known_issue_edit, name="known_issue_edit"),
    path("canned-replies/", views.canned_replies, name="canned_replies"),
    path("canned-replies/<int:pk>/edit/", views.canned_reply_edit, name="canned_reply_edit"),
    path("canned-replies/<int:pk>/delete/", views.canned_reply_delete, name="canned_reply_delete"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
