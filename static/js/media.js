// The media screens' enhancements; both work without them. On the library, files dropped on the
// upload panel go into its file field. On a file's page, a click on the image sets the focal
// point fields (which can be typed in as well).
(function () {
  "use strict";
  var panel = document.getElementById("upload");
  var input = document.getElementById("file");
  if (panel && input && window.DataTransfer) {
    panel.addEventListener("dragover", function (e) {
      e.preventDefault();
      panel.classList.add("dropping");
    });
    panel.addEventListener("dragleave", function () { panel.classList.remove("dropping"); });
    panel.addEventListener("drop", function (e) {
      e.preventDefault();
      panel.classList.remove("dropping");
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        var alt = document.getElementById("alt");
        if (alt) alt.focus();
      }
    });
  }

  var image = document.getElementById("focal-image");
  var mark = document.getElementById("focal-mark");
  var x = document.getElementById("focal_x");
  var y = document.getElementById("focal_y");
  if (image && mark && x && y) {
    var show = function () {
      mark.style.left = (Number(x.value) || 0) + "%";
      mark.style.top = (Number(y.value) || 0) + "%";
      mark.hidden = false;
    };
    image.addEventListener("click", function (e) {
      var box = image.getBoundingClientRect();
      x.value = Math.round(((e.clientX - box.left) / box.width) * 100);
      y.value = Math.round(((e.clientY - box.top) / box.height) * 100);
      show();
    });
    image.style.cursor = "crosshair";
    x.addEventListener("input", show);
    y.addEventListener("input", show);
    show();
  }
})();
