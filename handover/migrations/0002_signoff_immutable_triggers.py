"""A database-level guard: sign-off rows can never be updated or deleted, whatever the client.

PostgreSQL gets a plpgsql trigger function; SQLite gets two triggers that RAISE(ABORT). Both
surface as an IntegrityError in Django.
"""

from django.db import migrations

from hypercare.migration_operations import AppendOnly

GUARD = AppendOnly("handover_signoff", "Sign-offs are immutable")


class Migration(migrations.Migration):
    dependencies = [("handover", "0001_initial")]

    operations = GUARD.operations()
