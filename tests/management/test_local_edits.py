"""Reloading data keeps what was edited in the registry (issue 7, point 1).

Each importer: "source changed, not edited → updated" and "edited locally → kept, reported";
`--force-source` overwrites and says so.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from registry.models import ChangeRecord, ImportedValues, Municipality, Network, TwinningAgreement
from registry.services.agreements import change_status, delete_agreement, update_agreement
from tests.factories import UserFactory
from tests.management.helpers import FIXTURES, PAIRS_HEADER, jp_rows, run, write_csv

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


# --- import_networks and the shipped networks -----------------------------------------------------

NETWORKS = FIXTURES / "networks.json"


def networks_file(tmp_path: Path, **website_by_slug: str) -> Path:
    entries = json.loads(NETWORKS.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["fields"]["slug"] in website_by_slug:
            entry["fields"]["website"] = website_by_slug[entry["fields"]["slug"]]
    path = tmp_path / "networks.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


def test_import_networks_loads_the_twelve_networks_and_is_idempotent():
    first = run("import_networks", NETWORKS)
    second = run("import_networks", NETWORKS)

    assert "created: 12, updated: 0, unchanged: 0, rejected: 0" in first
    assert Network.objects.get(slug="mayors-for-peace").name_ja == "平和首長会議"
    assert "created: 0, updated: 0, unchanged: 12, rejected: 0" in second
    assert "kept" not in second


def test_import_networks_keeps_a_website_a_coordinator_set(client):
    run("import_networks", NETWORKS)
    metropolis = Network.objects.get(slug="metropolis")
    edit_in_admin(client, metropolis, website="https://www.metropolis.org/en/")

    output = run("import_networks", NETWORKS)

    assert Network.objects.get(slug="metropolis").website == "https://www.metropolis.org/en/"
    assert "unchanged: 12" in output
    assert output.splitlines()[0].endswith(", kept 1 local edit")
    assert (
        "Metropolis (World Association of Major Metropolises): website is “https://www.metropolis.org/en/” here, "
        "“https://www.metropolis.org/” in the source" in output
    )


def test_import_networks_takes_a_changed_source_where_nobody_edited(tmp_path):
    run("import_networks", NETWORKS)

    output = run("import_networks", networks_file(tmp_path, metropolis="https://metropolis.org/"))

    assert "created: 0, updated: 1, unchanged: 11, rejected: 0" in output
    assert Network.objects.get(slug="metropolis").website == "https://metropolis.org/"
    record = ChangeRecord.objects.filter(action="import", note="Updated by import_networks.").get()
    assert record.changes == {"website": ["https://www.metropolis.org/", "https://metropolis.org/"]}


def test_import_networks_force_source_puts_the_shipped_value_back():
    run("import_networks", NETWORKS)
    Network.objects.filter(slug="metropolis").update(website="https://example.org/")

    output = run("import_networks", NETWORKS, "--force-source")

    assert Network.objects.get(slug="metropolis").website == "https://www.metropolis.org/"
    assert "overwrote 1 local edit" in output


def test_import_networks_rejects_a_bad_entry_with_its_reason(tmp_path):
    path = tmp_path / "networks.json"
    path.write_text(
        json.dumps(
            [
                {"model": "registry.network", "fields": {"slug": "ok", "name": "OK", "scale": "global"}},
                {"model": "registry.network", "fields": {"slug": "bad", "name": "Bad", "scale": "galactic"}},
            ]
        ),
        encoding="utf-8",
    )

    output = run("import_networks", path, rejects=tmp_path / "rejected.csv")

    assert "created: 1, updated: 0, unchanged: 0, rejected: 1" in output
    assert "line 2: scale:" in output
    assert list(Network.objects.values_list("slug", flat=True)) == ["ok"]


def test_import_networks_refuses_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "networks.json"
    path.write_text("[{", encoding="utf-8")

    with pytest.raises(CommandError, match="file: line 1: not JSON"):
        run("import_networks", path)


# --- load_registry_data: `make run` a second time -------------------------------------------------


def test_load_registry_data_again_keeps_the_coordinators_edits(tmp_path, client, settings, monkeypatch):
    """The audit's finding: a second `make run` put back a network's website and a prefecture's English name."""
    from registry.management.commands import load_registry_data

    # The real networks and authorities; a few real twin pairs (the whole list takes minutes).
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    write_csv(fixtures / "jp_local_governments.csv", jp_rows("長崎市", "世田谷区"))
    (fixtures / "networks.json").write_text(NETWORKS.read_text(encoding="utf-8"), encoding="utf-8")
    write_csv(
        fixtures / "world_twin_pairs.csv",
        [["Nagasaki", "Japan", "32.75", "129.87", "Saint Paul", "United States", "44.95", "-93.09"]],
        header=PAIRS_HEADER,
    )
    monkeypatch.setattr(load_registry_data, "FIXTURES", fixtures)

    def load(*args: str) -> str:
        out = io.StringIO()
        call_command("load_registry_data", "--no-demo", "--no-progress", *args, stdout=out, stderr=io.StringIO())
        return out.getvalue()

    load()
    edit_in_admin(client, Network.objects.get(slug="metropolis"), website="https://www.metropolis.org/en/")
    edit_in_admin(client, Municipality.objects.get(lg_code="420000"), name_en="Nagasaki Prefecture")

    output = load()

    assert Network.objects.get(slug="metropolis").website == "https://www.metropolis.org/en/"
    assert Municipality.objects.get(lg_code="420000").name_en == "Nagasaki Prefecture"
    assert output.count("kept 1 local edit") == 2  # one by the authorities' step, one by the networks'
    assert "Registry data loaded." in output

    forced = load("--force-source")

    assert Network.objects.get(slug="metropolis").website == "https://www.metropolis.org/"
    assert Municipality.objects.get(lg_code="420000").name_en == "Nagasaki"
    assert forced.count("overwrote 1 local edit") == 2


# --- import_twin_pairs -----------------------------------------------------------------------------

NAGASAKI_ST_PAUL = ["Nagasaki", "Japan", "32.75", "129.87", "Saint Paul", "United States", "44.95", "-93.09"]


def test_import_twin_pairs_moves_coordinates_nobody_edited_and_keeps_edited_ones(tmp_path):
    run("import_municipalities", write_csv(tmp_path / "jp.csv", jp_rows("長崎市")))
    run("import_twin_pairs", write_csv(tmp_path / "p.csv", [NAGASAKI_ST_PAUL], header=PAIRS_HEADER))
    moved = [*NAGASAKI_ST_PAUL[:6], "44.9537", "-93.0900"]

    output = run("import_twin_pairs", write_csv(tmp_path / "p2.csv", [moved], header=PAIRS_HEADER))

    saint_paul = Municipality.objects.get(name="Saint Paul")
    assert (saint_paul.latitude, saint_paul.longitude) == (44.9537, -93.09)
    assert "updated: 1" in output

    update = {"latitude": 44.944, "longitude": -93.093}
    Municipality.objects.filter(pk=saint_paul.pk).update(**update)  # a coordinator's correction

    output = run("import_twin_pairs", write_csv(tmp_path / "p3.csv", [NAGASAKI_ST_PAUL], header=PAIRS_HEADER))

    saint_paul.refresh_from_db()
    assert (saint_paul.latitude, saint_paul.longitude) == (44.944, -93.093)
    assert "kept 2 local edits" in output


def test_import_twin_pairs_does_not_recreate_a_pair_deleted_in_the_registry(tmp_path):
    run("import_municipalities", write_csv(tmp_path / "jp.csv", jp_rows("長崎市")))
    path = write_csv(tmp_path / "p.csv", [NAGASAKI_ST_PAUL], header=PAIRS_HEADER)
    run("import_twin_pairs", path)
    delete_agreement(agreement=TwinningAgreement.objects.get())  # recorded in error, a coordinator says

    output = run("import_twin_pairs", path)

    assert not TwinningAgreement.objects.exists()
    assert "created: 0, updated: 0, unchanged: 1" in output
    assert "agreement is “deleted” here, “listed” in the source" in output

    forced = run("import_twin_pairs", path, "--force-source")

    assert TwinningAgreement.objects.count() == 1
    assert "created: 1" in forced
    assert "overwrote 1 local edit" in forced


# --- import_agreements -----------------------------------------------------------------------------

AGREEMENTS_HEADER = (
    "lg_code,partner_name,partner_country,partner_region,kind,signed_on,status,"
    "heads_signed,fields_unrestricted,assembly_approved,source_url"
)


def agreements_file(tmp_path: Path, row: str, name: str = "agreements.csv") -> Path:
    path = tmp_path / name
    path.write_text(AGREEMENTS_HEADER + "\n" + row + "\n", encoding="utf-8")
    return path


def test_import_agreements_updates_what_nobody_edited_and_keeps_what_was(tmp_path, nagasaki, coordinator):
    run("import_agreements", agreements_file(tmp_path, "422011,Saint Paul,US,,sister,1955,active,,,,"))
    agreement = TwinningAgreement.objects.get()
    update_agreement(agreement=agreement, by=coordinator, kind="friendship")  # edited here

    output = run(
        "import_agreements",
        agreements_file(tmp_path, "422011,Saint Paul,US,,sister,1955-12-07,active,,,,", name="again.csv"),
    )

    agreement.refresh_from_db()
    assert agreement.kind == "friendship"  # kept
    assert (agreement.signed_on, agreement.signed_on_precision) == (dt.date(1955, 12, 7), "day")  # updated
    assert "created: 0, updated: 1, unchanged: 0, rejected: 0" in output
    assert "kind is “friendship” here, “sister” in the source" in output


def test_import_agreements_keeps_a_status_changed_in_the_registry(tmp_path, nagasaki, coordinator):
    path = agreements_file(tmp_path, "422011,Saint Paul,US,,sister,1955,active,,,,")
    run("import_agreements", path)
    agreement = TwinningAgreement.objects.get()
    change_status(agreement=agreement, status="suspended", on=dt.date(2020, 1, 1), reason="Pandemic", by=coordinator)

    output = run("import_agreements", path)

    assert TwinningAgreement.objects.get().status == "suspended"
    assert "unchanged: 1" in output
    assert "status is “suspended” here, “active” in the source" in output


def test_import_twin_pairs_still_matches_a_prefecture_renamed_in_the_registry(tmp_path):
    """Keeping a coordinator's "Tokyo Metropolis" must not make the list's "Setagaya (Tokyo)" unplaceable."""
    run("import_municipalities", write_csv(tmp_path / "jp.csv", jp_rows("世田谷区")))
    Municipality.objects.filter(lg_code="130001").update(name_en="Tokyo Metropolis")
    run("import_municipalities", write_csv(tmp_path / "jp.csv", jp_rows("世田谷区")))  # kept

    output = run(
        "import_twin_pairs",
        write_csv(
            tmp_path / "p.csv",
            [["Setagaya (Tokyo)", "Japan", "35.6492", "139.6327", "Winnipeg", "Canada", "49.8956", "-97.1386"]],
            header=PAIRS_HEADER,
        ),
    )

    assert "created: 1, updated: 0, unchanged: 0, rejected: 0" in output
    assert TwinningAgreement.objects.get().municipality_a.name in {"世田谷区", "Winnipeg"}


def test_import_twin_pairs_remembers_a_pair_recorded_before_baselines_and_keeps_its_deletion(tmp_path):
    run("import_municipalities", write_csv(tmp_path / "jp.csv", jp_rows("長崎市")))
    path = write_csv(tmp_path / "p.csv", [NAGASAKI_ST_PAUL], header=PAIRS_HEADER)
    run("import_twin_pairs", path)
    agreement = TwinningAgreement.objects.get()
    ImportedValues.objects.filter(content_type__model="twinningagreement").delete()  # as before baselines

    run("import_twin_pairs", path)  # finds the pair recorded: remembers it
    delete_agreement(agreement=agreement)
    output = run("import_twin_pairs", path)

    assert not TwinningAgreement.objects.exists()
    assert "kept 1 local edit" in output
