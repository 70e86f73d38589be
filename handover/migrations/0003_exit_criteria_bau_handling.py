"""Exit criteria measured from who handled the queue.

The co-management criterion gets a second threshold (the share of each working day's handled
tickets BAU must have handled), two new kinds join ("BAU ran the queue, meeting the SLA targets"
and "No project-team rescue"), and programmes created before them get both, after their last
criterion. The volume trend now counts working days: its untouched default title says so.
"""

from django.db import migrations, models

# Frozen copy of the two new defaults of handover.criteria.DEFAULT_CRITERIA at the time of this migration.
NEW_CRITERIA = [
    (
        "bau_ran_queue",
        "BAU ran the queue for 14 days, meeting the SLA targets",
        "80",
        14,
        "The last phase of knowledge transfer, measured: BAU handled at least 80% of the tickets handled for "
        "two weeks, and BAU's own tickets met the SLA compliance threshold.",
    ),
    (
        "no_rescue",
        "No project-team rescue for 14 days",
        "0",
        14,
        "BAU handles new issues without the project team stepping in: no ticket moved from a BAU person to a "
        "project-team person.",
    ),
]
OLD_TREND_TITLE = "Ticket volume stable or falling over 10 days"
NEW_TREND_TITLE = "Ticket volume stable or falling over 10 working days"


def add_new_criteria(apps, schema_editor):
    from decimal import Decimal

    from django.db.models import Max

    Programme = apps.get_model("hypercare", "Programme")
    ExitCriterion = apps.get_model("handover", "ExitCriterion")
    last = dict(
        ExitCriterion.objects.values("programme_id").annotate(m=Max("position")).values_list("programme_id", "m")
    )
    have = set(
        ExitCriterion.objects.filter(kind__in=[kind for kind, *_ in NEW_CRITERIA]).values_list(
            "programme_id", "kind"
        )
    )
    rows = []
    for programme_id in Programme.objects.values_list("pk", flat=True):
        position = last.get(programme_id) or 0
        for kind, title, threshold, window, why in NEW_CRITERIA:
            if (programme_id, kind) in have:
                continue
            position += 1
            rows.append(
                ExitCriterion(
                    programme_id=programme_id,
                    kind=kind,
                    title=title,
                    description=why,
                    threshold=Decimal(threshold),
                    window_days=window,
                    position=position,
                )
            )
    ExitCriterion.objects.bulk_create(rows)
    ExitCriterion.objects.filter(kind="volume_trend", title=OLD_TREND_TITLE).update(title=NEW_TREND_TITLE)


def remove_new_criteria(apps, schema_editor):
    ExitCriterion = apps.get_model("handover", "ExitCriterion")
    ExitCriterion.objects.filter(kind__in=[kind for kind, *_ in NEW_CRITERIA]).delete()
    ExitCriterion.objects.filter(kind="volume_trend", title=NEW_TREND_TITLE).update(title=OLD_TREND_TITLE)


class Migration(migrations.Migration):
    dependencies = [
        ("handover", "0002_signoff_immutable_triggers"),
        ("hypercare", "0003_notification_claimed_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="exitcriterion",
            name="share_threshold",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                help_text="A second boundary, in percent: for co-management, the share of each working day's "
                "handled tickets that BAU staff must have handled (blank: the kind's default).",
                max_digits=7,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="exitcriterion",
            name="kind",
            field=models.CharField(
                choices=[
                    ("open_sev12", "No open Sev1 / Sev2 tickets"),
                    ("new_sev12", "No new Sev1 / Sev2 tickets"),
                    ("volume_trend", "Ticket volume stable or falling"),
                    ("exception_rate", "Exception rate"),
                    ("integration_success", "Integration success rate"),
                    ("governor_limit_alerts", "Governor-limit alerts"),
                    ("lock_contentions", "Lock contentions"),
                    ("bau_comanaged", "BAU co-managed the queue"),
                    ("bau_share", "BAU share of incoming volume"),
                    ("month_end_close", "First month-end close clean"),
                    ("handover_pack", "Handover pack complete"),
                    ("sla_compliance", "SLA compliance"),
                    ("bau_ran_queue", "BAU ran the queue, meeting the SLA targets"),
                    ("no_rescue", "No project-team rescue"),
                    ("attestation", "Attested by a person"),
                ],
                max_length=30,
            ),
        ),
        migrations.AddConstraint(
            model_name="exitcriterion",
            constraint=models.CheckConstraint(
                condition=models.Q(("share_threshold__isnull", True), models.Q(("share_threshold__gte", 0), ("share_threshold__lte", 100)), _connector="OR"),
                name="exitcriterion_share_percent",
            ),
        ),
        migrations.RunPython(add_new_criteria, remove_new_criteria),
    ]
