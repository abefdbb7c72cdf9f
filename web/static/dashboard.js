// Weekly cases opened and closed, drawn with chart.js (served by the app from npm).
(function () {
  "use strict";
  var canvas = document.getElementById("weekly");
  var source = document.getElementById("weekly-data");
  if (!canvas || !source || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang;
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.weeks,
      datasets: [
        { label: lang === "en" ? "Opened" : "立案", data: data.opened, backgroundColor: "#0b5cad" },
        { label: lang === "en" ? "Closed" : "结案", data: data.closed, backgroundColor: "#2e7d32" }
      ]
    },
    options: { responsive: true, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
