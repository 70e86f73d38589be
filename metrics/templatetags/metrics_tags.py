"""Formatting of KPI values and the sparkline SVG for the metrics templates."""

from django import template

from metrics.charts import render_sparkline
from metrics.kpis import Rag
from metrics.selectors import percent_text

register = template.Library()


@register.filter
def kpi_value(value, unit: str = "") -> str:
    """A KPI or breakdown value with its unit, e.g. "0.080%", "13.5 h", "42% below baseline", "—"."""
    if value is None:
        return "—"
    if unit == "% below baseline":
        return f"{value:.0f}% below baseline" if value >= 0 else f"{-value:.0f}% above baseline"
    if unit == "% above baseline":
        return f"{value:.0f}% above baseline" if value >= 0 else f"{-value:.0f}% below baseline"
    if unit == "%":
        return percent_text(value)
    if unit == "points":
        return f"{value:+.1f} points"
    if unit == "h":
        return f"{value:.1f} h"
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{number} {unit}".strip()


@register.simple_tag
def row_value(row, result) -> str:
    return kpi_value(row.value, result.kpi.unit if row.unit is None else row.unit)


@register.filter
def rag_label(status: str) -> str:
    return Rag(status).label if status in Rag.values else status


@register.simple_tag
def sparkline(result):
    return render_sparkline(result.sparkline, status=result.status, label=result.kpi.name)
