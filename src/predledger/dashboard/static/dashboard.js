/* predledger dashboard: draws the page's charts with plotly.js and refreshes the overview. */
(function () {
  "use strict";

  var PLOT_CONFIG = { responsive: true, displaylogo: false, displayModeBar: false };

  function drawCharts(charts) {
    Object.keys(charts).forEach(function (key) {
      var box = document.querySelector('[data-chart="' + key + '"]');
      if (!box) { return; }
      var spec = charts[key];
      var plot = box.querySelector(".plot");
      var empty = box.querySelector(".chart-empty");
      if (spec.empty) {
        plot.hidden = true;
        empty.textContent = spec.empty;
        empty.hidden = false;
        if (window.Plotly && plot.data) { window.Plotly.purge(plot); }
        return;
      }
      empty.hidden = true;
      plot.hidden = false;
      window.Plotly.react(plot, spec.data, spec.layout, PLOT_CONFIG);
    });
  }

  function initialCharts() {
    var holder = document.getElementById("chart-data");
    return holder ? JSON.parse(holder.textContent) : null;
  }

  function startRefresh(root) {
    var seconds = Number(root.getAttribute("data-refresh-seconds")) || 5;
    var url = root.getAttribute("data-refresh-url") + window.location.search;
    var status = document.getElementById("refresh-status");

    function update(data) {
      Object.keys(data.html).forEach(function (id) {
        var target = document.getElementById(id);
        if (target) { target.innerHTML = data.html[id]; }
      });
      drawCharts(data.charts);
      if (status) {
        status.textContent = "updated " + new Date().toLocaleTimeString() +
          " · refreshes every " + seconds + " s";
      }
    }

    function tick() {
      if (document.hidden) { window.setTimeout(tick, seconds * 1000); return; }
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(update)
        .catch(function (problem) {
          if (status) { status.textContent = "refresh failed (" + problem.message + "); retrying"; }
        })
        .then(function () { window.setTimeout(tick, seconds * 1000); });
    }
    window.setTimeout(tick, seconds * 1000);
  }

  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  // Until accounts exist, forms say who acts: the name typed once in "Acting as",
  // remembered in this browser, goes into each form's hidden actor field on submit.
  function actingAs() {
    var field = document.getElementById("acting-as");
    if (!field) { return; }
    try { field.value = window.localStorage.getItem("predledger-actor") || ""; } catch (e) { /* private mode */ }
    document.addEventListener("submit", function (event) {
      var hidden = event.target.querySelector("input[data-actor]");
      if (!hidden) { return; }
      var name = field.value.trim();
      if (!name) {
        event.preventDefault();
        field.setCustomValidity("Type your name first: it is recorded with what you do.");
        field.reportValidity();
        field.focus();
        return;
      }
      field.setCustomValidity("");
      hidden.value = name;
      try { window.localStorage.setItem("predledger-actor", name); } catch (e) { /* private mode */ }
    });
    field.addEventListener("input", function () { field.setCustomValidity(""); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var charts = initialCharts();
    if (charts) { drawCharts(charts); }
    autosubmit();
    actingAs();
    var live = document.querySelector("[data-refresh-url]");
    if (live) { startRefresh(live); }
    document.documentElement.setAttribute("data-dashboard-ready", "true");
  });
}());
