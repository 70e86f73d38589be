"""People read durations in words: "8 hours", never "8:00:00"; business days are the programme's own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hypercare.templatetags.hypercare_ui import duration_words
from tests.tickets.pages_helpers import htmx


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (timedelta(hours=8), "8 hours"),
        (timedelta(hours=7, minutes=30), "7 hours 30 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(days=2, hours=3, minutes=5), "2 days 3 hours"),
        (45, "45 minutes"),
        (0, "0 minutes"),
        (None, ""),
    ],
)
def test_it_says_a_duration_in_words(value, words):
    assert duration_words(value) == words


@pytest.mark.django_db
def test_the_calendar_page_says_how_long_a_business_day_is_in_words(client, lead):
    client.force_login(lead.user)
    html = client.get("/p/acme/calendar/").text
    assert "A business day is\n8 hours" in html or "A business day is 8 hours" in html
    assert "8:00:00" not in html


@pytest.mark.django_db
def test_the_log_form_counts_business_days_on_the_programme_calendar(client, champion, programme):
    from hypercare import services

    hours = {day: ["09:00", "16:30"] for day in ("mon", "tue", "wed", "thu", "fri")}
    services.calendar_update(programme=programme, working_hours=hours)

    client.force_login(champion.user)
    answers = {"impact_scope": "subset", "workaround": "painful", "blocks_vital_process": "no"}
    html = client.post("/p/acme/tickets/new/assist/", {"title": "Report layout", **answers}, **htmx()).text
    # Sev3's resolution target (40 working hours) is not five days of this calendar's 7.5 hours.
    assert "resolution target: 40 hours (working time)" in html, html[
        html.find("respond") : html.find("respond") + 200
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("operational_owner", "Operational owner (BAU)"),
        ("sponsor", "Business sponsor"),
        ("defect", "Defect"),
        ("Sales", "Sales"),
    ],
)
def test_stored_values_read_as_labels(value, shown):
    from django.template import Context, Template

    html = Template("{% load hypercare_ui %}({{ value|label }})").render(Context({"value": value}))
    assert html == f"({shown})"
