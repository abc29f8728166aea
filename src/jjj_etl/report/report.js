"use strict";
// Legend buttons show or hide one region's series in their chart.
document.querySelectorAll(".legend button[data-chart]").forEach(function (button) {
  button.addEventListener("click", function () {
    var chart = document.getElementById(button.getAttribute("data-chart"));
    if (!chart) { return; }
    var on = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", on ? "true" : "false");
    var region = button.getAttribute("data-series");
    chart.querySelectorAll("g.series").forEach(function (g) {
      if (g.getAttribute("data-series") === region) { g.classList.toggle("off", !on); }
    });
  });
});
