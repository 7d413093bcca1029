from django.contrib import admin
from django.urls import include, path

from campus import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("lti/", include("campus.lti.urls")),
    path("api/", include("sandbox.exchange.api.urls")),
    path(
        "o/<slug:offering_slug>/api/", include("sandbox.exchange.api.urls", namespace="binance-o")
    ),
    path("", include("sandbox.exchange.urls")),
    path("", include("sandbox.wallet.urls")),
    path("", include("sandbox.chain.urls")),
    path("", include("sandbox.markets.urls")),
    path("", include("courses.urls")),
]
