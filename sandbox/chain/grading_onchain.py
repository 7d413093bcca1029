"""The on-chain level grader: a level contract deployed to the student's chain when they open the
exercise (the way Ethernaut's levels work), solved with any tool, checked on submission."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campus.api import ServiceError, User
from courses.api import (
    BaseGrader,
    Exercise,
    GradingContext,
    GradingError,
    Offering,
    Outcome,
    SpecProblem,
)
from sandbox.chain import levels
from sandbox.chain.checks import Target, as_int, run_checks
from sandbox.chain.checks_spec import check_problems
from sandbox.chain.compiler import (
    CompilerUnavailable,
)
from sandbox.chain.execution import (
    ChainBusy,
    undone_afterwards,
)
from sandbox.chain.grading import (
    chain_for_grading,
    chain_links,
    failed,
    last_submission,
    spec_problems,
    student_chain,
)
from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain
from sandbox.chain.selectors import dev_accounts
from sandbox.chain.services import open_chain, rpc_path

ONCHAIN_KEYS = {"level", "contract", "constructor_args", "value_wei", "checks"}


class OnchainGrader(BaseGrader):
    def __init__(self) -> None:
        super().__init__(
            kind="onchain",
            label=gettext_lazy("On-chain level"),
            form_template="sandbox/chain/exercises/onchain_form.html",
            time_limit_seconds=60,
        )

    def validate_spec(
        self, spec: Mapping[str, Any], *, languages: Sequence[str], files: Mapping[str, str]
    ) -> list[SpecProblem]:
        problems = spec_problems(spec, ONCHAIN_KEYS)
        if not isinstance(spec, Mapping):
            return problems
        level = spec.get("level")
        if not isinstance(level, str) or not level.endswith(".sol") or level not in files:
            problems.append(
                SpecProblem(("level",), _("name the level's .sol file beside the exercise"))
            )
        value = as_int(spec.get("value_wei", 0))
        if value is None or value < 0:
            problems.append(
                SpecProblem(("value_wei",), _("value_wei is a whole number of wei, 0 or more"))
            )
        known = None
        if not problems:
            known, level_problems = levels.level_problems(spec, files)
            problems += level_problems
        return problems + check_problems(spec.get("checks"), languages, known=known)

    def clean_submission(
        self, *, exercise: Exercise, data: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        """{"player": the number (0-9) of the account the student submits with}."""
        given = next(iter(data.get("player") or []), "0").strip() or "0"
        if not given.isdigit() or not 0 <= int(given) <= 9:
            raise ServiceError(
                "unknown_account", _("Submit with one of your chain's ten accounts (0 to 9).")
            )
        return {"player": int(given)}

    def workspace(self, *, exercise: Exercise, offering: Offering, user: User) -> dict:
        """The level's instance on the student's chain (deployed now if it is not there), its
        source, and the student's accounts to submit with. A chain that cannot be reached is
        shown as a problem on the page, not raised."""
        spec = exercise.spec
        context = {
            "contract": spec.get("contract", ""),
            "level_name": spec.get("level", ""),
            "level_source": exercise.files.get(spec.get("level", ""), ""),
            "player": last_submission(offering, exercise, user).get("player", 0),
            **chain_links(offering),
        }
        try:
            chain = open_chain(offering_id=offering.pk, owner_id=user.pk)
            context["accounts"] = [(a.index, a.address) for a in dev_accounts(chain)]
            context["rpc_path"] = readable_rpc_path(chain)
            instance = levels.deployed_level(exercise=exercise, chain=chain)
        except ServiceError as error:
            return {**context, "problem": error.message}
        except (ChainUnavailable, ChainBusy, OSError) as error:
            return {**context, "problem": str(error)}
        except (levels.LevelUnusable, CompilerUnavailable) as error:
            return {
                **context,
                "problem": _("This level cannot be deployed (%s): tell your instructor.") % error,
            }
        address_url = reverse("chain-address", args=[offering.slug, instance.address])
        return {
            **context,
            "instance": instance,
            "address": instance.address,
            "address_url": address_url,
        }

    def grade(self, ctx: GradingContext) -> Outcome:
        with translation.override(ctx.language):
            return self._grade(ctx)

    def _grade(self, ctx: GradingContext) -> Outcome:
        spec = ctx.exercise.spec
        chain = student_chain(ctx.offering.pk, ctx.user.pk)
        with chain_for_grading(chain) as w3:
            try:
                instance, fresh = levels.ensure_level(w3, chain, ctx.exercise)
                contract, result = levels.level_contract(ctx.exercise)
            except (levels.LevelUnusable, CompilerUnavailable) as error:
                raise GradingError(_("The level cannot be deployed: %s") % error) from error
            if fresh:
                return failed(
                    _("Your level is on your chain"), level_replaced_detail(instance.address)
                )
            accounts = [a.address for a in dev_accounts(chain)]
            player = accounts[as_int(ctx.submission.get("player", 0)) or 0]
            abis = [c.abi for c in result.contracts.values()]
            target = Target(
                w3, instance.address, contract.name, contract.abi, accounts, player, abis
            )
            changes = any("send" in check for check in spec["checks"])
            with undone_afterwards(w3) if changes else nullcontext():
                return Outcome(checks=run_checks(spec["checks"], target))


def readable_rpc_path(chain: Chain) -> str:
    try:
        return rpc_path(chain)
    except ServiceError:  # My chain explains it and offers a new URL
        return ""


def level_replaced_detail(address: str) -> str:
    return _(
        "Your level was not on your chain (a reset, or a revert to a snapshot taken before you "
        "opened the exercise, removes it), so a new one was deployed at %(address)s. Solve the "
        "level on this new instance, then submit again."
    ) % {"address": address}


onchain_grader = OnchainGrader()
