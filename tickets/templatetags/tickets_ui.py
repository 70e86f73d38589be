"""Small helpers of the ticket pages: the unread badge and a ticket's SLA state in a word."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from tickets import rows
from tickets.rows import QueueRows

register = template.Library()


@register.filter
def assignee_options(assignees, selected_id) -> str:
    """The <option>s of the assignee menu with `selected_id` selected (rendered once per page)."""
    html = getattr(assignees, "options_html", None)
    if html is None:
        html = format_html_join(
            "", '<option value="{}">{}</option>', ((u.pk, u.get_full_name() or u.username) for u in assignees)
        )
    if selected_id is None:
        return html
    option = f'<option value="{int(selected_id)}">'
    return mark_safe(html.replace(option, f'<option value="{int(selected_id)}" selected>', 1))  # noqa: S308 -- escaped by format_html_join


def _rows(context) -> QueueRows:
    return QueueRows(
        slug=context["programme"].slug,
        can_work_queue=context["access"].can_work_queue,
        only_open=context["access"].is_closed,
        csrf_token=str(context.get("csrf_token", "")),
        queue_url=context.get("queue_url", ""),
    )


@register.simple_tag(takes_context=True)
def queue_rows(context, tickets) -> str:
    """The <tr>s of a queue page (tickets/rows.py: the hottest HTML of the app)."""
    return _rows(context).render_page(tickets)


@register.simple_tag(takes_context=True)
def queue_row(context, ticket) -> str:
    """One queue row, after a quick action on it (with what happened, or why it did not)."""
    return _rows(context).render(ticket, error=context.get("row_error", ""), done=context.get("row_done", ""))


@register.simple_tag
def filter_field(form, name: str) -> str:
    """One of the queue's filters as its widget would render it, without the widget templates
    (Django renders each <option> through a template: five menus cost more than the rows)."""
    field = form.fields[name]
    value = form.data.get(name, "") if form.is_bound else ""
    value = "" if value is None else str(value)
    if not hasattr(field, "choices"):
        attrs = field.widget.attrs
        return format_html(
            '<input type="{}" name="{}" placeholder="{}" maxlength="{}" id="id_{}"{}>',
            attrs.get("type", "text"),
            name,
            attrs.get("placeholder", ""),
            field.max_length,
            name,
            format_html(' value="{}"', value) if value else "",
        )
    options = format_html_join(
        "",
        '\n  <option value="{}"{}>{}</option>',
        ((key, " selected" if str(key) == value else "", label) for key, label in field.choices),
    )
    return format_html('<select name="{}" id="id_{}">{}\n</select>', name, name, options)


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str) -> str:
    """A sortable column's <th>: a click sorts by it, a second click reverses (back to page 1)."""
    sort, descending = context.get("sort"), f"-{key}"
    query = context["request"].GET.copy()
    query.pop("page", None)
    query["sort"] = descending if sort == key else key
    href = f"?{query.urlencode()}"
    state, arrow = "", ""
    if sort == key:
        state, arrow = ' aria-sort="ascending"', ' <span aria-hidden="true">▲</span>'
    elif sort == descending:
        state, arrow = ' aria-sort="descending"', ' <span aria-hidden="true">▼</span>'
    return format_html(
        '<th{}><a href="{}" hx-get="{}" hx-target="#results" hx-swap="outerHTML" hx-push-url="true">{}{}</a></th>',
        mark_safe(state),  # noqa: S308 -- constant markup
        href,
        href,
        label,
        mark_safe(arrow),  # noqa: S308 -- constant markup
    )


@register.simple_tag
def ticket_badges(ticket) -> str:
    return rows.ticket_badges(ticket)


@register.simple_tag
def sla_cell(ticket) -> str:
    return rows.sla_cell(ticket)


@register.filter
def status_choices(ticket) -> list[tuple[str, str]]:
    """The statuses a queue row's quick action may move the ticket to."""
    from tickets.forms import status_choices as choices

    return choices(ticket)
