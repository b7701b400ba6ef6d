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

  // A failed 提交注册资料 keeps the passwords as typed: the server never sends them back, the browser puts
  // them into the form that replaces this one.
  var keptPasswords = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.target;
    keptPasswords = null;
    if (!form || !form.matches || !form.matches("form[data-keep-passwords]")) { return; }
    keptPasswords = {};
    form.querySelectorAll("input[type=password]").forEach(function (input) {
      keptPasswords[input.name] = input.value;
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var form = event.target;
    if (!keptPasswords || !form.matches || !form.matches("form[data-keep-passwords]")) { return; }
    form.querySelectorAll("input[type=password]").forEach(function (input) {
      if (!input.value && keptPasswords[input.name]) { input.value = keptPasswords[input.name]; }
    });
    keptPasswords = null;
  });

  // A live check (检查单位名称, 代码, 账号) answers for what is in the field now: its result takes the place
  // of the message the last submit left beside the field, so a fresh ✓ never sits next to an old red error.
  document.addEventListener("htmx:afterSwap", function (event) {
    var line = event.target;
    if (!line.classList || !line.classList.contains("check-line") || !line.textContent.trim()) { return; }
    var control = line.closest(".control");
    var old = control && control.querySelector(".field-error:not(.client-error)");
    if (!old) { return; }
    old.remove();
    var input = control.querySelector("input");
    if (input && line.querySelector(".check-ok, .check-warn")) {
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  });

  // On phones the five 提示 start folded so the form is in view; a tap opens them.
  document.addEventListener("DOMContentLoaded", function () {
    if (window.matchMedia && window.matchMedia("(max-width: 760px)").matches) {
      document.querySelectorAll("details.tips").forEach(function (d) { d.open = false; });
    }
  });
})();
