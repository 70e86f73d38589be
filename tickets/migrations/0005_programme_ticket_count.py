"""Per-programme ticket counts kept by triggers (see tickets.models.ProgrammeTicketCount)."""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "tickets_programmeticketcount"

POSTGRESQL = [
    # Statement-level triggers with transition tables: one COPY of a million tickets (seed_scale)
    # or a bulk INSERT adds to each programme once, not once per row.
    f"""
    CREATE FUNCTION tickets_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {TABLE} AS counted (programme_id, tickets)
        SELECT programme_id, COUNT(*) FROM inserted GROUP BY programme_id
        ON CONFLICT (programme_id) DO UPDATE SET tickets = counted.tickets + EXCLUDED.tickets;
        RETURN NULL;
    END $$;
    CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets_ticket
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION tickets_count_inserted();
    """,
    f"""
    CREATE FUNCTION tickets_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE {TABLE} AS counted SET tickets = counted.tickets - gone.n
        FROM (SELECT programme_id, COUNT(*) AS n FROM deleted GROUP BY programme_id) AS gone
        WHERE counted.programme_id = gone.programme_id;
        RETURN NULL;
    END $$;
    CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets_ticket
        REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION tickets_count_deleted();
    """,
    # A ticket moved to another programme (nothing in the app does it; the admin or SQL could).
    # Row-level with a WHEN clause, so the sweep's bulk UPDATEs pay nothing for it.
    f"""
    CREATE FUNCTION tickets_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE {TABLE} SET tickets = tickets - 1 WHERE programme_id = OLD.programme_id;
        INSERT INTO {TABLE} AS counted (programme_id, tickets) VALUES (NEW.programme_id, 1)
        ON CONFLICT (programme_id) DO UPDATE SET tickets = counted.tickets + 1;
        RETURN NULL;
    END $$;
    CREATE TRIGGER tickets_count_move AFTER UPDATE OF programme_id ON tickets_ticket
        FOR EACH ROW WHEN (OLD.programme_id IS DISTINCT FROM NEW.programme_id)
        EXECUTE FUNCTION tickets_count_moved();
    """,
]
POSTGRESQL_REVERSE = """
    DROP TRIGGER IF EXISTS tickets_count_insert ON tickets_ticket;
    DROP TRIGGER IF EXISTS tickets_count_delete ON tickets_ticket;
    DROP TRIGGER IF EXISTS tickets_count_move ON tickets_ticket;
    DROP FUNCTION IF EXISTS tickets_count_inserted();
    DROP FUNCTION IF EXISTS tickets_count_deleted();
    DROP FUNCTION IF EXISTS tickets_count_moved();
"""

SQLITE = [
    f"""
    CREATE TRIGGER tickets_count_insert AFTER INSERT ON tickets_ticket BEGIN
        INSERT INTO {TABLE} (programme_id, tickets) VALUES (NEW.programme_id, 1)
        ON CONFLICT (programme_id) DO UPDATE SET tickets = tickets + 1;
    END
    """,
    f"""
    CREATE TRIGGER tickets_count_delete AFTER DELETE ON tickets_ticket BEGIN
        UPDATE {TABLE} SET tickets = tickets - 1 WHERE programme_id = OLD.programme_id;
    END
    """,
    f"""
    CREATE TRIGGER tickets_count_move AFTER UPDATE OF programme_id ON tickets_ticket
    WHEN OLD.programme_id IS NOT NEW.programme_id BEGIN
        UPDATE {TABLE} SET tickets = tickets - 1 WHERE programme_id = OLD.programme_id;
        INSERT INTO {TABLE} (programme_id, tickets) VALUES (NEW.programme_id, 1)
        ON CONFLICT (programme_id) DO UPDATE SET tickets = tickets + 1;
    END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS tickets_count_insert",
    "DROP TRIGGER IF EXISTS tickets_count_delete",
    "DROP TRIGGER IF EXISTS tickets_count_move",
]

COUNT_EXISTING = f"""
    INSERT INTO {TABLE} (programme_id, tickets)
    SELECT programme_id, COUNT(*) FROM tickets_ticket GROUP BY programme_id
"""


def install(apps, schema_editor):
    statements = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    schema_editor.execute(COUNT_EXISTING)
    for statement in statements:
        schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)
    else:
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("hypercare", "0003_notification_claimed_at"),
        ("tickets", "0004_sweep_risk_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProgrammeTicketCount",
            fields=[
                (
                    "programme",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="ticket_counter",
                        serialize=False,
                        to="hypercare.programme",
                    ),
                ),
                ("tickets", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
