// The cookie page's labs: the size limit and the naive cookie editor.
(function () {
  "use strict";
  var lab = window.authlab;

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

  var naive = byId("naive-form");
  if (naive) {
    naive.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = byId("naive-value").value.replace(/[;\s,"\\]/g, "");
      document.cookie = "authlab_naive=" + value + "; path=/lab/vulnerable/naive-cookie; SameSite=Lax";
      location.reload();
    });
  }
})();
