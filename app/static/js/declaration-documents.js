// 成果申报 unit documents: the live "已输入N/300字" counter and the names of chosen proof files (no inline script).
(function () {
  "use strict";

  // Count as the server does: code points of the trimmed text, a line break counted once.
  function length(text) {
    return Array.from(text.replace(/\r\n/g, "\n").trim()).length;
  }

  function updateCounter(area) {
    var counter = document.getElementById(area.getAttribute("data-counter"));
    if (!counter) { return; }
    var max = parseInt(area.getAttribute("data-max"), 10) || 0;
    var n = length(area.value);
    counter.textContent = "已输入" + n + "/" + max + "字" + (max && n > max ? "，超出" + (n - max) + "字" : "");
    counter.classList.toggle("over", max > 0 && n > max);
  }

  document.addEventListener("input", function (event) {
    var area = event.target;
    if (area.matches && area.matches("textarea[data-counter]")) { updateCounter(area); }
  });

  // Counters are right after a page load and after htmx swaps a form back in (e.g. with messages).
  function refresh(root) {
    var areas = (root || document).querySelectorAll("textarea[data-counter]");
    Array.prototype.forEach.call(areas, updateCounter);
  }
  document.addEventListener("DOMContentLoaded", function () { refresh(document); });
  document.addEventListener("htmx:afterSwap", function (event) { refresh(event.target); });

  // 浏览... with several files: list their names.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-files-label]")) { return; }
    var label = document.querySelector(input.getAttribute("data-files-label"));
    if (!label) { return; }
    var names = Array.prototype.map.call(input.files, function (file) { return file.name; });
    label.textContent = names.length ? "已选择" + names.length + "个文件：" + names.join("、") : "未选择文件";
  });
})();
