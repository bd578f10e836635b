"""What the importers last wrote: the baseline that tells an imported value from a local edit."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportedValues(models.Model):
    """The values the shipped data (or an importer's file) gave one row at the last import.

    A field whose value in the registry still equals the one recorded here has not been edited
    since that import, so a later import may update it; a field that differs was edited in the
    registry and is kept (registry/services/local_edits.py states the rule). One row per
    imported object; it outlives the object, so a row deleted in the registry is known to have
    been imported once (and is not re-created as if it were missing).
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    values = models.JSONField(default=dict, blank=True, help_text=_("Field: value as last imported."))
    source = models.CharField(max_length=50, help_text=_("The importer that last wrote the row."))
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("imported values")
        verbose_name_plural = _("imported values")
        constraints = [
            # One baseline per object; also the key every import upserts on.
            models.UniqueConstraint(fields=["content_type", "object_id"], name="imported_values_one_per_object"),
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model} #{self.object_id} ({self.source})"
