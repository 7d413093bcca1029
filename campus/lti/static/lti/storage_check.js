// Launch step when the state cookie did not come back: read state and nonce from the platform's
// storage and post the launch again with them; the server compares them with what it issued.
"use strict";
(function () {
  var form = document.getElementById("lti-storage-check");
  if (!form) return;
  var d = form.dataset;
  window.ltiStorage.get(d.storageTarget, d.platformOrigin, "state_" + d.state).then(function (state) {
    form.elements.lti_storage_state.value = state || "";
    return window.ltiStorage.get(d.storageTarget, d.platformOrigin, "nonce_" + d.nonce);
  }).then(function (nonce) {
    form.elements.lti_storage_nonce.value = nonce || "";
    form.submit();
  }, function () { form.submit(); });
})();
