"""WebSocket routes of the exchange's streams (Binance's paths, under the offering's base URL).

They carry no cookies' authority: market data is public, and the user data stream is reached only
with a listen key. So they sit outside the site's session and origin checks (campus/asgi.py).
"""

from django.urls import path, re_path

from sandbox.exchange.consumers import StreamConsumer

stream_urlpatterns = [
    re_path(r"^o/(?P<slug>[-\w]+)/ws/(?P<streams>[^?]+)$", StreamConsumer.as_asgi()),
    path("o/<slug:slug>/stream", StreamConsumer.as_asgi(), {"combined": True}),
    re_path(r"^ws/(?P<streams>[A-Za-z0-9_-]{20,80})$", StreamConsumer.as_asgi()),
]
