"""Import baselines (ImportedValues: what an import last wrote, to tell local edits apart) and the
`coordinators` group, which registry.services.access reads as the coordinator role."""

import django.db.models.deletion
from django.db import migrations, models

COORDINATORS_GROUP = "coordinators"  # registry.services.access.COORDINATORS_GROUP


def create_coordinators_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).get_or_create(name=COORDINATORS_GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("registry", "0005_status_history_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportedValues",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("object_id", models.PositiveBigIntegerField()),
                ("values", models.JSONField(blank=True, default=dict, help_text="Field: value as last imported.")),
                ("source", models.CharField(help_text="The importer that last wrote the row.", max_length=50)),
                ("imported_at", models.DateTimeField(auto_now=True)),
                (
                    "content_type",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="contenttypes.contenttype"),
                ),
            ],
            options={
                "verbose_name": "imported values",
                "verbose_name_plural": "imported values",
                "constraints": [
                    models.UniqueConstraint(fields=("content_type", "object_id"), name="imported_values_one_per_object")
                ],
            },
        ),
        # The group exists after `migrate`; removing it on the way back would drop its members' role.
        migrations.RunPython(create_coordinators_group, migrations.RunPython.noop),
    ]
