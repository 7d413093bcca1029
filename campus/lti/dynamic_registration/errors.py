"""Why a dynamic registration did not happen: a stable code, a message for the administrator, the
HTTP status of the page, and a detail naming exactly what failed. Every refusal is raised before
anything is written here."""

from django.utils.translation import gettext_lazy as _

from campus.errors import ServiceError

# code: (HTTP status, message)
FAILURES = {
    "not_allowed": (
        403,
        _("Only a BlockCampus superuser or a university administrator can register an LMS."),
    ),
    "missing_configuration": (
        400,
        _("The LMS did not send the address of its configuration (openid_configuration)."),
    ),
    "insecure_url": (400, _("The LMS gave an address that is not https.")),
    "configuration_unavailable": (502, _("The LMS configuration could not be fetched.")),
    "invalid_configuration": (502, _("The LMS configuration is not a valid LTI 1.3 platform one.")),
    "issuer_mismatch": (
        400,
        _("The LMS configuration names an issuer on another site than the one it came from."),
    ),
    "registration_refused": (502, _("The LMS refused BlockCampus's registration.")),
    "invalid_registration": (502, _("The LMS's answer to the registration could not be used.")),
    "already_registered": (
        409,
        _(
            "This LMS registration (issuer and client id) is already registered with BlockCampus. "
            "Change it in the BlockCampus admin instead."
        ),
    ),
    "bad_form": (400, _("The registration form was not filled in correctly.")),
}


class RegistrationError(ServiceError):
    """A refused dynamic registration. `status` is the HTTP status of its page."""

    def __init__(self, code: str, detail: str = "") -> None:
        status, message = FAILURES[code]
        super().__init__(code, str(message))
        self.status = status
        self.detail = detail
