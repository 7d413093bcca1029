"""The LMS iframe: cookies and framing for people who launched from a platform.

Browsers send only SameSite=None; Secure cookies in a cross-site iframe, and Django's session and
CSRF cookies are Lax: without this, the page after the launch sees no session, sends the person to
the login page, and the launch loops. Rather than weaken every visitor's cookies in settings, this
middleware changes them only on responses to LTI sessions (and the launch response itself), and
lets the platform's own origins frame the site for those sessions (CSP frame-ancestors in place
of the site-wide X-Frame-Options: DENY).

It sits before SessionMiddleware so its response phase runs after the session, CSRF and
clickjacking middleware have set their cookies and headers.
"""

from django.conf import settings

SESSION_KEY = "lti"
PROBE_COOKIE = "lti_session_probe"


def mark_cross_site(response, frame_origins: list[str]):
    """Serve `response` with cross-site cookies and framing for `frame_origins` (login and
    launch responses, before the session knows it is an LTI one)."""
    response.lti_frame_origins = frame_origins
    return response


def cross_site_cookie(response, name: str, value: str, *, max_age: int, path: str = "/") -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=path, secure=True, httponly=True, samesite="None"
    )


class LtiFrameMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        origins = getattr(response, "lti_frame_origins", None)
        session = getattr(request, "session", None)
        if origins is None and session is not None:
            origins = (session.get(SESSION_KEY) or {}).get("frame_origins")
        if origins is not None:
            _cross_site_cookies(response)
            _allow_framing(response, origins)
        return response


def _cross_site_cookies(response) -> None:
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, PROBE_COOKIE):
        morsel = response.cookies.get(name)
        if morsel is not None and morsel.value:
            morsel["samesite"] = "None"
            morsel["secure"] = True


def _allow_framing(response, origins: list[str]) -> None:
    if "X-Frame-Options" in response:
        del response["X-Frame-Options"]
    ancestors = "frame-ancestors " + " ".join(["'self'", *origins])
    policy = response.get("Content-Security-Policy", "")
    if "frame-ancestors" not in policy:
        response["Content-Security-Policy"] = f"{policy}; {ancestors}" if policy else ancestors
