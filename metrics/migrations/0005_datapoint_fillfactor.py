"""Leave room in each page of the points table on PostgreSQL, so a resent day can update in place.

Only value, source and updated_at change on a resend, and none is indexed: where the page has
free space PostgreSQL makes a heap-only (HOT) update and writes no index entry for that row.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE metrics_datapoint SET (fillfactor = 70)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE metrics_datapoint RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0004_drop_redundant_foreign_key_indexes")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
