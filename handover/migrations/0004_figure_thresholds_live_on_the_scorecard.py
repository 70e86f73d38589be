"""The criteria that judge a scorecard figure read the KPI's green boundary as their threshold.

Until now each such criterion kept its own threshold, beside the scorecard's: two numbers for one
rule. A criterion's threshold that differs from the KPI's green boundary in force becomes the
programme's scorecard override (the exit criteria are what the leads agreed to sign off on), the
red boundary following only where it must; then the criterion's own copy is cleared.
"""

from django.db import migrations
from django.utils import timezone

# Frozen copy of the links and defaults of metrics.kpis at the time of this migration:
# criterion kind -> (KPI slug, direction, default green, default red).
LINKS = {
    "exception_rate": ("exception_rate", "lower", 0.1, 0.5),
    "integration_success": ("integration_success_rate", "higher", 99.5, 99.0),
    "governor_limit_alerts": ("governor_limit_alerts", "lower", 0.0, 5.0),
    "lock_contentions": ("lock_contentions", "lower", 0.0, 5.0),
    "bau_share": ("bau_share", "higher", 80.0, 50.0),
    "sla_compliance": ("sla_resolution_compliance", "higher", 95.0, 85.0),
}


def _moved_red(direction: str, green: float, red: float, new_green: float) -> float:
    wrong_side = red < new_green if direction == "lower" else red > new_green
    return red + (new_green - green) if wrong_side else red


def forward(apps, schema_editor):
    ExitCriterion = apps.get_model("handover", "ExitCriterion")
    KpiThreshold = apps.get_model("metrics", "KpiThreshold")
    now = timezone.now()
    linked = ExitCriterion.objects.filter(kind__in=list(LINKS), threshold__isnull=False).order_by(
        "programme_id", "position", "pk"
    )
    moved = set()
    for criterion in linked:
        slug, direction, green, red = LINKS[criterion.kind]
        key = (criterion.programme_id, slug)
        if key in moved:  # a second criterion of the same kind: the first one's threshold stands
            continue
        moved.add(key)
        override = KpiThreshold.objects.filter(programme_id=criterion.programme_id, kpi=slug).first()
        current_green, current_red = (override.green, override.red) if override else (green, red)
        wanted = float(criterion.threshold)
        if wanted == current_green:
            continue
        KpiThreshold.objects.update_or_create(
            programme_id=criterion.programme_id,
            kpi=slug,
            defaults={
                "green": wanted,
                "red": _moved_red(direction, current_green, current_red, wanted),
                "green_high": None,
                "updated_at": now,
            },
        )
    ExitCriterion.objects.filter(kind__in=list(LINKS)).update(threshold=None)


def backward(apps, schema_editor):
    ExitCriterion = apps.get_model("handover", "ExitCriterion")
    KpiThreshold = apps.get_model("metrics", "KpiThreshold")
    overrides = {(row.programme_id, row.kpi): row.green for row in KpiThreshold.objects.all()}
    for criterion in ExitCriterion.objects.filter(kind__in=list(LINKS)):
        slug, _, green, _ = LINKS[criterion.kind]
        criterion.threshold = overrides.get((criterion.programme_id, slug), green)
        criterion.save(update_fields=["threshold"])


class Migration(migrations.Migration):
    dependencies = [
        ("handover", "0003_exit_criteria_bau_handling"),
        ("metrics", "0006_snapshot_desk_intake_and_day_compliance"),
    ]

    operations = [migrations.RunPython(forward, backward)]
