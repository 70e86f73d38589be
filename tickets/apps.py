from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        from hypercare import overview
        from hypercare.signals import calendar_changed, member_removed

        calendar_changed.connect(_recompute_open_clocks, dispatch_uid="tickets-calendar-changed")
        member_removed.connect(_release_member, dispatch_uid="tickets-member-removed")
        overview.provide("headline", _headline_figures)


def _headline_figures(access) -> dict[str, int]:
    """Today's ticket figures for the programme page, counted over the tickets the member may see."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from tickets.models import Ticket

    now = timezone.now()
    midnight = timezone.localtime(now, ZoneInfo(access.programme.timezone)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return Ticket.objects.visible_to(access).headline(at=now, midnight=midnight)


def _recompute_open_clocks(sender, programme, **kwargs):
    from tickets.tasks import recompute_open_clocks_task

    recompute_open_clocks_task.delay_on_commit(programme_id=programme.pk)


def _release_member(sender, membership, by=None, at=None, **kwargs):
    from tickets.services import tickets_release_member

    tickets_release_member(programme=membership.programme, user=membership.user, by=by, at=at)
