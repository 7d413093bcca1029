"""Calls to the platform's services (NRPS, AGS) through pylti1p3's ServiceConnector: it signs the
client-credentials assertion with our current key, trades it for an access token at the
platform's token URL and sends the request with it."""

import requests
from django.conf import settings
from pylti1p3.registration import Registration as PyltiRegistration
from pylti1p3.service_connector import ServiceConnector

from campus.lti.keys import current_signing_key
from campus.lti.models import Registration


class _KeyedRegistration(PyltiRegistration):
    """pylti1p3 derives the kid from a public key; ours is the ToolKey's kid, as published."""

    def __init__(self, kid: str) -> None:
        super().__init__()
        self._kid = kid

    def get_kid(self) -> str:
        return self._kid


class _TimeoutSession(requests.Session):
    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", settings.LTI_HTTP_TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def pylti_registration(registration: Registration) -> PyltiRegistration:
    key = current_signing_key()
    return (
        _KeyedRegistration(key.kid)
        .set_issuer(registration.issuer)
        .set_client_id(registration.client_id)
        .set_auth_login_url(registration.auth_login_url)
        .set_auth_token_url(registration.auth_token_url)
        .set_auth_audience(registration.auth_audience)
        .set_key_set_url(registration.key_set_url)
        .set_tool_private_key(key.private_pem)
    )


def service_connector(registration: Registration) -> ServiceConnector:
    session = _TimeoutSession()
    session.headers["User-Agent"] = "BlockCampus-LTI"
    return ServiceConnector(pylti_registration(registration), requests_session=session)
