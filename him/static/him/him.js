// Live progress for report runs: rows marked data-poll-url refresh themselves
// until the run is done or failed. No inline script (CSP allows only 'self').
(function () {
  "use strict";
  function poll(row) {
    var url = row.getAttribute("data-poll-url");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (run) {
        if (!run) { return; }
        var bar = row.querySelector("progress");
        var status = row.querySelector("[data-status]");
        var link = row.querySelector("[data-download]");
        var error = row.querySelector("[data-error]");
        if (bar) { bar.value = run.progress; }
        if (status) { status.textContent = run.status_display; status.className = "status-" + run.status; }
        var rows = row.querySelector("[data-rows]");
        if (error) { error.textContent = run.error || ""; }
        if (rows && run.row_count !== null && run.row_count !== undefined) { rows.textContent = run.row_count; }
        if (run.status === "done" && link && run.download_url) {
          link.href = run.download_url; link.hidden = false;
        }
        if (run.status === "queued" || run.status === "running") {
          setTimeout(function () { poll(row); }, 1000);
        }
      })
      .catch(function () { setTimeout(function () { poll(row); }, 3000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll-url]").forEach(poll);
  });
})();
