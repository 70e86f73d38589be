"""A database-level guard: signatory role changes can never be updated or deleted, whatever the client.

The same guard as the sign-offs' (handover migration 0002): PostgreSQL gets a plpgsql trigger
function; SQLite gets two triggers that RAISE(ABORT). Both surface as an IntegrityError in Django.
"""

from django.db import migrations

from hypercare.migration_operations import AppendOnly

GUARD = AppendOnly("hypercare_signatoryrolechange", "Signatory role changes are immutable")


class Migration(migrations.Migration):
    dependencies = [("hypercare", "0004_programme_exit_and_bau_desk")]

    operations = GUARD.operations()
