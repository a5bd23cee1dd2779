// The cookie page's labs: the size limit, the stolen copy and the naive cookie editor.
(function () {
  "use strict";
  var lab = window.authlab;
  var STOLEN = "authlab.stolen_cookie";

  function byId(id) { return document.getElementById(id); }

  function hasCookie(name) {
    return document.cookie.split(";").some(function (pair) {
      return pair.trim().split("=")[0] === name;
    });
  }

  var sizeRun = byId("size-run");
  if (sizeRun) {
    sizeRun.addEventListener("click", async function () {
      var answer = await lab.postJson("/cookie/lab/size", {});
      var table = byId("size-results");
      var body = table.querySelector("tbody");
      body.textContent = "";
      ((answer.data && answer.data.set) || []).forEach(function (cookie) {
        var row = document.createElement("tr");
        var kept = hasCookie(cookie.name);
        row.id = "size-" + cookie.bytes;
        row.className = kept ? "kept" : "dropped";
        [cookie.name, String(cookie.bytes), kept ? lab.t("js.cookie.kept_yes") : lab.t("js.cookie.kept_no")]
          .forEach(function (text) {
            var cell = document.createElement("td");
            cell.textContent = text;
            row.appendChild(cell);
          });
        body.appendChild(row);
      });
      table.hidden = false;
    });
  }

  var sizeClear = byId("size-clear");
  if (sizeClear) {
    sizeClear.addEventListener("click", async function () {
      await lab.postJson("/cookie/lab/size/clear", {});
      byId("size-results").hidden = true;
    });
  }

  var keep = byId("stolen-keep");
  if (keep) {
    keep.addEventListener("click", function () {
      sessionStorage.setItem(STOLEN, keep.getAttribute("data-cookie"));
      keep.textContent = lab.t("js.cookie.kept_copy");
    });
  }

  var replay = byId("stolen-replay");
  if (replay) {
    replay.addEventListener("click", async function () {
      var copy = sessionStorage.getItem(STOLEN);
      var out = byId("stolen-answer");
      if (!copy) {
        lab.show(out, lab.t("js.cookie.no_copy"));
        return;
      }
      var answer = await lab.postJson("/cookie/lab/replay", { cookie: copy });
      var result = answer.data || {};
      var verdict = result.status >= 200 && result.status < 300
        ? lab.t("js.replay.accepted") : lab.t("js.replay.refused");
      lab.show(out, verdict + "\nHTTP " + result.status + "\n" + (result.body || ""));
      out.className = "answer " + (result.status === 200 ? "accepted" : "refused");
    });
  }

  var expire = byId("stolen-expire");
  if (expire) {
    expire.addEventListener("click", async function () {
      var answer = await lab.postJson("/lab/clock", { advance: expire.getAttribute("data-advance") });
      lab.show(byId("stolen-answer"), answer.status === 200
        ? lab.t("js.lab.clock_moved", { now: answer.data.now })
        : lab.t("js.lab.clock_failed"));
    });
  }

  var naive = byId("naive-form");
  if (naive) {
    naive.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = byId("naive-value").value.replace(/[;\s,"\\]/g, "");
      document.cookie = "authlab_naive=" + value + "; path=/cookie/lab; SameSite=Lax";
      location.reload();
    });
  }
})();
