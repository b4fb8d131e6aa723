// The home page's charts (issue 9): every <canvas data-chart data-endpoint> is drawn with
// the vendored Chart.js from the JSON its endpoint answers. No inline script (the CSP is
// script-src 'self'); the same figures are in a table beside each chart, so the page says
// everything without this script.
(function () {
  "use strict";

  var COLOURS = {
    population: "#1f4e79", transferees: "#c55a11", signed: "#7f7f7f",
    compliant: ["#2e7d32", "#558b2f"], bad: "#b00020", good: "#2e7d32",
    invoiced: "#1f4e79", paid: "#2e7d32", ended: "#9e9e9e"
  };

  function base(extra) {
    var options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } }
    };
    Object.keys(extra || {}).forEach(function (k) { options[k] = extra[k]; });
    return options;
  }

  function flat(label, value, count, colour) {
    var data = [];
    for (var i = 0; i < count; i++) { data.push(value); }
    return { label: label, data: data, borderColor: colour, borderDash: [6, 4],
             pointRadius: 0, fill: false };
  }

  var DRAW = {
    population: function (d, l) {
      var labels = d.points.map(function (p) { return p.on; });
      var sets = [
        { label: l.population, data: d.points.map(function (p) { return p.population; }),
          borderColor: COLOURS.population, fill: false },
        { label: l.transferees, data: d.points.map(function (p) { return p.transferees; }),
          borderColor: COLOURS.transferees, fill: false },
        flat(l.signed, d.signed_capacity, labels.length, COLOURS.signed)
      ];
      Object.keys(d.compliant_capacity).forEach(function (name, i) {
        sets.push(flat(l.compliant.replace("{standard}", name), d.compliant_capacity[name],
                       labels.length, COLOURS.compliant[i % COLOURS.compliant.length]));
      });
      return { type: "line", data: { labels: labels, datasets: sets },
               options: base({ scales: { y: { beginAtZero: true } } }) };
    },
    nominations: function (d, l) {
      return { type: "bar", data: {
        labels: d.stages.map(function (s) { return l.stages[s.stage] || s.stage; }),
        datasets: [{ label: l.people, data: d.stages.map(function (s) { return s.count; }),
                     backgroundColor: COLOURS.population }] },
        options: base({ indexAxis: "y", plugins: { legend: { display: false } } }) };
    },
    integrity: function (d, l) {
      return { type: "bar", data: {
        labels: d.checks.map(function (c) { return (l.checks || {})[c.check] || c.title; }),
        datasets: [{ label: l.count, data: d.checks.map(function (c) { return c.count; }),
                     backgroundColor: d.checks.map(function (c) {
                       return c.count ? COLOURS.bad : COLOURS.good; }) }] },
        options: base({ indexAxis: "y", plugins: { legend: { display: false } },
                        scales: { y: { ticks: { autoSkip: false } },
                                  x: { beginAtZero: true, ticks: { precision: 0 } } } }) };
    },
    billing: function (d, l) {
      var several = d.totals.length > 1;
      var labels = d.periods.map(function (p) {
        return several ? p.currency + " " + p.period : p.period; });
      return { type: "bar", data: { labels: labels, datasets: [
        { label: l.invoiced, backgroundColor: COLOURS.invoiced,
          data: d.periods.map(function (p) { return p.invoiced_minor / 100; }) },
        { label: l.paid, backgroundColor: COLOURS.paid,
          data: d.periods.map(function (p) { return p.paid_minor / 100; }) }] },
        options: base({ scales: { y: { beginAtZero: true } } }) };
    },
    holds: function (d, l) {
      return { type: "bar", data: {
        labels: d.kinds.map(function (k) { return (l.kinds || {})[k.kind] || k.kind; }),
        datasets: [
          { label: l.in_force, backgroundColor: COLOURS.bad,
            data: d.kinds.map(function (k) { return k.in_force; }) },
          { label: l.ended, backgroundColor: COLOURS.ended,
            data: d.kinds.map(function (k) { return k.ended; }) }] },
        options: base({ scales: { x: { stacked: true }, y: { stacked: true,
                                                              beginAtZero: true } } }) };
    }
  };

  function draw(canvas) {
    var kind = canvas.getAttribute("data-chart");
    var labels = JSON.parse(canvas.getAttribute("data-labels") || "{}");
    fetch(canvas.getAttribute("data-endpoint"), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(kind + ": " + response.status); }
      return response.json();
    }).then(function (data) {
      new window.Chart(canvas, DRAW[kind](data, labels));
      canvas.setAttribute("data-drawn", "true");
    }).catch(function () {
      // The table beside the chart still says everything; say why the chart is missing.
      canvas.setAttribute("data-drawn", "failed");
    });
  }

  function start() {
    if (typeof window.Chart === "undefined" || typeof window.fetch === "undefined") { return; }
    var canvases = document.querySelectorAll("canvas[data-chart][data-endpoint]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      if (DRAW[canvas.getAttribute("data-chart")]) { draw(canvas); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
