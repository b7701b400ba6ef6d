// accounts: behaviours of this area (CSP forbids inline scripts).
(function () {
  "use strict";

  // 浏览...: show the chosen file's name, and refuse files over 5M before uploading them.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".license-upload .file-input")) { return; }
    var box = input.closest(".license-upload");
    var label = box.querySelector(".file-chosen");
    var file = input.files && input.files[0];
    var max = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    var old = box.querySelector(".client-error");
    if (old) { old.remove(); }
    if (!file) { label.textContent = label.getAttribute("data-placeholder"); return; }
    label.textContent = file.name + "（请点击“上传”）";
    if (max && file.size > max) {
      input.value = "";
      label.textContent = label.getAttribute("data-placeholder");
      var error = document.createElement("span");
      error.className = "field-error client-error";
      error.setAttribute("role", "alert");
      error.textContent = "文件大小不能超过5M，请压缩或缩小后再上传。";
      box.appendChild(error);
    }
  });

  // 上传 without a chosen file: say so instead of sending an empty request.
  document.addEventListener("htmx:confirm", function (event) {
    var button = event.target;
    if (!button.matches || !button.matches(".upload-btn")) { return; }
    var input = button.closest(".license-upload").querySelector(".file-input");
    if (!input.files || !input.files.length) {
      event.preventDefault();
      var label = button.closest(".license-upload").querySelector(".file-chosen");
      label.textContent = "请先点击“浏览...”选择文件。";
    }
  });

  // On phones the five 提示 start folded so the form is in view; a tap opens them.
  document.addEventListener("DOMContentLoaded", function () {
    if (window.matchMedia && window.matchMedia("(max-width: 760px)").matches) {
      document.querySelectorAll("details.tips").forEach(function (d) { d.open = false; });
    }
  });
})();
