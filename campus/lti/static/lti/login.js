// OIDC login step in the LMS iframe: keep state and nonce in the platform's storage when it
// offers one, else check that the browser keeps our cookies here; then go to the platform's
// authorization URL. When neither works, show the "Open in a new window" choice instead.
"use strict";
(function () {
  var root = document.getElementById("lti-login");
  if (!root) return;
  var d = root.dataset;
  function go() { window.location.replace(d.authUrl); }
  function blocked() { document.getElementById("lti-new-window").hidden = false; document.getElementById("lti-wait").hidden = true; }
  if (d.storageTarget) {
    Promise.all([
      window.ltiStorage.put(d.storageTarget, d.platformOrigin, "state_" + d.state, d.state),
      window.ltiStorage.put(d.storageTarget, d.platformOrigin, "nonce_" + d.nonce, d.nonce),
    ]).then(go, function () { cookiesWork() ? go() : blocked(); });
  } else if (cookiesWork() || window.top === window.self) {
    go();
  } else {
    blocked();
  }
  function cookiesWork() {
    document.cookie = "lti_cookie_check=1; Path=/; SameSite=None; Secure";
    return document.cookie.indexOf("lti_cookie_check=1") !== -1;
  }
})();
