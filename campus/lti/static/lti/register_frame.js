// Dynamic registration inside the LMS frame: continue in a window of our own (where the
// administrator's BlockCampus sign-in works), ask the server whether that window has registered
// (it cannot tell us itself: see campus/lti/dynamic_registration/relay.py), then pass the close
// message on to the LMS.
"use strict";
(function () {
  var root = document.getElementById("lti-register-frame");
  var link = document.getElementById("lti-register-open");
  if (!root || !link) return;
  var timer = null;
  var triesLeft = 900; // every 2 s for half an hour
  link.addEventListener("click", function (event) {
    event.preventDefault();
    window.open(link.href, "blockcampus-register", "popup,width=760,height=820");
    if (!timer) timer = setInterval(check, 2000);
  });
  function check() {
    if (--triesLeft < 0) return clearInterval(timer);
    fetch(root.dataset.statusUrl, { credentials: "omit", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (status) { if (status.registered) finished(); })
      .catch(function () {});
  }
  function finished() {
    clearInterval(timer);
    document.getElementById("lti-register-start").hidden = true;
    document.getElementById("lti-register-finished").hidden = false;
    window.parent.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
})();
