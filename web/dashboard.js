/* The analytics dashboard: fetches the admin reports with the key typed into
   the page (kept in sessionStorage for this tab only) and draws them as
   inline SVG — no chart library: two chart shapes are a few dozen lines. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var $ = function (id) { return document.getElementById(id); };
  var COLORS = ["#0b62d6", "#d63b0b", "#1b9e4b", "#8e44ad", "#c79100", "#00838f", "#6d4c41", "#e91e63", "#546e7a", "#7cb342", "#3949ab"];

  function svg(tag, attrs, parent) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, anchor) {
    var t = svg("text", { x: x, y: y, "font-size": 11, "text-anchor": anchor || "start", fill: "currentColor" }, parent);
    t.textContent = content;
    return t;
  }

  /* Grouped bars: series[i].values[j] for category j. */
  function bars(container, categories, series, format) {
    container.textContent = "";
    if (!categories.length) { container.textContent = "No data yet."; return; }
    var width = 640, height = 220, left = 36, bottom = 40, top = 10;
    var max = 1;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v > max) max = v; }); });
    var chart = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img", class: "chart-svg" }, container);
    var plotW = width - left - 10, plotH = height - top - bottom;
    var groupW = plotW / categories.length, barW = Math.min(36, Math.max(2, (groupW * 0.8) / series.length));
    var groupPad = (groupW - barW * series.length) / 2;
    svg("line", { x1: left, y1: top + plotH, x2: width - 10, y2: top + plotH, stroke: "currentColor", "stroke-width": 1 }, chart);
    text(chart, left - 4, top + 8, format ? format(max) : String(max), "end");
    text(chart, left - 4, top + plotH, "0", "end");
    categories.forEach(function (c, j) {
      series.forEach(function (s, i) {
        var v = s.values[j] || 0, h = (v / max) * plotH;
        var rect = svg("rect", { x: left + j * groupW + groupPad + i * barW, y: top + plotH - h, width: barW, height: h, fill: COLORS[i % COLORS.length] }, chart);
        svg("title", {}, rect).textContent = s.name + " · " + c + ": " + (format ? format(v) : v);
      });
      if (categories.length <= 16 || j % Math.ceil(categories.length / 16) === 0) {
        text(chart, left + j * groupW + groupW / 2, top + plotH + 14, c, "middle");
      }
    });
    var legend = document.createElement("p");
    legend.className = "legend";
    series.forEach(function (s, i) {
      var key = document.createElement("span");
      key.style.color = COLORS[i % COLORS.length];
      key.textContent = "■ ";
      legend.appendChild(key);
      legend.appendChild(document.createTextNode(s.name + "  "));
    });
    container.appendChild(legend);
  }

  function list(container, rows, describe) {
    container.textContent = "";
    if (!rows.length) {
      var none = document.createElement("li");
      none.className = "empty";
      none.textContent = "None.";
      container.appendChild(none);
      return;
    }
    rows.forEach(function (row) {
      var li = document.createElement("li");
      var q = document.createElement("q");
      q.textContent = row.query;
      li.appendChild(q);
      li.appendChild(document.createTextNode(" " + describe(row)));
      container.appendChild(li);
    });
  }

  function fetchReport(name, key, params) {
    return fetch("/admin/analytics/" + name + "?" + params, { headers: { Authorization: "Bearer " + key, Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.message || ("HTTP " + r.status));
          return body;
        });
      });
  }

  function show(key) {
    var params = new URLSearchParams();
    if ($("locale").value) params.set("locale", $("locale").value);
    if ($("from").value) params.set("from", $("from").value);
    if ($("to").value) params.set("to", $("to").value);
    params.set("limit", "20");
    var query = params.toString();
    params.set("limit", "1000");
    var all = params.toString();
    $("dashboard-status").textContent = "Loading…";
    return Promise.all([
      fetchReport("daily", key, all),
      fetchReport("no-results", key, query),
      fetchReport("no-clicks", key, query),
      fetchReport("top-queries", key, query),
      fetchReport("click-through", key, query)
    ]).then(function (reports) {
      var daily = reports[0], problem = reports.map(function (r) { return r.problem; }).filter(Boolean)[0];
      $("dashboard-status").textContent = problem ? "Analytics cannot write its database: " + problem : "";
      var days = [], locales = [];
      daily.rows.forEach(function (r) {
        if (days.indexOf(r.day) < 0) days.push(r.day);
        if (locales.indexOf(r.locale) < 0) locales.push(r.locale);
      });
      bars($("chart-daily"), days, locales.map(function (l) {
        return { name: l || "(none)", values: days.map(function (d) {
          var row = daily.rows.filter(function (r) { return r.day === d && r.locale === l; })[0];
          return row ? row.searches : 0;
        }) };
      }));
      list($("no-results"), reports[1].rows, function (r) { return "— " + r.count + "×"; });
      list($("no-clicks"), reports[2].rows, function (r) { return "— " + r.count + "×, " + r.mean_total.toFixed(0) + " results"; });
      list($("top-queries"), reports[3].rows, function (r) { return "— " + r.count + "×, " + r.clicks + " clicks"; });
      var ctr = reports[4];
      $("ctr-summary").textContent = "Click-through " + (100 * ctr.click_through_rate).toFixed(1) + "% of " +
        ctr.searches_with_results + " searches with results" +
        (ctr.mean_clicked_position ? "; mean position opened " + ctr.mean_clicked_position.toFixed(2) : "") + ".";
      bars($("chart-ctr"), ctr.by_position.map(function (p) { return "#" + p.position; }),
        [{ name: "clicks per search", values: ctr.by_position.map(function (p) { return p.rate; }) }],
        function (v) { return (100 * v).toFixed(1) + "%"; });
      document.body.setAttribute("data-dashboard", "ready");
    }).catch(function (e) {
      $("dashboard-status").textContent = e.message;
      document.body.setAttribute("data-dashboard", "error");
    });
  }

  var form = $("dashboard-form");
  if (!form) return;
  var saved = sessionStorage.getItem("kensaku-admin-key");
  if (saved) $("admin-key").value = saved;
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    sessionStorage.setItem("kensaku-admin-key", $("admin-key").value);
    show($("admin-key").value);
  });
  if (saved) show(saved);
})();
