from django.urls import path

from sandbox.exchange import views

urlpatterns = [
    path("offerings/<slug:slug>/trade/<str:symbol>/", views.trade, name="sandbox-trade"),
    path(
        "offerings/<slug:slug>/trade/<str:symbol>/orders/<int:order_id>/cancel/",
        views.cancel,
        name="sandbox-cancel-order",
    ),
    path(
        "offerings/<slug:slug>/trade/<str:symbol>/orders/cancel-all/",
        views.cancel_all,
        name="sandbox-cancel-open-orders",
    ),
]
