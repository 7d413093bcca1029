"""A small LTI 1.3 platform (an LMS) on loopback, for end-to-end tests of the tool.

It has its own RSA keys and serves, over real HTTP in a thread:
  GET  /jwks                       its public key set (the tool verifies id_tokens with it)
  GET  /openid-configuration       its OpenID configuration (LTI Dynamic Registration)
  POST /register                   the dynamic registration endpoint: checks the bearer
                                   registration token, answers a client_id and deployment_id
  GET  /auth                       the authorization endpoint, for a real browser: a form that
                                   POSTs a signed id_token (`browser_claims`) to the redirect_uri
  GET  /course/<context>           an LMS course page embedding the tool's login in an iframe,
                                   answering platform storage postMessages (?storage=1)
  GET  /tool-registration          the LMS's "register a tool by URL" dialog: the tool's
                                   /lti/register/ in an iframe, closed on the tool's close message
  POST /token                      client_credentials with a JWT client assertion, verified against
                                   the tool's JWKS fetched from `tool_jwks_url`
  GET  /nrps/<context>             NRPS membership container (Bearer token required)
  GET  /ags/<context>/lineitems    AGS line items; POST creates one
  POST /ags/<context>/lineitems/<n>/scores   records the score
Its authorization endpoint is driven by the test: `authorize(redirect_url, ...)` reads the state
and nonce the tool sent and returns the form the platform would POST to the tool's launch URL,
with an id_token it signed. Everything received is recorded for assertions.

`Platform(host="localhost")` names itself by another host than the tool's 127.0.0.1, so that a
browser sees the two as different sites (third-party cookies, frames), as in production.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.campus.lti.platform_pages import course_page, form_post_page, registration_page

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


class SigningKey:
    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def jwk(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def sign(self, claims: dict, *, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": kid or self.kid})


class Platform:
    issuer_path = ""

    def __init__(
        self, *, client_id: str = "bc-client", deployment_id: str = "dep-1", host: str = "127.0.0.1"
    ) -> None:
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.key = SigningKey()
        self.published = [self.key]
        self.tool_jwks_url = ""
        self.tokens: dict[str, list[str]] = {}
        self.token_requests: list[dict] = []
        self.members: dict[str, list[dict]] = {}
        self.lineitems: dict[str, list[dict]] = {}
        self.scores: list[dict] = []
        self.fail_scores = 0
        self.config_overrides: dict = {}  # merged into the OpenID configuration; None removes
        self.registration_token = ""  # the bearer token /register demands, when set
        self.refuse_registration: tuple[int, dict] | None = None  # (status, body) /register answers
        self.registration_requests: list[dict] = []
        self.config_requests = 0
        self.browser_claims: dict = {}  # what /auth puts in the id_token it signs for a browser
        self.tool_url = ""  # the tool's base URL, for the course page
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> Platform:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def issuer(self) -> str:
        return self.url

    def registration_fields(self) -> dict:
        return {
            "name": "Simulated LMS",
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.url + "/auth",
            "auth_token_url": self.url + "/token",
            "key_set_url": self.url + "/jwks",
        }

    # --- the launch ------------------------------------------------------------------------
    def login_params(self, *, target: str, hint: str = "user-hint", **extra) -> dict:
        return {
            "iss": self.issuer,
            "client_id": self.client_id,
            "login_hint": hint,
            "target_link_uri": target,
            "lti_deployment_id": self.deployment_id,
            **extra,
        }

    def authorize(self, redirect_url: str, *, sign_with=None, kid=None, **claims) -> dict:
        """What the platform's authorization endpoint POSTs back: {id_token, state}."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(redirect_url).query).items()}
        assert query["response_mode"] == "form_post" and query["scope"] == "openid"
        assert query["client_id"] == self.client_id
        token = self.id_token(nonce=query["nonce"], **claims)
        return {"id_token": (sign_with or self.key).sign(token, kid=kid), "state": query["state"]}

    def id_token(
        self,
        *,
        nonce: str,
        sub="student-1",
        roles=("Learner",),
        context="ctx-1",
        message_type="LtiResourceLinkRequest",
        target="",
        custom=None,
        **overrides,
    ):
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": f"Person {sub}",
            "email": f"{sub}@lms.example",
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": target,
            LTI + "roles": [ROLE + r if "/" not in r else r for r in roles],
            LTI + "context": {"id": context, "title": f"LMS course {context}"},
            LTI + "resource_link": {"id": "rl-1"},
            LTI + "custom": custom or {},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/nrps/{context}",
                "service_versions": ["2.0"],
            },
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": AGS_SCOPES,
                "lineitems": f"{self.url}/ags/{context}/lineitems",
            },
        }
        if message_type == "LtiDeepLinkingRequest":
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.url}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "data": "opaque-platform-data",
            }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    # --- dynamic registration ----------------------------------------------------------------
    @property
    def openid_configuration_url(self) -> str:
        return self.url + "/openid-configuration"

    def registration_url(self, *, tool: str = "http://testserver") -> str:
        """The URL the platform opens to start dynamic registration at the tool."""
        query = {"openid_configuration": self.openid_configuration_url}
        if self.registration_token:
            query["registration_token"] = self.registration_token
        return f"{tool}/lti/register/?{urlencode(query)}"

    def openid_configuration(self) -> dict:
        config = {
            "issuer": self.issuer,
            "authorization_endpoint": self.url + "/auth",
            "token_endpoint": self.url + "/token",
            "jwks_uri": self.url + "/jwks",
            "registration_endpoint": self.url + "/register",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "scopes_supported": ["openid", NRPS_SCOPE, *AGS_SCOPES],
            "claims_supported": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "simlms",
                "version": "4.5",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea"]},
                ],
                "variables": ["Context.id.history"],
            },
        }
        config.update(self.config_overrides)
        return {k: v for k, v in config.items() if v is not None}

    def register_client(self, authorization: str, body: dict) -> tuple[int, dict]:
        self.registration_requests.append({"authorization": authorization, "body": body})
        if self.registration_token and authorization != f"Bearer {self.registration_token}":
            return 401, {"error": "invalid_token", "error_description": "bad registration token"}
        if self.refuse_registration:
            return self.refuse_registration
        tool = body.get("https://purl.imsglobal.org/spec/lti-tool-configuration", {})
        return 200, {
            **body,
            "client_id": self.client_id,
            "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                **tool,
                "deployment_id": self.deployment_id,
            },
        }

    # --- the browser -----------------------------------------------------------------------
    def course_url(self, context: str = "ctx-1", *, storage: bool) -> str:
        return f"{self.url}/course/{context}?storage={int(storage)}"

    def _course_page(self, context: str, storage: bool) -> str:
        params = self.login_params(
            target=self.tool_url + "/lti/launch/", hint=self.browser_claims.get("sub", "student-1")
        )
        if storage:
            params["lti_storage_target"] = "_parent"
        login_url = f"{self.tool_url}/lti/login/?{urlencode(params)}"
        return course_page(
            title=f"LMS course {context}",
            login_url=login_url,
            tool_origin=self.tool_url,
            storage=storage,
        )

    def _authorization_page(self, url: str) -> str:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        form = self.authorize(url, target=self.tool_url + "/lti/launch/", **self.browser_claims)
        return form_post_page(action=query["redirect_uri"], fields=form)

    def verify_tool_jwt(self, token: str, jwks: dict) -> dict:
        """Verify something the tool signed (deep-linking response) with the tool's key set."""
        kid = jwt.get_unverified_header(token)["kid"]
        key = next(k for k in jwks["keys"] if k["kid"] == kid)
        return jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=self.issuer)

    # --- services --------------------------------------------------------------------------
    def issue_token(self, form: dict) -> tuple[int, dict]:
        self.token_requests.append(form)
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        try:
            jwks = requests.get(self.tool_jwks_url, timeout=5).json()
            claims = self.verify_assertion(form.get("client_assertion", ""), jwks)
        except Exception as error:  # noqa: BLE001 — any failure is an invalid client
            return 401, {"error": "invalid_client", "error_description": str(error)}
        assert claims["sub"] == self.client_id
        token = secrets.token_urlsafe(16)
        self.tokens[token] = form.get("scope", "").split()
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}

    def verify_assertion(self, assertion: str, jwks: dict) -> dict:
        kid = jwt.get_unverified_header(assertion)["kid"]
        key = next(k for k in jwks["keys"] if k["kid"] == kid)
        return jwt.decode(
            assertion,
            jwt.PyJWK(key).key,
            algorithms=["RS256"],
            audience=self.url + "/token",
            issuer=self.client_id,
        )

    def member(self, sub: str, roles=("Learner",), status="Active") -> dict:
        return {
            "user_id": sub,
            "status": status,
            "name": f"Person {sub}",
            "roles": [ROLE + r for r in roles],
        }


def _handler(platform: Platform):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body, content_type="application/json", headers=None):
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _scopes(self) -> list[str] | None:
            auth = self.headers.get("Authorization", "")
            return platform.tokens.get(auth.removeprefix("Bearer ").strip())

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self):
            path = urlsplit(self.path).path
            parts = path.strip("/").split("/")
            if path == "/jwks":
                return self._send(200, {"keys": [k.jwk for k in platform.published]})
            if path == "/openid-configuration":
                platform.config_requests += 1
                return self._send(200, platform.openid_configuration())
            if path == "/auth":
                return self._send(200, platform._authorization_page(self.path), "text/html")
            if path == "/tool-registration":
                url = platform.registration_url(tool=platform.tool_url)
                return self._send(200, registration_page(registration_url=url), "text/html")
            if parts[0] == "course":
                storage = parse_qs(urlsplit(self.path).query).get("storage") == ["1"]
                return self._send(200, platform._course_page(parts[1], storage), "text/html")
            scopes = self._scopes()
            if scopes is None:
                return self._send(401, {"error": "invalid_token"})
            if parts[0] == "nrps" and NRPS_SCOPE in scopes:
                members = platform.members.get(parts[1], [])
                return self._send(200, {"id": self.path, "members": members})
            if parts[0] == "ags" and parts[2:] == ["lineitems"]:
                return self._send(200, platform.lineitems.get(parts[1], []))
            return self._send(403, {"error": "forbidden"})

        def do_POST(self):
            path = urlsplit(self.path).path
            parts = path.strip("/").split("/")
            body = self._body()
            if path == "/token":
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                status, answer = platform.issue_token(form)
                return self._send(status, answer)
            if path == "/register":
                authorization = self.headers.get("Authorization", "")
                status, answer = platform.register_client(authorization, json.loads(body))
                return self._send(status, answer)
            scopes = self._scopes()
            if scopes is None:
                return self._send(401, {"error": "invalid_token"})
            if parts[0] == "ags" and parts[2:] == ["lineitems"]:
                items = platform.lineitems.setdefault(parts[1], [])
                item = {
                    **json.loads(body),
                    "id": f"{platform.url}/ags/{parts[1]}/lineitems/{len(items) + 1}",
                }
                items.append(item)
                return self._send(201, item)
            if parts[0] == "ags" and parts[-1] == "scores":
                if platform.fail_scores:
                    platform.fail_scores -= 1
                    return self._send(503, {"error": "try later"})
                lineitem = platform.url + "/" + "/".join(parts[:-1])
                platform.scores.append({"lineitem": lineitem, **json.loads(body)})
                return self._send(200, {})
            return self._send(404, {"error": "not found"})

    return Handler
