"""A calendar with no working time at all is refused when it is saved, naming the field, on every
way in (the calendar page, the admin, the API), instead of failing later on a ticket's clock."""

import json

import pytest
from rest_framework.test import APIClient

from hypercare.calendar import DEFAULT_WORKING_HOURS

pytestmark = pytest.mark.django_db

NO_HOURS = dict.fromkeys(DEFAULT_WORKING_HOURS)


def test_the_calendar_page_refuses_a_week_without_working_hours(client, lead, programme):
    client.force_login(lead.user)
    response = client.post("/p/acme/calendar/", {"holidays": "2026-04-03 Good Friday"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Working hours needs at least one working day" in page
    programme.calendar.refresh_from_db()
    assert programme.calendar.working_hours == DEFAULT_WORKING_HOURS
    assert programme.calendar.holidays.count() == 0


def test_the_calendar_page_names_the_day_of_an_empty_working_day(client, lead, programme):
    client.force_login(lead.user)
    response = client.post("/p/acme/calendar/", {"mon_start": "09:00", "mon_end": "09:00"})
    assert response.status_code == 200
    assert "Mon: the end (09:00) must be after the start (09:00)." in response.content.decode()
    programme.calendar.refresh_from_db()
    assert programme.calendar.working_hours == DEFAULT_WORKING_HOURS


def test_the_admin_refuses_a_calendar_without_working_hours(client, staff_user, programme):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    calendar = programme.calendar
    response = client.post(
        f"/admin/hypercare/businesscalendar/{calendar.pk}/change/",
        {
            "programme": programme.pk,
            "working_hours": json.dumps(NO_HOURS),
            "holiday_country": "",
            "holidays-TOTAL_FORMS": "0",
            "holidays-INITIAL_FORMS": "0",
            "holidays-MIN_NUM_FORMS": "0",
            "holidays-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "at least one working day" in " ".join(errors["working_hours"])
    calendar.refresh_from_db()
    assert calendar.working_hours == DEFAULT_WORKING_HOURS


def test_the_api_refuses_a_calendar_without_working_hours_naming_the_field(staff_user, programme):
    staff_user.is_superuser = True
    staff_user.save()
    client = APIClient()
    client.force_authenticate(staff_user)
    response = client.patch("/api/v1/programmes/acme/", {"working_hours": NO_HOURS}, format="json")
    assert response.status_code == 400
    assert "at least one working day" in " ".join(response.json()["working_hours"])
    programme.calendar.refresh_from_db()
    assert programme.calendar.working_hours == DEFAULT_WORKING_HOURS
