"""A database-level guard: audit entries can never be updated or deleted, whatever the client.

The same guard as the sign-offs' (handover migration 0002) and the signatory role changes'
(migration 0005): a plpgsql trigger on PostgreSQL, two RAISE(ABORT) triggers on SQLite. Both
surface as an IntegrityError in Django.
"""

from django.db import migrations

from hypercare.migration_operations import VendorRunSQL

TABLE = "hypercare_auditentry"

POSTGRES_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION {TABLE}_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'The audit trail is append-only: % on {TABLE} is refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE TRIGGER {TABLE}_immutable
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_immutable();
    """,
]
POSTGRES_REVERSE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_immutable ON {TABLE};",
    f"DROP FUNCTION IF EXISTS {TABLE}_immutable();",
]

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only: UPDATE on {TABLE} is refused'); END;
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'The audit trail is append-only: DELETE on {TABLE} is refused'); END;
    """,
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update;",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;",
]


class Migration(migrations.Migration):
    dependencies = [("hypercare", "0006_audit_entry_and_invitation")]

    operations = [
        VendorRunSQL("postgresql", POSTGRES_FORWARD, POSTGRES_REVERSE),
        VendorRunSQL("sqlite", SQLITE_FORWARD, SQLITE_REVERSE),
    ]
