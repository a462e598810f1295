// The code search page: picking a suggestion opens the code's page; the code set and
// date chosen in the form steer the suggestions.
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("code-search-form");
    var input = document.getElementById("code-q");
    if (!form || !input) { return; }
    var system = document.getElementById("code-system");
    var on = document.getElementById("code-on");
    var billable = document.getElementById("code-billable");
    function sync() {
      input.setAttribute("data-code-search", system ? system.value : "");
      if (on && on.value) { input.setAttribute("data-code-search-on", on.value); }
      if (billable) { input.setAttribute("data-code-search-billable", billable.checked ? "1" : ""); }
    }
    [system, on, billable].forEach(function (el) { if (el) { el.addEventListener("change", sync); } });
    sync();
    input.addEventListener("code-picked", function (event) {
      var hit = event.detail;
      var url = form.getAttribute("data-detail-url")
        .replace("SYSTEM", encodeURIComponent(hit.system))
        .replace("CODE", encodeURIComponent(hit.code));
      if (on && on.value) { url += "?on=" + encodeURIComponent(on.value); }
      window.location.assign(url);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
