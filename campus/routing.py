"""WebSocket routes. Each app adds its streams here."""

from django.urls import path

from campus.consumers import HealthConsumer
from courses.routing import websocket_urlpatterns as courses_websocket_urlpatterns
from sandbox.wallet.routing import websocket_urlpatterns as wallet_websocket_urlpatterns

websocket_urlpatterns = [
    path("ws/healthz", HealthConsumer.as_asgi()),
    *courses_websocket_urlpatterns,
    *wallet_websocket_urlpatterns,
]
