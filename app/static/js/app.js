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

  // After a form is sent (添加, 保存, 导入 ...) its result comes into view — on a phone the button is at the
  // bottom and the message far above: the first wrong field is focused (its message beside it), else the
  // success or error message is scrolled to. A success message flashed by an earlier page goes.
  var revealed = null;
  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    if (!detail.requestConfig || detail.requestConfig.verb !== "post" || revealed === detail.xhr) { return; }
    // innerHTML swaps keep their target; an outerHTML swap replaced it with this event's element
    var root = detail.target && document.body.contains(detail.target) ? detail.target : event.target;
    if (!root || !root.querySelector || !document.body.contains(root)) { return; }
    revealed = detail.xhr;
    if (detail.xhr && detail.xhr.status >= 400) {
      document.querySelectorAll("main > .flash-success").forEach(function (el) { el.remove(); });
    }
    var invalid = root.querySelector("[aria-invalid=true]");
    if (invalid) {
      invalid.scrollIntoView({ block: "center" });
      invalid.focus({ preventScroll: true });
      return;
    }
    var message = root.querySelector("[data-reveal], .flash[role=alert], .flash[role=status]");
    if (message) { message.scrollIntoView({ block: "center" }); }
  });

  // <details data-open-wide>: open on a wide screen, folded to its title on a phone.
  document.addEventListener("DOMContentLoaded", function () {
    if (window.matchMedia && window.matchMedia("(min-width: 761px)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
    }
  });

  // <button data-print>: the browser's print dialog (the page's print stylesheet does the rest).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
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
