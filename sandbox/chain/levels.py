"""On-chain levels: each student's own instance of an exercise's level contract, on their chain.

A level is deployed from the student's first account the first time it is needed (the exercise
page's workspace, or grading) and recorded as a `LevelInstance`; later calls find it and deploy
nothing. A chain reset, or a revert to a snapshot taken before the level existed, removes its
code; the instance's `code_hash` notices that (and notices another contract sitting at the same
address, since a reset account deploys to the same addresses again), and the level is deployed
anew. The level is also recorded as a `ContractArtifact` and a `Deployment`, so the contract
studio lists it with its functions and the explorer decodes its events.

Levels are the course's code: one that does not compile or whose deployment fails raises
`LevelUnusable`, for an instructor, not the student, to fix.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from threading import Lock

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from web3 import Web3

from courses.api import Exercise, SpecProblem
from sandbox.chain import abiforms
from sandbox.chain.checks import ACCOUNT_PLACEHOLDERS, as_int, encoded_arguments
from sandbox.chain.checks_spec import KnownContract
from sandbox.chain.compiler import (
    CompiledContract,
    CompileResult,
    CompilerUnavailable,
    compile_solidity,
)
from sandbox.chain.execution import capped_transaction, chain_in_use, code_hash, execute
from sandbox.chain.models import Chain, ContractArtifact, Deployment, LevelInstance
from sandbox.chain.nodes import chain_web3
from sandbox.chain.selectors import dev_accounts

DEPLOY_WAIT_S = 15
"""How long opening an exercise waits for a grading on the same chain to finish before it
says the chain is busy (only when the level must be deployed)."""
CACHED_COMPILES = 64

_compiled: OrderedDict[str, CompileResult] = OrderedDict()
_compiled_lock = Lock()


class LevelUnusable(RuntimeError):
    """The level cannot be compiled or deployed: the course's problem, not the student's."""


def compiled(sources: dict[str, str]) -> CompileResult:
    """Compile, remembering the result by the sources' hash: a level is compiled once per
    process, at import and deployment alike. Raises CompilerUnavailable."""
    key = hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()
    with _compiled_lock:
        if key in _compiled:
            _compiled.move_to_end(key)
            return _compiled[key]
    result = compile_solidity(sources)
    with _compiled_lock:
        _compiled[key] = result
        while len(_compiled) > CACHED_COMPILES:
            _compiled.popitem(last=False)
    return result


def level_contract(exercise: Exercise) -> tuple[CompiledContract, CompileResult]:
    """The exercise's level contract, compiled from its file. Raises LevelUnusable."""
    file_name, name = exercise.spec["level"], exercise.spec["contract"]
    result = compiled({file_name: exercise.files.get(file_name, "")})
    if not result.ok:
        raise LevelUnusable(_("the level does not compile: %s") % result.errors[0])
    contract = result.contracts.get(name)
    if contract is None or contract.source != file_name or not contract.bytecode:
        raise LevelUnusable(
            _("%(file)s has no deployable contract %(name)s") % {"file": file_name, "name": name}
        )
    return contract, result


def deployed_level(*, exercise: Exercise, chain: Chain) -> LevelInstance:
    """The student's instance of the level, deployed first if it is not on their chain.
    Idempotent. Raises ChainUnavailable, ChainBusy, OSError (the node stopped answering) and
    LevelUnusable."""
    w3 = chain_web3(chain)
    instance = LevelInstance.objects.filter(chain=chain, exercise=exercise).first()
    if instance is not None and is_on_chain(w3, instance):
        return instance  # the usual case, which need not wait for a grading in progress
    with chain_in_use(chain.pk, wait_s=DEPLOY_WAIT_S):
        instance, _fresh = ensure_level(w3, chain, exercise)
    return instance


def ensure_level(w3: Web3, chain: Chain, exercise: Exercise) -> tuple[LevelInstance, bool]:
    """The instance and whether it was deployed just now. The caller holds `chain_in_use`."""
    instance = LevelInstance.objects.filter(chain=chain, exercise=exercise).first()
    if instance is not None and is_on_chain(w3, instance):
        return instance, False
    if instance is not None:
        with transaction.atomic(durable=True):
            LevelInstance.objects.filter(pk=instance.pk).update(status=LevelInstance.Status.GONE)
    return _deploy(w3, chain, exercise), True


def is_on_chain(w3: Web3, instance: LevelInstance) -> bool:
    code = w3.eth.get_code(Web3.to_checksum_address(instance.address))
    return bool(code) and code_hash(code) == instance.code_hash


def _deploy(w3: Web3, chain: Chain, exercise: Exercise) -> LevelInstance:
    contract, result = level_contract(exercise)
    spec = exercise.spec
    accounts = [account.address for account in dev_accounts(chain)]
    constructor = next((e for e in contract.abi if e.get("type") == "constructor"), {})
    places = {f"@account{n}": address for n, address in enumerate(accounts)}
    try:
        arguments = encoded_arguments(
            constructor.get("inputs", []), spec.get("constructor_args", []), places
        )
    except (abiforms.AbiValueError, ValueError) as error:
        raise LevelUnusable(_("the level's constructor arguments: %s") % error) from error
    data = bytes.fromhex(contract.bytecode.removeprefix("0x")) + arguments
    value = as_int(spec.get("value_wei", 0)) or 0
    tx = capped_transaction(w3, sender=accounts[0], data=data, value=value)
    run = execute(w3, tx, [c.abi for c in result.contracts.values()])
    if not run.ok:
        raise LevelUnusable(run.failure(_("the level's deployment")))
    code = w3.eth.get_code(run.receipt["contractAddress"])
    return _record(chain, exercise, contract, result, run.receipt, code_hash(code))


def _record(
    chain: Chain,
    exercise: Exercise,
    contract: CompiledContract,
    result: CompileResult,
    receipt,
    hashed: str,
) -> LevelInstance:
    address, tx_hash = receipt["contractAddress"], receipt["transactionHash"].to_0x_hex()
    with transaction.atomic(durable=True):
        artifact = _artifact(chain, exercise, contract, result)
        Deployment.objects.update_or_create(
            chain=chain,
            address=address,
            defaults={
                "artifact": artifact,
                "tx_hash": tx_hash,
                "block_number": receipt["blockNumber"],
                "deployer": receipt["from"],
            },
        )
        instance, _created = LevelInstance.objects.update_or_create(
            chain=chain,
            exercise=exercise,
            defaults={
                "offering_id": chain.offering_id,
                "owner_id": chain.owner_id,
                "address": address,
                "code_hash": hashed,
                "tx_hash": tx_hash,
                "status": LevelInstance.Status.DEPLOYED,
                "deployed_at": timezone.now(),
            },
        )
    return instance


def _artifact(
    chain: Chain, exercise: Exercise, contract: CompiledContract, result: CompileResult
) -> ContractArtifact:
    """The level as a compiled contract of the student's (found again when it is the same)."""
    file_name = exercise.spec["level"]
    mine = ContractArtifact.objects.filter(
        offering_id=chain.offering_id,
        owner_id=chain.owner_id,
        name=contract.name,
        source_name=file_name,
        bytecode=contract.bytecode,
    )
    return mine.first() or ContractArtifact.objects.create(
        offering_id=chain.offering_id,
        owner_id=chain.owner_id,
        name=contract.name,
        source_name=file_name,
        sources={file_name: exercise.files.get(file_name, "")},
        abi=contract.abi,
        bytecode=contract.bytecode,
        deployed_bytecode=contract.deployed_bytecode,
        compiler_version=result.compiler_version,
        evm_version=settings.CHAIN_EVM_VERSION,
    )


# -- validating a level when its course is imported --------------------------------------------


def level_problems(
    spec: Mapping, files: Mapping[str, str]
) -> tuple[KnownContract | None, list[SpecProblem]]:
    """Compile the level (cached by its source) and check that it deploys as the spec says."""
    file_name, name = spec["level"], spec["contract"]
    try:
        result = compiled({file_name: files[file_name]})
    except CompilerUnavailable as error:
        return None, [
            SpecProblem(("level",), _("the level could not be compiled here: %s") % error)
        ]
    if not result.ok:
        shown = "; ".join(str(e) for e in result.errors[:3])
        return None, [SpecProblem(("level",), _("the level does not compile: %s") % shown)]
    contract = result.contracts.get(name)
    if contract is None or contract.source != file_name:
        defined = ", ".join(
            sorted(c.name for c in result.contracts.values() if c.source == file_name)
        )
        return None, [
            SpecProblem(
                ("contract",),
                _("%(file)s defines no contract %(name)s (it defines %(defined)s)")
                % {"file": file_name, "name": name, "defined": defined or "-"},
            )
        ]
    if not contract.bytecode:
        return None, [
            SpecProblem(
                ("contract",),
                _("%(name)s is abstract or an interface: it cannot be deployed") % {"name": name},
            )
        ]
    events = frozenset(
        e["name"] for c in result.contracts.values() for e in c.abi if e.get("type") == "event"
    )
    known = KnownContract(name=name, abi=contract.abi, event_names=events)
    return known, constructor_problems(contract, spec)


def constructor_problems(contract: CompiledContract, spec: Mapping) -> list[SpecProblem]:
    constructor = next((e for e in contract.abi if e.get("type") == "constructor"), {})
    problems = []
    places = dict.fromkeys(ACCOUNT_PLACEHOLDERS, "0x" + "11" * 20)
    try:
        encoded_arguments(constructor.get("inputs", []), spec.get("constructor_args", []), places)
    except (abiforms.AbiValueError, ValueError) as error:
        problems.append(
            SpecProblem(
                ("constructor_args",),
                _("%(name)s's constructor: %(error)s") % {"name": contract.name, "error": error},
            )
        )
    if as_int(spec.get("value_wei", 0)) and constructor.get("stateMutability") != "payable":
        problems.append(
            SpecProblem(
                ("value_wei",),
                _("%(name)s's constructor is not payable: it cannot be sent ether")
                % {"name": contract.name},
            )
        )
    return problems
