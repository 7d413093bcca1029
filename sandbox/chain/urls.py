"""The chain's pages. Each page module keeps its own `urlpatterns`."""

from sandbox.chain import views_explorer, views_mychain, views_roster, views_studio

urlpatterns = [
    *views_mychain.urlpatterns,
    *views_roster.urlpatterns,
    *views_explorer.urlpatterns,
    *views_studio.urlpatterns,
]
