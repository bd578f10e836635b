"""The two sides' countries on each agreement (country_a / country_b), filled from the municipalities.

The columns are added with a temporary empty default (dropped at once: the field has none, so a
write that forgets them fails), filled for the existing rows, then checked and indexed; with the
indexes of the country reports (gaps foreign's population order included).
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

import registry.models.places


def fill_side_countries(apps, schema_editor):
    Municipality = apps.get_model("registry", "Municipality")
    TwinningAgreement = apps.get_model("registry", "TwinningAgreement")

    def country_of(side: str) -> Subquery:
        return Subquery(Municipality.objects.filter(pk=OuterRef(side)).values("country")[:1])

    TwinningAgreement.objects.using(schema_editor.connection.alias).update(
        country_a=country_of("municipality_a_id"), country_b=country_of("municipality_b_id")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="twinningagreement",
            name="country_a",
            field=models.CharField(default="", editable=False, max_length=2, verbose_name="country of A"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="twinningagreement",
            name="country_b",
            field=models.CharField(default="", editable=False, max_length=2, verbose_name="country of B"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_side_countries, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="twinningagreement",
            constraint=models.CheckConstraint(
                condition=models.Q(("country_a__regex", "^[A-Z]{2}$"), ("country_b__regex", "^[A-Z]{2}$")),
                name="agreement_side_countries_iso_alpha2",
            ),
        ),
        migrations.AddIndex(
            model_name="twinningagreement",
            index=models.Index(
                fields=["country_a", "country_b"],
                include=("municipality_a", "municipality_b", "signed_on", "status", "status_changed_on", "id"),
                name="agreement_country_a_b",
            ),
        ),
        migrations.AddIndex(
            model_name="twinningagreement",
            index=models.Index(
                fields=["country_b", "country_a"],
                include=("municipality_a", "municipality_b", "signed_on", "status", "status_changed_on", "id"),
                name="agreement_country_b_a",
            ),
        ),
        migrations.AddIndex(
            model_name="twinningagreement",
            index=models.Index(fields=["municipality_b", "country_a"], name="agreement_b_country_a"),
        ),
        migrations.AddIndex(
            model_name="twinningagreement",
            index=models.Index(fields=["municipality_a", "country_b"], name="agreement_a_country_b"),
        ),
        # Gaps foreign's order is population DESC NULLS LAST: the former (country, -population)
        # index (NULLS FIRST) could not serve it.
        migrations.RemoveIndex(model_name="municipality", name="municipality_country_pop"),
        migrations.AddIndex(
            model_name="municipality",
            index=registry.models.places.NullsLastIndex(
                models.OrderBy(models.F("population"), descending=True, nulls_last=True),
                models.F("name"),
                models.F("id"),
                name="municipality_pop_order",
            ),
        ),
        migrations.AddIndex(
            model_name="municipality",
            index=registry.models.places.NullsLastIndex(
                models.F("country"),
                models.OrderBy(models.F("population"), descending=True, nulls_last=True),
                models.F("name"),
                models.F("id"),
                name="municipality_country_pop_order",
            ),
        ),
    ]
