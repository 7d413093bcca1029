from django.urls import path

from sandbox.wallet import views

urlpatterns = [
    path("offerings/<slug:slug>/wallet/", views.wallet, name="sandbox-wallet"),
]
