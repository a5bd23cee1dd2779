// The instructor page: the class figures refreshed every few seconds, and the server-wide
// actions (the class clock, rotate every lab's keys, reset every lab).
(function () {
  "use strict";
  var lab = window.authlab;
  var root = document.getElementById("class-load");
  if (!lab || !root) { return; }
  var answer = document.getElementById("class-answer");

  async function refresh() {
    var res = await fetch("/instructor/api/class", { credentials: "same-origin" });
    if (res.status !== 200) { return; }
    var data = await res.json();
    var learners = document.getElementById("class-learners");
    if (learners) {
      learners.textContent = lab.t("js.instructor.learners", { active: data.active, labs: data.labs, max: data.max_labs });
    }
    data.schemes.forEach(function (s) {
      var row = document.getElementById("load-" + s.scheme);
      if (!row) { return; }
      row.querySelector(".rows").textContent = String(s.rows);
      row.querySelector(".bytes").textContent = String(s.bytes);
      row.querySelector(".requests").textContent = String(s.requests);
      row.querySelector(".mean").textContent = s.mean_ms.toFixed(2) + " ms";
    });
    (data.challenges || []).forEach(function (c) {
      var row = document.getElementById("progress-" + c.id);
      if (!row) { return; }
      row.querySelector(".solved").textContent = String(c.solved);
      row.querySelector(".started").textContent = String(c.started);
    });
  }

  async function act(path, body, done) {
    var result = await lab.postJson(path, body);
    lab.show(answer, result.status === 200
      ? lab.t(done, { labs: result.data.labs })
      : lab.t("js.common.http_status", { status: result.status }) + " " + JSON.stringify(result.data));
    refresh();
  }

  document.querySelectorAll("[data-class-clock]").forEach(function (button) {
    button.addEventListener("click", function () {
      var value = button.getAttribute("data-class-clock");
      act("/instructor/api/clock", value === "reset" ? { reset: true } : { advance: value }, "js.instructor.clock_done");
    });
  });
  [["class-rotate", "/instructor/api/rotate-keys", "js.instructor.rotate_done"],
    ["class-reset", "/instructor/api/reset", "js.instructor.reset_done"]].forEach(function (spec) {
    var button = document.getElementById(spec[0]);
    if (!button) { return; }
    button.addEventListener("click", function () {
      if (!window.confirm(button.getAttribute("data-confirm"))) { return; }
      act(spec[1], { confirm: true }, spec[2]);
    });
  });

  setInterval(refresh, 3000);
})();
