"""WebSocket routes. Each app adds its streams here."""

from django.urls import path

from campus.consumers import HealthConsumer

websocket_urlpatterns = [
    path("ws/healthz", HealthConsumer.as_asgi()),
]
