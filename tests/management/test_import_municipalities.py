"""import_municipalities: Japan's authorities, tiers, prefectures as parents, idempotent."""

from __future__ import annotations

import pytest
from django.db.models import Count

from registry.models import ChangeRecord, Municipality
from tests.management.helpers import JP_FILE, jp_rows, read_rejects, run, write_csv

pytestmark = pytest.mark.django_db


def tier_counts() -> dict[str, int]:
    return dict(Municipality.objects.filter(country="JP").values_list("tier").annotate(n=Count("pk")))


def test_import_municipalities_counts_by_tier_and_parents():
    output = run("import_municipalities", JP_FILE)

    assert "created: 1788, updated: 0, unchanged: 0, rejected: 0" in output
    assert tier_counts() == {"prefecture": 47, "city": 792, "special_ward": 23, "town": 743, "village": 183}
    setagaya = Municipality.objects.select_related("parent").get(lg_code="131121")
    assert (setagaya.name, setagaya.name_en, setagaya.name_kana, setagaya.tier) == (
        "世田谷区",
        "Setagaya",
        "セタガヤク",
        "special_ward",
    )
    assert (setagaya.parent.lg_code, setagaya.parent.name, setagaya.parent.name_en) == ("130001", "東京都", "Tokyo")
    assert setagaya.latitude == pytest.approx(35.6461, abs=1e-3)
    # Every municipality has its prefecture as parent; prefectures have none.
    assert not Municipality.objects.filter(country="JP").exclude(tier="prefecture").filter(parent=None).exists()
    assert not Municipality.objects.filter(tier="prefecture", parent__isnull=False).exists()


@pytest.mark.parametrize(
    ("name", "tier"),
    [
        ("四日市市", "city"),
        ("町田市", "city"),
        ("大町市", "city"),
        ("大町町", "town"),
        ("十日町市", "city"),
        ("東村", "village"),
    ],
)
def test_import_municipalities_tier_from_last_character(tmp_path, name, tier):
    run("import_municipalities", write_csv(tmp_path / "jp.csv", jp_rows(name)))

    assert Municipality.objects.get(name=name).tier == tier


def test_import_municipalities_second_run_changes_nothing():
    run("import_municipalities", JP_FILE)
    before = list(Municipality.objects.values_list("pk", "updated_at").order_by("pk"))
    records = ChangeRecord.objects.count()

    output = run("import_municipalities", JP_FILE)

    assert "created: 0, updated: 0, unchanged: 1788, rejected: 0" in output
    assert list(Municipality.objects.values_list("pk", "updated_at").order_by("pk")) == before
    assert ChangeRecord.objects.count() == records


def test_import_municipalities_updates_a_changed_row_and_records_it(tmp_path):
    rows = jp_rows("世田谷区")
    run("import_municipalities", write_csv(tmp_path / "jp.csv", rows))
    rows[-1]["name_romaji"] = "Setagaya-ku"

    output = run("import_municipalities", write_csv(tmp_path / "jp2.csv", rows))

    assert "created: 0, updated: 1, unchanged: 1, rejected: 0" in output
    setagaya = Municipality.objects.get(lg_code="131121")
    assert setagaya.name_en == "Setagaya-ku"
    record = ChangeRecord.objects.filter(object_id=setagaya.pk, action="import").order_by("-pk").first()
    assert record.changes == {"name_en": ["Setagaya", "Setagaya-ku"]}


def test_import_municipalities_rejects_bad_check_digit_naming_the_line(tmp_path):
    rows = jp_rows("世田谷区", "渋谷区")
    rows[1]["lg_code"] = "131122"  # 世田谷区 is 131121
    rejects = tmp_path / "rejected.csv"

    output = run("import_municipalities", write_csv(tmp_path / "jp.csv", rows), rejects=rejects)

    assert "line 3: lg_code: The check digit of “131122” is wrong: it should end in 1." in output
    assert [(r["line"], r["lg_code"]) for r in read_rejects(rejects)] == [("3", "131122")]
    assert "check digit" in read_rejects(rejects)[0]["reason"]
    # The other rows are imported.
    assert set(Municipality.objects.values_list("name", flat=True)) == {"東京都", "渋谷区"}


def test_import_municipalities_rejects_a_designated_city_ward(tmp_path):
    rows = jp_rows("札幌市")
    rows[-1].update(name_ja="中央区", lg_code="011011")
    rejects = tmp_path / "rejected.csv"

    run("import_municipalities", write_csv(tmp_path / "jp.csv", rows), rejects=rejects)

    assert "not a local authority" in read_rejects(rejects)[0]["reason"]
    assert not Municipality.objects.filter(name="中央区").exists()


def test_import_municipalities_dry_run_writes_nothing():
    output = run("import_municipalities", JP_FILE, "--dry-run")

    assert output.startswith("[dry run, nothing written] created: 1788")
    assert not Municipality.objects.exists()
    assert not ChangeRecord.objects.exists()
