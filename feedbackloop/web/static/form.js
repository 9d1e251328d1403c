// Public form: live character counter for the feedback text.
(function () {
  "use strict";
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    var box = document.getElementById(area.getAttribute("data-counter"));
    if (!box) return;
    var out = box.querySelector(".n");
    var max = parseInt(area.getAttribute("maxlength"), 10) || 10000;
    function update() {
      var n = Array.from(area.value).length; // count characters, not UTF-16 units
      out.textContent = n.toLocaleString();
      box.classList.toggle("over", n > max);
    }
    area.addEventListener("input", update);
    update();
  });
})();
