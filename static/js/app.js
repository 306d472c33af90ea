// Behaviour every page shares, bound here rather than in inline handlers: the
// Content-Security-Policy (mhcare.core.security) allows scripts from this site only.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) {
      window.print();
    }
  });
})();
