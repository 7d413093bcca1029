// After a launch in the LMS iframe: go on only if the browser kept our cookies (the readable
// probe cookie set beside the session); otherwise offer "Open in a new window".
"use strict";
(function () {
  var root = document.getElementById("lti-landing");
  if (!root) return;
  if (document.cookie.indexOf("lti_session_probe=1") !== -1) {
    window.location.replace(root.dataset.path);
  } else {
    document.getElementById("lti-new-window").hidden = false;
    document.getElementById("lti-wait").hidden = true;
  }
})();
