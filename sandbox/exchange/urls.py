from django.urls import path

from sandbox.exchange import views, views_apikeys, views_live, views_student, views_wallet

urlpatterns = [
    path("offerings/<slug:slug>/wallet/", views_wallet.wallet, name="sandbox-wallet"),
    # before the market's page, whose <symbol> would otherwise take "listen-key"
    path(
        "offerings/<slug:slug>/trade/listen-key/", views_live.listen_key, name="sandbox-listen-key"
    ),
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
    path("offerings/<slug:slug>/api-keys/", views_apikeys.api_keys, name="sandbox-api-keys"),
    path(
        "offerings/<slug:slug>/api-keys/<int:key_id>/revoke/",
        views_apikeys.revoke,
        name="sandbox-revoke-api-key",
    ),
    # instructors: one student's activity on the offering's exchange, and their wallet reset
    path(
        "offerings/<slug:slug>/students/<int:user_id>/exchange/",
        views_student.student_activity,
        name="sandbox-student-activity",
    ),
    path(
        "offerings/<slug:slug>/students/<int:user_id>/exchange/reset-wallet/",
        views_student.reset_student_wallet,
        name="sandbox-student-reset-wallet",
    ),
]
