"""The platform's OpenID configuration (LTI Dynamic Registration §3.4–3.5): fetched from the URL the
platform gave, validated, and reduced to what a Registration needs.

Refused with `invalid_configuration` (the detail names the field) when it is not JSON, lacks an
endpoint, is not an LTI platform's (no lti-platform-configuration claim, no resource link
launches) or cannot authenticate us the way we can (private_key_jwt, RS256); `issuer_mismatch`
when the issuer is not on the configuration URL's origin.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings

from campus.lti import claims as c
from campus.lti.dynamic_registration.errors import RegistrationError

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_URL_LENGTH = 500  # Registration's URL fields


@dataclass(frozen=True)
class PlatformConfiguration:
    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    authorization_server: str
    product_family_code: str
    version: str
    messages: tuple[str, ...]
    scopes: tuple[str, ...]
    """Scopes the platform says it supports; empty when it does not say."""

    @property
    def supports_deep_linking(self) -> bool:
        return c.DEEP_LINKING_REQUEST in self.messages


def fetch_platform_configuration(url: str) -> PlatformConfiguration:
    """The validated configuration at `url` (the `openid_configuration` parameter)."""
    if not url:
        raise RegistrationError("missing_configuration")
    check_url(url, "openid_configuration")
    return parse_configuration(url, _get_json(url))


def check_url(url: str, name: str) -> None:
    """An absolute http(s) URL without credentials; https when LTI_REGISTRATION_HTTPS_ONLY."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise RegistrationError("invalid_configuration", f"{name} {url!r} is not a web address")
    if len(url) > MAX_URL_LENGTH:
        raise RegistrationError("invalid_configuration", f"{name} is longer than {MAX_URL_LENGTH}")
    if parts.scheme != "https" and settings.LTI_REGISTRATION_HTTPS_ONLY:
        raise RegistrationError("insecure_url", f"{name} {url!r}")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def parse_configuration(url: str, document: dict) -> PlatformConfiguration:
    issuer = _text(document, "issuer")
    if origin(issuer) != origin(url) or urlsplit(issuer).query or urlsplit(issuer).fragment:
        raise RegistrationError(
            "issuer_mismatch", f"issuer {issuer!r} is not on {origin(url)} (where it came from)"
        )
    endpoints = {name: _text(document, name) for name in ENDPOINTS}
    for name, value in endpoints.items():
        check_url(value, name)
    _check_methods(document)
    lti = document.get(PLATFORM_CONFIGURATION)
    if not isinstance(lti, dict):
        raise RegistrationError("invalid_configuration", f"no {PLATFORM_CONFIGURATION} claim")
    messages = _message_types(lti)
    return PlatformConfiguration(
        url=url,
        issuer=issuer,
        authorization_server=str(document.get("authorization_server") or ""),
        product_family_code=_text(lti, "product_family_code"),
        version=str(lti.get("version") or ""),
        messages=messages,
        scopes=tuple(str(s) for s in document.get("scopes_supported") or []),
        **endpoints,
    )


def _get_json(url: str) -> dict:
    try:
        with requests.get(
            url,
            timeout=settings.LTI_HTTP_TIMEOUT_SECONDS,
            allow_redirects=False,
            headers={"Accept": "application/json"},
            stream=True,
        ) as response:
            status = response.status_code
            body = response.raw.read(MAX_DOCUMENT_BYTES + 1, decode_content=True)
    except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
        raise RegistrationError("configuration_unavailable", f"{url}: {error}") from None
    if status != 200:
        raise RegistrationError("configuration_unavailable", f"{url} answered HTTP {status}")
    if len(body) > MAX_DOCUMENT_BYTES:
        raise RegistrationError("invalid_configuration", f"{url} is larger than 256 KiB")
    try:
        document = json.loads(body)
    except ValueError:
        raise RegistrationError("invalid_configuration", f"{url} did not answer JSON") from None
    if not isinstance(document, dict):
        raise RegistrationError("invalid_configuration", f"{url} did not answer a JSON object")
    return document


def _text(document: dict, name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RegistrationError("invalid_configuration", f"no {name}")
    return value.strip()


def _check_methods(document: dict) -> None:
    """We sign token requests with private_key_jwt and verify RS256 id_tokens: a platform that
    says it supports neither could register us and then never work."""
    wanted = (
        ("token_endpoint_auth_methods_supported", "private_key_jwt"),
        ("id_token_signing_alg_values_supported", "RS256"),
    )
    for name, value in wanted:
        supported = document.get(name)
        if supported is not None and value not in supported:
            raise RegistrationError("invalid_configuration", f"{name} lacks {value}")


def _message_types(lti: dict) -> tuple[str, ...]:
    messages = lti.get("messages_supported")
    if not isinstance(messages, list):
        raise RegistrationError("invalid_configuration", "no messages_supported")
    types = tuple(str(m.get("type")) for m in messages if isinstance(m, dict))
    if c.RESOURCE_LINK_REQUEST not in types:
        raise RegistrationError(
            "invalid_configuration", f"messages_supported lacks {c.RESOURCE_LINK_REQUEST}"
        )
    return types
