"""REST API routes (under /api/)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import views
from .throttling import DocsRateThrottle

router = DefaultRouter()
router.register("municipalities", views.MunicipalityViewSet, basename="municipality")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("networks", views.NetworkViewSet, basename="network")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("history", views.ChangeRecordViewSet, basename="changerecord")

urlpatterns = [
    # The docs count apart from the data API's rate limits (DocsRateThrottle).
    path("schema/", SpectacularAPIView.as_view(throttle_classes=[DocsRateThrottle]), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", throttle_classes=[DocsRateThrottle]),
        name="api-docs",
    ),
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("reports/", include("api.reports_urls")),
    path("", include(router.urls)),
]
