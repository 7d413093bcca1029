"""WebSocket routes of courses (behind the site's session auth and origin check)."""

websocket_urlpatterns: list = []
