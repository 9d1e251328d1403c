/* The dashboard (issue 13): fetch each chart's JSON from /api/v1/dashboard/*, draw it with ECharts, open the
   inbox on the clicked element's items (every element carries its `href`), refresh every N seconds, and show
   alerts as they fire. No inline scripts (CSP): texts come from the JSON block #dash-texts. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || !window.echarts) { return; }
  var T = JSON.parse(document.getElementById("dash-texts").textContent || "{}");
  var baseQuery = root.getAttribute("data-api-query") || "";
  var refreshSeconds = parseInt(root.getAttribute("data-refresh"), 10) || 30;
  var canTake = root.getAttribute("data-can-take") === "true";
  var csrf = root.getAttribute("data-csrf") || "";
  var charts = {};
  var seenAlerts = null;
  var COLORS = { negative: "#e5484d", neutral: "#c4cad4", positive: "#0f9d58" };
  var SENTIMENTS = ["negative", "neutral", "positive"];

  function t(key, vars) {
    var s = T[key] || key;
    Object.keys(vars || {}).forEach(function (k) { s = s.replace("{" + k + "}", vars[k]); });
    return s;
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function api(name, extra) {
    var q = [baseQuery, extra].filter(Boolean).join("&");
    return fetch("/api/v1/dashboard/" + name + (q ? "?" + q : ""), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function go(href) { if (href) { window.location.href = href; } }
  function fmtPct(v) { return v === null || v === undefined ? "—" : v.toFixed(1) + "%"; }

  /* --- chart options, one per endpoint ------------------------------------------------------------- */
  var OPTIONS = {
    volume: function (d) {
      var series = SENTIMENTS.map(function (s) {
        return { name: t("sentiment:" + s), type: "bar", stack: "v", itemStyle: { color: COLORS[s] },
          data: d.buckets.map(function (b) { return { value: b.sentiment[s].count, href: b.sentiment[s].href }; }) };
      });
      series.push({ name: t("全部"), type: "line", symbolSize: 6, itemStyle: { color: "#3370ff" },
        data: d.buckets.map(function (b) { return { value: b.total, href: b.href }; }) });
      return { tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 32, bottom: 28 },
        xAxis: { type: "category", data: d.buckets.map(function (b) { return b.label; }) },
        yAxis: { type: "value", minInterval: 1 }, series: series };
    },
    channels: function (d) { return pie(d.items.map(function (i) { return Object.assign({}, i, { label: t(i.label) }); })); },
    "problem-types": function (d) { return pie(d.items.map(function (i) { return Object.assign({}, i, { label: t(i.label) }); })); },
    aspects: function (d) {
      var cells = d.cells.map(function (c) {
        return { value: [SENTIMENTS.indexOf(c.sentiment), d.aspects.indexOf(c.aspect), c.count], href: c.href };
      });
      var max = Math.max.apply(null, [1].concat(d.cells.map(function (c) { return c.count; })));
      return { tooltip: { formatter: function (p) { return d.aspects[p.value[1]] + " · " + t("sentiment:" + SENTIMENTS[p.value[0]]) + "：" + p.value[2] + " " + t("条"); } },
        grid: { left: 90, right: 16, top: 10, bottom: 60 },
        xAxis: { type: "category", data: SENTIMENTS.map(function (s) { return t("sentiment:" + s); }) },
        yAxis: { type: "category", data: d.aspects, inverse: true },
        visualMap: { min: 0, max: max, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120,
          inRange: { color: ["#f4f6f9", "#9bb8ff", "#3370ff"] } },
        series: [{ type: "heatmap", data: cells, label: { show: true }, emphasis: { itemStyle: { borderColor: "#1f2329", borderWidth: 1 } } }] };
    },
    keywords: function (d) {
      /* A treemap reads as a keyword cloud (area = items) and every word stays legible and clickable. */
      return { tooltip: { formatter: function (p) { return p.name + "：" + p.value + " " + t("条"); } },
        series: [{ type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false }, width: "100%", height: "100%",
          label: { show: true, formatter: "{b}", fontSize: 13 }, levels: [{ colorSaturation: [0.35, 0.6], itemStyle: { gapWidth: 2 } }],
          data: d.items.map(function (i) { return { name: i.word, value: i.count, href: i.href }; }) }] };
    },
    sla: function (d) {
      return { tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 40, right: 44, top: 32, bottom: 28 },
        xAxis: { type: "category", data: d.days.map(function (x) { return x.day.slice(5); }) },
        yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
        series: [
          { name: t("达标"), type: "bar", stack: "s", itemStyle: { color: "#0f9d58" }, data: d.days.map(function (x) { return { value: x.met, href: x.met_href }; }) },
          { name: t("超时"), type: "bar", stack: "s", itemStyle: { color: "#e5484d" }, data: d.days.map(function (x) { return { value: x.breached, href: x.breached_href }; }) },
          { name: t("SLA 达标率"), type: "line", yAxisIndex: 1, connectNulls: true, itemStyle: { color: "#3370ff" }, data: d.days.map(function (x) { return x.compliance; }) }
        ] };
    },
    backlog: function (d) {
      var series = d.statuses.map(function (s) {
        return { name: t("status:" + s), type: "bar", stack: "b",
          data: d.ages.map(function (age) {
            var c = d.cells.filter(function (x) { return x.status === s && x.age === age; })[0];
            return { value: c ? c.count : 0, href: c ? c.href : null };
          }) };
      });
      return { tooltip: { trigger: "axis" }, legend: { top: 0, type: "scroll" }, grid: { left: 40, right: 16, top: 32, bottom: 28 },
        xAxis: { type: "category", data: d.ages.map(function (a) { return t(a); }) }, yAxis: { type: "value", minInterval: 1 }, series: series };
    },
    mentions: function (d) { return bars(d.items, "name", [["count", "href", t("提及"), "#3370ff"], ["negative", "negative_href", t("其中负面"), "#e5484d"]]); },
    versions: function (d) { return bars(d.items, "label", [["count", "href", t("反馈量"), "#3370ff"]]); }
  };
  function pie(items) {
    return { tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" }, legend: { type: "scroll", bottom: 0 },
      series: [{ type: "pie", radius: ["38%", "68%"], center: ["50%", "45%"], avoidLabelOverlap: true,
        data: items.map(function (i) { return { name: i.label, value: i.count, href: i.href }; }) }] };
  }
  function bars(items, nameKey, specs) {
    return { tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 100, right: 16, top: 28, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", inverse: true, data: items.map(function (i) { return i[nameKey]; }) },
      series: specs.map(function (s) {
        return { name: s[2], type: "bar", itemStyle: { color: s[3] }, data: items.map(function (i) { return { value: i[s[0]], href: i[s[1]] }; }) };
      }) };
  }

  function drawChart(node) {
    var name = node.getAttribute("data-chart");
    var extra = node.getAttribute("data-extra") || "";
    if (name === "volume") { extra = [extra, "granularity=" + (document.getElementById("dash-granularity") || {}).value].filter(Boolean).join("&"); }
    return api(name, extra).then(function (data) {
      var chart = charts[node.getAttribute("data-testid")];
      if (!chart) {
        chart = charts[node.getAttribute("data-testid")] = window.echarts.init(node, null, { renderer: "canvas" });
        chart.on("click", function (p) { go(p.data && p.data.href); });
      }
      var option = OPTIONS[name](data);
      if (countOf(data) === 0) {
        option.title = { text: t("暂无数据"), left: "center", top: "middle", textStyle: { color: "#86909c", fontSize: 14, fontWeight: "normal" } };
      }
      chart.setOption(option, true);
      node.setAttribute("data-total", String(countOf(data)));
      node.classList.toggle("is-empty", countOf(data) === 0);
    }).catch(function () { node.setAttribute("data-error", "1"); node.textContent = t("加载失败"); });
  }
  function countOf(d) {
    if (d.total !== undefined) { return d.total; }
    if (d.buckets) { return d.buckets.reduce(function (a, b) { return a + b.total; }, 0); }
    if (d.cells) { return d.cells.reduce(function (a, c) { return a + c.count; }, 0); }
    if (d.days) { return d.met + d.breached; }
    if (d.items) { return d.items.reduce(function (a, i) { return a + (i.count || 0); }, 0); }
    return 0;
  }

  /* --- tiles and lists ------------------------------------------------------------------------------ */
  function tile(parent, label, value, sub, href) {
    var box = el(href ? "a" : "div", href ? { class: "dash-tile", href: href } : { class: "dash-tile" });
    box.appendChild(el("span", { class: "dash-tile-label" }, label));
    box.appendChild(el("b", { class: "dash-tile-value" }, value));
    if (sub) { box.appendChild(el("span", { class: "dash-tile-sub" }, sub)); }
    parent.appendChild(box);
  }
  function drawTiles() {
    var box = document.getElementById("dash-tiles");
    if (!box) { return Promise.resolve(); }
    return api("summary").then(function (d) {
      box.textContent = "";
      var p = d.previous;
      tile(box, t("反馈量"), d.total.toLocaleString(), t("上期") + " " + p.total.toLocaleString(), d.tiles[0].href);
      tile(box, t("负面反馈"), fmtPct(d.negative_share), d.negative + " " + t("条") + " · " + t("上期") + " " + fmtPct(p.negative_share), d.tiles[1].href);
      tile(box, t("SLA 达标率"), fmtPct(d.sla_compliance), "");
      tile(box, t("未结"), d.open.toLocaleString(), t("上期") + " " + p.open.toLocaleString());
    });
  }
  function themeItem(th) {
    var li = el("li", { class: "dash-theme" });
    var head = el("div", { class: "dash-theme-head" });
    var link = el(th.href ? "a" : "span", th.href ? { href: th.href } : {}, th.label);
    head.appendChild(link);
    head.appendChild(el("span", { class: "dash-theme-n" }, th.count + " " + t("条") + (th.share !== null ? "（" + fmtPct(th.share) + "）" : "")));
    if (th.emerging) { head.appendChild(el("span", { class: "flag flag-emerging" }, t("新出现的问题"))); }
    li.appendChild(head);
    (th.quotes || []).forEach(function (q) { li.appendChild(el("blockquote", {}, "「" + q + "」")); });
    return li;
  }
  function fillList(name, items, make) {
    document.querySelectorAll('[data-list="' + name + '"]').forEach(function (list) {
      list.textContent = "";
      if (!items.length) { list.appendChild(el("li", { class: "muted" }, t("暂无数据"))); }
      items.forEach(function (i) { list.appendChild(make(i)); });
    });
  }
  function drawThemes() {
    if (!document.querySelector('[data-list^="themes"]')) { return Promise.resolve(); }
    return api("themes").then(function (d) {
      fillList("themes-top", d.top.slice(0, 5), themeItem);
      fillList("themes-emerging", d.emerging, themeItem);
    });
  }
  function churnRow(c) {
    var tr = el("tr", { "data-key": c.key });
    var who = el("td");
    who.appendChild(el("b", {}, c.name || "—"));
    who.appendChild(el("div", { class: "sub mono" }, c.contact));
    tr.appendChild(who);
    tr.appendChild(el("td", { class: "mono" }, c.score));
    tr.appendChild(el("td", {}, c.reasons.join("；")));
    var items = el("td");
    if (c.href) { items.appendChild(el("a", { href: c.href }, t("查看反馈") + "（" + c.ids.length + "）")); }
    tr.appendChild(items);
    var act = el("td");
    if (c.owner) { act.appendChild(el("span", { class: "muted" }, t("已由 {name} 跟进", { name: c.owner }))); }
    else if (canTake) {
      var btn = el("button", { class: "btn btn-sm", type: "button" }, t("跟进"));
      btn.addEventListener("click", function () { take(c.key, btn); });
      act.appendChild(btn);
    }
    tr.appendChild(act);
    return tr;
  }
  function take(key, btn) {
    btn.disabled = true;
    fetch("/api/v1/dashboard/churn/" + key + "/take?" + baseQuery, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return drawChurn(); })
      .catch(function () { btn.disabled = false; btn.textContent = t("操作失败"); });
  }
  function drawChurn() {
    if (!document.querySelector('[data-list="churn"]')) { return Promise.resolve(); }
    return api("churn").then(function (d) { fillList("churn", d.customers, churnRow); });
  }
  function alertItem(a) {
    var li = el("li", { class: "dash-alert-item" });
    var text = a.fired_at + " · " + t("预警") + "「" + a.rule + "」" + t("投诉占比") + " " + a.share_pct + "%（" + a.matched + "/" + a.total + "）";
    li.appendChild(el(a.href ? "a" : "span", a.href ? { href: a.href } : {}, text));
    return li;
  }
  function drawAlerts() {
    return Promise.all([api("alerts"), api("themes")]).then(function (res) {
      var events = res[0].events;
      var emerging = res[1].emerging;
      fillList("alerts", events, alertItem);
      var banner = document.getElementById("dash-alerts");
      var ids = events.map(function (e) { return "a" + e.id; }).concat(emerging.map(function (e) { return "t" + e.key; }));
      var fresh = seenAlerts === null ? ids : ids.filter(function (i) { return seenAlerts.indexOf(i) < 0; });
      seenAlerts = ids;
      if (!ids.length) { banner.hidden = true; return; }
      banner.textContent = "";
      events.slice(0, 3).forEach(function (e) { banner.appendChild(alertItem(e)); });
      emerging.slice(0, 3).forEach(function (th) {
        var li = el("li", { class: "dash-alert-item" });
        li.appendChild(el(th.href ? "a" : "span", th.href ? { href: th.href } : {}, t("新出现的问题") + "：" + th.label + "（" + th.count + " " + t("条") + "）"));
        banner.appendChild(li);
      });
      banner.hidden = false;
      banner.classList.toggle("is-new", fresh.length > 0);
    });
  }

  function refresh() {
    var jobs = [drawTiles(), drawThemes(), drawChurn(), drawAlerts()];
    document.querySelectorAll("[data-chart]").forEach(function (node) { jobs.push(drawChart(node)); });
    return Promise.all(jobs.map(function (j) { return j.catch(function () { return null; }); })).then(function () {
      var stamp = document.getElementById("dash-updated");
      if (stamp) { stamp.textContent = t("刚刚更新") + " " + new Date().toLocaleTimeString(); }
      root.setAttribute("data-ready", "1");
    });
  }
  var gran = document.getElementById("dash-granularity");
  if (gran) {
    gran.addEventListener("change", function () { drawChart(document.querySelector('[data-chart="volume"]')); });
  }
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  refresh();
  window.setInterval(function () { if (!document.hidden) { refresh(); } }, refreshSeconds * 1000);
}());
