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

  document.querySelectorAll("[data-load]").forEach(function (button) {
    button.addEventListener("click", async function () {
      var out = byId("load-result");
      lab.show(out, lab.t("js.session.load_working"));
      var answer = await lab.postJson("/session/lab/load", { count: Number(button.getAttribute("data-load")) });
      var totals = (answer.data && answer.data.totals) || {};
      lab.show(out, lab.t("js.session.load_done", { created: answer.data && answer.data.created, rows: totals.rows, bytes: totals.bytes }));
      refreshPanels();
    });
  });

  var clear = byId("load-clear");
  if (clear) {
    clear.addEventListener("click", async function () {
      var answer = await lab.postJson("/session/lab/load/clear", {});
      var totals = (answer.data && answer.data.totals) || {};
      lab.show(byId("load-result"), lab.t("js.session.load_cleared", { removed: answer.data && answer.data.removed, rows: totals.rows }));
      refreshPanels();
    });
  }

  var measure = byId("load-measure");
  if (measure) {
    measure.addEventListener("click", async function () {
      var lines = [];
      for (var i = 0; i < 5; i++) {
        var res = await fetch("/session/api/me", { credentials: "same-origin" });
        var cost = dbCost(res.headers.get("Server-Timing"));
        lines.push(lab.t("js.session.measure_line", { status: res.status, queries: cost.queries, ms: cost.ms }));
      }
      lab.show(byId("load-result"), lines.join("\n"));
    });
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
        lab.show(out, lab.t("js.session.busy_progress", { hours: Math.floor(minutes / 60), minutes: minutes % 60, status: status }));
      }
      lab.show(out, lab.t("js.session.busy_done", { hours: Math.floor(minutes / 60), minutes: minutes % 60 }));
    });
  }
})();
