// 公示发布: choosing the kind replaces the 公示标题 while it is still a default title.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches || !select.matches("#f-kind[data-titles]")) return;
  var titles = JSON.parse(select.getAttribute("data-titles"));
  var title = document.getElementById("f-title");
  var defaults = Object.keys(titles).map(function (k) { return titles[k]; });
  if (title && (title.value === "" || defaults.indexOf(title.value) !== -1)) title.value = titles[select.value] || "";
});
