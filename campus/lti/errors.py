"""Why a login or launch was refused: a stable code, a message for the person in the LMS frame,
and the HTTP status the error page is served with. Every refusal is raised before anything is
written, so a refused launch creates no user, identity, enrolment or link."""

from django.utils.translation import gettext_lazy as _

from campus.errors import ServiceError

# code: (HTTP status, message)
FAILURES = {
    "missing_parameter": (400, _("The LMS did not send everything a launch needs.")),
    "malformed_token": (400, _("The launch token from the LMS could not be read.")),
    "unknown_issuer": (
        400,
        _("This LMS is not registered with BlockCampus. Ask your administrator to register it."),
    ),
    "unknown_client": (
        400,
        _("This LMS registration (client id) is not known to BlockCampus."),
    ),
    "wrong_audience": (401, _("The launch token was not issued for BlockCampus.")),
    "unknown_kid": (
        401,
        _("The launch token was signed with a key the LMS does not publish (unknown key id)."),
    ),
    "platform_keys_unavailable": (
        401,
        _("The LMS key set could not be fetched, so the launch could not be verified."),
    ),
    "bad_signature": (401, _("The launch token's signature is not valid (forged or altered).")),
    "token_expired": (401, _("The launch token has expired. Launch again from your LMS.")),
    "token_not_yet_valid": (401, _("The launch token is not valid yet (issued in the future).")),
    "invalid_claims": (401, _("The launch token is missing a required claim.")),
    "unknown_state": (
        403,
        _("This launch does not match a login started here (unknown or expired state)."),
    ),
    "state_mismatch": (
        403,
        _("This launch was started in another browser or for another LMS (state mismatch)."),
    ),
    "state_unverified": (
        403,
        _(
            "Your browser blocked the cookie that ties this launch to you. Open the tool in a "
            "new window from your LMS."
        ),
    ),
    "nonce_mismatch": (403, _("The launch token's nonce does not match this login.")),
    "nonce_replayed": (
        403,
        _("This launch was already used once (replayed nonce). Launch again from your LMS."),
    ),
    "unknown_deployment": (
        403,
        _("This deployment of the tool is not registered with BlockCampus."),
    ),
    "unsupported_message": (400, _("BlockCampus does not handle this kind of LTI message.")),
    "no_course_role": (
        403,
        _("Your role in this LMS course does not give access to BlockCampus."),
    ),
    "launch_expired": (403, _("This launch has expired. Launch again from your LMS.")),
    "not_instructor": (403, _("Only an instructor of this course can do that.")),
}


class LaunchError(ServiceError):
    """A refused login or launch. `status` is the HTTP status of its error page."""

    def __init__(self, code: str, detail: str = "") -> None:
        status, message = FAILURES[code]
        super().__init__(code, str(message))
        self.status = status
        self.detail = detail
