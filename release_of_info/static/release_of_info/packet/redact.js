// Drag on the page preview to mark an area; the form's fields get the fractions of the page.
(function () {
  "use strict";
  var stage = document.querySelector("[data-redact-stage]");
  if (!stage) { return; }
  var img = stage.querySelector("img");
  // Saved boxes: placed from their data (the CSP allows no inline style attributes).
  stage.querySelectorAll("[data-box]").forEach(function (box) {
    var v = box.getAttribute("data-box").split(" ").map(Number);
    box.style.left = v[0] * 100 + "%"; box.style.top = v[1] * 100 + "%";
    box.style.width = (v[2] - v[0]) * 100 + "%"; box.style.height = (v[3] - v[1]) * 100 + "%";
    box.hidden = false;
  });
  if (!document.getElementById("id_x0")) { return; }
  var draft = document.createElement("div");
  draft.className = "redaction-box draft";
  draft.hidden = true;
  stage.appendChild(draft);
  var start = null;
  function at(event) {
    var r = img.getBoundingClientRect();
    return {
      x: Math.min(Math.max((event.clientX - r.left) / r.width, 0), 1),
      y: Math.min(Math.max((event.clientY - r.top) / r.height, 0), 1)
    };
  }
  function place(a, b) {
    var x0 = Math.min(a.x, b.x), y0 = Math.min(a.y, b.y), x1 = Math.max(a.x, b.x), y1 = Math.max(a.y, b.y);
    draft.style.left = x0 * 100 + "%"; draft.style.top = y0 * 100 + "%";
    draft.style.width = (x1 - x0) * 100 + "%"; draft.style.height = (y1 - y0) * 100 + "%";
    draft.hidden = false;
    [["x0", x0], ["y0", y0], ["x1", x1], ["y1", y1]].forEach(function (pair) {
      var input = document.getElementById("id_" + pair[0]);
      if (input) { input.value = pair[1].toFixed(4); }
    });
  }
  img.addEventListener("pointerdown", function (e) { e.preventDefault(); start = at(e); img.setPointerCapture(e.pointerId); });
  img.addEventListener("pointermove", function (e) { if (start) { place(start, at(e)); } });
  img.addEventListener("pointerup", function (e) { if (start) { place(start, at(e)); start = null; } });
})();
