"""The staff workspace's addresses, under the language prefix: /<lang>/my/… (DESIGN.md, "Interfaces")."""

from django.urls import path

from . import views

app_name = "workspace"

urlpatterns = [
    path("", views.my, name="my"),
    path("export/", views.export, name="export"),
    path("profile/", views.profile, name="profile"),
    path("agreements/new/", views.agreement_new, name="agreement-new"),
    path("agreements/<int:pk>/", views.agreement, name="agreement"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="agreement-edit"),
    path("agreements/<int:pk>/status/", views.agreement_status, name="agreement-status"),
    path("agreements/<int:pk>/renew/", views.agreement_renew, name="agreement-renew"),
    path("agreements/<int:pk>/activities/new/", views.activity_new, name="activity-new"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity-edit"),
    path("activities/<int:pk>/delete/", views.activity_delete, name="activity-delete"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.review_decide, name="review-decide"),
]
