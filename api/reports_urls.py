"""Audit reports, mounted under /api/reports/ (see api.reports)."""

from django.urls import path

from . import diplomacy, reports

urlpatterns = [
    path("coverage/", reports.CoverageView.as_view(), name="report-coverage"),
    path("in-name-only/", reports.InNameOnlyView.as_view(), name="report-in-name-only"),
    path("gaps/", reports.GapsView.as_view(), name="report-gaps"),
    path("partner-countries/", reports.PartnerCountriesView.as_view(), name="report-partner-countries"),
    path("growth/", reports.GrowthView.as_view(), name="report-growth"),
    path(
        "multilateral-coverage/",
        diplomacy.MultilateralCoverageView.as_view(),
        name="report-multilateral-coverage",
    ),
]
