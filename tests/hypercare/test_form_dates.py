"""Every date and date-time input renders its value in the ISO form the browser's date inputs
read, whatever the locale; and every form with a date is in the browser round trip."""

from __future__ import annotations

import importlib
import inspect
from datetime import date, datetime

import pytest
from django import forms

from hypercare.forms import DateField, DateInput, DateTimeField, DateTimeInput
from tests.hypercare.test_browser_round_trip import ROUND_TRIPS

FORMS_MODULES = [
    "hypercare.forms",
    "tickets.forms",
    "handover.forms",
    "metrics.forms",
    "releases.forms",
    "triage.forms",
]

# Forms with a date that have no stored data to round-trip, and why.
NOT_EDIT_FORMS = {
    "releases.forms.ReleaseCreateForm": "creates a release: it opens empty",
    "triage.forms.OnCallShiftForm": "adds a shift: it opens empty",
    "triage.forms.PeriodForm": "a report's period filter (GET): nothing is stored",
    "hypercare.forms.AuditFilterForm": "the audit trail's filter (GET): nothing is stored",
    "handover.forms.ItemForm": "adds a handover item: it opens empty (ItemEditForm is its edit form)",
}


def form_classes():
    for module_name in FORMS_MODULES:
        module = importlib.import_module(module_name)
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:
                yield f"{module_name}.{name}", cls


def has_dates(cls) -> bool:
    """A date field declared on the form (or its model), or one its code adds when it is built."""
    declared = any(isinstance(f, forms.DateField | forms.DateTimeField) for f in cls.base_fields.values())
    source = "".join(inspect.getsource(klass) for klass in cls.__mro__ if klass.__module__ in FORMS_MODULES)
    return declared or "DateField(" in source or "DateTimeField(" in source


DATED = sorted(name for name, cls in form_classes() if has_dates(cls))


def test_it_finds_the_forms_with_dates():
    assert "tickets.forms.KnownIssueForm" in DATED and "handover.forms.KtPhasesForm" in DATED


@pytest.mark.parametrize("name", DATED)
def test_it_round_trips_every_form_with_a_date(name):
    round_tripped = {trip.form for trip in ROUND_TRIPS}
    assert name in round_tripped or name in NOT_EDIT_FORMS, (
        f"{name} has a date field: add it to ROUND_TRIPS in tests/hypercare/test_browser_round_trip.py "
        "(or to NOT_EDIT_FORMS here, saying why it has no stored data to keep)"
    )


@pytest.mark.parametrize("name", DATED)
def test_its_date_inputs_are_the_iso_ones(name):
    cls = dict(form_classes())[name]
    for field_name, field in cls.base_fields.items():
        if isinstance(field, forms.DateTimeField):
            assert isinstance(field.widget, DateTimeInput), f"{name}.{field_name}"
        elif isinstance(field, forms.DateField):
            assert isinstance(field.widget, DateInput), f"{name}.{field_name}"


@pytest.mark.parametrize("language", ["en-gb", "en-us", "de"])
def test_a_date_renders_in_iso_whatever_the_locale(language):
    from django.utils import translation

    class Form(forms.Form):
        day = DateField()
        at = DateTimeField()

    with translation.override(language):
        html = str(Form(initial={"day": date(2026, 11, 12), "at": datetime(2026, 11, 12, 9, 5, 33)}))
    assert 'type="date"' in html and 'value="2026-11-12"' in html
    assert 'type="datetime-local"' in html and 'value="2026-11-12T09:05"' in html
    bound = Form({"day": "2026-11-12", "at": "2026-11-12T09:05"})
    assert bound.is_valid(), bound.errors
