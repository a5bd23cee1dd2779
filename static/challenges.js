// The challenges: hints one at a time (the server remembers them), the solution after the last
// hint, the state that flips by itself when the learner's own request solves a challenge (the
// page asks /lab/progress every few seconds), and clearing the progress, asked first.
(function () {
  "use strict";
  var lab = window.authlab;
  function byId(id) { return document.getElementById(id); }
  var STATES = {
    not_started: lab.t("js.challenges.state.not_started"),
    started: lab.t("js.challenges.state.started"),
    solved: lab.t("js.challenges.state.solved")
  };

  // Every state badge on the page, from /lab/progress.
  async function poll() {
    var res;
    try { res = await fetch("/lab/progress", { credentials: "same-origin", headers: { Accept: "application/json" } }); } catch (e) { return; }
    if (res.status !== 200) { return; }
    var data = await res.json();
    data.challenges.forEach(function (c) {
      document.querySelectorAll('[data-state-of="' + c.id + '"]').forEach(function (badge) {
        badge.className = "state state-" + c.state;
        badge.textContent = STATES[c.state] || c.state;
      });
      var page = byId("challenge-page");
      if (page && page.getAttribute("data-challenge") === c.id && c.solved_by) {
        var by = byId("challenge-solved-by");
        if (by && !by.querySelector("code")) {
          by.textContent = lab.t("js.challenges.solved_by") + " ";
          var code = document.createElement("code");
          code.textContent = c.solved_by;
          by.appendChild(code);
        }
      }
    });
    var summary = byId("progress-summary");
    if (summary) { summary.textContent = lab.t("js.challenges.summary", { solved: data.solved, total: data.total }); }
  }
  if (document.querySelector("[data-state-of]")) {
    setInterval(poll, 3000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });
  }

  var page = byId("challenge-page");
  if (page) {
    var id = page.getAttribute("data-challenge");
    var total = Number(page.getAttribute("data-hints"));
    var next = byId("hint-next");
    var show = byId("solution-show");
    // Each hint comes from the server when asked for: the page holds only those shown.
    next.addEventListener("click", async function () {
      var answer = await lab.postJson("/lab/progress/" + id + "/hint", {});
      if (answer.status !== 200) { return; }
      var n = answer.data.hints_shown;
      if (!byId("hint-" + n)) {
        var item = document.createElement("li");
        item.id = "hint-" + n;
        item.className = "prewrap";
        item.textContent = answer.data.text;
        byId("hints").appendChild(item);
      }
      next.hidden = n >= total;
      show.hidden = n < total;
      poll();
    });
    show.addEventListener("click", async function () {
      var answer = await lab.postJson("/lab/progress/" + id + "/solution", {});
      if (answer.status !== 200) { return; }
      byId("solution-text").textContent = answer.data.text;
      byId("solution").hidden = false;
      show.hidden = true;
      poll();
    });
  }

  var clear = byId("progress-clear");
  if (clear) {
    clear.addEventListener("click", async function () {
      var solved = document.querySelectorAll(".state-solved").length;
      var started = document.querySelectorAll(".state-started").length;
      if (!window.confirm(lab.t("js.challenges.clear_confirm", { solved: solved, started: started }))) { return; }
      var answer = await lab.postJson("/lab/progress/clear", { confirm: true });
      var message = byId("progress-message");
      if (message) { message.textContent = answer.status === 200 ? lab.t("js.challenges.cleared") : ("HTTP " + answer.status); }
      poll();
    });
  }
})();
