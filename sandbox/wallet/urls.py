"""The wallet's pages: a student's deposits and withdrawals, and the instructor's proof of
reserves (the wallet page itself is the exchange's: sandbox/exchange/views_wallet.py)."""

from django.urls import path

from sandbox.wallet import views_reserves, views_transfers

urlpatterns = [
    path("offerings/<slug:slug>/wallet/deposit/", views_transfers.deposit, name="wallet-deposit"),
    path(
        "offerings/<slug:slug>/wallet/withdraw/", views_transfers.withdraw, name="wallet-withdraw"
    ),
    path(
        "offerings/<slug:slug>/wallet/transfers/", views_transfers.history, name="wallet-transfers"
    ),
    path(
        "offerings/<slug:slug>/wallet/transfers/<str:kind>/<int:transfer_id>/",
        views_transfers.transfer_row,
        name="wallet-transfer-row",
    ),
    path("offerings/<slug:slug>/reserves/", views_reserves.reserves, name="wallet-reserves"),
    path("offerings/<slug:slug>/reserves/halt/", views_reserves.halt, name="wallet-reserves-halt"),
    path(
        "offerings/<slug:slug>/reserves/confirmations/",
        views_reserves.confirmations,
        name="wallet-reserves-confirmations",
    ),
    path(
        "offerings/<slug:slug>/reserves/rules/<str:asset>/",
        views_reserves.asset_rule,
        name="wallet-reserves-rule",
    ),
]
