// Submit the one form marked data-autosubmit (the deep-linking answer to the platform).
"use strict";
(function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) form.submit();
})();
