// The compare page: the four schemes live, one login for all four, one request with each,
// the replay matrix, two devices, the reset, and a timeline of every request made.
(function () {
  "use strict";
  var lab = window.authlab;
  var page = document.getElementById("compare-page");
  var csrf = page.getAttribute("data-csrf");
  var skew = 0;
  var expiries = {};
  function byId(id) { return document.getElementById(id); }
  var bytes = lab.bytes;
  function set(id, text) { var el = byId(id); if (el) { el.textContent = text; } }
  function stored(name) { return localStorage.getItem(name) || ""; }
  function now() { return Math.floor(Date.now() / 1000) + skew; }

  async function call(method, path, options) {
    options = options || {};
    var headers = options.headers || {};
    var init = { method: method, headers: headers, credentials: options.credentials || "same-origin", redirect: "manual" };
    if (options.json !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(options.json); }
    if (options.form !== undefined) { init.body = new URLSearchParams(options.form); }
    var res = await fetch(path, init);
    var data = null;
    try { data = await res.clone().json(); } catch (e) { data = null; }
    var status = res.type === "opaqueredirect" ? 303 : res.status;
    return { status: status, data: data, timing: res.headers.get("Server-Timing") || "" };
  }

  function cost(timing) {
    var auth = /auth;dur=([0-9.]+)/.exec(timing || "");
    var db = /db;dur=([0-9.]+);desc="(\d+) quer/.exec(timing || "");
    return auth && db ? lab.t("js.compare.cost", { auth: auth[1], queries: db[2], db: db[1] }) : "—";
  }

  // Who a column is signed in as; when its cookie was sent but refused, why.
  function who(slug, user, refused) {
    var why = refused ? lab.refusal({ code: refused }) : "";
    set("col-" + slug + "-who", user ? lab.t("js.compare.signed_in", { email: user.email })
      : lab.t("js.compare.anonymous") + (why ? " — " + why : ""));
  }

  async function refresh() {
    var token = stored("authlab.token");
    var access = stored("authlab.jwt.access");
    var refreshToken = stored("authlab.jwt.refresh");

    var c = (await call("GET", "/cookie/api/inspect")).data || {};
    who("cookie", c.user, c.refused);
    set("col-cookie-holds", c.browser && c.browser.present ? lab.t("js.compare.holds_cookie", { name: "authlab_cookie", bytes: c.browser.size }) : lab.t("js.compare.nothing"));
    set("col-cookie-header", c.wire && c.wire.credential_size ? lab.t("js.compare.sends", { header: "Cookie: authlab_cookie=…", bytes: c.wire.credential_size }) : "—");
    set("col-cookie-server", lab.t("js.compare.cookie_server"));
    expiries.cookie = c.expires_at || null;

    var s = (await call("GET", "/session/api/inspect")).data || {};
    who("session", s.user, s.refused);
    set("col-session-holds", s.browser && s.browser.present ? lab.t("js.compare.holds_cookie", { name: "sessionid", bytes: s.browser.size }) : lab.t("js.compare.nothing"));
    set("col-session-header", s.wire && s.wire.credential_size ? lab.t("js.compare.sends", { header: "Cookie: sessionid=…", bytes: s.wire.credential_size }) : "—");
    var server = s.server || {};
    var totals = server.totals || {};
    set("col-session-server", (server.current ? lab.t("js.compare.session_row", { bytes: server.current.bytes }) : lab.t("js.compare.no_row")) +
      " · " + lab.t("js.compare.session_totals", { rows: totals.rows, bytes: totals.bytes }));
    expiries.session = server.current ? server.current.expires_at : null;

    var tokenHeaders = token ? { Authorization: "Token " + token } : {};
    var tAnswer = await call("GET", "/token/api/inspect", { headers: tokenHeaders, credentials: "omit" });
    if (tAnswer.status === 401 && token) {
      // The key this browser holds was refused (deleted, reset): it is dead, so it is dropped.
      localStorage.removeItem("authlab.token");
      token = "";
      tAnswer = await call("GET", "/token/api/inspect", { credentials: "omit" });
    }
    var t = tAnswer.data || {};
    who("token", t.user);
    set("col-token-holds", token ? lab.t("js.compare.holds_token", { bytes: bytes("authlab.token") + bytes(token) }) : lab.t("js.compare.nothing"));
    set("col-token-header", token ? lab.t("js.compare.sends", { header: "Authorization: Token …", bytes: bytes("Authorization: Token " + token) }) : "—");
    set("col-token-server", (t.row ? lab.t("js.compare.token_row") : lab.t("js.compare.no_row")) + " · " + lab.t("js.compare.token_totals", { rows: t.total_rows }));
    expiries.token = token ? "never" : null;

    var jwtHeaders = access ? { Authorization: "Bearer " + access } : {};
    var jAnswer = await call("GET", "/jwt/api/inspect", { headers: jwtHeaders, credentials: "omit" });
    if (jAnswer.status === 401 && access) {
      // The access token was refused (expired, or signed with a secret since rotated): one
      // refresh, and if that is refused too the pair is dead and dropped.
      var renewed = refreshToken ? await call("POST", "/jwt/api/token/refresh", { json: { refresh: refreshToken }, credentials: "omit" }) : { status: 0 };
      if (renewed.status === 200) {
        localStorage.setItem("authlab.jwt.access", renewed.data.access);
        localStorage.setItem("authlab.jwt.refresh", renewed.data.refresh);
      } else if (renewed.status === 401 || renewed.status === 0) {
        localStorage.removeItem("authlab.jwt.access");
        localStorage.removeItem("authlab.jwt.refresh");
      }
      access = stored("authlab.jwt.access");
      refreshToken = stored("authlab.jwt.refresh");
      jAnswer = await call("GET", "/jwt/api/inspect", { headers: access ? { Authorization: "Bearer " + access } : {}, credentials: "omit" });
    }
    var j = jAnswer.data || {};
    if (j.now) { skew = j.now - Math.floor(Date.now() / 1000); }
    who("jwt", j.user);
    set("col-jwt-holds", access ? lab.t("js.compare.holds_jwt", { access: bytes(access), refresh: bytes(refreshToken) }) : lab.t("js.compare.nothing"));
    set("col-jwt-header", access ? lab.t("js.compare.sends", { header: "Authorization: Bearer …", bytes: bytes("Authorization: Bearer " + access) }) : "—");
    var jt = j.totals || {};
    set("col-jwt-server", lab.t("js.compare.jwt_server", { rows: (j.refresh_rows || []).length, outstanding: jt.outstanding, blacklisted: jt.blacklisted }));
    var payload = access ? lab.jwtPayload(access) : null;
    expiries.jwt = payload ? payload.exp : null;
    tick();
  }

  function tick() {
    ["cookie", "session", "token", "jwt"].forEach(function (slug) {
      var exp = expiries[slug];
      if (exp === "never") { set("col-" + slug + "-expiry", lab.t("js.compare.never")); return; }
      if (!exp) { set("col-" + slug + "-expiry", "—"); return; }
      set("col-" + slug + "-expiry", lab.left(exp - now()));
    });
  }
  setInterval(tick, 1000);

  byId("login-all").addEventListener("submit", async function (event) {
    event.preventDefault();
    var email = byId("email").value;
    var password = byId("password").value;
    var failures = [];
    var form = { csrf_token: csrf, email: email, password: password };
    var cookie = await call("POST", "/cookie/login", { form: form });
    if (cookie.status !== 303) { failures.push("cookie " + cookie.status); }
    var session = await call("POST", "/session/login", { form: form });
    if (session.status !== 303) { failures.push("session " + session.status); }
    var token = await call("POST", "/token/api/login", { json: { username: email, password: password }, credentials: "omit" });
    if (token.status === 200) { localStorage.setItem("authlab.token", token.data.token); } else { failures.push("token " + token.status); }
    var jwt = await call("POST", "/jwt/api/token", { json: { email: email, password: password }, credentials: "omit" });
    if (jwt.status === 200) {
      localStorage.setItem("authlab.jwt.access", jwt.data.access);
      localStorage.setItem("authlab.jwt.refresh", jwt.data.refresh);
    } else { failures.push("jwt " + jwt.status); }
    var error = byId("login-all-error");
    error.hidden = failures.length === 0;
    error.textContent = failures.length ? lab.t("js.compare.login_failed", { failures: failures.join(", ") }) : "";
    byId("password").value = "";
    refresh();
  });

  byId("request-all").addEventListener("click", async function () {
    var token = stored("authlab.token");
    var access = stored("authlab.jwt.access");
    var answers = {
      cookie: await call("GET", "/cookie/api/me"),
      session: await call("GET", "/session/api/me"),
      token: await call("GET", "/token/api/me", { headers: token ? { Authorization: "Token " + token } : {}, credentials: "omit" }),
      jwt: await call("GET", "/jwt/api/me", { headers: access ? { Authorization: "Bearer " + access } : {}, credentials: "omit" })
    };
    Object.keys(answers).forEach(function (slug) {
      var a = answers[slug];
      set("col-" + slug + "-answer", answerText(a));
      set("col-" + slug + "-cost", cost(a.timing));
    });
  });

  // A column's last answer: the status, who or what the server said, and what a refused
  // cookie or session credential's code means in the page's language.
  function answerText(a) {
    var d = a.data || {};
    var said = d.email || d.detail || (d.messages && d.messages[0] && d.messages[0].message) || "";
    var why = lab.refusal(d);
    return a.status + " " + said + (why ? " — " + why : "");
  }

  // After a lab action, the last answers describe credentials that may have changed: they are
  // cleared, and every column reads its state again.
  function afterLabAction() {
    ["cookie", "session", "token", "jwt"].forEach(function (slug) {
      set("col-" + slug + "-answer", "—");
      set("col-" + slug + "-cost", "—");
    });
    return refresh();
  }

  var matrixRun = byId("matrix-run");
  if (matrixRun) {
    matrixRun.addEventListener("click", async function () {
      matrixRun.disabled = true;
      document.querySelectorAll("#matrix td[id^='m-']").forEach(function (td) { td.textContent = "…"; td.className = ""; });
      var answer = await call("POST", "/lab/matrix", { json: { rotate_keys: byId("matrix-rotate").checked } });
      ((answer.data && answer.data.rows) || []).forEach(function (row) {
        if (!row.ran) {
          document.querySelectorAll("#m-" + row.event + " td[id^='m-']").forEach(function (td) { td.textContent = lab.t("js.compare.skipped"); });
          return;
        }
        row.cells.forEach(function (cell) {
          var td = byId("m-" + row.event + "-" + cell.column);
          if (!td) { return; }
          td.textContent = cell.accepted ? "✓" : "✗";
          td.className = cell.accepted ? "yes" : "no";
          // The cell says it short, in the page's language where it can; the server's own
          // words are one hover away (title).
          var small = document.createElement("small");
          var why = cell.code && lab.refusal({ code: cell.code });
          var said = cell.answer.length > 26 ? cell.answer.slice(0, 24) + "…" : cell.answer;
          small.textContent = cell.status + " " + (why || said);
          td.title = cell.status + " " + cell.answer;
          td.appendChild(small);
        });
      });
      matrixRun.disabled = false;
      afterLabAction();
    });
  }

  // One replayed credential as a line: which, accepted or not, and what the server said.
  function cellLine(cell) {
    var why = cell.code && lab.refusal({ code: cell.code });
    var heading = byId("mh-" + cell.column);
    return "  " + (heading ? heading.textContent : cell.column) + ": " + (cell.accepted ? "✓ " : "✗ ") + cell.status + " " + cell.answer + (why ? " — " + why : "");
  }

  var devices = byId("devices-run");
  if (devices) {
    devices.addEventListener("click", async function () {
      lab.show(byId("devices-result"), lab.t("js.lab.queued"));
      var answer = await call("POST", "/lab/two-devices", { json: {} });
      var d = answer.data || {};
      var s = d.server || {};
      var lines = [
        lab.t("js.compare.devices_server", { sessions: s.session_rows, tokens: s.token_rows, families: s.jwt_families }),
        s.same_token ? lab.t("js.token.same_key") : lab.t("js.token.different_key")
      ];
      var cells = function (label, list) {
        lines.push(label);
        (list || []).forEach(function (cell) { lines.push(cellLine(cell)); });
      };
      cells(lab.t("js.compare.devices_first_after"), d.first_device_replayed_after_logout);
      cells(lab.t("js.compare.devices_after"), d.second_device_after_first_logs_out);
      lab.show(byId("devices-result"), lines.join("\n"));
      afterLabAction();
    });
  }

  var second = byId("second-server-run");
  if (second) {
    second.addEventListener("click", async function () {
      lab.show(byId("second-server-result"), lab.t("js.lab.queued"));
      var answer = await call("POST", "/lab/second-server", { json: {} });
      var d = answer.data || {};
      if (answer.status !== 200) {
        lab.show(byId("second-server-result"), answer.status + " " + (d.detail || ""));
        return;
      }
      var lines = [lab.t("js.compare.second_server_cells")];
      (d.cells || []).forEach(function (cell) { lines.push(cellLine(cell)); });
      lines.push(lab.t("js.compare.second_server_claims"));
      if (d.claims) { lines.push(cellLine(d.claims)); }
      lab.show(byId("second-server-result"), lines.join("\n"));
      afterLabAction();
    });
  }

  // N logins, as N devices: what each scheme keeps on the server after each one.
  var keptForm = byId("kept-form");
  if (keptForm) {
    keptForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      var error = byId("kept-error");
      var run = byId("kept-run");
      error.hidden = true;
      run.disabled = true;
      var answer = await call("POST", "/lab/kept", { json: { logins: Number(byId("kept-logins").value) } });
      run.disabled = false;
      var d = answer.data || {};
      if (answer.status !== 200) {
        error.textContent = answer.status === 400 ? lab.t("js.compare.kept_range")
          : answer.status === 429 ? lab.t("js.compare.kept_busy")
          : (d.detail || lab.t("js.common.http_status", { status: answer.status }));
        error.hidden = false;
        return;
      }
      var table = byId("kept-table");
      var body = table.querySelector("tbody");
      body.textContent = "";
      (d.steps || []).forEach(function (step) {
        var tr = document.createElement("tr");
        [String(step.logins),
          lab.t("js.compare.kept_cookie", { bytes: step.cookie_in_browser }),
          lab.t("js.compare.kept_rows", { rows: step.session.rows, bytes: step.session.bytes }),
          lab.t("js.compare.kept_rows", { rows: step.token.rows, bytes: step.token.bytes }),
          lab.t("js.compare.kept_rows", { rows: step.jwt.rows, bytes: step.jwt.bytes })].forEach(function (text) {
          var td = document.createElement("td");
          td.textContent = text;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      table.hidden = false;
      afterLabAction();
    });
  }

  var reset = byId("reset");
  if (reset) {
    reset.addEventListener("click", async function () {
      if (!window.confirm(lab.t("js.compare.reset_confirm"))) { return; }
      var answer = await call("POST", "/lab/reset", { json: { confirm: true } });
      if (answer.status === 200) {
        localStorage.clear();
        sessionStorage.clear();
        location.reload();
      }
    });
  }

  refresh();
})();
