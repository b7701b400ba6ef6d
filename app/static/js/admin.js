// admin: behaviours of the secretariat's workspace (CSP forbids inline scripts).
(function () {
  "use strict";

  // On narrow screens the per-day chart scrolls sideways: show the latest days first.
  function scrollChartsToEnd(root) {
    var boxes = (root || document).querySelectorAll(".chart-scroll");
    for (var i = 0; i < boxes.length; i++) { boxes[i].scrollLeft = boxes[i].scrollWidth; }
  }

  document.addEventListener("DOMContentLoaded", function () { scrollChartsToEnd(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scrollChartsToEnd(event.target); });
})();
