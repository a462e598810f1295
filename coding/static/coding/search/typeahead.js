// Code type-ahead: any <input data-code-search="icd10cm|icd10pcs|cpt|hcpcs"> on a page
// that loads this file suggests codes as the user types.
// - debounced (150 ms); one request in flight: a newer keystroke aborts the older
//   request, and a late answer to an older query is ignored;
// - keyboard: Down/Up move through the suggestions, Enter picks, Escape closes;
// - picking fills the input with the dotted code and dispatches a bubbling
//   "code-picked" CustomEvent, detail {code, dotted, title, billable, system, kind}.
// Optional attributes: data-code-search-url (the API), data-code-search-on (YYYY-MM-DD),
// data-code-search-billable="1". An empty data-code-search searches every system.
// No inline script anywhere (CSP allows only 'self').
(function () {
  "use strict";
  if (window.HIMCodeSearch) { return; }

  var DEBOUNCE_MS = 150;
  var MIN_LENGTH = 2;
  var counter = 0;

  function attach(input) {
    if (input.getAttribute("data-code-search-ready")) { return; }
    input.setAttribute("data-code-search-ready", "1");
    counter += 1;
    var listId = (input.id || "code-search-" + counter) + "-suggestions";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "code-search-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var status = document.createElement("span");
    status.className = "code-search-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var timer = null;
    var controller = null;
    var latest = 0;
    var hits = [];
    var active = -1;
    var requests = 0;

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      hits = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      items.forEach(function (item, i) {
        item.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function pick(hit) {
      input.value = hit.dotted;
      close();
      status.textContent = hit.dotted + " " + hit.title;
      input.dispatchEvent(new CustomEvent("code-picked", { bubbles: true, detail: hit }));
    }

    function render(results) {
      list.innerHTML = "";
      hits = results;
      active = -1;
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "code-search-empty";
        none.textContent = "No code matches.";
        list.appendChild(none);
      }
      results.forEach(function (hit, i) {
        var item = document.createElement("li");
        item.id = listId + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.setAttribute("data-code", hit.code);
        if (!hit.billable) { item.className = "header"; }
        var code = document.createElement("span");
        code.className = "code";
        code.textContent = hit.dotted;
        var title = document.createElement("span");
        title.className = "title";
        title.textContent = hit.title + (hit.billable ? "" : " (header)");
        item.appendChild(code);
        item.appendChild(title);
        // mousedown, not click: it comes before the input's blur closes the list.
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(hit);
        });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = results.length + " suggestions";
    }

    function search(q) {
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      latest += 1;
      var mine = latest;
      var params = new URLSearchParams({ q: q });
      var system = input.getAttribute("data-code-search");
      if (system) { params.set("system", system); }
      var on = input.getAttribute("data-code-search-on");
      if (on) { params.set("on", on); }
      if (input.getAttribute("data-code-search-billable") === "1") { params.set("billable", "true"); }
      params.set("limit", "15");
      var url = (input.getAttribute("data-code-search-url") || "/api/v1/coding/codes/") + "?" + params;
      requests += 1;
      input.setAttribute("data-code-search-requests", String(requests));
      fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (answer) {
          if (mine !== latest) { return; } // an older query answered late
          if (!answer.ok) {
            close();
            status.textContent = (answer.body.error && answer.body.error.message) || "Search failed.";
            return;
          }
          render(answer.body.results || []);
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") { return; }
          if (mine === latest) { close(); status.textContent = "Search failed; try again."; }
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < MIN_LENGTH) {
        latest += 1; // whatever is in flight is now stale
        if (controller) { controller.abort(); }
        close();
        return;
      }
      timer = setTimeout(function () { search(q); }, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && hits.length > 0;
      if (event.key === "ArrowDown") {
        if (open) { event.preventDefault(); highlight(active + 1); }
      } else if (event.key === "ArrowUp") {
        if (open) { event.preventDefault(); highlight(active - 1); }
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          pick(hits[active]);
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      }
    });

    input.addEventListener("blur", function () {
      setTimeout(close, 150);
    });
  }

  function scan(root) {
    (root || document).querySelectorAll("input[data-code-search]").forEach(attach);
  }

  window.HIMCodeSearch = { attach: attach, scan: scan };

  function start() {
    scan(document);
    // Inputs added later (a new diagnosis row in the workspace) become type-aheads too.
    if (window.MutationObserver) {
      new MutationObserver(function (mutations) {
        mutations.forEach(function (mutation) {
          mutation.addedNodes.forEach(function (node) {
            if (node.nodeType !== 1) { return; }
            if (node.matches && node.matches("input[data-code-search]")) { attach(node); }
            if (node.querySelectorAll) { scan(node); }
          });
        });
      }).observe(document.body, { childList: true, subtree: true });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
