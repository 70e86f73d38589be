"""A database-level guard: audit entries can never be updated or deleted, whatever the client.

The same guard as the sign-offs' (handover migration 0002) and the signatory role changes'
(migration 0005): a plpgsql trigger on PostgreSQL, two RAISE(ABORT) triggers on SQLite. Both
surface as an IntegrityError in Django.
"""

from django.db import migrations

from hypercare.migration_operations import AppendOnly

GUARD = AppendOnly("hypercare_auditentry", "The audit trail is append-only")


class Migration(migrations.Migration):
    dependencies = [("hypercare", "0006_audit_entry_and_invitation")]

    operations = GUARD.operations()
