"""Celery: the deposit watcher and withdrawal broadcasts (issue 7). Thin: ids in, the work is in
`watcher.py` and `withdrawals.py`.

Beat calls `watch_chains` every second; it fans out one `watch_chain` per running chain that has
custody, each expiring after a few seconds unstarted (a slow worker never finds a pile of old
passes), and a pass that finds another still running skips. It also re-sends the broadcast of a
withdrawal left pending for a minute (a lost task message), at most once a minute each.
`broadcast_withdrawal` is sent by the wallet by name; a chain out of reach is retried with
backoff, and after the last retry the withdrawal fails with its funds released.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from sandbox.chain import watcher, withdrawals
from sandbox.chain.custody import CustodyBusy, CustodyUnavailable
from sandbox.chain.execution import ChainBusy
from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain
from sandbox.wallet.api import Withdrawal

WATCH_EXPIRES_S = 3
RETRY_DELAYS_S = (2, 5, 15, 30, 60)
STALE_PENDING = timedelta(seconds=60)
RETRYABLE = (ChainUnavailable, ChainBusy, CustodyBusy, CustodyUnavailable, OSError)


@shared_task(ignore_result=True)
def watch_chains() -> int:
    """Every second: one watcher pass per running student chain with custody."""
    chains = Chain.objects.filter(
        status=Chain.Status.RUNNING, forked_from__isnull=True, custody__isnull=False
    ).values_list("pk", flat=True)
    chain_pks = list(chains)
    for chain_pk in chain_pks:
        watch_chain.apply_async((chain_pk,), expires=WATCH_EXPIRES_S)
    _resend_stale_broadcasts()
    return len(chain_pks)


@shared_task(ignore_result=True)
def watch_chain(chain_pk: int) -> str:
    return str(watcher.watch_chain(chain_pk))


@shared_task(bind=True, acks_late=True, ignore_result=True)
def broadcast_withdrawal(self, withdrawal_id: int) -> str:
    try:
        return withdrawals.broadcast_withdrawal(withdrawal_id)
    except RETRYABLE as error:
        if self.request.retries < len(RETRY_DELAYS_S):
            raise self.retry(countdown=RETRY_DELAYS_S[self.request.retries]) from error
        return withdrawals.give_up(withdrawal_id, error)


def _resend_stale_broadcasts() -> None:
    stale = Withdrawal.objects.filter(
        status=Withdrawal.Status.PENDING, requested_at__lt=timezone.now() - STALE_PENDING
    ).values_list("pk", flat=True)
    for withdrawal_id in stale[:100]:
        if cache.add(f"withdrawal:{withdrawal_id}:resent", 1, timeout=STALE_PENDING.seconds):
            broadcast_withdrawal.apply_async((withdrawal_id,))
