"""What the tool asks the platform to register (LTI Dynamic Registration §3.6, the OpenID Connect
client metadata with the lti-tool-configuration claim): our endpoints, the services we call, the
claims we read and the two messages we handle."""

from urllib.parse import urlsplit

from django.urls import reverse

from campus.lti import claims as c
from campus.lti.dynamic_registration.platform import PlatformConfiguration

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
TOOL_NAME = "BlockCampus"
TOOL_DESCRIPTION = (
    "A sandbox for learning digital-asset exchanges and smart contracts: lessons, graded "
    "exercises, a simulated exchange and a private test chain for every student."
)
# Services the tool calls: line items and scores (AGS) and the roster (NRPS).
SCOPES = (c.SCOPE_LINEITEM, c.SCOPE_SCORE, c.SCOPE_NRPS)
# Claims the tool reads: who the person is (`sub` links them; the rest is for display).
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")
# Kept in the launch's custom claim: the LMS course's copy history, for linking a copied course.
CUSTOM_PARAMETERS = {"context_id_history": "$Context.id.history"}
TEACHING_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
)


def client_registration(platform: PlatformConfiguration, *, base_url: str) -> dict:
    """The JSON body POSTed to the platform's registration endpoint. `base_url` is the site's
    absolute root (https://campus.example/), as the platform's browsers reach it."""
    launch = _absolute(base_url, "lti:launch")
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": _absolute(base_url, "lti:login"),
        "redirect_uris": [launch],
        "client_name": TOOL_NAME,
        "jwks_uri": _absolute(base_url, "lti:jwks"),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(_scopes(platform)),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(base_url).netloc,
            "description": TOOL_DESCRIPTION,
            "target_link_uri": launch,
            "custom_parameters": dict(CUSTOM_PARAMETERS),
            "claims": list(CLAIMS),
            "messages": _messages(platform, launch),
        },
    }


def _scopes(platform: PlatformConfiguration) -> list[str]:
    """Ours, less those the platform says it does not support (all of ours when it says nothing)."""
    if not platform.scopes:
        return list(SCOPES)
    return [scope for scope in SCOPES if scope in platform.scopes]


def _messages(platform: PlatformConfiguration, launch: str) -> list[dict]:
    messages = [{"type": c.RESOURCE_LINK_REQUEST, "target_link_uri": launch, "label": TOOL_NAME}]
    if platform.supports_deep_linking:
        messages.append(
            {
                "type": c.DEEP_LINKING_REQUEST,
                "target_link_uri": launch,
                "label": f"{TOOL_NAME}: add a course, lesson or exercise",
                "placements": ["ContentArea"],
                "supported_types": ["ltiResourceLink"],
                "roles": list(TEACHING_ROLES),
            }
        )
    return messages


def _absolute(base_url: str, name: str) -> str:
    return base_url.rstrip("/") + reverse(name)
