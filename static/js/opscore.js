/* OpsCore: small progressive enhancements. Pages work without this file. */
(function () {
  "use strict";

  // Times render in the browser's zone: tell the server which one, once.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* old browser: server time zone it is */ }

  // "/" focuses the search box, as in GitHub and Linear.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = document.querySelector("[data-shortcut='/']");
    if (box) { event.preventDefault(); box.focus(); }
  });

  // Messages: dismiss on click; success and info fade after a while.
  function wireMessages(root) {
    root.querySelectorAll("[data-dismiss]").forEach(function (button) {
      button.addEventListener("click", function () { button.closest(".message").remove(); });
    });
    root.querySelectorAll(".message[data-autohide]").forEach(function (message) {
      if (message.classList.contains("message-error") || message.classList.contains("message-warning")) return;
      setTimeout(function () { message.remove(); }, 6000);
    });
  }

  // Forms and buttons that ask first (delete, fail, ...).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);

  // <dialog> openers: <button data-open-dialog="id">.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) { event.preventDefault(); dialog.showModal(); }
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open) { event.preventDefault(); open.close(); }
    }
  });

  // Panes stack on narrow screens; the variables pane starts folded to one line there.
  function foldOnNarrowScreens(root) {
    if (!window.matchMedia("(max-width: 900px)").matches) return;
    root.querySelectorAll("details.mobile-collapsible[open]").forEach(function (details) {
      if (!details.querySelector(".invalid")) details.removeAttribute("open");
    });
  }

  function init(root) { wireMessages(root); }
  document.addEventListener("DOMContentLoaded", function () { foldOnNarrowScreens(document); });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });

  // An htmx request that fails outright (network, 500) must not fail silently.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    showMessage("error", status >= 500
      ? "The server hit an error (" + status + "). Nothing you typed was lost; try again."
      : "The request was refused (" + status + ").");
  });
  document.addEventListener("htmx:sendError", function () {
    showMessage("error", "Could not reach OpsCore. Check your connection; nothing you typed was lost.");
  });

  function showMessage(level, text) {
    var box = document.getElementById("messages");
    if (!box) return;
    var message = document.createElement("div");
    message.className = "message message-" + level;
    message.setAttribute("role", "status");
    var body = document.createElement("div");
    body.className = "grow";
    body.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { message.remove(); });
    message.appendChild(body);
    message.appendChild(close);
    box.appendChild(message);
  }
  window.OpsCore = { showMessage: showMessage };
})();
