// The token page: logs in with fetch, keeps the DRF key in localStorage, and sends it as
// `Authorization: Token <key>` on every API call. Every call lands in the request log.
(function () {
  "use strict";
  var lab = window.authlab;
  var KEY = "authlab.token";
  var DEVICE_TWO = "authlab.token.device2";
  var OLD_KEY = "authlab.token.old";
  var page = document.getElementById("token-page");
  var host = page ? page.getAttribute("data-host") : location.host;
  function byId(id) { return document.getElementById(id); }

  function key() { return localStorage.getItem(KEY) || ""; }
  var bytes = lab.bytes;

  // One API call with the given key (or the stored one); the inspector lists it whole.
  async function call(method, path, body, withKey) {
    var headers = {};
    var useKey = withKey === undefined ? key() : withKey;
    if (useKey) {
      headers.Authorization = "Token " + useKey;
    }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    var res = await fetch(path, {
      method: method,
      headers: headers,
      credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { status: res.status, data: data, timing: res.headers.get("Server-Timing") || "" };
  }

  async function refresh() {
    var current = key();
    byId("browser-token").textContent = current || "—";
    byId("browser-size").textContent = current ? String(bytes(KEY) + bytes(current)) : "0";
    var header = current ? "Authorization: Token " + current : "—";
    byId("wire-header").textContent = header;
    byId("wire-size").textContent = current ? String(bytes(header)) : "0";
    byId("curl-command").textContent = current
      ? "curl -i -H 'Authorization: Token " + current + "'" + lab.labFlag() + " http://" + host + "/token/api/me"
      : lab.t("js.token.no_key");

    var who = byId("token-who");
    var form = byId("token-login-form");
    var actions = byId("token-actions");
    if (!current) {
      who.hidden = true; form.hidden = false; actions.hidden = true;
    } else {
      var me = await call("GET", "/token/api/me");
      if (me.status === 200) {
        who.textContent = lab.t("js.token.signed_in", { username: me.data.username, email: me.data.email });
        who.hidden = false; form.hidden = true; actions.hidden = false;
        byId("username").value = me.data.username;
      } else {
        who.textContent = lab.t("js.token.key_refused", { status: me.status, detail: me.data && me.data.detail });
        who.hidden = false; form.hidden = false; actions.hidden = true;
      }
    }
    var inspect = await call("GET", "/token/api/inspect");
    var info = inspect.data || {};
    if (info.row) {
      byId("token-row").hidden = false;
      byId("token-row-none").hidden = true;
      var keyCell = byId("row-key");
      keyCell.textContent = "";
      keyCell.appendChild(lab.longValue(info.row.key, 12));
      byId("row-user").textContent = String(info.row.user_id);
      byId("row-created").textContent = lab.when(info.row.created);
      byId("row-age").textContent = lab.t("js.token.age", { span: lab.span(info.age_seconds) });
    } else {
      byId("token-row").hidden = true;
      byId("token-row-none").hidden = false;
      byId("row-age").textContent = "";
    }
    byId("token-totals").textContent = lab.t("js.token.totals", { rows: info.total_rows });
  }

  byId("token-login-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var error = byId("token-login-error");
    error.hidden = true;
    var answer = await call("POST", "/token/api/login", {
      username: byId("email").value,
      password: byId("password").value
    }, "");
    if (answer.status === 200) {
      localStorage.setItem(KEY, answer.data.token);
      byId("password").value = "";
    } else {
      var data = answer.data || {};
      error.textContent = (data.non_field_errors && data.non_field_errors[0]) || data.detail ||
        lab.t("js.common.http_status", { status: answer.status });
      error.hidden = false;
    }
    refresh();
  });

  byId("token-username-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    await call("PATCH", "/token/api/me", { username: byId("username").value });
    refresh();
  });

  byId("token-logout").addEventListener("click", async function () {
    await call("POST", "/token/api/logout");
    localStorage.removeItem(KEY);
    refresh();
  });

  byId("device-login").addEventListener("click", async function () {
    var out = byId("device-result");
    if (!key()) { lab.show(out, lab.t("js.token.login_first")); return; }
    var email = byId("device-email").value || "alice@example.com";
    var password = byId("device-password").value;
    if (!password) { lab.show(out, lab.t("js.token.password_needed")); return; }
    var answer = await call("POST", "/token/api/login", { username: email, password: password }, "");
    if (answer.status !== 200) { lab.show(out, JSON.stringify(answer.data)); return; }
    sessionStorage.setItem(DEVICE_TWO, answer.data.token);
    lab.show(out, lab.t("js.token.device_keys", { one: key(), two: answer.data.token }) + "\n" +
      (answer.data.token === key() ? lab.t("js.token.same_key") : lab.t("js.token.different_key")));
  });

  byId("device-check").addEventListener("click", async function () {
    var other = sessionStorage.getItem(DEVICE_TWO);
    var out = byId("device-result");
    if (!other) { lab.show(out, lab.t("js.token.no_device")); return; }
    var answer = await call("GET", "/token/api/me", undefined, other);
    lab.show(out, lab.t("js.token.device_answer", { status: answer.status }) + "\n" + JSON.stringify(answer.data));
  });

  var advance = byId("advance-year");
  if (advance) {
    advance.addEventListener("click", async function () {
      var moved = await lab.postJson("/lab/clock", { advance: "365d" });
      var out = byId("expiry-result");
      if (moved.status !== 200) { lab.show(out, lab.t("js.lab.clock_failed")); return; }
      var answer = await call("GET", "/token/api/me");
      lab.show(out, lab.t("js.lab.clock_moved", { now: moved.data.now_text }) + "\n" +
        lab.t("js.token.year_answer", { status: answer.status }));
      refresh();
    });
  }

  byId("regenerate").addEventListener("click", async function () {
    var old = key();
    var out = byId("theft-result");
    if (!old) { lab.show(out, lab.t("js.token.login_first")); return; }
    var answer = await call("POST", "/token/api/regenerate");
    if (answer.status === 200) {
      sessionStorage.setItem(OLD_KEY, old);
      localStorage.setItem(KEY, answer.data.token);
      lab.show(out, lab.t("js.token.regenerated", { old: old, now: answer.data.token }));
    } else {
      lab.show(out, JSON.stringify(answer.data));
    }
    refresh();
  });

  byId("old-key-check").addEventListener("click", async function () {
    var old = sessionStorage.getItem(OLD_KEY);
    var out = byId("theft-result");
    if (!old) { lab.show(out, lab.t("js.token.no_old_key")); return; }
    var answer = await call("GET", "/token/api/me", undefined, old);
    lab.show(out, lab.t("js.token.old_key_answer", { status: answer.status }) + "\n" + JSON.stringify(answer.data));
  });

  byId("lookup-measure").addEventListener("click", async function () {
    for (var i = 0; i < 3; i++) { await call("GET", "/token/api/me"); }
  });

  refresh();
})();
