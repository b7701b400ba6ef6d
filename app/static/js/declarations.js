// declarations (成果申报): behaviours of this area (CSP forbids inline scripts).
(function () {
  "use strict";
  var SPLIT = /[，、,;；\s]+/;

  // 简介: "已输入N/1500字" as the user types (code points, like the server counts).
  function updateCounter(area) {
    var counter = document.querySelector(area.getAttribute("data-counter"));
    if (counter) counter.textContent = "已输入" + Array.from(area.value.trim()).length + "/" + area.maxLength + "字";
  }
  // 主要完成人: the names as they will be stored, numbered in order.
  function updatePeople(area) {
    var list = document.querySelector(area.getAttribute("data-people"));
    if (!list) return;
    var names = area.value.split(SPLIT).filter(function (n) { return n; });
    var max = parseInt(area.getAttribute("data-max"), 10);
    list.textContent = "";
    names.forEach(function (name) {
      var item = document.createElement("li");
      item.textContent = name;
      list.appendChild(item);
    });
    list.setAttribute("data-count", names.length);
    list.classList.toggle("too-many", names.length > max);
    if (names.length > max) {
      var warn = document.createElement("li");
      warn.className = "field-error";
      warn.textContent = "共" + names.length + "人，超过" + max + "人";
      list.appendChild(warn);
    }
  }
  // 目标类型 only for 问题解决型.
  function updateSubtype(select) {
    var form = select.form;
    var hidden = select.value === "创新型";
    form.querySelectorAll("[data-row=topic_subtype]").forEach(function (el) { el.hidden = hidden; });
  }
  function init(root) {
    root.querySelectorAll("textarea[data-counter]").forEach(updateCounter);
    root.querySelectorAll("textarea[data-people]").forEach(updatePeople);
    root.querySelectorAll("select[data-topic-type]").forEach(updateSubtype);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.matches("textarea[data-counter]")) updateCounter(el);
    if (el.matches("textarea[data-people]")) updatePeople(el);
    if (el.form && el.form.id === "declaration-form") {
      el.form.setAttribute("data-dirty", "1");
      var note = document.getElementById("unsaved-note");
      if (note) note.hidden = false;
    }
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("select[data-topic-type]")) updateSubtype(el);
    // A file over the purpose's limit is refused before it is sent.
    if (el.matches("input[type=file][data-max-bytes]") && el.files.length) {
      var max = parseInt(el.getAttribute("data-max-bytes"), 10);
      if (el.files[0].size > max) {
        var label = document.querySelector(el.getAttribute("data-file-label"));
        el.value = "";
        if (label) label.textContent = "所选文件超过" + el.getAttribute("data-max-label") + "，请压缩或拆分后再上传。";
      } else if (el.files[0].size === 0) {
        var empty = document.querySelector(el.getAttribute("data-file-label"));
        el.value = "";
        if (empty) empty.textContent = "所选文件是空的（0字节），请重新选择。";
      }
    }
  });
  // 上传 without a chosen file: say so instead of sending nothing.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("upload-form")) return;
    var input = form.querySelector("input[type=file]");
    if (input && !input.files.length) {
      event.preventDefault();
      var label = document.querySelector(input.getAttribute("data-file-label"));
      if (label) label.textContent = "请先点击“浏览...”选择文件。";
    }
  });
  // Upload progress of a large report.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest(".upload-form") : null;
    if (!form) return;
    var detail = event.detail || {};
    var bar = form.querySelector("progress");
    var text = form.querySelector("[data-progress-text]");
    if (bar && detail.lengthComputable && detail.total) {
      var pct = Math.round(detail.loaded / detail.total * 100);
      bar.value = pct;
      if (text) text.textContent = pct < 100 ? "正在上传… " + pct + "%" : "上传完成，正在检查文件…";
    }
  });
  // 打印申报表 prints what is saved: ask to save first.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-print-link]");
    var form = document.getElementById("declaration-form");
    if (link && form && form.getAttribute("data-dirty")) {
      event.preventDefault();
      window.alert("申报表有尚未保存的修改，请先点击“保存”，再打印申报表。");
    }
  });
})();
