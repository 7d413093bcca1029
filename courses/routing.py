"""WebSocket routes of courses (behind the site's session auth and origin check)."""

from django.urls import path

from courses.consumers import AttemptsConsumer

websocket_urlpatterns: list = [
    path("ws/attempts/", AttemptsConsumer.as_asgi()),
]
