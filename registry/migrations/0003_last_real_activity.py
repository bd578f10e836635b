"""`last_real_activity_on`: the latest activity of an agreement that is not demo data.

The audits can then answer "without demo rows" (exclude_demo) and say where a figure rests on demo
activity from the agreement's own columns, as they do with `last_activity_on`. Filled from the log.
"""

from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery


def fill_last_real_activity(apps, schema_editor):
    ActivityLog = apps.get_model("registry", "ActivityLog")
    TwinningAgreement = apps.get_model("registry", "TwinningAgreement")
    latest_real = (
        ActivityLog.objects.filter(agreement=OuterRef("pk"), is_demo=False)
        .order_by()
        .values("agreement")
        .annotate(latest=Max("occurred_on"))
        .values("latest")
    )
    TwinningAgreement.objects.using(schema_editor.connection.alias).filter(last_activity_on__isnull=False).update(
        last_real_activity_on=Subquery(latest_real)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_agreement_side_countries"),
    ]

    operations = [
        migrations.AddField(
            model_name="twinningagreement",
            name="last_real_activity_on",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text="The latest activity that is not demo data.",
                null=True,
                verbose_name="last real activity on",
            ),
        ),
        migrations.RunPython(fill_last_real_activity, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="twinningagreement",
            index=models.Index(fields=["status", "last_real_activity_on"], name="agreement_status_last_real"),
        ),
    ]
