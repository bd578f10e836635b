"""Page addresses for people, under the language prefix (registry.urls wraps them in i18n_patterns).

The paths are a contract (DESIGN.md, "Interfaces").
"""

from django.urls import path

from . import views

app_name = "pages"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggestions, name="search-suggest"),
    path("municipalities/", views.directory, name="directory"),
    path("map/standing.json", views.standing_map_data, name="standing-map"),
    path("municipalities/<int:pk>/", views.municipality, name="municipality"),
    path("jp/<str:lg_code>/", views.municipality_by_code, name="municipality-by-code"),
    path("agreements/<int:pk>/", views.agreement, name="agreement"),
    path("countries/<str:code>/", views.country, name="country"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("gaps/", views.gaps, name="gaps"),
    path("networks/", views.networks, name="networks"),
    path("networks/<int:pk>/", views.network, name="network"),
]
