"""The contract studio: write Solidity, compile it, deploy it to your chain, call what you deployed.

Server-rendered and usable without JavaScript: every form posts and the page comes back with
the outcome (a compile error re-renders the page with the source and errors, HTTP 400; a deploy
redirects with a message; a call or transaction redirects with its result kept in the session for
the next page). `static/js/chain-studio.js` enhances it: line numbers, compiling and calling
through fetch (the same views answer JSON when asked) and marking an error's line in the editor.
Only people actively enrolled in the offering get here; each sees only their own chain.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from eth_utils import keccak

from campus.errors import ServiceError
from courses.api import Offering
from sandbox.access import member_offering_or_404
from sandbox.chain import abiforms, studio
from sandbox.chain.compiler import CompileMessage
from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain, ContractArtifact, Deployment
from sandbox.chain.nodes import chain_web3
from sandbox.chain.services import open_chain

STARTER_FILE = "MyToken.sol"
STARTER = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// A first ERC-20: the deployer receives the whole supply.
contract MyToken is ERC20 {
    constructor(string memory name_, string memory symbol_, uint256 supply)
        ERC20(name_, symbol_)
    {
        _mint(msg.sender, supply);
    }
}
"""
SHOWN_ARTIFACTS = 8
SHOWN_DEPLOYMENTS = 10
RESULT_KEY = "chain_studio_result"


@dataclass
class ArtifactForm:
    artifact: ContractArtifact
    inputs: list[abiforms.Field]
    payable: bool
    error: str = ""

    @property
    def prefix(self) -> str:
        return f"deploy-{self.artifact.pk}"


@dataclass
class FunctionForm:
    signature: str
    name: str
    inputs: list[abiforms.Field]
    read_only: bool
    payable: bool
    anchor: str
    result: dict | None = None


@dataclass
class DeploymentView:
    deployment: Deployment
    functions: list[FunctionForm]
    open: bool


# -- pages -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def studio_page(request: HttpRequest, slug: str) -> HttpResponse:
    offering, chain = _offering_and_chain(request, slug)
    if request.method == "GET":
        return _render(request, offering, chain)
    file_name, source = _posted_source(request)
    try:
        artifacts, found = _compile(offering, request, file_name, source)
    except ServiceError as error:
        found = [CompileMessage(severity="error", message=error.message)]
        artifacts = []
    if not artifacts:
        return _render(
            request, offering, chain, source=(file_name, source), found=found, status=400
        )
    messages.success(request, _compiled_message(artifacts))
    return redirect(reverse("chain-studio", args=[offering.slug]) + "#compiled")


@login_required
@require_POST
def compile_json(request: HttpRequest, slug: str) -> JsonResponse:
    offering, chain = _offering_and_chain(request, slug)
    file_name, source = _posted_source(request)
    try:
        artifacts, found = _compile(offering, request, file_name, source)
    except ServiceError as error:
        return JsonResponse({"ok": False, "summary": error.message, "messages": []}, status=400)
    answer = {
        "ok": bool(artifacts),
        "summary": _compiled_message(artifacts) if artifacts else _failed_message(found),
        "messages": [_message_json(m) for m in found],
    }
    if artifacts:
        context = {"offering": offering, **_deploy_context(request, chain)}
        answer["compiled_html"] = render_to_string(
            "sandbox/chain/studio_compiled.html", context, request=request
        )
    return JsonResponse(answer, status=200 if artifacts else 400)


@login_required
@require_POST
def deploy(request: HttpRequest, slug: str, artifact_id: int) -> HttpResponse:
    offering, chain = _offering_and_chain(request, slug)
    artifact = ContractArtifact.objects.filter(
        pk=artifact_id, offering=offering, owner=request.user
    ).first()
    if artifact is None:
        raise Http404("No such compiled contract.")
    values = _posted_args(request)
    try:
        deployment = studio.deploy_artifact(
            chain=chain,
            artifact=artifact,
            sender=request.POST.get("sender", ""),
            constructor_args=values,
            value_wei=_posted_wei(request),
        )
    except ServiceError as error:
        form = _artifact_form(artifact, values, invalid=getattr(error, "index", -1))
        form.error = error.message
        return _render(request, offering, chain, deploy_form=form, status=400)
    messages.success(
        request,
        _("%(name)s deployed at %(address)s in block %(block)s.")
        % {"name": artifact.name, "address": deployment.address, "block": deployment.block_number},
    )
    return redirect(reverse("chain-studio", args=[offering.slug]) + f"#deployment-{deployment.pk}")


@login_required
@require_POST
def use_function(request: HttpRequest, slug: str, deployment_id: int) -> HttpResponse:
    """Call a read function or send a transaction to a write one, by the function's ABI."""
    offering, chain = _offering_and_chain(request, slug)
    deployment = (
        Deployment.objects.select_related("artifact").filter(pk=deployment_id, chain=chain).first()
    )
    if deployment is None:
        raise Http404("No such deployment on your chain.")
    signature = request.POST.get("function", "")
    result = _function_result(request, chain, deployment, signature)
    if _wants_json(request):
        html = render_to_string(
            "sandbox/chain/studio_result.html",
            {"result": result, "offering": offering},
            request=request,
        )
        return JsonResponse({"ok": result["ok"], "html": html}, status=200 if result["ok"] else 400)
    request.session[RESULT_KEY] = result
    anchor = _anchor(deployment, signature)
    return redirect(reverse("chain-studio", args=[offering.slug]) + f"#{anchor}")


urlpatterns = [
    path("offerings/<slug:slug>/chain/studio/", studio_page, name="chain-studio"),
    path("offerings/<slug:slug>/chain/studio/compile/", compile_json, name="chain-studio-compile"),
    path(
        "offerings/<slug:slug>/chain/studio/compiled/<int:artifact_id>/deploy/",
        deploy,
        name="chain-studio-deploy",
    ),
    path(
        "offerings/<slug:slug>/chain/studio/deployments/<int:deployment_id>/use/",
        use_function,
        name="chain-studio-use",
    ),
]


# -- helpers -----------------------------------------------------------------------------------


def _offering_and_chain(request: HttpRequest, slug: str) -> tuple[Offering, Chain]:
    offering = member_offering_or_404(request, slug)
    return offering, open_chain(offering_id=offering.pk, owner_id=request.user.pk)


def _posted_source(request: HttpRequest) -> tuple[str, str]:
    file_name = request.POST.get("file_name", "").strip() or STARTER_FILE
    return file_name, request.POST.get("source", "").replace("\r\n", "\n")


def _compile(offering, request, file_name: str, source: str):
    return studio.compile_sources(
        offering_id=offering.pk, owner_id=request.user.pk, sources={file_name: source}
    )


def _posted_args(request: HttpRequest) -> list[str]:
    count = sum(1 for key in request.POST if key.startswith("arg"))
    return [request.POST.get(f"arg{i}", "") for i in range(count)]


def _posted_wei(request: HttpRequest) -> int:
    text = request.POST.get("value_wei", "").strip() or "0"
    try:
        return abiforms.parse_value({"type": "uint256"}, text)
    except abiforms.AbiValueError as error:
        raise ServiceError("bad_value", _("Value (wei): %s") % error) from None


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _function_result(request, chain, deployment, signature: str) -> dict:
    args = _posted_args(request)
    result = {"deployment": deployment.pk, "function": signature, "args": args, "ok": True}
    try:
        entry = studio.find_function(deployment.artifact.abi, signature) or {}
        if abiforms.is_read_only(entry):
            outputs = studio.call_function(
                chain=chain, deployment=deployment, function=signature, args=args
            )
            result["outputs"] = [asdict(o) for o in outputs]
        else:
            receipt = studio.send_transaction(
                chain=chain,
                deployment=deployment,
                function=signature,
                args=args,
                sender=request.POST.get("sender", ""),
                value_wei=_posted_wei(request),
            )
            result["receipt"] = asdict(receipt)
    except ServiceError as error:
        result.update(ok=False, message=error.message, index=getattr(error, "index", -1))
    return result


def _message_json(message: CompileMessage) -> dict:
    return {
        "severity": message.severity,
        "label": _("error") if message.severity == "error" else _("warning"),
        "file": message.file,
        "line": message.line,
        "column": message.column,
        "message": message.message,
    }


def _compiled_message(artifacts: list[ContractArtifact]) -> str:
    return _("Compiled: %(names)s.") % {"names": ", ".join(a.name for a in artifacts)}


def _failed_message(found: list[CompileMessage]) -> str:
    errors = sum(1 for m in found if m.severity == "error")
    if not errors:
        return _("Nothing to deploy: the file defines no contract.")
    return ngettext(
        "Not compiled: %(count)s error. Nothing was saved.",
        "Not compiled: %(count)s errors. Nothing was saved.",
        errors,
    ) % {"count": errors}


def _anchor(deployment: Deployment, signature: str) -> str:
    return f"fn-{deployment.pk}-{keccak(text=signature)[:4].hex()}"


def _artifact_form(
    artifact: ContractArtifact, values: list[str] | None = None, invalid: int = -1
) -> ArtifactForm:
    constructor = next((e for e in artifact.abi if e.get("type") == "constructor"), {})
    return ArtifactForm(
        artifact=artifact,
        inputs=abiforms.fields(constructor, values, invalid),
        payable=constructor.get("stateMutability") == "payable",
    )


def _function_forms(deployment: Deployment, result: dict | None = None) -> list[FunctionForm]:
    forms = []
    for entry in deployment.artifact.abi:
        if entry.get("type") != "function":
            continue
        signature = abiforms.signature(entry)
        mine = result if result and result.get("function") == signature else None
        values, invalid = (mine["args"], mine.get("index", -1)) if mine else ([], -1)
        forms.append(
            FunctionForm(
                signature=signature,
                name=entry["name"],
                inputs=abiforms.fields(entry, values, invalid),
                read_only=abiforms.is_read_only(entry),
                payable=entry.get("stateMutability") == "payable",
                anchor=_anchor(deployment, signature),
                result=mine,
            )
        )
    # Reads first (what the contract knows), then writes; each group alphabetical.
    return sorted(forms, key=lambda f: (not f.read_only, f.name))


def _deploy_context(request, chain: Chain, deploy_form: ArtifactForm | None = None) -> dict:
    latest: dict[str, ContractArtifact] = {}
    mine = ContractArtifact.objects.filter(offering_id=chain.offering_id, owner=request.user)
    for artifact in mine[:100]:
        latest.setdefault(artifact.name, artifact)
    forms = [_artifact_form(a) for a in list(latest.values())[:SHOWN_ARTIFACTS]]
    if deploy_form is not None:
        forms = [deploy_form if f.artifact.pk == deploy_form.artifact.pk else f for f in forms]
    accounts, unavailable = _accounts(chain)
    return {"artifact_forms": forms, "accounts": accounts, "chain_problem": unavailable}


def _accounts(chain: Chain) -> tuple[list[str], str]:
    try:
        return list(chain_web3(chain).eth.accounts), ""
    except (ChainUnavailable, OSError) as error:
        return [], str(error)


def _render(
    request: HttpRequest,
    offering: Offering,
    chain: Chain,
    *,
    source: tuple[str, str] | None = None,
    found: list[CompileMessage] | None = None,
    deploy_form: ArtifactForm | None = None,
    status: int = 200,
) -> HttpResponse:
    result = request.session.pop(RESULT_KEY, None) if request.method == "GET" else None
    file_name, text = source or _last_source(request, offering)
    found = found or []
    deployments = Deployment.objects.filter(chain=chain).select_related("artifact")
    context = {
        "offering": offering,
        "file_name": file_name,
        "source": text,
        "lines": range(1, text.count("\n") + 2),
        "error_lines": sorted({m.line for m in found if m.severity == "error" and m.line}),
        "compile_messages": found,
        "has_errors": any(m.severity == "error" for m in found),
        "deployments": [
            DeploymentView(d, _function_forms(d, result if _is_for(result, d) else None), is_open)
            for d, is_open in zip(
                deployments[:SHOWN_DEPLOYMENTS], _opened(deployments, result), strict=False
            )
        ],
        **_deploy_context(request, chain, deploy_form),
    }
    return render(request, "sandbox/chain/studio.html", context, status=status)


def _is_for(result: dict | None, deployment: Deployment) -> bool:
    return bool(result) and result.get("deployment") == deployment.pk


def _opened(deployments, result: dict | None):
    """The deployment with the result is open, else the newest."""
    shown = list(deployments[:SHOWN_DEPLOYMENTS])
    has_result = any(_is_for(result, d) for d in shown)
    return [_is_for(result, d) if has_result else i == 0 for i, d in enumerate(shown)]


def _last_source(request: HttpRequest, offering: Offering) -> tuple[str, str]:
    last = ContractArtifact.objects.filter(offering=offering, owner=request.user).first()
    if last is None or last.source_name not in last.sources:
        return STARTER_FILE, STARTER
    return last.source_name, last.sources[last.source_name]
