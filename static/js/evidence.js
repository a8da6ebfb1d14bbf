/* OpsCore evidence: per-file uploads with progress, drag and drop, pasted screenshots.
   Without this file the page's plain multipart forms still upload (see evidence.html). */
(function () {
  "use strict";
  if (window.OpsCoreEvidence) return; // an htmx swap may load this script again
  window.OpsCoreEvidence = { upload: upload };

  var SVG = "http://www.w3.org/2000/svg";

  function settings() { return document.getElementById("upload-forms"); }

  function csrfToken(forms) {
    var input = forms.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The same units as Django's filesizeformat, so rows and tiles agree.
  function formatSize(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return unit === 0 ? bytes + " bytes" : value.toFixed(1).replace(/\.0$/, "") + " " + units[unit];
  }

  function icon(paths) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon icon-sm");
    svg.setAttribute("fill", "none");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "2");
    svg.setAttribute("stroke-linecap", "round");
    svg.setAttribute("stroke-linejoin", "round");
    svg.setAttribute("aria-hidden", "true");
    paths.forEach(function (d) {
      var path = document.createElementNS(SVG, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }
  var ICON_FILE = ["M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z", "M14 2v6h6"];
  var ICON_ALERT = ["m21.7 18-8-14a2 2 0 0 0-3.4 0l-8 14A2 2 0 0 0 4 21h16a2 2 0 0 0 1.7-3z", "M12 9v4", "M12 17h.01"];
  var ICON_X = ["M18 6 6 18", "m6 6 12 12"];

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // One row per file: preview, name, "1.4 of 2.2 MB", a bar, the percentage, dismiss.
  function makeRow(file) {
    var row = element("li", "upload-row");
    var preview = element("span", "upload-preview");
    var objectUrl = null;
    if (/^image\/(png|jpeg|gif|webp)$/.test(file.type)) {
      objectUrl = URL.createObjectURL(file);
      var img = element("img", "upload-preview");
      img.src = objectUrl;
      img.alt = "";
      preview = img;
    } else {
      preview.appendChild(icon(ICON_FILE));
    }
    var text = element("div", "upload-text");
    var name = element("div", "upload-name", file.name || "pasted file");
    var meta = element("div", "upload-meta", "waiting · " + formatSize(file.size));
    text.appendChild(name);
    text.appendChild(meta);
    var bar = element("progress", "upload-bar");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + (file.name || "pasted file"));
    var percent = element("span", "upload-percent", "0%");
    var dismiss = element("button", "upload-dismiss");
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", "Cancel or dismiss " + (file.name || "this file"));
    dismiss.appendChild(icon(ICON_X));
    [preview, text, bar, percent, dismiss].forEach(function (child) { row.appendChild(child); });

    var api = {
      el: row,
      onDismiss: null,
      progress: function (loaded, total) {
        var share = total ? Math.min(100, Math.round((100 * loaded) / total)) : 0;
        bar.value = share;
        percent.textContent = share + "%";
        meta.textContent = formatSize(loaded) + " of " + formatSize(total || file.size);
      },
      fail: function (message) {
        row.className = "upload-row is-error";
        row.setAttribute("role", "alert");
        var mark = element("span", "upload-preview");
        mark.appendChild(icon(ICON_ALERT));
        row.replaceChild(mark, preview);
        preview = mark;
        meta.textContent = message;
        if (bar.parentNode) row.removeChild(bar);
        if (percent.parentNode) row.removeChild(percent);
        api.onDismiss = null;
        release();
      },
      remove: function () { release(); row.remove(); }
    };
    function release() { if (objectUrl) { URL.revokeObjectURL(objectUrl); objectUrl = null; } }
    dismiss.addEventListener("click", function () {
      if (api.onDismiss) api.onDismiss();
      api.remove();
    });
    return api;
  }

  function refusal(xhr, file, forms) {
    if (xhr.status === 413) return formatSize(file.size) + " · too large, the limit is " + forms.dataset.maxLabel;
    var detail = "";
    try { detail = JSON.parse(xhr.responseText).detail || ""; } catch (e) { detail = ""; }
    if (xhr.status === 0) return "not uploaded · could not reach OpsCore";
    return "refused · " + (detail || "the server answered " + xhr.status);
  }

  // Uploads one file to the evidence block ``evidence`` (a step's, or the record's).
  function upload(evidence, file) {
    var forms = settings();
    var list = evidence && evidence.querySelector("[data-upload-list]");
    if (!forms || !list) return;
    var row = makeRow(file);
    list.appendChild(row.el);
    var limit = parseInt(forms.dataset.maxBytes, 10);
    if (file.size > limit) {
      row.fail(formatSize(file.size) + " · too large, the limit is " + forms.dataset.maxLabel);
      return;
    }
    if (file.size === 0) { row.fail("empty · nothing to attach"); return; }
    var data = new FormData();
    var key = evidence.getAttribute("data-evidence");
    if (key !== "record") data.append("step", key);
    data.append("file", file, file.name || "screenshot.png");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", forms.querySelector("form").action);
    xhr.setRequestHeader("X-CSRFToken", csrfToken(forms));
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) row.progress(event.loaded, event.total);
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        row.remove();
        // The answer holds the step's gallery and the timeline, swapped out of band.
        window.htmx.swap(document.body, xhr.responseText, { swapStyle: "none" });
      } else {
        row.fail(refusal(xhr, file, forms));
      }
    });
    xhr.addEventListener("error", function () { row.fail(refusal(xhr, file, forms)); });
    row.onDismiss = function () { xhr.abort(); };
    xhr.send(data);
  }

  function uploadAll(evidence, files) {
    Array.prototype.forEach.call(files, function (file) { upload(evidence, file); });
  }

  function evidenceOf(node) {
    if (!node || !node.closest) return null;
    var holder = node.closest(".ev-step, .record-evidence");
    return holder ? holder.querySelector("[data-evidence]") : null;
  }

  function hasFiles(event) {
    var types = event.dataTransfer ? event.dataTransfer.types : [];
    return Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-evidence-input]")) return;
    uploadAll(input.closest("[data-evidence]"), input.files);
    input.value = "";
  });

  // Drag and drop: anywhere on a step (or the record's files) drops there.
  var highlighted = null;
  function highlight(evidence) {
    var zone = evidence ? evidence.querySelector("[data-dropzone]") : null;
    if (highlighted && highlighted !== zone) highlighted.classList.remove("is-dragover");
    if (zone) zone.classList.add("is-dragover");
    highlighted = zone;
  }
  document.addEventListener("dragover", function (event) {
    if (!settings() || !hasFiles(event)) return;
    event.preventDefault(); // also keeps a stray drop from navigating away from the record
    var evidence = evidenceOf(event.target);
    event.dataTransfer.dropEffect = evidence ? "copy" : "none";
    highlight(evidence);
  });
  document.addEventListener("dragleave", function (event) {
    if (!event.relatedTarget) highlight(null);
  });
  document.addEventListener("drop", function (event) {
    if (!settings() || !hasFiles(event)) return;
    event.preventDefault();
    highlight(null);
    var evidence = evidenceOf(event.target);
    if (evidence) uploadAll(evidence, event.dataTransfer.files);
  });

  // Paste a screenshot: to the step being worked on (focus), else the current step.
  function pasteTarget() {
    return evidenceOf(document.activeElement) ||
      document.querySelector(".evidence.has-dropzone") ||
      document.querySelector(".record-evidence [data-evidence]");
  }
  function stamp() {
    var now = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return now.getFullYear() + "-" + two(now.getMonth() + 1) + "-" + two(now.getDate()) + "-" +
      two(now.getHours()) + two(now.getMinutes()) + two(now.getSeconds());
  }
  document.addEventListener("paste", function (event) {
    if (!settings() || !event.clipboardData) return;
    var files = Array.prototype.filter.call(event.clipboardData.files || [], function (file) { return file.size > 0; });
    if (!files.length) return; // text pastes into the notes as usual
    var evidence = pasteTarget();
    if (!evidence) return;
    event.preventDefault();
    files.forEach(function (file, index) {
      var generic = !file.name || /^image\.(png|jpe?g|gif|webp)$/i.test(file.name);
      var extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
      var name = generic ? "screenshot-" + stamp() + (index ? "-" + index : "") + "." + extension : file.name;
      upload(evidence, new File([file], name, { type: file.type }));
    });
  });
})();
