"""The hourly watch tells the leads and signatories, once, that the exit gate is green."""

import pytest

from handover.models import ExitCriterion
from handover.tasks import exit_gate_watch_task
from hypercare.models import Notification

pytestmark = pytest.mark.django_db


def test_it_notifies_once_when_the_gate_is_green(programme, lead, sponsor, owner, desk):
    assert exit_gate_watch_task() == 0  # not green: nobody is told
    assert not Notification.objects.filter(kind="exit_gate_green").exists()
    ExitCriterion.objects.of(programme).exclude(kind__in=["open_sev12", "new_sev12", "volume_trend"]).delete()
    assert exit_gate_watch_task() == 1
    assert exit_gate_watch_task() == 1  # a second run adds nothing
    told = set(
        Notification.objects.filter(kind="exit_gate_green", channel="in_app").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"lead", "sponsor", "owner"}
