// admin: behaviours of the secretariat's workspace (CSP forbids inline scripts).
(function () {
  "use strict";

  // On narrow screens the per-day chart scrolls sideways: show the latest days first.
  function scrollChartsToEnd(root) {
    var boxes = (root || document).querySelectorAll(".chart-scroll");
    for (var i = 0; i < boxes.length; i++) { boxes[i].scrollLeft = boxes[i].scrollWidth; }
  }

  // 备案总览 unit filter: typing forgets the chosen unit; choosing a candidate filters by its id at once.
  function closeUnitOptions() {
    var box = document.getElementById("unit-options");
    if (box) { box.innerHTML = ""; }
    var input = document.getElementById("unit-q");
    if (input) { input.setAttribute("aria-expanded", "false"); }
  }

  function submitFilter(input) {
    if (input.form) { input.form.requestSubmit(); }
  }

  document.addEventListener("input", function (event) {
    if (event.target.id !== "unit-q") { return; }
    var id = document.getElementById("unit-id");
    if (id && id.value) { id.value = ""; }
    if (!event.target.value.trim()) { closeUnitOptions(); submitFilter(event.target); }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest ? event.target.closest("[data-unit-option]") : null;
    if (!option) {
      if (!event.target.closest || !event.target.closest(".unit-picker")) { closeUnitOptions(); }
      return;
    }
    event.preventDefault();
    var input = document.getElementById("unit-q");
    document.getElementById("unit-id").value = option.getAttribute("data-unit-option");
    input.value = option.getAttribute("data-unit-name");
    closeUnitOptions();
    submitFilter(input);
  });

  document.addEventListener("keydown", function (event) {
    var inPicker = event.target.closest && event.target.closest(".unit-picker");
    if (!inPicker) { return; }
    if (event.key === "Escape") { closeUnitOptions(); return; }
    if (event.key === "Enter" && event.target.id === "unit-q") {
      // Enter with a single candidate on screen chooses it (rather than filtering by the partial text).
      var only = inPicker.querySelectorAll("[data-unit-option]");
      if (only.length === 1) { event.preventDefault(); only[0].click(); }
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var links = Array.prototype.slice.call(inPicker.querySelectorAll("[data-unit-option]"));
      if (!links.length) { return; }
      event.preventDefault();
      var at = links.indexOf(document.activeElement);
      var next = event.key === "ArrowDown" ? Math.min(at + 1, links.length - 1) : at - 1;
      (next < 0 ? document.getElementById("unit-q") : links[next]).focus();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "unit-options") { return; }
    var input = document.getElementById("unit-q");
    if (input) { input.setAttribute("aria-expanded", event.target.querySelector("[data-unit-option]") ? "true" : "false"); }
  });

  // 不通过 needs a reason (it goes into the mail): say so beside the box before asking to confirm.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-reason-required]")) { return; }
    var box = form.querySelector("textarea[name=reason]");
    var old = form.querySelector(".reason-missing");
    if (old) { old.remove(); }
    if (!box || box.value.trim()) { return; }
    event.preventDefault();
    var message = document.createElement("span");
    message.className = "field-error reason-missing";
    message.setAttribute("role", "alert");
    message.textContent = "请填写不通过的原因。";
    box.insertAdjacentElement("afterend", message);
    box.classList.add("is-invalid");
    box.setAttribute("aria-invalid", "true");
    box.focus();
  });

  document.addEventListener("DOMContentLoaded", function () { scrollChartsToEnd(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scrollChartsToEnd(event.target); });
})();

// 形式审查: "全选" ticks the rows the system found fully compliant (the others can still be ticked one by one);
// 修改截止日期 is only asked for with 完善后参评.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-all") {
      var boxes = document.querySelectorAll("#checks input[name=selected]");
      for (var i = 0; i < boxes.length; i++) {
        boxes[i].checked = target.checked && boxes[i].hasAttribute("data-bulk-ok");
      }
    }
    if (target.name === "conclusion") { showDeadline(target.form); }
  });

  function showDeadline(form) {
    if (!form) { return; }
    var chosen = form.querySelector("input[name=conclusion]:checked");
    var input = form.querySelector("#f-resubmit_deadline");
    if (!input) { return; }
    var needed = chosen && chosen.value === "returned";
    input.disabled = !needed;
    input.closest("div").parentNode.querySelector("label[for=f-resubmit_deadline]").classList.toggle("required", !!needed);
  }

  function init(root) {
    var form = (root || document).querySelector ? (root || document).querySelector("#check-form") : null;
    if (form) { showDeadline(form); }
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target.parentNode || document); });
})();

// 评分表 editor: 合计 follows the 配分 inputs as they are typed (the server recomputes it on save).
(function () {
  "use strict";
  function cents(text) {
    var match = /^\s*(\d{1,3})(?:\.(\d{1,2}))?\s*$/.exec(text || "");
    if (!match) { return 0; }
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }
  function update(form) {
    var output = document.querySelector(form.getAttribute("data-rubric-total"));
    if (!output) { return; }
    var total = 0;
    form.querySelectorAll("input[data-points]").forEach(function (input) { total += cents(input.value); });
    var text = (total / 100).toFixed(2).replace(/\.?0+$/, "");
    output.textContent = text;
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-rubric-total]") : null;
    if (form && event.target.matches("input[data-points]")) { update(form); }
  });
  // what was typed before this script ran (a slow connection) counts too
  function updateAll() { document.querySelectorAll("form[data-rubric-total]").forEach(update); }
  document.addEventListener("DOMContentLoaded", updateAll);
  document.addEventListener("htmx:afterSwap", updateAll);
})();
