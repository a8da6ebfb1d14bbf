/* Executions search: variable chips, the status dropdown, clean URLs. The page works without
   this file (plain GET form, links); htmx swaps the results and keeps the URL in step. */
(function () {
  "use strict";

  var DEFAULTS = { scope: "all", ordering: "-started_at" };

  function form() { return document.getElementById("search-form"); }

  function submit() {
    var f = form();
    if (f) { f.requestSubmit(); }
  }

  // ---- variable chips: type name=value, press Enter ---------------------------------------

  function makeChip(text) {
    var chip = document.createElement("span");
    chip.className = "chip chip-mono";
    chip.setAttribute("data-chip", "");
    chip.appendChild(document.createTextNode(text));
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "var";
    hidden.value = text;
    chip.appendChild(hidden);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.setAttribute("data-remove-chip", "");
    remove.setAttribute("aria-label", "Remove " + text);
    remove.appendChild(crossIcon());
    chip.appendChild(remove);
    return chip;
  }

  // The same "x" icon the server draws ({% icon "x" %}).
  function crossIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "icon icon-xs");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("fill", "none");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "2");
    svg.setAttribute("stroke-linecap", "round");
    svg.setAttribute("aria-hidden", "true");
    ["M18 6 6 18", "m6 6 12 12"].forEach(function (d) {
      var path = document.createElementNS(ns, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }

  // Turns what is typed in the entry into a chip; true when there was something.
  function commitEntry(entry) {
    var text = entry.value.trim();
    if (!text) { return false; }
    entry.parentNode.insertBefore(makeChip(text), entry);
    entry.value = "";
    return true;
  }

  function init(root) {
    root.querySelectorAll("[data-chip-entry]").forEach(function (entry) {
      // With JavaScript, typed text becomes a chip (with its own hidden input) on Enter, so
      // a half-typed pair is never sent when the field loses focus.
      entry.removeAttribute("name");
    });
  }

  document.addEventListener("keydown", function (event) {
    var entry = event.target.closest && event.target.closest("[data-chip-entry]");
    if (!entry) { return; }
    if (event.key === "Enter") {
      event.preventDefault();
      commitEntry(entry);
      submit();
    } else if (event.key === "Backspace" && !entry.value) {
      var chips = entry.parentNode.querySelectorAll("[data-chip]");
      if (chips.length) { chips[chips.length - 1].remove(); submit(); }
    }
  });

  document.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-chip] [data-remove-chip]");
    if (remove) {
      event.preventDefault();
      remove.closest("[data-chip]").remove();
      submit();
      return;
    }
    // A click outside an open dropdown closes it.
    document.querySelectorAll("details[data-dropdown][open]").forEach(function (dropdown) {
      if (!dropdown.contains(event.target)) { dropdown.open = false; }
    });
  });

  // The Search button also takes a pair that was typed but not yet entered.
  document.addEventListener("submit", function (event) {
    if (event.target !== form()) { return; }
    var entry = event.target.querySelector("[data-chip-entry]");
    if (entry) { commitEntry(entry); }
  }, true);

  // Typing is sent as it happens (after a pause); the change on leaving would repeat it.
  document.addEventListener("change", function (event) {
    if (event.target.matches("#search-q, [data-chip-entry]")) { event.stopPropagation(); }
    if (event.target.matches("details[data-dropdown] input[type=checkbox]")) {
      var dropdown = event.target.closest("details[data-dropdown]");
      var checked = Array.prototype.filter.call(
        dropdown.querySelectorAll("input[type=checkbox]"), function (box) { return box.checked; });
      var summary = dropdown.querySelector("summary > span");
      summary.textContent = checked.length ? checked.map(function (box) {
        return box.closest("label").textContent.trim();
      }).join(", ") : "Any status";
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll("details[data-dropdown][open]").forEach(function (dropdown) {
      dropdown.open = false;
      dropdown.querySelector("summary").focus();
    });
  });

  // Clean, shareable URLs: no empty parameters, no defaults.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.closest("#search-page")) { return; }
    var data = event.detail.formData;
    var kept = [];
    data.forEach(function (value, name) {
      if (value !== "" && DEFAULTS[name] !== value) { kept.push([name, value]); }
    });
    Array.from(new Set(Array.from(data.keys()))).forEach(function (name) { data.delete(name); });
    kept.forEach(function (pair) { data.append(pair[0], pair[1]); });
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();
