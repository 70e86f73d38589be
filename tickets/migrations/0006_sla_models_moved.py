"""A ticket's SLA policy is now `sla.SlaPolicy`, and the SLA alert outbox lives with tickets (tables unchanged)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_programme_ticket_count"),
        ("sla", "0001_initial"),
        ("triage", "0003_oncallshift_queuelead_slaalert_standup"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="ticket",
            name="sla_policy",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="tickets", to="sla.slapolicy"),
        ),
        migrations.CreateModel(
            name="SlaAlert",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("at_risk", "At risk"), ("response_breach", "Response target breached"), ("resolution_breach", "Resolution target breached")], max_length=20)),
                ("severity", models.PositiveSmallIntegerField(choices=[(1, "Sev1 critical"), (2, "Sev2 high"), (3, "Sev3 medium"), (4, "Sev4 low")])),
                ("created_at", models.DateTimeField()),
                ("notified_at", models.DateTimeField(blank=True, null=True)),
                ("ticket", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="sla_alerts", to="tickets.ticket")),
            ],
            options={
                "db_table": "triage_slaalert",
                "ordering": ["-created_at"],
                "indexes": [models.Index(condition=models.Q(("notified_at__isnull", True)), fields=["id"], name="slaalert_pending")],
                "constraints": [models.UniqueConstraint(fields=("ticket", "kind"), name="slaalert_unique_kind")],
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
