"""The shipped fixtures end to end: tier counts, the ≥ 98% Japan–foreign link rate.

No timing here: speed is measured by the benchmark commands, never asserted by a test (a loaded
machine failed this one at 135 s while the import itself had not changed)."""

from __future__ import annotations

import pytest
from django.db.models import Count, Q

from registry.models import AgreementStatusChange, ChangeRecord, Municipality, TwinningAgreement
from registry.services.import_municipalities import import_municipalities_rows
from registry.services.imports import ImportSummary
from registry.services.twin_pairs import import_twin_pairs_rows, japan_foreign_rate
from tests.management.helpers import JP_FILE, PAIRS_FILE

pytestmark = pytest.mark.django_db


def test_import_real_fixtures_tiers_and_link_rate():
    municipalities = ImportSummary()
    import_municipalities_rows(text=JP_FILE.read_text(encoding="utf-8"), summary=municipalities)
    pairs = ImportSummary()
    import_twin_pairs_rows(text=PAIRS_FILE.read_text(encoding="utf-8"), summary=pairs)

    tiers = dict(Municipality.objects.filter(country="JP").values_list("tier").annotate(n=Count("pk")))
    assert tiers == {"prefecture": 47, "city": 792, "special_ward": 23, "town": 743, "village": 183}
    assert municipalities.rejected == []

    # ≥ 98% of the Japan–foreign rows linked to a coded Japanese authority.
    assert pairs.notes["Japan–foreign rows"] == 1150
    assert japan_foreign_rate(pairs) >= 98.0
    japan_foreign = (
        TwinningAgreement.objects.filter(Q(municipality_a__country="JP") ^ Q(municipality_b__country="JP"))
        .values("municipality_a", "municipality_b")
        .count()
    )
    assert japan_foreign >= 1100
    # Every row is accounted for; every agreement has its first history row and audit row.
    assert pairs.created + pairs.unchanged + len(pairs.rejected) == 25917
    agreements = TwinningAgreement.objects.count()
    assert agreements == pairs.created
    assert (
        AgreementStatusChange.objects.filter(from_status="", to_status="active", changed_on=None).count() == agreements
    )
    assert ChangeRecord.objects.filter(action="import", content_type__model="twinningagreement").count() == agreements
    # Rejected rows have reasons; nothing is rejected silently.
    assert all(rejection.reason for rejection in pairs.rejected)
