"""Celery: score passback, roster sync and the purge of expired launches. Thin: ids in, the
services do the work; all are idempotent (a score is re-posted with the student's current points;
a roster sync converges; a purge deletes what is expired, again and again)."""

import contextlib

from celery import shared_task

from campus.errors import ServiceError
from campus.lti.ags import ScoreNotSent, send_score
from campus.lti.housekeeping import purge_expired_launches as purge
from campus.lti.models import ContextLink
from campus.lti.nrps import sync_roster


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(ScoreNotSent,),
    retry_backoff=10,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def send_score_task(self, score_id: int) -> str:
    return send_score(score_id).status


@shared_task(ignore_result=True)
def sync_roster_task(context_id: int) -> None:
    context = ContextLink.objects.select_related("registration", "offering").get(pk=context_id)
    with contextlib.suppress(ServiceError):  # the instructor page shows the last sync time
        sync_roster(context=context)


@shared_task(ignore_result=True)
def sync_all_rosters() -> int:
    ids = list(ContextLink.objects.exclude(memberships_url="").values_list("pk", flat=True))
    for context_id in ids:
        sync_roster_task.delay(context_id)
    return len(ids)


@shared_task(ignore_result=True)
def purge_expired_launches() -> dict[str, int]:
    purged = purge()
    return {"states": purged.states, "launches": purged.launches}
