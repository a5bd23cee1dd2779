// The session pages: the server panel (fetched, so the page itself costs one session read),
// the server-load lab and the expiry lab.
(function () {
  "use strict";
  var lab = window.authlab;
  function byId(id) { return document.getElementById(id); }

  async function refreshPanels() {
    var panels = document.querySelectorAll("[data-panel]");
    for (var i = 0; i < panels.length; i++) {
      var panel = panels[i];
      var res = await fetch(panel.getAttribute("data-panel"), { credentials: "same-origin" });
      panel.innerHTML = await res.text();
      var note = document.createElement("p");
      note.className = "note cost";
      note.textContent = lab.t("js.session.panel_cost", { timing: res.headers.get("Server-Timing") || "" });
      panel.appendChild(note);
    }
  }
  refreshPanels();

  function dbCost(timing) {
    var match = /db;dur=([0-9.]+);desc="(\d+) quer/.exec(timing || "");
    return match ? { ms: match[1], queries: match[2] } : { ms: "?", queries: "?" };
  }

  // One row of the server-load table: what grows with the sessions the server keeps, beside
  // what one request costs, both measured now on this server.
  async function measureLoad() {
    var answer = await lab.postJson("/session/lab/load/measure", {});
    if (answer.status !== 200) { return; }
    var cost = answer.data;
    var reads = [];
    for (var i = 0; i < 5; i++) {
      var res = await fetch("/session/api/me", { credentials: "same-origin" });
      var db = dbCost(res.headers.get("Server-Timing"));
      if (res.status === 200 && db.ms !== "?") { reads.push(Number(db.ms)); }
    }
    reads.sort(function (a, b) { return a - b; });
    var request = reads.length ? lab.t("js.session.load_request", { ms: reads[Math.floor(reads.length / 2)].toFixed(2) }) : lab.t("js.session.load_request_none");
    var row = document.createElement("tr");
    [cost.totals.rows.toLocaleString(), lab.t("js.session.load_bytes", { data: cost.totals.bytes.toLocaleString(), file: cost.file_bytes.toLocaleString() }),
      cost.count_ms.toFixed(2) + " ms", cost.end_all_ms.toFixed(2) + " ms", cost.lookup_us.toFixed(1) + " µs", request].forEach(function (text) {
      var td = document.createElement("td");
      td.textContent = text;
      row.appendChild(td);
    });
    byId("load-costs").querySelector("tbody").appendChild(row);
    // Why one cost stays flat and the other grows, in SQLite's own words.
    lab.show(byId("load-plans"), lab.t("js.session.load_plans", { lookup: cost.lookup_plan, count: cost.count_plan }));
  }

  document.querySelectorAll("[data-load]").forEach(function (button) {
    button.addEventListener("click", async function () {
      var out = byId("load-result");
      lab.show(out, lab.t("js.session.load_working"));
      var answer = await lab.postJson("/session/lab/load", { count: Number(button.getAttribute("data-load")) });
      var totals = (answer.data && answer.data.totals) || {};
      lab.show(out, answer.status === 200
        ? lab.t("js.session.load_done", { created: answer.data.created, rows: totals.rows, bytes: totals.bytes })
        : lab.t("js.common.http_status", { status: answer.status }));
      await measureLoad();
      refreshPanels();
    });
  });

  var clear = byId("load-clear");
  if (clear) {
    clear.addEventListener("click", async function () {
      var answer = await lab.postJson("/session/lab/load/clear", {});
      var totals = (answer.data && answer.data.totals) || {};
      lab.show(byId("load-result"), lab.t("js.session.load_cleared", { removed: answer.data && answer.data.removed, rows: totals.rows }));
      await measureLoad();
      refreshPanels();
    });
  }

  var measure = byId("load-measure");
  if (measure) {
    measure.addEventListener("click", function () { measureLoad(); });
  }

  var busy = byId("stay-busy");
  if (busy) {
    busy.addEventListener("click", async function () {
      var out = byId("busy-result");
      var minutes = 0;
      var status = 200;
      while (status === 200 && minutes < 24 * 60) {
        var moved = await lab.postJson("/lab/clock", { advance: "20m" });
        if (moved.status !== 200) { lab.show(out, lab.t("js.lab.clock_failed")); return; }
        minutes += 20;
        status = (await fetch("/session/api/me", { credentials: "same-origin" })).status;
        lab.show(out, lab.t("js.session.busy_progress", { span: lab.span(minutes * 60), status: status }));
      }
      lab.show(out, lab.t("js.session.busy_done", { span: lab.span(minutes * 60) }));
      refreshPanels();
    });
  }
})();
