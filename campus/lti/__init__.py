"""LTI 1.3 Advantage tool: universities' LMSs (Moodle, Canvas, Blackboard, Open edX) launch
BlockCampus, roster it and receive its grades.

Flow: /lti/login/ (oidc) → platform → /lti/launch/ (tokens, launches) → the offering, lesson or
exercise (targets), or the offering picker (contexts) / deep-linking picker (deep_linking).
Services: roster sync (nrps), score passback (ags, tasks). Cookies and framing in the LMS iframe:
cookies. The tool's keys: keys, published at /lti/jwks/. Registering with a platform by pasting
/lti/register/ into it: dynamic_registration (views_register). Expired login states and launches
are purged by the beat (housekeeping); managers reach /lti/offerings/<slug>/ from the offering
page (links).

Why this package may import `courses.api`
-----------------------------------------
The house rule is campus ← courses ← sandbox: campus imports neither. LTI is the exception
DESIGN.md itself places here: a launch must enrol a person in an offering and land them on a
lesson or exercise, and grades flow back from courses. So campus/lti — and nothing else in
campus — imports `courses.api` (never courses' modules), and nothing in campus imports
campus.lti, so the layering of campus proper is unchanged and there is no import cycle
(courses.api → campus.api, campus.lti → courses.api). Moving the package to courses/lti/ would
be the tidier graph; it stays here because DESIGN.md names this place and the identity and
registration models are about people and institutions. Either way only this package crosses.

Library: pylti1p3 2.0.0 (with PyJWT and jwcrypto, its dependencies), not django-lti 0.10.1
-----------------------------------------------------------------------------------------
Weighed: django-lti (maintained, last release 2026) is a Django app *on top of* pylti1p3; it
brings its own models (LtiRegistration, LtiDeployment, Key, LtiUser, LtiContext, LtiMembership),
a middleware that loads the launch on every request, a login URL per registration UUID
(/init/<uuid>/ rather than one /lti/login/), and `session.clear()` on each launch; deep linking
is explicitly "not supported" in its base view, its `rotate_keys` deactivates old keys after N
days with no grace tied to our own rotation, and its dynamic-registration add-on (0.1.2) is a
Canvas-shaped skeleton with "more details to come". We would be adapting our models to it and
still writing the parts this issue cares most about.

pylti1p3 (2.0.0, 2022; stable, widely used, also what django-lti wraps) is a protocol library
with no models: it fits our own registration/key/identity tables. We use it where its behaviour
is what we need: the service connector (client-credentials JWT assertion → access token), NRPS
paging, AGS line items and scores, and the signed deep-linking response. We do **not** use its
MessageLaunch/OIDCLogin for the launch itself, because reading its 2.0.0 source shows behaviour
the issue forbids: `check_nonce` only tests that the nonce exists (a replayed id_token is
accepted), `aud` verification is switched off and the client id is taken as `aud[0]` with no
`azp` check, failures are free-text LtiException messages (no stable codes for error pages),
state falls back to a bare cookie comparison, and it has no LTI client-side (postMessage) storage.
So tokens.py verifies the id_token with PyJWT (RS256 only, kid lookup in the platform's key set
with one refetch on rotation, iss/aud/azp/exp/iat), and launches.py keeps state and nonce in the
database (LaunchState), consumed by a single conditional UPDATE: single use across processes.

What we wrote ourselves: registrations and deployments, the tool's keys in the database with
rotation and a grace period (keys), the launch validation and error codes (tokens, launches,
errors), identity linking by (registration, sub) (identities), role mapping (roles), offering
linking (contexts), cookie/framing handling and platform storage for the iframe (cookies,
static/lti/), roster reconciliation (nrps), the score status model (ags) and LTI Dynamic
Registration (dynamic_registration: pylti1p3 has none; its package docstring says who may register
and why the confirmation never shows in a frame).
"""
