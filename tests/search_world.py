"""Real authorities for the search tests (issue 7, point 8), written by the importers themselves.

Japanese authorities from the shipped MIC list (fixtures/jp_local_governments.csv), and two rows of
world twin pairs whose foreign sides the twin-pairs import creates and matches to GeoNames (which
brings in Köln, GeoNames' own name of the city the world list calls Cologne).
"""

from __future__ import annotations

import csv
import io

from registry.models import Municipality
from registry.services.import_municipalities import import_municipalities_rows
from registry.services.imports import ImportSummary
from registry.services.twin_pairs import import_twin_pairs_rows
from tests.management.helpers import PAIRS_HEADER, jp_rows

JAPANESE = ("長崎市", "大阪市", "大阪狭山市", "東大阪市", "京都市", "千代田区", "大町市", "大町町")
PAIRS = [
    ["Nagasaki", "Japan", "32.7447", "129.8736", "Saint Paul", "United States", "44.9497", "-93.0931"],
    ["Cologne", "Germany", "50.9364", "6.9528", "Kyoto", "Japan", "35.0116", "135.7681"],
]
#: The five spellings the audit found nothing for, and the authority each must find.
FIVE_SPELLINGS = [
    ("ながさき", "長崎市"),
    ("Nagasaki City", "長崎市"),
    ("Ōsaka", "大阪市"),
    ("St. Paul", "Saint Paul"),
    ("Köln", "Cologne"),
]


def _csv(rows: list[dict[str, str]] | list[list[str]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    if header is None:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    else:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return out.getvalue()


def import_search_world() -> dict[str, Municipality]:
    """Import the authorities above; returns them by official name."""
    jp = ImportSummary()
    import_municipalities_rows(text=_csv(jp_rows(*JAPANESE)), summary=jp)
    assert jp.rejected == [], jp.rejected
    pairs = ImportSummary()
    import_twin_pairs_rows(text=_csv(PAIRS, PAIRS_HEADER), summary=pairs)
    assert pairs.rejected == [], pairs.rejected
    return {m.name: m for m in Municipality.objects.all()}
