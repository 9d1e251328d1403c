// Public survey: one question per screen with a progress bar; without JavaScript every question shows at once.
(function () {
  "use strict";
  var form = document.querySelector(".sv-form");
  if (!form) return;
  var steps = Array.prototype.slice.call(form.querySelectorAll(".sv-step"));
  var back = form.querySelector(".sv-back");
  var next = form.querySelector(".sv-next");
  var submit = form.querySelector(".sv-submit");
  var hint = form.querySelector(".sv-hint");
  var bar = form.querySelector(".sv-progress");
  var at = 0;
  form.classList.add("sv-js");

  function scored() {
    return !!form.querySelector("input[name=score]:checked");
  }
  function show(i) {
    at = i;
    steps.forEach(function (s, n) { s.hidden = n !== i; });
    back.hidden = i === 0;
    next.hidden = i === steps.length - 1;
    submit.hidden = i !== steps.length - 1;
    bar.setAttribute("aria-valuenow", String(i + 1));
    bar.querySelector(".sv-now").textContent = String(i + 1);
    bar.querySelector(".sv-fill").style.width = ((i + 1) / steps.length * 100) + "%";
    hint.hidden = true;
    var first = steps[i].querySelector("input:checked, input, textarea");
    if (first && i > 0) first.focus();
  }
  function forward() {
    if (at === 0 && !scored()) {
      hint.textContent = hint.getAttribute("data-msg");
      hint.hidden = false;
      return;
    }
    if (at < steps.length - 1) show(at + 1);
  }
  next.addEventListener("click", forward);
  back.addEventListener("click", function () { if (at > 0) show(at - 1); });
  // Picking a score moves on by itself (one tap on a phone); the keyboard's arrows only change the choice.
  form.querySelectorAll("input[name=score]").forEach(function (radio) {
    radio.addEventListener("click", function (e) { if (e.detail > 0) setTimeout(forward, 150); });
  });
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.tagName !== "TEXTAREA" && at < steps.length - 1) {
      e.preventDefault();
      forward();
    }
  });
  form.addEventListener("submit", function (e) {
    if (!scored()) { e.preventDefault(); show(0); forward(); }
  });
  show(0);
})();
