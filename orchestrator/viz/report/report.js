// The run report's timeline and its links to the graph and the tables.
// Everything shown comes from the JSON block #report-data, already worded by Python
// (orchestrator/viz/run_report.py); it is put on the page as text only (textContent, title),
// never parsed as HTML, so no task name, error or cause can change the page.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const span = data.span > 0 ? data.span : 1e-6;
  const chart = document.getElementById("timeline-chart");
  const detail = document.getElementById("detail");
  const byId = new Map(data.tasks.map((t) => [t.id, t]));

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  const pct = (seconds) => (100 * seconds) / span + "%";
  function place(node, start, end) {
    const from = Math.max(0, start);
    const to = end === null ? span : Math.max(end, from);
    node.style.left = pct(from);
    node.style.width = pct(to - from);
  }
  const colour = (state) => data.palette[state] || "#5f6368";

  function axis() {
    const row = el("div", "axis");
    row.setAttribute("aria-hidden", "true");
    row.append(el("div", "label", "seconds from the start"));
    const track = el("div", "track");
    for (const tick of data.ticks) {
      const mark = el("span", "tick", tick.label);
      mark.style.left = pct(tick.at);
      track.append(mark);
    }
    for (const at of data.redrives) {
      const mark = el("span", "redrive-mark", "redriven");
      mark.style.left = pct(at);
      track.append(mark);
    }
    row.append(track);
    return row;
  }

  function attemptBar(task, attempt) {
    const bar = el("div", "attempt state-" + attempt.outcome);
    if (attempt.end === null) bar.classList.add("unfinished");
    bar.dataset.task = task.id;
    bar.dataset.attempt = String(attempt.n);
    bar.dataset.outcome = attempt.outcome;
    bar.title = attempt.tip;
    bar.tabIndex = 0;
    bar.setAttribute("role", "img");
    bar.setAttribute("aria-label", attempt.tip);
    place(bar, attempt.start, attempt.end);
    return bar;
  }

  function waits(task, track) {
    for (let i = 1; i < task.attempts.length; i++) {
      const before = task.attempts[i - 1];
      const after = task.attempts[i];
      if (before.end === null || after.waitBefore === null) continue;
      const line = el("div", "wait");
      line.title = after.waitTip;
      place(line, before.end, after.start);
      track.append(line);
    }
  }

  function histogram(task, track) {
    const items = task.items;
    const band = el("div", "map-span");
    band.style.borderColor = colour(task.state);
    band.title = task.summary;
    place(band, task.start === null ? 0 : task.start, task.end);
    track.append(band);
    const buckets = items.buckets;
    if (!buckets) return;
    const totals = buckets.counts.map((c) => Object.values(c).reduce((a, b) => a + b, 0));
    const highest = Math.max(1, ...totals);
    const width = buckets.width > 0 ? buckets.width : span / 200;
    buckets.counts.forEach((counts, i) => {
      if (!totals[i]) return;
      const column = el("div", "bucket");
      const start = buckets.start + i * width;
      place(column, start, start + width);
      column.style.height = (100 * totals[i]) / highest + "%";
      column.title = buckets.tips[i];
      for (const outcome of data.outcomeOrder) {
        if (!counts[outcome]) continue;
        const part = el("span", "state-" + outcome);
        part.style.height = (100 * counts[outcome]) / totals[i] + "%";
        column.append(part);
      }
      track.append(column);
    });
  }

  function row(task) {
    const line = el("div", "row " + task.kind);
    line.dataset.task = task.id;
    line.setAttribute("role", "listitem");
    const label = el("div", "label");
    const name = el("div", "name", task.title + " ");
    const badge = el("span", "badge state-" + task.state, task.state);
    name.append(badge);
    label.append(name, el("div", "sub", task.summary));
    label.addEventListener("click", () => select(task.id));
    const track = el("div", "track");
    for (const at of data.redrives) {
      const line = el("div", "redrive");
      line.title = "the run was redriven here";
      line.style.left = pct(at);
      track.append(line);
    }
    if (task.items) {
      histogram(task, track);
    } else if (task.attempts.length) {
      waits(task, track);
      for (const attempt of task.attempts) track.append(attemptBar(task, attempt));
    } else {
      track.append(el("span", "none", task.summary));
    }
    line.append(label, track);
    return line;
  }

  function show(task) {
    detail.replaceChildren();
    detail.append(el("h3", null, task.title + " — " + task.state));
    for (const line of task.detail) {
      detail.append(line.pre ? el("pre", null, line.text) : el("p", null, line.text));
    }
    detail.hidden = false;
  }

  function select(id) {
    for (const node of document.querySelectorAll(".selected")) node.classList.remove("selected");
    for (const node of document.querySelectorAll('[data-task="' + CSS.escape(id) + '"]')) {
      if (!node.classList.contains("attempt")) node.classList.add("selected");
    }
    const task = byId.get(id);
    if (task) show(task);
  }

  chart.append(axis());
  for (const task of data.tasks) chart.append(row(task));
  chart.addEventListener("click", (event) => {
    const bar = event.target.closest(".attempt");
    if (bar) select(bar.dataset.task);
  });
  chart.addEventListener("keydown", (event) => {
    const bar = event.target.closest(".attempt");
    if (bar && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      select(bar.dataset.task);
    }
  });
  for (const node of document.querySelectorAll(".flow-graph .node[data-task]")) {
    node.addEventListener("click", () => {
      select(node.dataset.task);
      document.getElementById("timeline").scrollIntoView({ behavior: "smooth" });
    });
  }
  document.body.dataset.ready = "true"; // the browser test waits for this
})();
