"""A database-level guard: sign-off rows can never be updated or deleted, whatever the client.

PostgreSQL gets a plpgsql trigger function; SQLite gets two triggers that RAISE(ABORT). Both
surface as an IntegrityError in Django.
"""

from django.db import migrations

from hypercare.migration_operations import VendorRunSQL

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION handover_signoff_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'Sign-offs are immutable: % on handover_signoff is refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER handover_signoff_immutable
    BEFORE UPDATE OR DELETE ON handover_signoff
    FOR EACH ROW EXECUTE FUNCTION handover_signoff_immutable();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS handover_signoff_immutable ON handover_signoff;",
    "DROP FUNCTION IF EXISTS handover_signoff_immutable();",
]

SQLITE_FORWARD = [
    """
    CREATE TRIGGER IF NOT EXISTS handover_signoff_no_update BEFORE UPDATE ON handover_signoff
    BEGIN SELECT RAISE(ABORT, 'Sign-offs are immutable: UPDATE on handover_signoff is refused'); END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS handover_signoff_no_delete BEFORE DELETE ON handover_signoff
    BEGIN SELECT RAISE(ABORT, 'Sign-offs are immutable: DELETE on handover_signoff is refused'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS handover_signoff_no_update;",
    "DROP TRIGGER IF EXISTS handover_signoff_no_delete;",
]


class Migration(migrations.Migration):
    dependencies = [("handover", "0001_initial")]

    operations = [
        VendorRunSQL("postgresql", POSTGRES_FORWARD, POSTGRES_REVERSE),
        VendorRunSQL("sqlite", SQLITE_FORWARD, SQLITE_REVERSE),
    ]
