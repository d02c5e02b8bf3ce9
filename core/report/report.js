// coex report page: draws a run or a comparison from the JSON embedded in the page
// (<script id="coex-data">), with Chart.js (inlined from Debian's libjs-chart.js). No request
// leaves the file. Tests and benchmarks read `window.coexReport`: the charts by name, `ready`,
// and `drawnMs` (milliseconds from navigation start to everything drawn).
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("coex-data").textContent);
  const R = (window.coexReport = { charts: {}, ready: false, drawnMs: null, data: D });
  const app = document.getElementById("app");
  Chart.defaults.animation = false;
  Chart.defaults.font.family = '"DejaVu Sans", sans-serif';
  Chart.defaults.font.size = 11;

  // ---- small helpers -------------------------------------------------------------------
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    if (typeof v !== "number") return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    return v.toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 4 : digits });
  }
  function duration(s) {
    if (!(s >= 0)) return "–";
    if (s < 60) return s.toFixed(1) + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
  }
  function section(title, id) {
    const s = el("section", { id: id }, el("h2", { text: title }));
    main.append(s);
    return s;
  }
  function chartBox(parent, title, id) {
    const canvas = el("canvas", { id: id });
    const box = el("div", { class: "chart" }, el("h3", { text: title }),
                   el("div", { class: "box" }, canvas));
    parent.append(box);
    return canvas;
  }
  // An <svg> of width x height and `mk(tag, attrs, text)`, which appends an element to it.
  function svgCanvas(width, height) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    const mk = (tag, attrs, text) => {
      const e = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      svg.append(e);
      return e;
    };
    return { svg, mk };
  }
  const tip = el("div", { id: "coex-tooltip" });
  document.body.append(tip);
  // Chart.js external tooltip: the hover text lives in #coex-tooltip, so it can be read.
  function externalTooltip(lines) {
    return function (context) {
      const t = context.tooltip;
      if (!t || t.opacity === 0 || !t.dataPoints || !t.dataPoints.length) {
        tip.style.display = "none";
        return;
      }
      tip.textContent = lines(t.dataPoints[0]);
      const r = context.chart.canvas.getBoundingClientRect();
      tip.style.display = "block";
      tip.style.left = Math.min(r.left + t.caretX + 14, window.innerWidth - 470) + "px";
      tip.style.top = r.top + t.caretY + 14 + "px";
    };
  }
  // Straight lines at spec bounds: {x: [..]} vertical, {y: [..]} horizontal.
  const specLines = {
    id: "coexSpecLines",
    afterDatasetsDraw(chart, args, opts) {
      const { ctx, chartArea: a, scales } = chart;
      ctx.save();
      ctx.setLineDash([6, 4]);
      ctx.strokeStyle = "#d1361f";
      ctx.lineWidth = 1.2;
      ctx.fillStyle = "#d1361f";
      for (const l of opts.lines || []) {
        const s = scales[l.axis];
        if (!s) continue;
        const p = s.getPixelForValue(l.value);
        ctx.beginPath();
        if (l.axis === "x") {
          if (p < a.left || p > a.right) continue;
          ctx.moveTo(p, a.top);
          ctx.lineTo(p, a.bottom);
          ctx.fillText(l.label, p + 4, a.top + 12);
        } else {
          if (p < a.top || p > a.bottom) continue;
          ctx.moveTo(a.left, p);
          ctx.lineTo(a.right, p);
          ctx.fillText(l.label, a.left + 4, p - 4);
        }
        ctx.stroke();
      }
      ctx.restore();
    },
  };
  Chart.register(specLines);

  const main = el("main");
  if (D.kind === "run") runReport();
  else comparisonReport();
  app.append(main);
  // Everything is drawn when the frame after the charts' construction is painted.
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      R.drawnMs = performance.now();
      R.ready = true;
      document.body.setAttribute("data-ready", "1");
    }));

  // ---- run report ----------------------------------------------------------------------
  function runReport() {
    const C = D.cols, S = D.strings, ctx = D.context || {};
    const n = C.seq.length;
    const front = new Set(D.pareto);
    const metricInfo = {};
    for (const m of ctx.metrics || []) metricInfo[m.name] = m;
    const unitOf = (m) => (metricInfo[m] && metricInfo[m].unit ? " (" + metricInfo[m].unit + ")" : "");

    // Header
    const head = el("header", {}, el("h1", { text: "coex run " + (ctx.name || "") }),
                    el("div", { class: "sub", text: "Report generated " + D.generated + " from " + n +
                                " committed candidates" }));
    const facts = el("div", { class: "facts" });
    const fact = (k, v) => facts.append(el("div", { class: "fact" }, el("b", { text: k }), v));
    fact("seed", String(ctx.seed));
    if (ctx.config) fact("config", ctx.config);
    for (const p of ctx.plugins || [])
      fact(p.kind, p.name + (p.version ? " " + p.version : ""));
    if (ctx.hardware_mode) fact("hardware designs", ctx.hardware_mode);
    const b = ctx.budget || {};
    const trained = C.trained.reduce((a, x) => a + x, 0);
    fact("budget used", n + (b.candidates ? " / " + b.candidates : "") + " candidates, " + trained +
         (b.trainings ? " / " + b.trainings : "") + " trainings");
    fact("time in fast level", duration(D.fast_s));
    fact("time in slow level", duration(D.slow_s));
    fact("by status", Object.entries(D.counts).map(([k, v]) => k + " " + v).join(", "));
    if ((ctx.specs || []).length) fact("specs", ctx.specs.map((s) => s.text).join(", "));
    head.append(facts);
    app.append(head);

    // Pareto front: accuracy against each hardware objective.
    const objectives = (ctx.objectives && ctx.objectives.length ? ctx.objectives
                        : Object.keys(D.metrics).slice(0, 2)).filter((m) => D.metrics[m]);
    const pf = section("Pareto front", "pareto");
    pf.append(el("p", { class: "note", text: "Evaluated candidates in blue, the front (specs met) " +
      "in red, pruned candidates (not trained: drawn at accuracy 0) in grey. Dashed lines: specs." +
      (objectives.length > 1 ? " The front is over accuracy and all " + objectives.length +
       " hardware objectives; each chart shows it against one." : "") }));
    const grid = el("div", { class: "charts" });
    pf.append(grid);
    const accSpec = (ctx.specs || []).filter((s) => s.metric === "accuracy");
    function pointText(i) {
      const lines = ["#" + C.seq[i] + "  " + C.status[i] + (C.cached[i] ? " (cached)" : "") +
                     "  reward " + fmt(C.reward[i])];
      if (S[C.desc[i]]) lines.push(S[C.desc[i]]);
      if (S[C.net[i]]) lines.push("network: " + S[C.net[i]]);
      if (S[C.hw[i]]) lines.push("hardware: " + S[C.hw[i]]);
      const ms = ["accuracy " + fmt(C.accuracy[i])];
      for (const m of Object.keys(D.metrics)) if (D.metrics[m][i] != null) ms.push(m + " " + fmt(D.metrics[m][i]));
      lines.push(ms.join(", "));
      if (C.status[i] !== "evaluated" && S[C.reason[i]]) lines.push("why: " + S[C.reason[i]]);
      return lines.join("\n");
    }
    for (const m of objectives) {
      const col = D.metrics[m];
      const evald = [], pruned = [], onFront = [];
      for (let i = 0; i < n; i++) {
        if (col[i] == null) continue;
        if (front.has(i)) onFront.push({ x: col[i], y: C.accuracy[i], i });
        else if (C.accuracy[i] != null) evald.push({ x: col[i], y: C.accuracy[i], i });
        else pruned.push({ x: col[i], y: 0, i });
      }
      onFront.sort((a, b2) => a.x - b2.x);
      const lines = [];
      for (const s of ctx.specs || [])
        if (s.metric === m) lines.push({ axis: "x", value: s.bound, label: s.text });
      for (const s of accSpec) lines.push({ axis: "y", value: s.bound, label: s.text });
      const canvas = chartBox(grid, "accuracy vs " + m + unitOf(m), "pareto-" + m);
      R.charts["pareto:" + m] = new Chart(canvas, {
        type: "scatter",
        data: { datasets: [
          { label: "pruned", data: pruned, backgroundColor: "rgba(140,148,160,0.45)", pointRadius: 2 },
          { label: "evaluated", data: evald, backgroundColor: "rgba(31,111,209,0.55)", pointRadius: 2.5 },
          // Joined only when the front is two-dimensional: with more hardware objectives this
          // chart is one projection of it, where a line would suggest a trade-off that is not.
          { label: "Pareto front", data: onFront, backgroundColor: "#d1361f", borderColor: "#d1361f",
            pointRadius: 4, showLine: objectives.length === 1, borderWidth: 1 },
        ] },
        options: {
          parsing: false, normalized: true, maintainAspectRatio: false,
          scales: { x: { title: { display: true, text: m + unitOf(m) },
                         type: logScale(col) ? "logarithmic" : "linear" },
                    y: { title: { display: true, text: "accuracy" } } },
          plugins: { tooltip: { enabled: false, external: externalTooltip((p) => pointText(p.raw.i)) },
                     coexSpecLines: { lines } },
          interaction: { mode: "nearest", intersect: true },
        },
      });
    }
    if (!objectives.length) pf.append(el("p", { class: "empty", text: "No hardware objective has values yet." }));

    // Best reward over candidates and over wall time (the steps only).
    const best = section("Best reward", "best-reward");
    const g2 = el("div", { class: "charts" });
    best.append(g2);
    const byCand = [], byTime = [];
    let top = -Infinity;
    for (let i = 0; i < n; i++) {
      if (C.reward[i] > top) {
        top = C.reward[i];
        byCand.push({ x: C.seq[i] + 1, y: top, i });
        byTime.push({ x: C.t[i], y: top, i });
      }
    }
    if (n) {
      byCand.push({ x: C.seq[n - 1] + 1, y: top, i: n - 1 });
      byTime.push({ x: C.t[n - 1], y: top, i: n - 1 });
    }
    const stepChart = (id, data, xlabel) => new Chart(chartBox(g2, "best reward vs " + xlabel, id), {
      type: "line",
      data: { datasets: [{ label: "best reward", data, stepped: "before", borderColor: "#1f6fd1",
                           pointRadius: 2, borderWidth: 2 }] },
      options: { parsing: false, maintainAspectRatio: false,
                 scales: { x: { type: "linear", title: { display: true, text: xlabel } },
                           y: { title: { display: true, text: "reward" } } },
                 plugins: { legend: { display: false },
                            tooltip: { enabled: false, external: externalTooltip((p) => pointText(p.raw.i)) } } },
    });
    R.charts["best:candidates"] = stepChart("best-candidates", byCand, "candidates");
    R.charts["best:time"] = stepChart("best-time", byTime, "wall time (s)");

    // Funnel
    const fu = section("Funnel", "funnel");
    const F = D.funnel;
    const box = el("div", { class: "funnel" });
    const maxN = Math.max(1, F.proposed);
    const bar = (label, v, cls) => box.append(el("div", { class: "row" },
      el("div", { class: "label", text: label, title: label }),
      el("div", { class: "bar " + (cls || ""), style: "width:" + (600 * v / maxN) + "px" }),
      el("div", { class: "n", text: String(v) })));
    bar("proposed", F.proposed);
    bar("invalid (no network)", F.invalid, "grey");
    bar("pruned by the fast level", F.pruned, "red");
    for (const [why, v] of Object.entries(F.pruned_by).sort((a, b2) => b2[1] - a[1]))
      bar("  " + why, v, "red");
    bar("evaluated", F.evaluated);
    bar("  trained (estimator ran)", F.trained);
    bar("  answered from the cache", F.cached, "grey");
    bar("failed", F.failed, "grey");
    fu.append(box);

    candidateTable(objectives, front, pointText);
    bestPair();
    calibration();
  }

  function logScale(col) {
    let lo = Infinity, hi = -Infinity;
    for (const v of col) if (v != null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    return lo > 0 && hi / lo > 1000;
  }

  // A sortable, filterable, paginated table of every candidate.
  function candidateTable(objectives, front) {
    const C = D.cols, S = D.strings, n = C.seq.length;
    const sec = section("Candidates", "candidates");
    const cols = [
      { key: "seq", label: "seq", num: true, get: (i) => C.seq[i] },
      { key: "status", label: "status", get: (i) => C.status[i] + (C.cached[i] ? " (cached)" : "") },
      { key: "reward", label: "reward", num: true, get: (i) => C.reward[i] },
      { key: "accuracy", label: "accuracy", num: true, get: (i) => C.accuracy[i] },
    ];
    for (const m of Object.keys(D.metrics))
      if (objectives.includes(m) || cols.length < 7)
        cols.push({ key: "m:" + m, label: m, num: true, get: (i) => D.metrics[m][i] });
    cols.push({ key: "desc", label: "network", get: (i) => S[C.desc[i]] || S[C.net[i]] });
    cols.push({ key: "reason", label: "reason", get: (i) => S[C.reason[i]] });
    const pageSize = 50;
    let order = [...Array(n).keys()], shown = order, page = 0, sortKey = "seq", asc = true;
    const filter = el("input", { type: "search", placeholder: "filter: text in any column", id: "coex-filter" });
    const count = el("span", { id: "coex-count" });
    const prev = el("button", { text: "◀ previous", id: "coex-prev" });
    const next = el("button", { text: "next ▶", id: "coex-next" });
    const pageLabel = el("span", { id: "coex-page" });
    sec.append(el("div", { class: "controls" }, filter, count, prev, pageLabel, next));
    const table = el("table", { class: "data", id: "coex-table" });
    const thead = el("thead"), tbody = el("tbody");
    const hr = el("tr");
    for (const c of cols) {
      hr.append(el("th", { text: c.label, "data-key": c.key, onclick: () => {
        asc = sortKey === c.key ? !asc : true;
        sortKey = c.key;
        apply();
      } }));
    }
    thead.append(hr);
    table.append(thead, tbody);
    sec.append(table);
    function apply() {
      const c = cols.find((x) => x.key === sortKey);
      order = [...Array(n).keys()].sort((a, b) => {
        const va = c.get(a), vb = c.get(b);
        if (va == null && vb == null) return a - b;
        if (va == null) return 1;
        if (vb == null) return -1;
        const r = c.num ? va - vb : String(va).localeCompare(String(vb));
        return (asc ? r : -r) || a - b;
      });
      const q = filter.value.trim().toLowerCase();
      shown = q ? order.filter((i) => cols.some((c2) => {
        const v = c2.get(i);
        return v != null && String(v).toLowerCase().includes(q);
      })) : order;
      page = 0;
      render();
    }
    function render() {
      const pages = Math.max(1, Math.ceil(shown.length / pageSize));
      page = Math.min(page, pages - 1);
      tbody.textContent = "";
      for (const i of shown.slice(page * pageSize, (page + 1) * pageSize)) {
        const tr = el("tr", { class: front.has(i) ? "front" : "", "data-seq": String(C.seq[i]) });
        for (const c of cols) {
          const v = c.get(i);
          tr.append(el("td", { class: c.num ? "num" : "", text: c.num ? fmt(v) : v == null ? "" : String(v) }));
        }
        tbody.append(tr);
      }
      count.textContent = shown.length + " of " + n + " candidates";
      count.setAttribute("data-shown", String(shown.length));
      count.setAttribute("data-total", String(n));
      pageLabel.textContent = "page " + (page + 1) + " of " + pages;
    }
    filter.addEventListener("input", apply);
    prev.addEventListener("click", () => { page = Math.max(0, page - 1); render(); });
    next.addEventListener("click", () => { page = page + 1; render(); });
    R.table = { apply, render, filter };
    render();
  }

  // The best pair: its network as a layer graph and its hardware design with the breakdown.
  function bestPair() {
    const B = D.best;
    const sec = section("Best pair", "best-pair");
    if (!B) {
      sec.append(el("p", { class: "empty", text: "No candidate evaluated yet." }));
      return;
    }
    sec.append(el("p", { text: "#" + B.seq + " " + (B.description || "") }));
    const left = el("div", {}, el("h3", { text: "Network: " + B.network_summary }));
    const right = el("div", {}, el("h3", { text: "Hardware: " + B.hardware_summary }));
    sec.append(el("div", { class: "pair" }, left, right));
    if (B.network) left.append(el("div", { class: "netgraph", id: "coex-netgraph" }, networkSvg(B.network)));
    right.append(el("pre", { class: "detail", text: JSON.stringify(B.hardware_detail, null, 1) }));
    const bd = B.breakdown;
    if (!bd) {
      right.append(el("p", { class: "note", text: B.breakdown_note || "no breakdown" }));
      return;
    }
    right.append(el("p", { class: "note", text: bd.note }));
    const canvas = chartBox(right, bd.columns[0].name + " per " + bd.part_kind +
                            (bd.columns[0].unit ? " (" + bd.columns[0].unit + ")" : ""), "breakdown-chart");
    R.charts.breakdown = new Chart(canvas, {
      type: "bar",
      data: { labels: bd.parts.map((p) => p.name),
              datasets: [{ label: bd.columns[0].name, data: bd.parts.map((p) => p.values[0]),
                           backgroundColor: "#1f6fd1" }] },
      options: { indexAxis: "y", maintainAspectRatio: false, plugins: { legend: { display: false },
                 tooltip: { callbacks: { afterLabel: (c) => bd.parts[c.dataIndex].detail } } } },
    });
    const t = el("table", { class: "data", id: "coex-breakdown" });
    const hr = el("tr", {}, el("th", { text: bd.part_kind }), el("th", { text: "detail" }));
    for (const c of bd.columns) hr.append(el("th", { text: c.name + (c.unit ? " (" + c.unit + ")" : ""), title: c.doc }));
    t.append(el("thead", {}, hr));
    const tb = el("tbody");
    for (const p of bd.parts) {
      const tr = el("tr", {}, el("td", { text: p.name }), el("td", { text: p.detail }));
      for (const v of p.values) tr.append(el("td", { class: "num", text: fmt(v) }));
      tb.append(tr);
    }
    t.append(tb);
    right.append(t);
  }

  // SVG layer graph: nodes by depth (longest path from the input), one row per depth.
  function networkSvg(net) {
    const nodes = net.nodes || [];
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const depth = new Map();
    for (const n of nodes) depth.set(n.id, n.inputs.length ? 1 + Math.max(...n.inputs.map((i) => depth.get(i) || 0)) : 0);
    const rows = [];
    for (const n of nodes) (rows[depth.get(n.id)] = rows[depth.get(n.id)] || []).push(n);
    const w = 170, h = 34, gx = 14, gy = 22;
    const width = Math.max(...rows.map((r) => r.length)) * (w + gx) + gx;
    const height = rows.length * (h + gy) + gy;
    const pos = new Map();
    rows.forEach((r, d) => r.forEach((n, k) => {
      const x0 = (width - r.length * (w + gx) + gx) / 2;
      pos.set(n.id, { x: x0 + k * (w + gx), y: gy + d * (h + gy) });
    }));
    const { svg, mk } = svgCanvas(width, height);
    for (const n of nodes)
      for (const i of n.inputs) {
        const a = pos.get(i), b = pos.get(n.id);
        if (a && b) mk("line", { x1: a.x + w / 2, y1: a.y + h, x2: b.x + w / 2, y2: b.y, stroke: "#9aa3b0" });
      }
    const colour = { conv2d: "#dbe8fb", shift_conv2d: "#e4f4e0", adder_conv2d: "#f6ecd9", linear: "#efe1f7",
                     input: "#eeeeee", zero: "#fbfbfb" };
    for (const n of nodes) {
      const p = pos.get(n.id);
      const g = mk("g", { class: "node", "data-id": n.id });
      const inShape = n.inputs.length && byId.get(n.inputs[0]) ? byId.get(n.inputs[0]).shape : null;
      let label = n.op, params = 0;
      if (n.kernel) label += " " + n.kernel + "x" + n.kernel + (n.stride > 1 ? "/" + n.stride : "");
      if (n.activation) label += " " + n.activation;
      if (n.out_channels && inShape) {
        const cin = inShape[0];
        params = n.op === "linear" ? cin * inShape[1] * inShape[2] * n.out_channels
                                   : (cin / (n.groups || 1)) * n.kernel * n.kernel * n.out_channels;
        if (n.bias) params += n.out_channels;
      }
      if (n.op === "batch_norm") params = 2 * n.shape[0];
      const rect = mk("rect", { x: p.x, y: p.y, width: w, height: h, rx: 5,
                                fill: colour[n.op] || "#ffffff", stroke: "#5d6675" });
      g.append(rect);
      g.append(mk("text", { x: p.x + 6, y: p.y + 14 }, "#" + n.id + " " + label));
      g.append(mk("text", { x: p.x + 6, y: p.y + 28, fill: "#5d6675" },
                  n.shape.join("×") + (params ? "  " + fmt(params, 0) + " p" : "")));
      g.append(mk("title", {}, JSON.stringify(n)));
    }
    return svg;
  }

  function calibration() {
    const cal = D.calibration;
    if (!cal) return;
    const sec = section("Calibration", "calibration");
    if (cal.error) {
      sec.append(el("p", { class: "empty", text: cal.error }));
      return;
    }
    const q = cal.calibrated || {};
    sec.append(el("p", { class: "note", text: "Profile " + cal.profile + ": on the " + (cal.checked_on || "") +
      ", Kendall tau " + fmt(q.kendall_tau, 3) + ", Spearman rho " + fmt(q.spearman_rho, 3) +
      ", within ±10 % " + fmt(100 * q.within_10pct, 1) + " %, MAPE " + fmt(100 * q.mape, 1) + " %." }));
    const pts = cal.points || [];
    if (!pts.length) {
      sec.append(el("p", { class: "empty", text: "The profile holds no per-network predictions (made by an older coex calibrate)." }));
      return;
    }
    const grid = el("div", { class: "charts" });
    sec.append(grid);
    const fit = pts.filter((p) => !p.held_out).map((p) => ({ x: p.measured_ms, y: p.predicted_ms, k: p.key }));
    const held = pts.filter((p) => p.held_out).map((p) => ({ x: p.measured_ms, y: p.predicted_ms, k: p.key }));
    let lo = Infinity, hi = 0;
    for (const p of pts) { lo = Math.min(lo, p.measured_ms, p.predicted_ms); hi = Math.max(hi, p.measured_ms, p.predicted_ms); }
    R.charts.calibration = new Chart(chartBox(grid, "predicted vs measured latency (ms)", "calibration-chart"), {
      type: "scatter",
      data: { datasets: [
        { label: "fitted on", data: fit, backgroundColor: "rgba(140,148,160,0.6)", pointRadius: 2.5 },
        { label: "held out", data: held, backgroundColor: "rgba(31,111,209,0.75)", pointRadius: 3 },
        { label: "predicted = measured", data: [{ x: lo, y: lo }, { x: hi, y: hi }], showLine: true,
          borderColor: "#d1361f", pointRadius: 0, borderDash: [5, 4] },
      ] },
      options: { parsing: false, maintainAspectRatio: false,
                 scales: { x: { type: "logarithmic", title: { display: true, text: "measured (ms)" } },
                           y: { type: "logarithmic", title: { display: true, text: "predicted (ms)" } } },
                 plugins: { tooltip: { callbacks: { label: (c) => (c.raw.k || "") + ": measured " +
                   fmt(c.raw.x) + " ms, predicted " + fmt(c.raw.y) + " ms" } } } },
    });
  }

  // ---- comparison report ---------------------------------------------------------------
  function comparisonReport() {
    const X = D.comparison;
    const head = el("header", {}, el("h1", { text: "coex comparison " + D.name }),
                    el("div", { class: "sub", text: "Report generated " + D.generated + ": " +
                      X.controllers.length + " controllers, " + X.runs.length + " runs" }));
    const facts = el("div", { class: "facts" });
    const fact = (k, v) => facts.append(el("div", { class: "fact" }, el("b", { text: k }), v));
    fact("objectives", X.objectives.join(", "));
    fact("specs", X.specs.length ? X.specs.join(", ") : "none");
    fact("target reward", fmt(X.target));
    fact("budget steps", X.steps.length ? X.steps[0] + " … " + X.steps[X.steps.length - 1] + " candidates" : "–");
    head.append(facts);
    app.append(head);
    const palette = ["#1f6fd1", "#d1361f", "#2a9d5b", "#9b51c9", "#d68a00", "#00838f", "#7a4b2a", "#5d6675"];
    const colour = (k) => palette[k % palette.length];

    const sec = section("Anytime curves", "anytime");
    sec.append(el("p", { class: "note", text: "Best reward after each budget step: median over seeds, band from the first to the third quartile." }));
    const grid = el("div", { class: "charts" });
    sec.append(grid);
    const datasets = [];
    X.controllers.forEach((c, k) => {
      const col = colour(k);
      datasets.push({ label: c.controller + " q1", data: c.curve.map((p, s) => ({ x: X.steps[s], y: p[1] })),
                      borderColor: "transparent", pointRadius: 0, fill: false, coexBand: true });
      datasets.push({ label: c.controller + " q3", data: c.curve.map((p, s) => ({ x: X.steps[s], y: p[2] })),
                      borderColor: "transparent", backgroundColor: col + "33", pointRadius: 0,
                      fill: "-1", coexBand: true });
      datasets.push({ label: c.controller, data: c.curve.map((p, s) => ({ x: X.steps[s], y: p[0] })),
                      borderColor: col, backgroundColor: col, pointRadius: 2, borderWidth: 2 });
    });
    R.charts.anytime = new Chart(chartBox(grid, "best reward vs candidates", "anytime-chart"), {
      type: "line",
      data: { datasets },
      options: { parsing: false, maintainAspectRatio: false,
                 scales: { x: { type: "linear", title: { display: true, text: "candidates" } },
                           y: { title: { display: true, text: "best reward" } } },
                 plugins: { legend: { labels: { filter: (item, data) => !data.datasets[item.datasetIndex].coexBand } } } },
    });

    const sb = section("Final best reward and hypervolume", "boxes");
    const g2 = el("div", { class: "charts" });
    sb.append(g2);
    g2.append(boxPlot("final best reward", X.controllers.map((c) => c.controller), X.controllers.map((c) => c.final_best), colour, "box-final"));
    g2.append(boxPlot("hypervolume of the front (specs met)", X.controllers.map((c) => c.controller), X.controllers.map((c) => c.hypervolume), colour, "box-hv"));

    const st = section("Specs and evaluations to target", "targets");
    const t = el("table", { class: "data", id: "coex-summary" });
    t.append(el("thead", {}, el("tr", {}, ...["controller", "runs", "runs meeting the specs", "median final best",
      "runs reaching the target", "median evaluations to target"].map((h) => el("th", { text: h })))));
    const tb = el("tbody");
    for (const c of X.controllers) {
      const med = (v) => { if (!v.length) return null; const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
      tb.append(el("tr", {}, el("td", { text: c.controller }), el("td", { class: "num", text: String(c.runs) }),
        el("td", { class: "num", text: c.met_specs + " of " + c.runs + " (" + fmt(100 * c.met_specs / Math.max(1, c.runs), 0) + " %)" }),
        el("td", { class: "num", text: fmt(med(c.final_best)) }),
        el("td", { class: "num", text: c.to_target.length + " of " + c.runs }),
        el("td", { class: "num", text: fmt(med(c.to_target), 1) })));
    }
    t.append(tb);
    st.append(t);

    const sp = section("Mann–Whitney p-values (final best reward)", "pvalues");
    const names = X.controllers.map((c) => c.controller);
    const p = {};
    for (const q of X.pairs) { p[q.a + "|" + q.b] = q.p; p[q.b + "|" + q.a] = q.p; }
    const h = el("table", { class: "data heat", id: "coex-heatmap" });
    h.append(el("thead", {}, el("tr", {}, el("th", { text: "" }), ...names.map((nm) => el("th", { text: nm })))));
    const hb = el("tbody");
    for (const a of names) {
      const tr = el("tr", {}, el("th", { text: a }));
      for (const b of names) {
        const v = a === b ? null : p[a + "|" + b];
        const shade = v == null ? "#f6f8fb" : "hsl(" + Math.round(120 * Math.min(1, v / 0.1)) + ",70%,80%)";
        tr.append(el("td", { text: v == null ? "" : fmt(v, 4), style: "background:" + shade }));
      }
      hb.append(tr);
    }
    h.append(hb);
    sp.append(el("p", { class: "note", text: "Two-sided test per pair; red: p < 0.05 (the controllers differ), green: no evidence of a difference." }), h);
  }

  // Box plot in SVG: whiskers at min and max, box from q1 to q3, line at the median, each run a dot.
  function boxPlot(title, labels, samples, colour, id) {
    const W = 520, H = 320, L = 60, B = 40, T = 10;
    const all = samples.flat().filter((v) => Number.isFinite(v));
    let lo = Math.min(...all), hi = Math.max(...all);
    if (!all.length) { lo = 0; hi = 1; }
    if (hi === lo) { hi += 0.5; lo -= 0.5; }
    const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
    const { svg, mk } = svgCanvas(W, H);
    svg.id = id;
    for (let k = 0; k <= 4; k++) {
      const v = lo + (hi - lo) * k / 4;
      mk("line", { x1: L, x2: W - 10, y1: y(v), y2: y(v), stroke: "#eef0f4" });
      mk("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11 }, fmt(v, 3));
    }
    const bw = (W - L - 20) / Math.max(1, labels.length);
    labels.forEach((lab, k) => {
      const s = samples[k].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
      const cx = L + bw * (k + 0.5);
      mk("text", { x: cx, y: H - 18, "text-anchor": "middle", "font-size": 12 }, lab);
      if (!s.length) return;
      const q = (f) => { const i = (s.length - 1) * f, a = Math.floor(i), b = Math.ceil(i); return s[a] + (s[b] - s[a]) * (i - a); };
      const c = colour(k);
      mk("line", { x1: cx, x2: cx, y1: y(s[0]), y2: y(s[s.length - 1]), stroke: c });
      mk("rect", { x: cx - bw * 0.2, width: bw * 0.4, y: y(q(0.75)), height: Math.max(1, y(q(0.25)) - y(q(0.75))),
                   fill: c + "33", stroke: c });
      mk("line", { x1: cx - bw * 0.2, x2: cx + bw * 0.2, y1: y(q(0.5)), y2: y(q(0.5)), stroke: c, "stroke-width": 2.5 });
      s.forEach((v, j) => mk("circle", { cx: cx + bw * 0.28 + (j % 5) * 3, cy: y(v), r: 2.2, fill: c, class: "run" }));
    });
    return el("div", { class: "chart" }, el("h3", { text: title }), svg);
  }
})();
