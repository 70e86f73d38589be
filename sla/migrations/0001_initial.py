"""The SLA policy and triage matrix models move here from triage; their tables stay as they are."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SEVERITIES = [(1, "Sev1 critical"), (2, "Sev2 high"), (3, "Sev3 medium"), (4, "Sev4 low")]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("hypercare", "0003_notification_claimed_at"),
        ("triage", "0003_oncallshift_queuelead_slaalert_standup"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="SlaPolicy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("effective_from", models.DateTimeField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("note", models.CharField(blank=True, max_length=200)),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("programme", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="sla_policies", to="hypercare.programme")),
            ],
            options={
                "db_table": "triage_slapolicy",
                "ordering": ["programme", "-effective_from"],
                "constraints": [models.UniqueConstraint(fields=("programme", "effective_from"), name="slapolicy_unique_effective_from")],
            },
        ),
        migrations.CreateModel(
            name="SlaTarget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("severity", models.PositiveSmallIntegerField(choices=SEVERITIES)),
                ("response_minutes", models.PositiveIntegerField()),
                ("resolution_minutes", models.PositiveIntegerField(blank=True, help_text="Empty: no resolution target.", null=True)),
                ("clock", models.CharField(choices=[("24x7", "24×7"), ("business", "Business hours")], max_length=10)),
                ("at_risk_percent", models.PositiveSmallIntegerField(default=75)),
                ("policy", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="targets", to="sla.slapolicy")),
            ],
            options={
                "db_table": "triage_slatarget",
                "ordering": ["policy", "severity"],
                "constraints": [
                    models.UniqueConstraint(fields=("policy", "severity"), name="slatarget_unique_severity"),
                    models.CheckConstraint(condition=models.Q(("at_risk_percent__gte", 1), ("at_risk_percent__lte", 100)), name="slatarget_at_risk_percent"),
                ],
            },
        ),
        migrations.CreateModel(
            name="SeverityRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("impact_scope", models.CharField(max_length=20)),
                ("workaround", models.CharField(max_length=10)),
                ("blocks_vital_process", models.BooleanField()),
                ("severity", models.PositiveSmallIntegerField(choices=SEVERITIES)),
                ("programme", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="severity_rules", to="hypercare.programme")),
            ],
            options={
                "db_table": "triage_severityrule",
                "ordering": ["programme", "impact_scope", "workaround", "blocks_vital_process"],
                "constraints": [models.UniqueConstraint(fields=("programme", "impact_scope", "workaround", "blocks_vital_process"), name="severityrule_unique")],
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
