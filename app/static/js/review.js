// 成果评审 (expert pages).
(function () {
  "use strict";
  // <button data-confirm-button="...">: ask before this button submits its form (组长确认 beside 保存).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-confirm-button]");
    if (button && !window.confirm(button.getAttribute("data-confirm-button"))) { event.preventDefault(); }
  });
})();
