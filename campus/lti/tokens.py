"""Verifying a platform's id_token: which registration it is for, that the platform signed it,
and that it is current. State, nonce and deployment are checked by `launches`, which knows what
the login stored.

The checks follow the LTI Security Framework §5.1.3: `iss` and `aud` name a registration (with
several audiences `azp` must be present and be our client id); the signature verifies with the key
the header's `kid` names in the platform's key set (RS256 only: `none` and HMAC are refused);
`exp` is in the future and `iat` not in it, within `LTI_CLOCK_SKEW_SECONDS`.
"""

from dataclasses import dataclass

import jwt
from django.conf import settings

from campus.lti.errors import LaunchError
from campus.lti.models import Registration
from campus.lti.platform_keys import platform_key


@dataclass(frozen=True)
class VerifiedToken:
    registration: Registration
    claims: dict


def verify_id_token(id_token: str) -> VerifiedToken:
    header, unverified = _peek(id_token)
    registration = _registration_for(unverified)
    kid = header.get("kid")
    if not kid:
        raise LaunchError("unknown_kid", "no kid in the token header")
    key = platform_key(registration.key_set_url, kid)
    claims = _decode(id_token, key, registration)
    return VerifiedToken(registration=registration, claims=claims)


def _peek(id_token: str) -> tuple[dict, dict]:
    try:
        header = jwt.get_unverified_header(id_token)
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise LaunchError("malformed_token", str(exc)) from None
    if header.get("alg") != "RS256":
        raise LaunchError("bad_signature", f"alg {header.get('alg')!r} is not RS256")
    return header, claims


def _registration_for(claims: dict) -> Registration:
    issuer = claims.get("iss")
    registrations = Registration.objects.filter(issuer=issuer, is_active=True)
    if not issuer or not registrations.exists():
        raise LaunchError("unknown_issuer", f"iss {issuer!r}")
    client_id = _client_id(claims)
    registration = registrations.filter(client_id=client_id).first()
    if registration is None:
        raise LaunchError("wrong_audience", f"aud {claims.get('aud')!r} azp {claims.get('azp')!r}")
    return registration


def _client_id(claims: dict) -> str:
    """Our client id as the token names it: the one audience, or `azp` when there are several."""
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
    azp = claims.get("azp")
    if azp is not None and azp not in audiences:
        raise LaunchError("wrong_audience", f"azp {azp!r} is not among aud {audiences!r}")
    if azp is not None:
        return azp
    if len(audiences) != 1:
        raise LaunchError("wrong_audience", f"{len(audiences)} audiences and no azp")
    return audiences[0]


def _decode(id_token: str, key: jwt.PyJWK, registration: Registration) -> dict:
    try:
        return jwt.decode(
            id_token,
            key=key.key,
            algorithms=["RS256"],
            audience=registration.client_id,
            issuer=registration.issuer,
            leeway=settings.LTI_CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iat", "nonce", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise LaunchError("token_expired", str(exc)) from None
    except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError) as exc:
        raise LaunchError("token_not_yet_valid", str(exc)) from None
    except jwt.InvalidAudienceError as exc:
        raise LaunchError("wrong_audience", str(exc)) from None
    except jwt.MissingRequiredClaimError as exc:
        raise LaunchError("invalid_claims", str(exc)) from None
    except jwt.PyJWTError as exc:
        raise LaunchError("bad_signature", str(exc)) from None
