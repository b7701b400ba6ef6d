// invite: behaviours of this area (CSP forbids inline scripts).
// The unit's 邀请备案 page shows links and confirmations in a <dialog> filled by htmx.
(function () {
  "use strict";

  function dialog() { return document.getElementById("invite-dialog"); }

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = dialog();
    if (!box || event.detail.target.id !== "invite-dialog-body") { return; }
    if (!box.open) {
      if (box.showModal) { box.showModal(); } else { box.setAttribute("open", ""); }
    }
    var focusable = box.querySelector(".invite-link, [autofocus], button");
    if (focusable) { focusable.focus(); }
  });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-dialog-close]");
    if (!closer) { return; }
    var box = closer.closest("dialog");
    if (box) {
      box.close();
    } else {
      window.location.href = closer.getAttribute("data-dialog-close") || document.referrer || "/invite/";
    }
  });

  // Emptying the dialog after closing it keeps a stale confirmation from being reused.
  document.addEventListener("close", function (event) {
    if (event.target.id === "invite-dialog") {
      var body = document.getElementById("invite-dialog-body");
      if (body) { body.innerHTML = ""; }
    }
  }, true);
})();
