"""The SLA policy, targets and matrix moved to the `sla` app and the alert outbox to `tickets`; tables unchanged."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0003_oncallshift_queuelead_slaalert_standup"),
        ("tickets", "0006_sla_models_moved"),
    ]

    state_operations = [
        migrations.DeleteModel(name="SlaAlert"),
        migrations.DeleteModel(name="SlaTarget"),
        migrations.DeleteModel(name="SlaPolicy"),
        migrations.DeleteModel(name="SeverityRule"),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
