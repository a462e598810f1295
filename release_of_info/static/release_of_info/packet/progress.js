// Polls a building packet's status and updates its progress bar; reloads when done.
(function () {
  "use strict";
  document.querySelectorAll("progress[data-packet-status]").forEach(function (bar) {
    var url = bar.getAttribute("data-packet-status");
    var label = document.querySelector("[data-packet-label]");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          bar.value = data.progress;
          bar.textContent = data.progress + "%";
          if (label) { label.textContent = data.label; }
          if (data.done) { window.location.reload(); } else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 700);
  });
})();
