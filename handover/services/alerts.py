"""Alerts that reach someone: a KPI turning red (and recovering), the exit forecast falling after the
planned exit (and coming back). Each change of level is told once: in the app, by e-mail and by webhook."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from handover.criteria import gate_evaluate
from handover.models import EXIT_FORECAST, AlertLevel, AlertState
from hypercare.models import Membership, Programme, ProgrammeStatus
from hypercare.notifications import notify
from hypercare.roles import Role
from hypercare.site import absolute
from metrics.kpis import Rag
from metrics.scorecard import KpiResult, scorecard_evaluate
from metrics.templatetags.metrics_tags import kpi_value
from releases.models import WebhookEvent
from releases.services.webhooks import webhook_emit

# Who hears of a KPI turning red, and who of a late exit forecast (issue 15).
KPI_ALERT_ROLES = (Role.CHANGE_MANAGER, Role.LEAD)
FORECAST_ALERT_ROLES = (Role.LEAD, Role.SPONSOR)


def _audience(programme: Programme, roles) -> list:
    return [
        membership.user
        for membership in Membership.objects.active()
        .filter(programme=programme)
        .with_any_role(*roles)
        .select_related("user")
        .order_by("user__username")
    ]


def alert_levels(*, programme: Programme, subjects, at: datetime) -> dict[str, str]:
    """The last level of each subject: one query once every subject has its row. A subject seen for
    the first time starts as fine, so a KPI already red when first evaluated is told once."""
    subjects = list(subjects)
    mine = AlertState.objects.filter(programme=programme, subject__in=subjects)
    levels = dict(mine.values_list("subject", "level"))
    missing = [subject for subject in subjects if subject not in levels]
    if missing:
        AlertState.objects.bulk_create(
            [AlertState(programme=programme, subject=subject, created_at=at) for subject in missing],
            ignore_conflicts=True,  # a concurrent evaluation may have made it meanwhile
        )
        levels = dict(mine.values_list("subject", "level"))
    return levels


def alert_transition(*, programme: Programme, subject: str, level: str, at: datetime) -> int | None:
    """Move `subject`'s alert (its row made by `alert_levels`) to `level`; the number of this transition
    if this call made it, else None. Of two evaluations racing for one change, the conditional UPDATE
    lets exactly one win."""
    old = AlertLevel.OK if level == AlertLevel.ALERT else AlertLevel.ALERT
    mine = AlertState.objects.filter(programme=programme, subject=subject)
    won = mine.filter(level=old).update(level=level, transitions=F("transitions") + 1, changed_at=at)
    if won != 1:
        return None
    return mine.values_list("transitions", flat=True).get()


def kpi_link(programme: Programme, kpi: str) -> str:
    """The KPI's card on the scorecard page (its chart and breakdown are one click from there)."""
    return reverse("metrics:scorecard", args=[programme.slug]) + f"#kpi-{kpi}"


def _kpi_message(programme: Programme, result: KpiResult, red: bool) -> tuple[str, str]:
    figure = kpi_value(result.value, result.kpi.unit)
    name = result.kpi.name
    if red:
        subject = f"{programme.name}: {name} is red ({figure})"
        opening = f"{name} turned red: {figure} over {result.window_label}."
    else:
        subject = f"{programme.name}: {name} has recovered ({figure})"
        opening = f"{name} is no longer red: {figure} over {result.window_label}, {Rag(result.status).label.lower()}."
    flagged = [row for row in result.rows if row.status == Rag.RED]
    lines = [opening, f"Threshold: {result.threshold_text}."]
    if red and flagged:
        lines.append(
            "Red in: "
            + "; ".join(
                f"{row.label} ({kpi_value(row.value, result.kpi.unit if row.unit is None else row.unit)})"
                for row in flagged
            )
        )
    return subject[:200], "\n".join(lines)


@transaction.atomic
def kpi_alert_tell(*, programme: Programme, result: KpiResult, at: datetime) -> bool:
    """Claim the KPI's change of level and tell the change manager and the leads. True if this call told."""
    red = result.status == Rag.RED
    slug = result.kpi.slug
    number = alert_transition(programme=programme, subject=slug, level=_kpi_level(result), at=at)
    if number is None:
        return False
    word = "red" if red else "recovered"
    key = f"kpi:{slug}:{word}:{number}"
    subject, body = _kpi_message(programme, result, red)
    link = kpi_link(programme, slug)
    notify(
        programme=programme,
        recipients=_audience(programme, KPI_ALERT_ROLES),
        kind="kpi_alert",
        key=f"{key}:{programme.pk}",
        subject=subject,
        body=body,
        link=link,
        at=at,
    )
    webhook_emit(
        programme=programme,
        event=WebhookEvent.KPI_ALERT,
        key=key,
        payload={
            "text": subject,
            "fields": {
                "KPI": result.kpi.name,
                "Value": kpi_value(result.value, result.kpi.unit),
                "Status": result.status,
                "Threshold": result.threshold_text,
                "Window": result.window_label,
            },
            "url": absolute(link),
            "kpi": {
                "slug": slug,
                "area": result.kpi.area,
                "value": result.value,
                "status": result.status,
                "transition": word,
            },
        },
        at=at,
    )
    return True


def _kpi_level(result: KpiResult) -> str:
    return AlertLevel.ALERT if result.status == Rag.RED else AlertLevel.OK


def kpi_alerts_evaluate(*, programme: Programme, at: datetime | None = None) -> int:
    """Evaluate the scorecard once and tell each KPI's change of level. Returns the changes told.

    The levels are read in one query; only a KPI whose level differs tries to claim the change."""
    at = at or timezone.now()
    metrics = scorecard_evaluate(programme=programme, at=at)
    # No data says nothing about red or recovered: such a KPI keeps its last level.
    measured = [result for result in metrics.results.values() if result.status != Rag.NONE]
    levels = alert_levels(programme=programme, subjects=[r.kpi.slug for r in measured], at=at)
    changed = [result for result in measured if levels[result.kpi.slug] != _kpi_level(result)]
    return sum(kpi_alert_tell(programme=programme, result=result, at=at) for result in changed)


@transaction.atomic
def forecast_alert_evaluate(*, programme: Programme, at: datetime | None = None) -> bool:
    """Tell the leads and sponsors once when the exit gate's forecast falls after the planned exit date,
    and once when it comes back on time. True if this call told anybody."""
    at = at or timezone.now()
    gate = gate_evaluate(programme=programme, at=at)
    forecast, note = gate.forecast
    late = gate.forecast_after_planned_exit
    if forecast is None and not gate.green:
        return False  # no forecast at all: neither late nor on time, keep the last level
    level = AlertLevel.ALERT if late else AlertLevel.OK
    if alert_levels(programme=programme, subjects=[EXIT_FORECAST], at=at)[EXIT_FORECAST] == level:
        return False
    number = alert_transition(programme=programme, subject=EXIT_FORECAST, level=level, at=at)
    if number is None:
        return False
    planned = programme.planned_exit_date
    word = "late" if late else "on_time"
    if late:
        subject = f"{programme.name}: the exit forecast ({forecast:%d %b %Y}) is after the planned exit ({planned:%d %b %Y})"
        behind = "; ".join(
            f"{r.criterion.title} (forecast {r.forecast:%d %b %Y}: {r.forecast_note})"
            for r in gate.late_criteria
        )
        body = f"At current rates the exit gate turns green on {forecast:%A %d %B %Y}, after the planned exit on {planned:%A %d %B %Y}."
        if behind:
            body += f"\nLate criteria: {behind}."
    else:
        subject = f"{programme.name}: the exit forecast is back on time ({forecast:%d %b %Y})"
        body = f"The exit gate is now forecast to turn green on {forecast:%A %d %B %Y}, by the planned exit on {planned:%A %d %B %Y}. {note}"
    link = reverse("handover:exit_gate", args=[programme.slug])
    key = f"forecast:{word}:{number}"
    notify(
        programme=programme,
        recipients=_audience(programme, FORECAST_ALERT_ROLES),
        kind="forecast_late",
        key=f"{key}:{programme.pk}",
        subject=subject[:200],
        body=body,
        link=link,
        at=at,
    )
    webhook_emit(
        programme=programme,
        event=WebhookEvent.FORECAST_LATE,
        key=key,
        payload={
            "text": subject,
            "fields": {
                "Forecast green on": forecast.isoformat(),
                "Planned exit": planned.isoformat(),
                "Late criteria": len(gate.late_criteria),
            },
            "url": absolute(link),
            "forecast": {
                "late": late,
                "forecast_green_on": forecast.isoformat(),
                "planned_exit_date": planned.isoformat(),
                "late_criteria": [r.criterion.title for r in gate.late_criteria],
            },
        },
        at=at,
    )
    return True


def alerts_evaluate(*, programme: Programme, at: datetime | None = None) -> int:
    """Every alert of one programme (KPIs and the exit forecast); returns the changes told."""
    at = at or timezone.now()
    if programme.status not in (ProgrammeStatus.ACTIVE, ProgrammeStatus.EXIT_REVIEW):
        return 0
    return kpi_alerts_evaluate(programme=programme, at=at) + int(
        forecast_alert_evaluate(programme=programme, at=at)
    )
