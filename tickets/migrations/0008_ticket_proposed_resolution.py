"""A Tier 3 resolution proposed to the desk (tickets.services.ticket_propose_resolution)."""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def reinstall_sqlite_triggers(apps, schema_editor):
    """SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers: put back the
    ticket-count triggers of 0005 (PostgreSQL adds the column in place and keeps them)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    counts = importlib.import_module("tickets.migrations.0005_programme_ticket_count")
    for statement in counts.SQLITE_REVERSE + counts.SQLITE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_ticket_imported_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="proposed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="proposed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="proposed_resolution",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(reinstall_sqlite_triggers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="ticketevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Logged"),
                    ("status", "Status changed"),
                    ("severity", "Severity changed"),
                    ("tier", "Tier changed"),
                    ("escalated", "Escalated"),
                    ("assigned", "Assigned"),
                    ("category", "Category changed"),
                    ("comment", "Commented"),
                    ("attachment", "Attachment added"),
                    ("resolved", "Resolved"),
                    ("proposed", "Resolution proposed"),
                    ("reopened", "Reopened"),
                    ("closed", "Closed"),
                    ("linked", "Linked to a known issue"),
                    ("edited", "Edited"),
                    ("sla", "SLA clocks recomputed"),
                    ("breach", "SLA at risk or breached"),
                ],
                max_length=20,
            ),
        ),
    ]
