/* Charts drawn from the tables beside them (the tables are the text alternative and the data). */
(function () {
  "use strict";
  if (!window.Chart) return;
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.animation = false;

  var coverage = document.getElementById("coverage-chart");
  if (coverage) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-tier]"));
    new Chart(coverage, {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r.querySelector("th").textContent.trim(); }),
        datasets: [
          { label: coverage.dataset.labelRate || document.querySelector("#coverage-heading").textContent, data: rows.map(function (r) { return parseFloat(r.dataset.rate) || 0; }), backgroundColor: "#0b5cad" },
          { label: coverage.dataset.labelLive || "live", data: rows.map(function (r) { return parseFloat(r.dataset.liveRate) || 0; }), backgroundColor: "#1f8a5b" }
        ]
      },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, max: 100, ticks: { callback: function (v) { return v + " %"; } } } } }
    });
  }

  var partners = document.getElementById("partners-chart");
  if (partners) {
    var prow = Array.prototype.slice.call(document.querySelectorAll("tr[data-country]"));
    new Chart(partners, {
      type: "bar",
      data: {
        labels: prow.map(function (r) { return r.querySelector("th").textContent.trim(); }),
        datasets: [{ label: partners.dataset.label || "", data: prow.map(function (r) { return parseInt(r.dataset.count, 10); }), backgroundColor: "#12324f" }]
      },
      options: { indexAxis: "y", maintainAspectRatio: false, plugins: { legend: { display: false } } }
    });
  }
})();
