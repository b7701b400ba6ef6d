// Small behaviours that CSP forbids inline: copy-to-clipboard, error toasts, confirm-before-submit.
(function () {
  "use strict";

  function showToast(message) {
    var toast = document.getElementById("toast");
    if (!toast) { return; }
    toast.textContent = message;
    toast.hidden = false;
    window.clearTimeout(showToast.timer);
    showToast.timer = window.setTimeout(function () { toast.hidden = true; }, 8000);
  }

  // htmx does not swap 4xx/5xx: show the server's Chinese message instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = "";
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var el = doc.querySelector(".error-message");
      text = el ? el.textContent.trim() : "";
    } catch (e) { text = ""; }
    showToast(text || "操作失败（" + xhr.status + "），请刷新页面后重试。");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("网络连接失败，请检查网络后重试。");
  });

  // <button data-copy-target="#id">: copy the text of an input, with a selectable fallback.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var input = document.querySelector(button.getAttribute("data-copy-target"));
    if (!input) { return; }
    var value = input.value || input.textContent;
    input.focus();
    if (input.select) { input.select(); }
    var done = function () { button.textContent = "已复制"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      try { document.execCommand("copy"); done(); } catch (e) { button.textContent = "请手动复制"; }
    }
  });

  // <form data-confirm="...">: ask before a destructive non-htmx submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  }, true);

  // <img data-refresh-src>: "换图" reloads a captcha image without reloading the page.
  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-refresh-img]");
    if (!trigger) { return; }
    event.preventDefault();
    var img = document.querySelector(trigger.getAttribute("data-refresh-img"));
    if (img) {
      var base = img.getAttribute("data-src") || img.src.split("?")[0];
      img.src = base + "?t=" + Date.now();
    }
  });
})();
