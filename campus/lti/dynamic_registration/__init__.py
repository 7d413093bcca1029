"""LTI Dynamic Registration (1EdTech "LTI Dynamic Registration" 1.0): an LMS administrator pastes
https://<campus>/lti/register/ into Moodle or Canvas and the tool registers itself.

The flow: the platform opens /lti/register/?openid_configuration=<url>&registration_token=<t>;
the tool fetches and validates the platform's OpenID configuration (`platform`), a BlockCampus
administrator confirms, the tool POSTs its client registration (`tool`) to the platform's
`registration_endpoint` with the registration token as bearer, and records the returned client id
and deployment id as a Registration and Deployment in one transaction (`services`). The last page
posts {subject: "org.imsglobal.lti.close"} to the window that opened it, and the platform closes
its dialog.

Decisions
---------
Who may register: a superuser, or a university admin (Membership role university_admin) acting
for one of their universities, recorded on the Registration with the person. A registration is a
trust anchor: its platform may create accounts (by its own `sub`s, never matched by e-mail) and
enrol them, but only in offerings an instructor who manages them linked to its courses, so a
university admin cannot reach another university's offerings through a platform they register.
Anyone else gets a refusal page; anonymous visitors go to the login page and come back.

The confirmation is never shown in a frame. Platforms open the registration URL in an iframe,
where the administrator's BlockCampus session cookie (SameSite=Lax) is not sent, and a framed
"Register" button anyone can point at their own configuration URL invites clickjacking. So a framed
request gets a small relay page (frameable by the configuration URL's origin) that opens the flow in
a window of its own; when that window finishes it tells the relay, which passes the close message
on to the platform. A platform that opens the URL in a new window gets the close message directly.

The issuer must have the configuration URL's origin (scheme, host and port), as the spec requires,
so a configuration served by one site cannot claim another's issuer. Configuration and registration
endpoints must be https unless LTI_REGISTRATION_HTTPS_ONLY is off (development, the test simulator);
redirects are not followed and answers are size-limited: the URL comes from a link anyone can craft,
and is only fetched for a signed-in administrator.

An (issuer, client id) already registered is refused (`already_registered`, nothing changed): the
existing registration may carry deployments and course links an administrator set up, and is
edited in the admin. Another client id for the same issuer is a new registration (Canvas Cloud
and Moodle sites with several tool registrations do this).
"""
