// The page editor's enhancements. The editor works without them: the Preview button renders on
// the server, and an empty slug is filled from the title when saving.
(function () {
  "use strict";
  var form = document.getElementById("page-form");
  if (!form) return;

  // Live preview: the server renders the Markdown with the very renderer visitors get.
  var body = document.getElementById("body");
  var preview = document.getElementById("preview");
  var token = form.querySelector("input[name=csrf_token]");
  var timer = null;
  var sent = 0;
  function refresh() {
    var ticket = ++sent;
    var data = new URLSearchParams();
    data.set("csrf_token", token.value);
    data.set("body", body.value);
    fetch("/admin/preview", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: data.toString(),
      credentials: "same-origin"
    })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
      .then(function (html) { if (ticket === sent) preview.innerHTML = html; })
      .catch(function () { /* keep the last preview; the Preview button still works */ });
  }
  if (body && preview && token) {
    body.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    refresh();
  }

  // Images: insert the Markdown of a library image at the cursor, and upload an image file
  // dropped on the text, then insert it. Typing the Markdown does the same without script.
  function insertAtCursor(text) {
    var start = body.selectionStart, end = body.selectionEnd;
    var before = body.value.slice(0, start), after = body.value.slice(end);
    var lead = before === "" || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
    var insert = lead + text + "\n\n";
    body.value = before + insert + after;
    body.selectionStart = body.selectionEnd = before.length + insert.length;
    body.focus();
    body.dispatchEvent(new Event("input"));
  }
  function imageMarkdown(id, alt) {
    return "![" + (alt || "").replace(/[\[\]]/g, "") + "](/media/" + id + ")";
  }
  var picker = document.getElementById("insert-image");
  var choice = document.getElementById("insert-media");
  var insertButton = document.getElementById("insert-media-button");
  if (picker && choice && insertButton && body) {
    picker.hidden = false;
    insertButton.addEventListener("click", function () {
      var option = choice.options[choice.selectedIndex];
      if (option) insertAtCursor(imageMarkdown(option.value, option.getAttribute("data-alt")));
    });
  }
  if (body && token) {
    body.addEventListener("dragover", function (e) {
      if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) e.preventDefault();
    });
    body.addEventListener("drop", function (e) {
      var files = e.dataTransfer && e.dataTransfer.files;
      if (!files || files.length === 0) return;
      e.preventDefault();
      Array.prototype.forEach.call(files, function (file) {
        if (!/^image\//.test(file.type)) return;
        var alt = window.prompt("Describe " + file.name + " for people who cannot see it:", "");
        if (!alt) return;
        var data = new FormData();
        data.append("csrf_token", token.value);
        data.append("alt", alt);
        data.append("file", file);
        fetch("/admin/media", { method: "POST", body: data, credentials: "same-origin" })
          .then(function (res) {
            var id = /\/admin\/media\/(\d+)$/.exec(new URL(res.url).pathname);
            if (res.ok && id) insertAtCursor(imageMarkdown(id[1], alt));
            else window.alert("The upload was refused: open the media library to see why.");
          })
          .catch(function () { window.alert("The upload failed."); });
      });
    });
  }

  // Autosave: a few seconds after typing stops, the form as typed goes to this user's slot on
  // the server (never a revision); leaving with changes not saved as the page asks first.
  var pageKey = form.getAttribute("data-page") || "0";
  var dirty = false, autosaveTimer = null;
  function autosave() {
    var data = new URLSearchParams(new FormData(form));
    data.set("action", "autosave");
    fetch("/admin/pages/autosave?page=" + encodeURIComponent(pageKey), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: data.toString(),
      credentials: "same-origin"
    }).catch(function () { /* the next change tries again */ });
  }
  form.addEventListener("input", function () {
    dirty = true;
    clearTimeout(autosaveTimer);
    autosaveTimer = setTimeout(autosave, 2000);
  });
  form.addEventListener("submit", function () { dirty = false; });
  window.onbeforeunload = function (e) {
    if (!dirty) return undefined;
    e.preventDefault();
    return "";
  };

  // Slug suggestion: follows the title until the editor types a slug of their own.
  var title = document.getElementById("title");
  var slug = document.getElementById("slug");
  if (title && slug) {
    var touched = slug.value !== "";
    slug.addEventListener("input", function () { touched = slug.value !== ""; });
    title.addEventListener("input", function () {
      if (!touched) slug.value = slugify(title.value);
    });
  }
  function slugify(text) {
    return text
      .normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80)
      .replace(/-+$/, "");
  }
})();
