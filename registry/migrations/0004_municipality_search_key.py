"""Search: the folded names of each municipality (`search_key`), filled for the rows already there,
and on PostgreSQL the pg_trgm extension and a trigram GIN index over them (LIKE '%…%').

The fill uses the application's folding (registry.services.search), as the services that write
names do; the extension is created on PostgreSQL only (Django's CreateExtension skips others).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

import registry.models.places


def fill_search_keys(apps, schema_editor):
    from registry.services.search import search_key_of  # reads only the fields loaded below

    Municipality = apps.get_model("registry", "Municipality")
    rows = Municipality.objects.using(schema_editor.connection.alias).only(
        "name", "name_en", "name_kana", "geonames_id"
    )
    batch = []
    for municipality in rows.iterator(chunk_size=2000):
        municipality.search_key = search_key_of(municipality)
        batch.append(municipality)
        if len(batch) == 2000:
            Municipality.objects.using(schema_editor.connection.alias).bulk_update(batch, ["search_key"])
            batch = []
    Municipality.objects.using(schema_editor.connection.alias).bulk_update(batch, ["search_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_last_real_activity"),
    ]

    operations = [
        TrigramExtension(),
        migrations.AddField(
            model_name="municipality",
            name="search_key",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                help_text="The names folded for search (kana, accents and tier words aside).",
                verbose_name="search key",
            ),
        ),
        migrations.RunPython(fill_search_keys, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="municipality",
            index=registry.models.places.TrigramIndex(
                fields=["search_key"], name="municipality_search_key_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
