// The stolen-credential labs of the cookie and session pages: keep a copy of the HttpOnly cookie
// (the server printed its value into the page), then have the server replay it.
(function () {
  "use strict";
  var lab = window.authlab;
  function byId(id) { return document.getElementById(id); }

  var keep = byId("stolen-keep");
  if (keep) {
    keep.addEventListener("click", function () {
      sessionStorage.setItem(keep.getAttribute("data-store"), keep.getAttribute("data-cookie"));
      keep.textContent = lab.t("js.cookie.kept_copy");
    });
  }

  var replay = byId("stolen-replay");
  if (replay) {
    replay.addEventListener("click", async function () {
      var copy = sessionStorage.getItem(replay.getAttribute("data-store"));
      var out = byId("stolen-answer");
      if (!copy) {
        lab.show(out, lab.t("js.cookie.no_copy"));
        return;
      }
      var answer = await lab.postJson(replay.getAttribute("data-endpoint"), { cookie: copy });
      var result = answer.data || {};
      var accepted = result.status >= 200 && result.status < 300;
      var body = null;
      try { body = JSON.parse(result.body || "null"); } catch (e) { body = null; }
      var why = lab.refusal(body);
      lab.show(out, (accepted ? lab.t("js.replay.accepted") : lab.t("js.replay.refused")) +
        "\nHTTP " + result.status + "\n" + (result.body || "") + (why ? "\n→ " + why : ""));
      out.className = "answer " + (accepted ? "accepted" : "refused");
    });
  }

  var expire = byId("stolen-expire");
  if (expire) {
    expire.addEventListener("click", async function () {
      var answer = await lab.postJson("/lab/clock", { advance: expire.getAttribute("data-advance") });
      lab.show(byId("stolen-answer"), answer.status === 200
        ? lab.t("js.lab.clock_moved", { now: answer.data.now_text })
        : lab.t("js.lab.clock_failed"));
    });
  }
})();
