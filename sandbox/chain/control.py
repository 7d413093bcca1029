"""Calling the chain host's control API (`hostserver.py`) from the web and from services.

A chain is bound to the host that holds its state; a new chain goes to the live host with the
fewest running chains. Hosts prove they are alive with a heartbeat every second or so.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain, ChainHost

KEY_HEADER = "X-Chainhost-Key"
HEARTBEAT_STALE = timedelta(seconds=30)


def control_key() -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), b"blockcampus.chainhost", hashlib.sha256
    ).hexdigest()


def host_for(chain: Chain) -> ChainHost:
    """The host that runs this chain, binding it to a live one first if it has none yet."""
    if chain.host_id is None:
        if chain.forked_from_id is not None:
            parent = Chain.objects.get(pk=chain.forked_from_id)
            chosen = host_for(parent)
        else:
            chosen = _least_busy_live_host()
        Chain.objects.filter(pk=chain.pk, host__isnull=True).update(host=chosen)
        chain.refresh_from_db(fields=["host"])
    return ChainHost.objects.get(pk=chain.host_id)


def call_host(chain: Chain, action: str, payload: dict | None = None, timeout: float = 30) -> dict:
    """One control call, blocking. Raises ChainUnavailable with a message for the student."""
    host = host_for(chain)
    request = urllib.request.Request(  # noqa: S310 - the host's URL is ours, from the database
        f"{host.control_url}/chains/{chain.pk}/{action}",
        data=json.dumps(payload or {}).encode(),
        headers={"Content-Type": "application/json", KEY_HEADER: control_key()},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise ChainUnavailable(_host_error(error.read())) from None
    except (OSError, TimeoutError) as error:
        raise ChainUnavailable(_("The chain host did not answer (%s).") % error) from None


def _host_error(body: bytes) -> str:
    try:
        return json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        return _("The chain host refused the request.")


def _least_busy_live_host() -> ChainHost:
    live = (
        ChainHost.objects.filter(heartbeat_at__gte=timezone.now() - HEARTBEAT_STALE)
        .annotate(running=Count("chain", filter=Q(chain__status=Chain.Status.RUNNING)))
        .order_by("running", "pk")
        .first()
    )
    if live is None:
        raise ChainUnavailable(
            _("No chain host is running, so chains cannot start. Ask your instructor to start one.")
        )
    return live
