"""WebSocket routes of the wallet (behind the site's session auth and origin check)."""

from django.urls import path

from sandbox.wallet.consumers import TransfersConsumer

websocket_urlpatterns: list = [
    path("ws/transfers/", TransfersConsumer.as_asgi()),
]
