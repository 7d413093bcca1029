"""The ASGI entry point: pages and the API over HTTP, live streams over WebSockets, and in front
of both the students' chain RPC proxy (`/chain/<token>/rpc`, its own auth: the token) and the
exchange API's lane (`/api/v3/...`, past the page middleware: its own auth, the signature); and
in front of everything, what a web process does once before it serves (campus/serving.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campus.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from campus.routing import websocket_urlpatterns  # noqa: E402
from campus.serving import ServerStartup  # noqa: E402
from sandbox.chain.proxy import ChainRpcProxy  # noqa: E402
from sandbox.exchange.api.lane import ExchangeApiLane  # noqa: E402
from sandbox.exchange.routing import stream_urlpatterns  # noqa: E402

application = ServerStartup(
    ChainRpcProxy(
        ProtocolTypeRouter(
            {
                "http": ExchangeApiLane(django_asgi_app),
                "websocket": URLRouter(
                    [
                        *stream_urlpatterns,
                        re_path(
                            r"",
                            AllowedHostsOriginValidator(
                                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
                            ),
                        ),
                    ]
                ),
            }
        )
    )
)
