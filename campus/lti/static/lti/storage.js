// LTI client-side storage (1EdTech "Client Side postMessages" / platform storage): the tool's
// page in the LMS iframe asks the platform to keep or return a value, by postMessage to the
// frame the platform named in lti_storage_target, answered on the same channel.
"use strict";
window.ltiStorage = (function () {
  function target(name) {
    if (!name || name === "_parent") return window.parent;
    try { return window.parent.frames[name] || window.parent; } catch (e) { return window.parent; }
  }
  function ask(storageTarget, origin, message, timeoutMs) {
    return new Promise(function (resolve, reject) {
      var id = "bc-" + Math.random().toString(36).slice(2);
      var timer = setTimeout(function () { window.removeEventListener("message", listen); reject(new Error("timeout")); }, timeoutMs || 3000);
      function listen(event) {
        if (origin !== "*" && event.origin !== origin) return;
        var data = event.data || {};
        if (data.message_id !== id || data.subject !== message.subject + ".response") return;
        clearTimeout(timer);
        window.removeEventListener("message", listen);
        if (data.error) reject(new Error(data.error.code || "error")); else resolve(data);
      }
      window.addEventListener("message", listen);
      message.message_id = id;
      target(storageTarget).postMessage(message, origin);
    });
  }
  return {
    put: function (t, origin, key, value) { return ask(t, origin, { subject: "lti.put_data", key: key, value: value }); },
    get: function (t, origin, key) { return ask(t, origin, { subject: "lti.get_data", key: key }).then(function (d) { return d.value; }); },
  };
})();
