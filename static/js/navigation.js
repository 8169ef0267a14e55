// The navigation screen's enhancement: items can be dragged into place. Each drop sends the
// same move form the Up and Down buttons send (with the place to go to), then shows the result.
(function () {
  "use strict";
  var token = document.querySelector("input[name=csrf_token]");
  if (!token) return;
  Array.prototype.forEach.call(document.querySelectorAll("ol.menu-items"), function (list) {
    var dragged = null;
    Array.prototype.forEach.call(list.querySelectorAll("li[data-item]"), function (item) {
      item.draggable = true;
      item.addEventListener("dragstart", function (e) {
        dragged = item;
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", item.getAttribute("data-item"));
      });
      item.addEventListener("dragover", function (e) {
        if (dragged && dragged !== item) e.preventDefault();
      });
      item.addEventListener("drop", function (e) {
        e.preventDefault();
        if (!dragged || dragged === item) return;
        var items = Array.prototype.slice.call(list.querySelectorAll("li[data-item]"));
        var data = new FormData();
        data.append("csrf_token", token.value);
        data.append("direction", "to");
        data.append("position", String(items.indexOf(item) + 1));
        fetch("/admin/navigation/items/" + dragged.getAttribute("data-item") + "/move", {
          method: "POST",
          body: new URLSearchParams(data),
          credentials: "same-origin"
        }).then(function () { window.location.reload(); });
      });
    });
  });
})();
