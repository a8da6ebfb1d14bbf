/* OpsCore: the Share dialog's people and group pickers. The form works without this file:
   chips are tick boxes and names can be typed, separated by commas. With it, chips get remove
   buttons, suggestions (served by htmx) are picked with the mouse or the keyboard, and the
   dialog opens once its form has arrived. */
(function () {
  "use strict";
  if (window.OpsCoreSharing) return; // the script comes back with every swap of the page
  window.OpsCoreSharing = true;
  document.documentElement.classList.add("js-sharing");

  function picker(el) { return el && el.closest("[data-picker]"); }
  function popover(p) { return p.querySelector(".picker-popover"); }
  function input(p) { return p.querySelector("input[role='combobox']"); }
  function options(p) { return Array.prototype.slice.call(popover(p).querySelectorAll("[role='option']")); }
  function active(p) { return popover(p).querySelector("[role='option'][aria-selected='true']"); }

  function activate(p, option) {
    options(p).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      input(p).setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input(p).removeAttribute("aria-activedescendant");
    }
  }

  function closeSuggestions(p) {
    popover(p).replaceChildren();
    input(p).setAttribute("aria-expanded", "false");
    input(p).removeAttribute("aria-activedescendant");
  }

  var chipCount = 0;
  function addChip(p, option) {
    var value = option.getAttribute("data-value");
    var already = Array.prototype.some.call(
      p.querySelectorAll(".picker-chips input[type='checkbox']"),
      function (box) { return box.value === value; });
    if (!already) {
      var chip = p.querySelector("template[data-chip-template]").content.firstElementChild.cloneNode(true);
      var box = chip.querySelector("input");
      var id = "share-" + p.getAttribute("data-picker") + "-new-" + (++chipCount);
      box.value = value;
      box.id = id;
      chip.querySelector("label").setAttribute("for", id);
      chip.querySelector("[data-chip-name]").textContent = value;
      var icon = option.querySelector("[data-suggestion-icon]");
      if (icon) chip.querySelector("[data-chip-icon]").replaceWith(icon.firstElementChild.cloneNode(true));
      chip.querySelector("[data-chip-remove]").setAttribute("aria-label", "Remove " + value);
      p.querySelector(".picker-chips").appendChild(chip);
    }
    // Picking someone means sharing: choose Shared for the user.
    var shared = p.closest("form").querySelector("input[name='access_scope'][value='shared']");
    if (shared) shared.checked = true;
    input(p).value = "";
    closeSuggestions(p);
    input(p).focus();
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target) return; // an out-of-band-only swap
    var p = picker(event.detail.target);
    if (!p || event.detail.target !== popover(p)) return;
    var found = options(p);
    input(p).setAttribute("aria-expanded", found.length ? "true" : "false");
    activate(p, found[0] || null);
  });

  document.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-chip-remove]");
    if (remove) {
      var p = picker(remove);
      remove.closest("li").remove();
      if (p) input(p).focus();
      return;
    }
    var option = event.target.closest(".picker-popover [role='option']");
    if (option) { addChip(picker(option), option); return; }
    // A click anywhere else closes any open suggestions.
    document.querySelectorAll("[data-picker]").forEach(function (p) {
      if (!p.contains(event.target)) closeSuggestions(p);
    });
  });

  document.addEventListener("keydown", function (event) {
    var p = picker(event.target);
    if (!p || event.target !== input(p)) return;
    var found = options(p);
    var current = active(p);
    var index = found.indexOf(current);
    if (event.key === "ArrowDown" && found.length) {
      event.preventDefault();
      activate(p, found[(index + 1) % found.length]);
    } else if (event.key === "ArrowUp" && found.length) {
      event.preventDefault();
      activate(p, found[(index - 1 + found.length) % found.length]);
    } else if (event.key === "Enter" && current) {
      event.preventDefault(); // pick, do not submit
      addChip(p, current);
    } else if (event.key === "Escape" && popover(p).childElementCount) {
      event.preventDefault(); // close the suggestions, not the dialog
      event.stopPropagation();
      closeSuggestions(p);
    } else if (event.key === "Backspace" && !event.target.value) {
      var chips = p.querySelectorAll(".picker-chips > li");
      if (chips.length) chips[chips.length - 1].remove();
    }
  });

  // The dialog is filled when the Share button is pressed (htmx), so it always opens on the
  // saved state and a cancelled edit is simply forgotten; a successful save closes it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target; // absent for swaps that are only out-of-band
    if (dialog && dialog.id === "share-dialog" && !dialog.open) dialog.showModal();
  });
  document.addEventListener("sharing-saved", function () {
    var dialog = document.getElementById("share-dialog");
    if (dialog && dialog.open) dialog.close();
  });
})();
