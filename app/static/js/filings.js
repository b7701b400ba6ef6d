// filings: behaviours of this area (CSP forbids inline scripts).
(function () {
  "use strict";
  // 浏览: show the chosen file's name next to the button.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-file-label]")) return;
    var label = document.querySelector(input.getAttribute("data-file-label"));
    if (label) label.textContent = input.files.length ? input.files[0].name : "未选择文件";
  });
  // Upload progress, then "checking" while the server validates every row.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest(".import-form") : null;
    if (!form) return;
    var bar = form.querySelector("[data-upload-progress]");
    var text = form.querySelector("[data-progress-text]");
    var detail = event.detail || {};
    if (bar && detail.lengthComputable && detail.total) {
      var pct = Math.round(detail.loaded / detail.total * 100);
      bar.value = pct;
      if (text) text.textContent = pct < 100 ? "正在上传… " + pct + "%" : "上传完成，正在检查和导入…";
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest ? event.target.closest(".import-form") : null;
    if (!form) return;
    var bar = form.querySelector("[data-upload-progress]");
    var text = form.querySelector("[data-progress-text]");
    if (bar) bar.removeAttribute("value");
    if (text) text.textContent = "正在上传…";
  });
})();
