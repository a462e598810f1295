// Live validate and what-if for the coding workspace. The page works without
// this script (every button posts the form); this only asks the API on change
// and shows the edits beside their lines and the DRG with its CC/MCC markers.
(function () {
  "use strict";
  var form = document.getElementById("ws-form");
  if (!form || !form.dataset.api) { return; }
  var api = form.dataset.api;
  var inpatient = form.dataset.inpatient === "1";
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null;
  var ROW = /^(dx|px|svc)-(\d+)-(\w+)$/;

  function collect() {
    var rows = { dx: {}, px: {}, svc: {} };
    var body = { diagnoses: [], procedures: [], services: [] };
    Array.prototype.forEach.call(form.elements, function (el) {
      var m = ROW.exec(el.name || "");
      if (!m) {
        if (el.name === "admitting_dx" || el.name === "reason_for_visit") { body[el.name] = el.value; }
        return;
      }
      (rows[m[1]][m[2]] = rows[m[1]][m[2]] || {})[m[3]] = el.value;
    });
    function ordered(kind) {
      return Object.keys(rows[kind]).sort(function (a, b) { return a - b; })
        .map(function (k) { return rows[kind][k]; })
        .filter(function (r) { return (r.code || "").trim() !== ""; });
    }
    body.diagnoses = ordered("dx");
    body.procedures = ordered("px");
    body.services = ordered("svc").map(function (s) {
      return {
        code: s.code, units: parseInt(s.units || "1", 10) || 1,
        modifiers: (s.modifiers || "").split(/[ ,]+/).filter(Boolean),
        pointers: (s.pointers || "").split(/[ ,]+/).filter(Boolean).map(Number),
        service_date: s.service_date || null, provider: s.provider || null
      };
    });
    body.procedures = body.procedures.map(function (p) {
      return { code: p.code, performed_on: p.performed_on || null, provider: p.provider || null };
    });
    return body;
  }

  function post(path, body) {
    return fetch(api + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); });
  }

  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.textContent = value;
    return el;
  }

  function clearLive() {
    form.querySelectorAll(".ws-live").forEach(function (el) { el.remove(); });
  }

  function showFieldErrors(fields) {
    Object.keys(fields || {}).forEach(function (key) {
      var parts = key.split(".");
      var kind = { diagnoses: "dx", procedures: "px", services: "svc" }[parts[0]];
      var row = kind && parts[1] ? form.querySelector("tr[data-line='" + kind + ":" + parts[1] + "'] .ws-edits") : null;
      var where = row || document.getElementById("ws-results");
      [].concat(fields[key]).forEach(function (msg) { where.appendChild(text("p", "error ws-live", msg)); });
    });
  }

  function showEdits(edits) {
    var results = document.getElementById("ws-results");
    edits.forEach(function (e) {
      var cell = e.line ? form.querySelector("tr[data-line='" + e.line + "'] .ws-edits") : null;
      (cell || results).appendChild(text("p", "ws-" + e.severity + " ws-live", e.message + " (" + e.id + ")"));
    });
    if (!edits.length) { results.appendChild(text("p", "status-done ws-live", "No edits.")); }
  }

  function showGroup(g) {
    var results = document.getElementById("ws-results");
    form.querySelectorAll("#ws-dx .ws-role").forEach(function (c) { c.textContent = ""; });
    (g.secondary || []).forEach(function (s) {
      var cell = form.querySelector("tr[data-line='dx:" + s.sequence + "'] .ws-role");
      if (!cell) { return; }
      if (s.acts_as) { cell.appendChild(text("span", s.acts_as === "MCC" ? "ws-mcc" : "ws-cc", s.acts_as)); }
      else if (s.excluded) { cell.appendChild(text("span", "hint", "CC excluded")); }
    });
    var box = text("div", "ws-live", "");
    box.appendChild(text("p", "", "Live: DRG " + g.drg + " " + g.title + " · weight " + (g.weight || "—") +
      " · GMLOS " + (g.gmlos || "—") + " · " + g.severity + " (" + g.version_label + ")"));
    (g.what_if || []).forEach(function (w) {
      if (!w.drg_changes) { return; }
      box.appendChild(text("p", "hint", "What if " + w.change.action + " " + w.change.code + ": DRG " + w.drg +
        " (weight " + (w.weight || "—") + ", Δ " + (w.weight_delta || "—") + ")"));
    });
    results.appendChild(box);
  }

  function check() {
    var body = collect();
    clearLive();
    post("validate/", body).then(function (res) {
      if (!res.ok) { showFieldErrors(res.data.error && res.data.error.fields); return; }
      showEdits(res.data.edits || []);
      if (inpatient && body.diagnoses.length) {
        body.suggest = true;
        return post("group/", body).then(function (g) {
          if (g.ok) { showGroup(g.data); }
          else if (g.data.error) { document.getElementById("ws-results").appendChild(text("p", "error ws-live", g.data.error.message)); }
        });
      }
    }).catch(function () { /* offline or signed out: the buttons still work */ });
  }

  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
})();
