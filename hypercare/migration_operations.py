"""Migration operations the apps share."""

from dataclasses import dataclass

from django.db import migrations


class VendorRunSQL(migrations.RunSQL):
    """RunSQL that applies only on one database vendor (triggers are written per vendor)."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


@dataclass(frozen=True)
class AppendOnly:
    """A database-level guard that refuses every UPDATE and DELETE on `table`, whatever the client:
    a plpgsql trigger on PostgreSQL, two RAISE(ABORT) triggers on SQLite. Both surface as an
    IntegrityError in Django, saying "<refusal>: <UPDATE|DELETE> on <table> is refused".

    A migration installs it with `operations = GUARD.operations()`; the tests lift and restore the
    SQLite triggers around a flush with `sqlite_reverse` and `sqlite_forward`."""

    table: str
    refusal: str

    @property
    def postgres_forward(self) -> list[str]:
        table = self.table
        return [
            f"""
    CREATE OR REPLACE FUNCTION {table}_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{self.refusal}: % on {table} is refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
            f"""
    CREATE TRIGGER {table}_immutable
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_immutable();
    """,
        ]

    @property
    def postgres_reverse(self) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {self.table}_immutable ON {self.table};",
            f"DROP FUNCTION IF EXISTS {self.table}_immutable();",
        ]

    @property
    def sqlite_forward(self) -> list[str]:
        return [
            f"""
    CREATE TRIGGER IF NOT EXISTS {self.table}_no_{operation.lower()} BEFORE {operation} ON {self.table}
    BEGIN SELECT RAISE(ABORT, '{self.refusal}: {operation} on {self.table} is refused'); END;
    """
            for operation in ("UPDATE", "DELETE")
        ]

    @property
    def sqlite_reverse(self) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {self.table}_no_{operation};" for operation in ("update", "delete")]

    def operations(self) -> list[VendorRunSQL]:
        return [
            VendorRunSQL("postgresql", self.postgres_forward, self.postgres_reverse),
            VendorRunSQL("sqlite", self.sqlite_forward, self.sqlite_reverse),
        ]
