from django.urls import include, path

from courses import views

urlpatterns = [
    path("", views.home, name="home"),
    path("offerings/<slug:slug>/", views.offering_detail, name="offering-detail"),
    path("offerings/<slug:slug>/roster/", views.offering_roster, name="offering-roster"),
    path("", include("courses.urls_learn")),
    path("", include("courses.urls_teach")),
]
