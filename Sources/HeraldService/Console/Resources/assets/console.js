// Herald Console: live counts on the journey map (Server-Sent Events), confirmations for state
// changes, and the version picker. No framework, no build step.
(function () {
  "use strict";

  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  function applyCounts(counts) {
    var steps = counts.steps || {};
    document.querySelectorAll(".count[data-metric]").forEach(function (element) {
      var step = steps[element.getAttribute("data-step")] || {};
      var value = String(step[element.getAttribute("data-metric")] || 0);
      if (element.textContent !== value) {
        element.textContent = value;
        element.classList.remove("changed");
        void element.getBoundingClientRect(); // restart the highlight
        element.classList.add("changed");
      }
    });
  }

  function liveCounts() {
    var map = document.querySelector("[data-stream]");
    if (!map || !window.EventSource) return;
    var status = document.querySelector("[data-live-status]");
    var source = new EventSource(map.getAttribute("data-stream"));
    source.addEventListener("counts", function (event) {
      applyCounts(JSON.parse(event.data));
      if (status) status.textContent = "live · updated " + new Date().toLocaleTimeString();
      document.body.setAttribute("data-live-updates", String(Number(document.body.getAttribute("data-live-updates") || 0) + 1));
    });
    source.addEventListener("open", function () { if (status) status.textContent = "live"; });
    source.addEventListener("error", function () { if (status) status.textContent = "reconnecting…"; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    confirmForms();
    liveCounts();
  });
})();
