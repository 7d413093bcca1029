"""The graders that need the student's chain: `solidity` (their contract) and `onchain` (a level).

Both run the spec's checks (`checks.py`) on the student's own chain, holding the chain alone
(`execution.chain_in_use`) and undoing what grading changed (`execution.undone_afterwards`), so
the student finds their chain as they left it. A compile error or a contract that fails to
deploy is the student's to fix and is graded as a failed attempt that says why; a chain that is
not running is a passing trouble (`RetryableGradingError`); a level that does not compile or
deploy is the course's problem (`GradingError`). The exercise page's forms are
`templates/sandbox/chain/exercises/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from web3 import Web3

from campus.api import ServiceError, User
from courses.api import (
    Attempt,
    BaseGrader,
    CheckResult,
    Exercise,
    GradingContext,
    GradingError,
    Offering,
    Outcome,
    RetryableGradingError,
    SpecProblem,
)
from sandbox.chain import abiforms
from sandbox.chain.checks import ACCOUNT_PLACEHOLDERS, Target, as_int, encoded_arguments, run_checks
from sandbox.chain.checks_spec import check_problems, placeholder_problems
from sandbox.chain.compiler import (
    CompiledContract,
    CompileMessage,
    CompilerUnavailable,
    compile_solidity,
)
from sandbox.chain.execution import (
    ChainBusy,
    capped_transaction,
    chain_in_use,
    execute,
    undone_afterwards,
)
from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain
from sandbox.chain.nodes import chain_web3
from sandbox.chain.selectors import dev_accounts
from sandbox.chain.services import open_chain

MAX_SOURCE_BYTES = 20_000
"""What a submission may weigh unless the spec sets `max_source_bytes` (at most the studio's)."""
LARGEST_SOURCE_BYTES = 100_000
CHAIN_WAIT_S = 20
"""How long grading waits for another grading on the same chain before trying again later."""
SHOWN_COMPILE_ERRORS = 10
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
SOLIDITY_KEYS = {
    "contract",
    "starter",
    "harness",
    "constructor_args",
    "max_source_bytes",
    "checks",
}
SUBMISSION_FILE = "Submission.sol"
"""The student's source's name when a harness imports it (`import "./Submission.sol";`)."""


# -- shared ------------------------------------------------------------------------------------


def spec_problems(spec: Any, keys: set[str]) -> list[SpecProblem]:
    """The spec is a mapping of known keys naming a contract."""
    if not isinstance(spec, Mapping):
        return [SpecProblem((), _("the spec must be a mapping"))]
    problems = [
        SpecProblem(
            (key,),
            _("“%(key)s” is not known here; expected %(keys)s")
            % {"key": key, "keys": ", ".join(sorted(keys))},
        )
        for key in spec
        if key not in keys
    ]
    contract = spec.get("contract")
    if not isinstance(contract, str) or not _IDENTIFIER.match(contract):
        problems.append(
            SpecProblem(("contract",), _("name the contract to deploy, such as CampusToken"))
        )
    args = spec.get("constructor_args", [])
    if not isinstance(args, list):
        problems.append(SpecProblem(("constructor_args",), _("constructor_args must be a list")))
    else:
        problems += placeholder_problems(args, ("constructor_args",), ACCOUNT_PLACEHOLDERS)
    return problems


def student_chain(offering_id: int, user_id: int) -> Chain:
    try:
        return open_chain(offering_id=offering_id, owner_id=user_id)
    except ServiceError as error:
        raise GradingError(error.message) from error


@contextmanager
def chain_for_grading(chain: Chain) -> Iterator[Web3]:
    """The chain's node, held alone while grading; a chain that cannot be reached now is a
    passing trouble."""
    try:
        with chain_in_use(chain.pk, wait_s=CHAIN_WAIT_S):
            yield chain_web3(chain)
    except (ChainUnavailable, ChainBusy, OSError) as error:
        raise RetryableGradingError(str(error)) from error


def last_submission(offering: Offering, exercise: Exercise, user: User) -> dict:
    attempt = (
        Attempt.objects.filter(offering=offering, exercise=exercise, user=user)
        .order_by("-number")
        .first()
    )
    return attempt.submission if attempt is not None else {}


def chain_links(offering: Offering) -> dict[str, str]:
    return {
        "mychain_url": reverse("chain-mine", args=[offering.slug]),
        "studio_url": reverse("chain-studio", args=[offering.slug]),
        "explorer_url": reverse("chain-explorer", args=[offering.slug]),
    }


def failed(name: str, detail: str) -> Outcome:
    """An outcome of one failed check, before the spec's checks could run."""
    return Outcome(checks=[CheckResult(name=name, passed=False, detail=detail)], score=Decimal(0))


# -- kind: solidity ----------------------------------------------------------------------------


class SolidityGrader(BaseGrader):
    def __init__(self) -> None:
        super().__init__(
            kind="solidity",
            label=gettext_lazy("Solidity"),
            form_template="sandbox/chain/exercises/solidity_form.html",
            time_limit_seconds=90,
        )

    def validate_spec(
        self, spec: Mapping[str, Any], *, languages: Sequence[str], files: Mapping[str, str]
    ) -> list[SpecProblem]:
        problems = spec_problems(spec, SOLIDITY_KEYS)
        if not isinstance(spec, Mapping):
            return problems
        for key in ("starter", "harness"):
            named = spec.get(key)
            if named is not None and (not isinstance(named, str) or named not in files):
                problems.append(
                    SpecProblem(
                        (key,), _("“%(file)s” is not a file beside the exercise") % {"file": named}
                    )
                )
        problems += harness_problems(spec, files)
        limit = as_int(spec.get("max_source_bytes", MAX_SOURCE_BYTES))
        if limit is None or not 1 <= limit <= LARGEST_SOURCE_BYTES:
            problems.append(
                SpecProblem(
                    ("max_source_bytes",),
                    _("max_source_bytes is a number of bytes from 1 to %(n)s")
                    % {"n": LARGEST_SOURCE_BYTES},
                )
            )
        return problems + check_problems(spec.get("checks"), languages)

    def clean_submission(
        self, *, exercise: Exercise, data: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        """{"source": the Solidity text}; refused when empty or heavier than the limit."""
        source = next(iter(data.get("source") or []), "").replace("\r\n", "\n")
        if not source.strip():
            raise ServiceError("source_empty", _("Write your contract before submitting it."))
        size, limit = len(source.encode()), source_limit(exercise)
        if size > limit:
            raise ServiceError(
                "source_too_large",
                _("Your source is %(size)s bytes; at most %(limit)s can be submitted.")
                % {"size": size, "limit": limit},
            )
        return {"source": source}

    def workspace(self, *, exercise: Exercise, offering: Offering, user: User) -> dict:
        """The editor's text: the student's last submission, else the starter."""
        last = last_submission(offering, exercise, user).get("source")
        starter = exercise.files.get(exercise.spec.get("starter") or "", "")
        return {
            "source": last or starter,
            "contract": exercise.spec.get("contract", ""),
            "max_source_bytes": source_limit(exercise),
            **chain_links(offering),
        }

    def grade(self, ctx: GradingContext) -> Outcome:
        with translation.override(ctx.language):
            return self._grade(ctx)

    def _grade(self, ctx: GradingContext) -> Outcome:
        spec, name = ctx.exercise.spec, ctx.exercise.spec["contract"]
        sources, file_name = graded_sources(ctx.exercise, ctx.submission.get("source", ""))
        try:
            result = compile_solidity(sources)
        except CompilerUnavailable as error:
            raise RetryableGradingError(str(error)) from error
        if not result.ok:
            mine = SUBMISSION_FILE if spec.get("harness") else file_name
            return failed(_("It compiles"), compile_detail(result.errors, mine))
        contract = result.by_source.get((file_name, name)) or result.contracts.get(name)
        if contract is None or contract.source != file_name or not contract.bytecode:
            return failed(
                _("It defines %(contract)s") % {"contract": name},
                missing_detail(name, contract, result.contracts),
            )
        abis = [c.abi for c in result.contracts.values()]
        chain = student_chain(ctx.offering.pk, ctx.user.pk)
        with chain_for_grading(chain) as w3, undone_afterwards(w3):
            accounts = [a.address for a in dev_accounts(chain)]
            address, problem = deploy_submission(w3, contract, spec, accounts, abis)
            if address is None:
                return failed(_("%(contract)s deploys") % {"contract": name}, problem)
            target = Target(w3, address, name, contract.abi, accounts, accounts[0], abis)
            return Outcome(checks=run_checks(spec["checks"], target))


def harness_problems(spec: Mapping[str, Any], files: Mapping[str, str]) -> list[SpecProblem]:
    """A harness must define the contract the grader deploys, and import the student's file."""
    harness = spec.get("harness")
    if not isinstance(harness, str) or harness not in files:
        return []
    text, name = files[harness], str(spec.get("contract", ""))
    problems = []
    if not re.search(rf"\bcontract\s+{re.escape(name)}\b", text):
        problems.append(
            SpecProblem(
                ("harness",),
                _("the harness must define the contract %(name)s that the grader deploys")
                % {"name": name},
            )
        )
    if f"./{SUBMISSION_FILE}" not in text:
        problems.append(
            SpecProblem(
                ("harness",),
                _("the harness must import the student's source as “./%(file)s”")
                % {"file": SUBMISSION_FILE},
            )
        )
    return problems


def graded_sources(exercise: Exercise, source: str) -> tuple[dict[str, str], str]:
    """What to compile, and the file that must define the spec's contract. With a `harness`
    (an exam the student cannot edit, importing their source as ./Submission.sol), the contract
    deployed is the harness's; otherwise the student's file is named after the contract."""
    harness = exercise.spec.get("harness")
    if harness:
        return {SUBMISSION_FILE: source, harness: exercise.files[harness]}, harness
    file_name = f"{exercise.spec['contract']}.sol"
    return {file_name: source}, file_name


def source_limit(exercise: Exercise) -> int:
    return as_int(exercise.spec.get("max_source_bytes")) or MAX_SOURCE_BYTES


def compile_detail(errors: Sequence[CompileMessage], student_file: str = "") -> str:
    """The compiler's errors by line of the student's source; an error in another file (the
    exercise's harness, an import) names that file."""
    lines = [_where(e, student_file) + e.message for e in errors[:SHOWN_COMPILE_ERRORS]]
    if len(errors) > SHOWN_COMPILE_ERRORS:
        lines.append(_("… and %(n)s more errors") % {"n": len(errors) - SHOWN_COMPILE_ERRORS})
    return "\n".join(lines)


def _where(error: CompileMessage, student_file: str) -> str:
    if not error.line:
        return ""
    if error.file and error.file != student_file:
        return f"{error.file}:{error.line}: "
    return _("line %(line)s: ") % {"line": error.line}


def missing_detail(
    name: str, contract: CompiledContract | None, found: Mapping[str, CompiledContract]
) -> str:
    if contract is not None and contract.source.endswith(f"{name}.sol") and not contract.bytecode:
        return _("%(name)s is abstract or an interface: it has no code to deploy") % {"name": name}
    if not found:
        return _("your source defines no contract; it must define %(name)s") % {"name": name}
    return _("your source defines %(found)s, but no contract named %(name)s") % {
        "found": ", ".join(
            sorted(c.name for c in found.values() if c.source.endswith(f"{name}.sol"))
        )
        or "-",
        "name": name,
    }


def deploy_submission(
    w3: Web3, contract: CompiledContract, spec: Mapping, accounts: list[str], abis: list
) -> tuple[str | None, str]:
    """Deploy the student's contract from their first account: its address, or None and why."""
    constructor = next((e for e in contract.abi if e.get("type") == "constructor"), {})
    places = {f"@account{n}": address for n, address in enumerate(accounts)}
    try:
        arguments = encoded_arguments(
            constructor.get("inputs", []), spec.get("constructor_args", []), places
        )
    except (abiforms.AbiValueError, ValueError) as error:
        return None, _(
            "the exercise deploys %(name)s with %(args)s, which its constructor cannot take: %(error)s"
        ) % {
            "name": contract.name,
            "args": spec.get("constructor_args", []),
            "error": error,
        }
    data = bytes.fromhex(contract.bytecode.removeprefix("0x")) + arguments
    run = execute(w3, capped_transaction(w3, sender=accounts[0], data=data), abis)
    if not run.ok:
        return None, run.failure(_("the deployment"))
    return run.receipt["contractAddress"], ""


solidity_grader = SolidityGrader()
