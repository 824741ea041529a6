// The report form's one period control: 时段 picks 日/月/季度/年 (one value box, its example as placeholder)
// or 自定义 (the two date boxes instead). Hidden inputs are disabled so they are not sent.
(function () {
  "use strict";
  var kind = document.getElementById("report-kind");
  if (!kind) return;
  var form = kind.form;
  var valueBox = form.querySelector(".period-value");
  var value = form.querySelector("input[name=value]");
  var custom = form.querySelectorAll(".period-custom");

  function show(resetValue) {
    var option = kind.options[kind.selectedIndex];
    var isCustom = kind.value === "custom";
    valueBox.hidden = isCustom;
    value.disabled = isCustom;
    valueBox.querySelector(".value-name").textContent = option.dataset.name || "";
    value.placeholder = option.dataset.hint || "";
    if (resetValue) value.value = "";  // an empty value means the current day, month, quarter or year
    custom.forEach(function (label) {
      label.hidden = !isCustom;
      label.querySelector("input").disabled = !isCustom;
    });
  }

  kind.addEventListener("change", function () { show(true); });
  show(false);
})();
