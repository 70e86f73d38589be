"""The weekly leadership summary's figures (seed 001: "weekly to broader leadership").

Every figure is read from the selector of the page that shows it: the scorecard (`scorecard_evaluate`),
the exit gate (`gate_evaluate`) and the knowledge-transfer page (`current_phase`, `kt_measured_phase`).
The week is the seven days ending at the report's instant; "last week" is the scorecard seven days earlier.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from handover.criteria import gate_evaluate
from handover.selectors import current_phase, kt_measured_phase
from hypercare.models import Programme
from metrics.kpis import Rag
from metrics.scorecard import scorecard_evaluate
from metrics.templatetags.metrics_tags import kpi_value
from releases.models import Hotfix, PatchRelease
from tickets.models import Ticket

WEEK = timedelta(days=7)
# How many of the oldest open Sev1/Sev2 tickets the summary names.
TOP_RISKS = 5


def _number(value) -> float | None:
    return None if value is None else round(float(value), 4)


def _scorecard(programme: Programme, at: datetime) -> tuple[list[dict], list[dict]]:
    now = scorecard_evaluate(programme=programme, at=at)
    before = scorecard_evaluate(programme=programme, at=at - WEEK)
    before_areas = {area.slug: area for area in before.areas()}
    scorecard_url = reverse("metrics:scorecard", args=[programme.slug])
    areas, red = [], []
    for area in now.areas():
        previous = before_areas[area.slug]
        kpis = []
        for result in area.kpis:
            last_week = before.result(result.kpi.slug)
            kpi = {
                "slug": result.kpi.slug,
                "name": result.kpi.name,
                "value": _number(result.value),
                "value_text": kpi_value(result.value, result.kpi.unit),
                "status": result.status,
                "last_week_status": last_week.status,
                "last_week_value_text": kpi_value(last_week.value, result.kpi.unit),
                "changed": result.status != last_week.status,
                "threshold_text": result.threshold_text,
                "window": result.window_label,
                "url": f"{scorecard_url}#kpi-{result.kpi.slug}",
            }
            kpis.append(kpi)
            if result.status == Rag.RED:
                red.append(kpi)
        areas.append(
            {
                "slug": area.slug,
                "name": area.name,
                "status": area.status,
                "last_week_status": previous.status,
                "changed": area.status != previous.status,
                "kpis": kpis,
            }
        )
    return areas, red


def _exit_gate(programme: Programme, at: datetime) -> dict:
    gate = gate_evaluate(programme=programme, at=at)
    forecast, note = gate.forecast
    return {
        "green": gate.green,
        "counts": gate.counts,
        "criteria": len(gate.results),
        "forecast_green_on": forecast.isoformat() if forecast else None,
        "forecast_note": note,
        "planned_exit_date": programme.planned_exit_date.isoformat(),
        "forecast_after_planned_exit": gate.forecast_after_planned_exit,
        "failing": [
            {
                "id": r.criterion.pk,
                "kind": r.criterion.kind,
                "title": r.criterion.title,
                "status": r.status,
                "status_label": r.status_label,
                "value": r.value,
                "value_display": r.value_display,
                "threshold_display": r.threshold_display,
                "forecast": r.forecast.isoformat() if r.forecast else None,
                "forecast_note": r.forecast_note,
            }
            for r in gate.failing
        ],
    }


def _knowledge_transfer(programme: Programme, at: datetime) -> dict:
    today = timezone.localdate(at, timezone=ZoneInfo(programme.timezone))
    planned = current_phase(programme, today=today)
    measured = kt_measured_phase(programme, at=at)
    return {
        "planned": planned.get_phase_display() if planned else None,
        "planned_since": planned.starts_on.isoformat() if planned else None,
        "measured": measured.label if measured else None,
        "measured_reason": measured.reason if measured else "",
        "agrees": bool(planned and measured and planned.phase == measured.phase),
    }


def _oldest_high_severity(programme: Programme, at: datetime) -> list[dict]:
    tickets = (
        Ticket.objects.filter(programme=programme, reported_at__lt=at)
        .open()
        .high_severity()
        .select_related("assignee")
        .order_by("reported_at", "pk")[:TOP_RISKS]
    )
    return [
        {
            "reference": t.reference,
            "title": t.title,
            "severity": t.severity,
            "status": t.get_status_display(),
            "reported_at": t.reported_at.isoformat(),
            "age_days": (at - t.reported_at).days,
            "assignee": (t.assignee.get_full_name() or t.assignee.get_username()) if t.assignee else "",
            "url": reverse("tickets:detail", args=[programme.slug, t.reference]),
        }
        for t in tickets
    ]


def _releases(programme: Programme, at: datetime) -> dict:
    since = at - WEEK
    deployed = (
        PatchRelease.objects.filter(programme=programme)
        .deployed()
        .filter(deployed_at__gte=since, deployed_at__lt=at)
        .annotate(fixes=Count("hotfixes"))
        .order_by("deployed_at", "pk")
    )
    emergency = (
        Hotfix.objects.filter(programme=programme, emergency=True)
        .deployed()
        .filter(deployed_at__gte=since, deployed_at__lt=at)
        .order_by("deployed_at", "pk")
    )
    return {
        "deployed": [
            {"name": r.name, "deployed_at": r.deployed_at.isoformat(), "fixes": r.fixes} for r in deployed
        ],
        "emergency_hotfixes": [
            {"title": h.title, "deployed_at": h.deployed_at.isoformat()} for h in emergency
        ],
    }


def weekly_figures(*, programme: Programme, at: datetime | None = None) -> dict:
    """The weekly summary of the seven days ending at `at` (JSON-ready, stored with the report)."""
    at = at or timezone.now()
    areas, red = _scorecard(programme, at)
    tz = ZoneInfo(programme.timezone)
    return {
        "programme": {"name": programme.name, "slug": programme.slug, "timezone": programme.timezone},
        "generated_at": at.isoformat(),
        "week_from": timezone.localdate(at - WEEK + timedelta(days=1), timezone=tz).isoformat(),
        "week_to": timezone.localdate(at, timezone=tz).isoformat(),
        "scorecard": areas,
        "exit_gate": _exit_gate(programme, at),
        "knowledge_transfer": _knowledge_transfer(programme, at),
        "risks": {"oldest_sev12": _oldest_high_severity(programme, at), "red_kpis": red},
        "releases": _releases(programme, at),
    }


def weekly_subject(*, programme: Programme, data: dict) -> str:
    """The e-mail subject: the week, the areas in red and whether the exit is forecast late."""
    red_areas = [area["name"] for area in data["scorecard"] if area["status"] == Rag.RED]
    gate = data["exit_gate"]
    if gate["green"]:
        exit_text = "exit gate green"
    elif gate["forecast_after_planned_exit"]:
        exit_text = "exit forecast late"
    else:
        exit_text = f"{len(gate['failing'])} exit criteria open"
    red_text = f"red: {', '.join(red_areas)}" if red_areas else "no area red"
    week_to = datetime.fromisoformat(data["week_to"])
    return f"{programme.name} · Weekly summary to {week_to:%a %d %b}: {red_text}; {exit_text}"[:200]
