"""Page addresses for people, under the language prefix (registry.urls wraps them in i18n_patterns).

The paths are a contract (DESIGN.md, "Interfaces").
"""

from django.urls import path

from . import views

app_name = "pages"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/suggest/", views.search_suggestions, name="search-suggest"),
    path("map/standing.json", views.standing_map_data, name="standing-map"),
    path("municipalities/<int:pk>/", views.municipality, name="municipality"),
    path("jp/<str:lg_code>/", views.municipality_by_code, name="municipality-by-code"),
]
