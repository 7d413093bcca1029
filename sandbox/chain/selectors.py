"""The chain's reads for its pages: a student's accounts and balances, snapshots, and the
instructors' roster of chains and forks, each in a fixed, small number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.db.models import QuerySet
from eth_account import Account
from eth_account.hdaccount import key_from_seed, seed_from_mnemonic
from web3 import Web3

from campus.api import User
from courses.api import active_students
from sandbox.chain.anvil import ACCOUNTS, student_mnemonic
from sandbox.chain.models import Chain, ChainPolicy, Snapshot
from sandbox.chain.nodes import chain_web3

# Anvil's (and every wallet's) derivation path for the Nth account of a mnemonic.
DERIVATION_PATH = "m/44'/60'/0'/0/{index}"


@dataclass(frozen=True)
class DevAccount:
    """One of the chain's funded test accounts, as Anvil derives it from the student's mnemonic."""

    index: int
    address: str
    private_key: str

    @property
    def path(self) -> str:
        return DERIVATION_PATH.format(index=self.index)


def dev_accounts(chain: Chain) -> tuple[DevAccount, ...]:
    """The chain's funded accounts, derived here (no node needed, so they show while it is down)."""
    return _derive(student_mnemonic(offering_id=chain.offering_id, owner_id=chain.owner_id))


@lru_cache(maxsize=512)  # deriving ten keys costs ~0.2 s of pure Python; a student's never change
def _derive(mnemonic: str) -> tuple[DevAccount, ...]:
    seed = seed_from_mnemonic(mnemonic, "")
    accounts = []
    for index in range(ACCOUNTS):
        key = key_from_seed(seed, DERIVATION_PATH.format(index=index))
        accounts.append(DevAccount(index, Account.from_key(key).address, "0x" + key.hex()))
    return tuple(accounts)


def eth_balances(chain: Chain, addresses: list[str]) -> list[Decimal]:
    """Each address's balance in ETH, read from the chain's node (started first if stopped).
    Raises ChainUnavailable (host down, node failed) or OSError (node unreachable)."""
    w3 = chain_web3(chain, timeout=10)
    return [Web3.from_wei(w3.eth.get_balance(address), "ether") for address in addresses]


def snapshots(chain: Chain) -> QuerySet[Snapshot]:
    return Snapshot.objects.filter(chain=chain).order_by("-created_at", "-pk")


def cheats_allowed(offering_id: int) -> bool:
    return ChainPolicy.objects.filter(offering_id=offering_id, allow_cheats=True).exists()


@dataclass(frozen=True)
class RosterRow:
    """An enrolled student and their chain in the offering (None until they first opened it)."""

    student: User
    chain: Chain | None


def roster(offering_id: int) -> list[RosterRow]:
    """Every active student of the offering, by username, with their chain: two queries."""
    enrollments = active_students(offering_id).select_related("user").order_by("user__username")
    chains = {
        chain.owner_id: chain
        for chain in Chain.objects.filter(offering_id=offering_id, forked_from__isnull=True)
    }
    return [RosterRow(e.user, chains.get(e.user_id)) for e in enrollments]


def open_forks(offering_id: int) -> QuerySet[Chain]:
    """Instructors' throwaway forks of the offering's chains, newest first, with whose they are."""
    return (
        Chain.objects.filter(offering_id=offering_id, forked_from__isnull=False)
        .select_related("owner", "forked_from__owner")
        .order_by("-created_at", "-pk")
    )


def student_chain(offering_id: int, chain_pk: int) -> Chain | None:
    """A student's own chain in the offering (never a fork), with its owner."""
    return (
        Chain.objects.filter(pk=chain_pk, offering_id=offering_id, forked_from__isnull=True)
        .select_related("owner")
        .first()
    )


def fork(offering_id: int, chain_pk: int) -> Chain | None:
    return (
        Chain.objects.filter(pk=chain_pk, offering_id=offering_id, forked_from__isnull=False)
        .select_related("forked_from__owner")
        .first()
    )
