"""The ticket pages: Tier 1's guided form, My tickets, the working queues, the ticket page,
the known-issues board and the in-app notifications inbox, one module per family.

Every page resolves the programme through `get_programme_for` (404 for non-members) and its
tickets through tickets.selectors (`Ticket.objects.visible_to(access)`); every change goes
through tickets.services, which enforces the role rules again. One URL serves a full page or,
for an htmx request, a named partial of the same template; every htmx form is also a plain form.
The URL conf imports the views from here.
"""

from tickets.views.attachments import attachment_download
from tickets.views.canned import canned_replies, canned_reply_delete, canned_reply_edit
from tickets.views.known_issues import known_issue_edit, known_issue_new, known_issues
from tickets.views.log import ticket_assist, ticket_new
from tickets.views.mine import my_tickets
from tickets.views.notifications import notifications, notifications_read
from tickets.views.queue import bulk, queue, row_actions
from tickets.views.ticket import ticket_action, ticket_action_form, ticket_detail, ticket_follow, ticket_rate

__all__ = [
    "attachment_download",
    "bulk",
    "canned_replies",
    "canned_reply_delete",
    "canned_reply_edit",
    "known_issue_edit",
    "known_issue_new",
    "known_issues",
    "my_tickets",
    "notifications",
    "notifications_read",
    "queue",
    "row_actions",
    "ticket_action",
    "ticket_action_form",
    "ticket_assist",
    "ticket_detail",
    "ticket_follow",
    "ticket_rate",
    "ticket_new",
]
