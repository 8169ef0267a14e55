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
