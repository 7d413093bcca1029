"""The chain's writes: opening a student's chain, its RPC token, snapshots, resets, forks, policy.

What the database records is changed here, in transactions; what the chain host must do (stop,
restore, reset a node) is asked of it through `control.call_host`, outside any transaction, since
it can take seconds. A host that cannot act raises `ChainUnavailable`, and nothing is recorded.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from campus.crypto import Undecryptable, decrypt_text, digest, encrypt_text
from campus.errors import ServiceError
from courses.api import is_enrolled
from sandbox.chain.control import call_host
from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import CHAIN_ID_BASE, Chain, ChainPolicy, Snapshot

TOKEN_PURPOSE = "chain.rpc-token"
TOKEN_BYTES = 24


def open_chain(*, offering_id: int, owner_id: int) -> Chain:
    """The student's chain in the offering, created (not yet started) the first time. Only
    actively enrolled people have one; the node starts on the first RPC request."""
    existing = _own_chain(offering_id, owner_id)
    if existing is not None:
        return existing
    if not is_enrolled(user_id=owner_id, offering_id=offering_id):
        raise ServiceError(
            "not_enrolled", _("Only people enrolled in the offering have a chain in it.")
        )
    try:
        return _create_chain(offering_id=offering_id, owner_id=owner_id)
    except IntegrityError:  # opened at the same moment by another request
        return _own_chain(offering_id, owner_id)


def rpc_token(chain: Chain) -> str:
    try:
        return decrypt_text(chain.encrypted_token, purpose=TOKEN_PURPOSE)
    except Undecryptable:
        raise ServiceError(
            "unreadable_token",
            _("This chain's RPC URL can no longer be read (the site's keys changed): rotate it."),
        ) from None


def rpc_path(chain: Chain) -> str:
    """The chain's RPC path on this site, for HTTP and WebSocket alike."""
    return f"/chain/{rpc_token(chain)}/rpc"


def rotate_token(*, chain: Chain) -> str:
    """Give the chain a new RPC token; the old URL stops working (within a few seconds in other
    web processes, at once in this one). Returns the new token."""
    from sandbox.chain import proxy

    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic(durable=True):
        old = Chain.objects.select_for_update().get(pk=chain.pk)
        Chain.objects.filter(pk=chain.pk).update(
            token_digest=digest(token), encrypted_token=encrypt_text(token, purpose=TOKEN_PURPOSE)
        )
    proxy.forget_token(old.token_digest)  # after commit: a lookup before it would cache the old
    chain.refresh_from_db()
    return token


def take_snapshot(*, chain: Chain, label: str = "") -> Snapshot:
    """Save the chain's state now; the student can come back to it with `revert_to_snapshot`."""
    saved = call_host(chain, "snapshot")
    with transaction.atomic(durable=True):
        return Snapshot.objects.create(
            chain=chain, label=label[:80], file_name=saved["file"], block_number=saved["block"]
        )


def revert_to_snapshot(*, snapshot: Snapshot) -> None:
    """Put the snapshot's chain back to that state. Later snapshots stay available."""
    call_host(snapshot.chain, "revert", {"file": snapshot.file_name})


def reset_chain(*, chain: Chain) -> None:
    """Back to genesis: same chain id, same funded accounts, no history. Snapshots are kept."""
    call_host(chain, "reset")


def reset_offering_chains(*, offering_id: int) -> tuple[int, list[str]]:
    """Reset every student's chain in the offering that has ever run. Returns how many were
    reset and the problems with the others (a chain whose host is down is skipped, not lost)."""
    done, problems = 0, []
    chains = Chain.objects.filter(offering_id=offering_id, forked_from__isnull=True)
    for chain in chains.exclude(host__isnull=True).select_related("owner"):
        try:
            reset_chain(chain=chain)
            done += 1
        except ChainUnavailable as error:
            problems.append(f"{chain.owner}: {error}")
    return done, problems


def set_cheats_allowed(*, offering_id: int, allowed: bool) -> ChainPolicy:
    """Allow or refuse cheat methods on the offering's chains (takes effect within seconds)."""
    with transaction.atomic(durable=True):
        policy, _ = ChainPolicy.objects.update_or_create(
            offering_id=offering_id, defaults={"allow_cheats": allowed}
        )
    return policy


def open_fork(*, chain: Chain, opened_by_id: int) -> Chain:
    """A throwaway fork of a student's chain for an instructor: it reads the student's chain as
    it is and keeps its own changes to itself. Discard it with `discard_fork`."""
    if chain.is_fork:
        raise ServiceError("fork_of_fork", _("Fork the student's own chain, not a fork."))
    return _create_chain(offering_id=chain.offering_id, owner_id=opened_by_id, forked_from=chain)


def discard_fork(*, fork: Chain) -> None:
    if not fork.is_fork:
        raise ServiceError("not_a_fork", _("Only forks can be discarded."))
    fork.refresh_from_db(fields=["host"])
    if fork.host_id is not None:
        call_host(fork, "stop")
    with transaction.atomic(durable=True):
        Chain.objects.filter(pk=fork.pk).delete()


def _own_chain(offering_id: int, owner_id: int) -> Chain | None:
    return Chain.objects.filter(
        offering_id=offering_id, owner_id=owner_id, forked_from__isnull=True
    ).first()


def _create_chain(*, offering_id: int, owner_id: int, forked_from: Chain | None = None) -> Chain:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic(durable=True):
        chain = Chain.objects.create(
            offering_id=offering_id,
            owner_id=owner_id,
            forked_from=forked_from,
            token_digest=digest(token),
            encrypted_token=encrypt_text(token, purpose=TOKEN_PURPOSE),
        )
        chain.chain_id = CHAIN_ID_BASE + chain.pk
        chain.save(update_fields=["chain_id"])
    return chain
