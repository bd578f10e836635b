"""Reloading data keeps what was edited in the registry (issue 7, point 1).

Each importer: "source changed, not edited → updated" and "edited locally → kept, reported";
`--force-source` overwrites and says so.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from registry.models import ChangeRecord, ImportedValues, Municipality
from tests.factories import UserFactory
from tests.management.helpers import jp_rows, run, write_csv

pytestmark = pytest.mark.django_db


def edit_in_admin(client, obj, **changes) -> None:
    """Change fields the way a coordinator does: through the admin's change form."""
    from django.forms.models import model_to_dict

    admin = UserFactory(username="data_admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    model = type(obj)
    data = {key: ("" if value is None else value) for key, value in model_to_dict(obj).items()}
    data.update(changes)
    # Inline formsets of the change page: empty management forms.
    page = client.get(f"/admin/registry/{model._meta.model_name}/{obj.pk}/change/")
    for prefix in page.context["inline_admin_formsets"]:
        formset = prefix.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = "0"
        data[f"{formset.prefix}-INITIAL_FORMS"] = "0"
    response = client.post(f"/admin/registry/{model._meta.model_name}/{obj.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response


# --- import_municipalities ----------------------------------------------------------------------


def test_import_municipalities_updates_a_field_nobody_edited(tmp_path):
    rows = jp_rows("世田谷区")
    run("import_municipalities", write_csv(tmp_path / "jp.csv", rows))
    rows[-1]["name_kana"] = "セタガヤ"

    output = run("import_municipalities", write_csv(tmp_path / "jp2.csv", rows))

    assert "created: 0, updated: 1, unchanged: 1, rejected: 0" in output
    assert "kept" not in output
    assert Municipality.objects.get(lg_code="131121").name_kana == "セタガヤ"


def test_import_municipalities_keeps_a_prefectures_english_name_edited_in_the_admin(tmp_path, client):
    path = write_csv(tmp_path / "jp.csv", jp_rows("世田谷区"))
    run("import_municipalities", path)
    tokyo = Municipality.objects.get(lg_code="130001")
    edit_in_admin(client, tokyo, name_en="Tokyo Metropolis")

    output = run("import_municipalities", path)

    assert Municipality.objects.get(lg_code="130001").name_en == "Tokyo Metropolis"
    assert "created: 0, updated: 0, unchanged: 2, rejected: 0" in output
    assert output.splitlines()[0].endswith(", kept 1 local edit")
    assert "東京都 (Tokyo Metropolis): name_en is “Tokyo Metropolis” here, “Tokyo” in the source" in output


def test_import_municipalities_keeps_an_edit_while_taking_the_sources_other_changes(tmp_path):
    rows = jp_rows("世田谷区")
    run("import_municipalities", write_csv(tmp_path / "jp.csv", rows))
    Municipality.objects.filter(lg_code="131121").update(name_en="Setagaya City")  # edited by hand
    rows[-1]["name_romaji"] = "Setagaya-ku"  # the source changes the edited field…
    rows[-1]["name_kana"] = "セタガヤ"  # … and one nobody edited

    output = run("import_municipalities", write_csv(tmp_path / "jp2.csv", rows))

    setagaya = Municipality.objects.get(lg_code="131121")
    assert (setagaya.name_en, setagaya.name_kana) == ("Setagaya City", "セタガヤ")
    assert "updated: 1" in output
    assert "kept 1 local edit" in output
    # A third run keeps it again and changes nothing else.
    again = run("import_municipalities", write_csv(tmp_path / "jp2.csv", rows))
    assert "created: 0, updated: 0, unchanged: 2, rejected: 0" in again
    assert again.splitlines()[0].endswith(", kept 1 local edit")


def test_import_municipalities_force_source_overwrites_and_says_so(tmp_path):
    path = write_csv(tmp_path / "jp.csv", jp_rows("世田谷区"))
    run("import_municipalities", path)
    Municipality.objects.filter(lg_code="130001").update(name_en="Tokyo Metropolis")

    output = run("import_municipalities", path, "--force-source")

    assert Municipality.objects.get(lg_code="130001").name_en == "Tokyo"
    assert "updated: 1" in output
    assert "overwrote 1 local edit with the source's values (--force-source)" in output
    assert "name_en is “Tokyo Metropolis” here, “Tokyo” in the source" in output
    record = ChangeRecord.objects.filter(action="import").order_by("-pk").first()
    assert record.changes == {"name_en": ["Tokyo Metropolis", "Tokyo"]}


def test_import_municipalities_without_baselines_keeps_what_the_history_shows_edited(tmp_path, client):
    """Data imported before baselines existed: the change history tells an admin edit from an import."""
    rows = jp_rows("世田谷区")
    run("import_municipalities", write_csv(tmp_path / "jp.csv", rows))
    edit_in_admin(client, Municipality.objects.get(lg_code="130001"), name_en="Tokyo Metropolis")
    ImportedValues.objects.all().delete()
    rows[-1]["name_romaji"] = "Setagaya-ku"  # changed in the source, never edited here

    output = run("import_municipalities", write_csv(tmp_path / "jp2.csv", rows))

    assert Municipality.objects.get(lg_code="130001").name_en == "Tokyo Metropolis"
    assert Municipality.objects.get(lg_code="131121").name_en == "Setagaya-ku"
    assert "updated: 1" in output
    assert "kept 1 local edit" in output
