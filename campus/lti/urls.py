from django.urls import path

from campus.lti import views, views_deep_link, views_link, views_register, views_roster

app_name = "lti"

urlpatterns = [
    path("jwks/", views.jwks, name="jwks"),
    path("login/", views.oidc_login, name="login"),
    path("launch/", views.launch, name="launch"),
    path("register/", views_register.register, name="register"),
    path("register/status/", views_register.register_status, name="register_status"),
    path("launches/<uuid:launch_id>/link/", views_link.link_offering, name="link"),
    path("launches/<uuid:launch_id>/resume/", views_link.resume, name="resume"),
    path("launches/<uuid:launch_id>/deep-link/", views_deep_link.deep_link, name="deep_link"),
    path("offerings/<slug:slug>/", views_roster.offering_lti, name="offering"),
]
