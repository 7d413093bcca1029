"""The simulated platform's browser-facing pages: an LMS course page that embeds the tool in an
iframe (and, when it offers one, answers the LTI client-side platform storage messages), and the
authorization endpoint's self-submitting form that POSTs the id_token to the tool."""

import html
import json

# LTI Client Side postMessages / Platform Storage (1EdTech): the platform answers `lti.put_data`
# and `lti.get_data` from the tool's frame, on the tool's origin only, each reply carrying the
# request's message_id under the subject "<subject>.response". Values are kept per tool origin.
STORAGE_SCRIPT = """
(function () {
  var toolOrigin = %(tool_origin)s;
  var storage = {};
  window.platformStorage = storage;
  window.platformMessages = [];
  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.origin !== toolOrigin || typeof data.subject !== "string") return;
    window.platformMessages.push(data.subject + (data.key ? " " + data.key : ""));
    var reply = { subject: data.subject + ".response", message_id: data.message_id };
    if (data.subject === "lti.capabilities") {
      reply.supported_messages = [
        { subject: "lti.capabilities" }, { subject: "lti.put_data" }, { subject: "lti.get_data" }
      ];
    } else if (data.subject === "lti.put_data") {
      storage[data.key] = data.value;
      reply.key = data.key;
      reply.value = data.value;
    } else if (data.subject === "lti.get_data") {
      reply.key = data.key;
      if (Object.prototype.hasOwnProperty.call(storage, data.key)) reply.value = storage[data.key];
      else reply.error = { code: "bad_request", message: "no value for " + data.key };
    } else {
      reply.error = { code: "unsupported_subject", message: data.subject };
    }
    event.source.postMessage(reply, event.origin);
  });
})();
"""


def course_page(*, title: str, login_url: str, tool_origin: str, storage: bool) -> str:
    script = STORAGE_SCRIPT % {"tool_origin": json.dumps(tool_origin)} if storage else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · Simulated LMS</title>
<style>body{{font-family:sans-serif;margin:0;background:#f3efe6}}
header{{background:#7a4b16;color:#fff;padding:.6rem 1rem}}
iframe{{display:block;margin:1rem;border:2px solid #7a4b16;width:1180px;height:760px}}</style>
</head><body>
<header><strong>Simulated LMS</strong> · {html.escape(title)}</header>
<iframe name="tool-frame" title="BlockCampus" src="{html.escape(login_url)}"></iframe>
<script>{script}</script>
</body></html>"""


def form_post_page(*, action: str, fields: dict[str, str]) -> str:
    """What the platform's authorization endpoint answers: response_mode=form_post."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Launching</title>
</head><body><form id="launch" method="post" action="{html.escape(action)}">{inputs}</form>
<script>document.getElementById("launch").submit();</script></body></html>"""


# The LMS's "register a tool by URL" dialog: the tool's registration URL in an iframe, closed when
# the tool posts {subject: "org.imsglobal.lti.close"} (LTI Dynamic Registration §3.7).
REGISTRATION_SCRIPT = """
window.addEventListener("message", function (event) {
  if (!event.data || event.data.subject !== "org.imsglobal.lti.close") return;
  document.getElementById("registration-frame").remove();
  document.getElementById("registration-status").textContent = "The tool closed the registration.";
  document.body.dataset.closed = "1";
});
"""


def registration_page(*, registration_url: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Register a tool · Simulated LMS</title>
<style>body{{font-family:sans-serif;margin:0;background:#f3efe6}}
header{{background:#7a4b16;color:#fff;padding:.6rem 1rem}}
iframe{{display:block;margin:1rem;border:2px solid #7a4b16;width:900px;height:520px}}</style>
</head><body>
<header><strong>Simulated LMS</strong> · Site administration › Register a tool by URL</header>
<p id="registration-status" role="status">Registering the tool…</p>
<iframe id="registration-frame" title="Tool registration" src="{html.escape(registration_url)}">
</iframe>
<script>{REGISTRATION_SCRIPT}</script>
</body></html>"""
