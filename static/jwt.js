// The JWT page: logs in, keeps the pair in localStorage, decodes both tokens without any key,
// counts down to expiry on the server's (lab) clock, and refreshes by itself when the access
// token expires. Every call lands in the request log.
(function () {
  "use strict";
  var lab = window.authlab;
  var ACCESS = "authlab.jwt.access";
  var REFRESH = "authlab.jwt.refresh";
  var OLD = "authlab.jwt.old";
  var skew = 0; // server clock minus this browser's clock, in seconds
  function byId(id) { return document.getElementById(id); }
  function access() { return localStorage.getItem(ACCESS) || ""; }
  function refreshToken() { return localStorage.getItem(REFRESH) || ""; }
  var bytes = lab.bytes;
  function now() { return Math.floor(Date.now() / 1000) + skew; }

  function b64urlEncode(text) {
    var buffer = new TextEncoder().encode(text);
    var binary = "";
    buffer.forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function decode(token) {
    var parts = token.split(".");
    if (parts.length !== 3) { return null; }
    try {
      return { parts: parts, header: JSON.parse(lab.base64urlDecode(parts[0])), payload: JSON.parse(lab.base64urlDecode(parts[1])) };
    } catch (e) { return null; }
  }

  async function call(method, path, body, bearer) {
    var headers = {};
    var sent = "—";
    if (bearer) {
      headers.Authorization = "Bearer " + bearer;
      sent = "Authorization: Bearer " + bearer.slice(0, 12) + "… (" + bytes("Authorization: Bearer " + bearer) + " B)";
    }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    var res = await fetch(path, { method: method, headers: headers, credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body) });
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    lab.logRequest(method, path, sent, res.status, res.headers.get("Server-Timing"));
    return { status: res.status, data: data, timing: res.headers.get("Server-Timing") || "" };
  }

  function expired(answer) {
    var messages = answer.data && answer.data.messages;
    return answer.status === 401 && messages && messages[0] && messages[0].message === "Token is expired";
  }

  // Uses the refresh token for a new pair; false when the refresh token is refused too.
  async function refreshPair() {
    if (!refreshToken()) { return false; }
    var answer = await call("POST", "/jwt/api/token/refresh", { refresh: refreshToken() });
    if (answer.status === 200) {
      localStorage.setItem(ACCESS, answer.data.access);
      localStorage.setItem(REFRESH, answer.data.refresh);
      return true;
    }
    localStorage.removeItem(ACCESS);
    localStorage.removeItem(REFRESH);
    return false;
  }

  // An authenticated call that refreshes once, by itself, when the access token has expired.
  async function authed(method, path, body) {
    var answer = await call(method, path, body, access());
    if (expired(answer) && await refreshPair()) {
      answer = await call(method, path, body, access());
      answer.refreshed = true;
    }
    return answer;
  }

  function showToken(prefix, token) {
    var parts = byId(prefix + "-parts");
    parts.textContent = "";
    var decoded = token ? decode(token) : null;
    if (!decoded) { parts.textContent = "—"; return null; }
    ["part-header", "part-payload", "part-signature"].forEach(function (cls, i) {
      if (i > 0) { parts.appendChild(document.createTextNode(".")); }
      var span = document.createElement("span");
      span.className = cls;
      span.textContent = decoded.parts[i];
      parts.appendChild(span);
    });
    return decoded;
  }

  function render() {
    var a = showToken("access", access());
    var r = showToken("refresh", refreshToken());
    byId("access-header").textContent = a ? JSON.stringify(a.header, null, 2) : "";
    byId("access-payload").textContent = a ? JSON.stringify(a.payload, null, 2) : "";
    byId("access-times").textContent = a ? lab.t("js.jwt.times", {
      iat: new Date(a.payload.iat * 1000).toLocaleString(), exp: new Date(a.payload.exp * 1000).toLocaleString() }) : "";
    byId("refresh-payload").textContent = r ? JSON.stringify(r.payload, null, 2) : "";
    byId("tamper-payload").value = a ? JSON.stringify(Object.assign({}, a.payload, { user_id: "2" })) : "";
    byId("browser-access-size").textContent = access() ? String(bytes(ACCESS) + bytes(access())) : "0";
    byId("browser-refresh-size").textContent = refreshToken() ? String(bytes(REFRESH) + bytes(refreshToken())) : "0";
    var header = access() ? "Authorization: Bearer " + access() : "—";
    byId("wire-header").textContent = header;
    byId("wire-size").textContent = access() ? String(bytes(header)) : "0";
    tick();
  }

  function countdown(id, token) {
    var el = byId(id);
    var decoded = token ? decode(token) : null;
    if (!decoded) { el.textContent = ""; return; }
    var left = decoded.payload.exp - now();
    // An hour or more reads in hours and minutes ("23 h 59 min"), not as 1439 minutes.
    el.textContent = left <= 0 ? lab.t("js.jwt.expired")
      : left >= 3600
        ? lab.t("js.jwt.expires_in_hours", { hours: Math.floor(left / 3600), minutes: Math.floor((left % 3600) / 60) })
        : lab.t("js.jwt.expires_in", { minutes: Math.floor(left / 60), seconds: left % 60 });
    el.className = "countdown" + (left > 0 ? "" : " expired");
  }
  function tick() {
    countdown("countdown-access", access());
    countdown("countdown-refresh", refreshToken());
  }
  setInterval(tick, 1000);

  async function refreshAll() {
    var who = byId("jwt-who");
    if (access()) {
      var me = await authed("GET", "/jwt/api/me");
      if (me.status === 200) {
        who.textContent = lab.t("js.jwt.signed_in", { username: me.data.username, email: me.data.email }) +
          (me.refreshed ? " " + lab.t("js.jwt.refreshed") : "");
        who.hidden = false;
      } else {
        who.textContent = lab.t("js.jwt.refused", { status: me.status });
        who.hidden = false;
      }
    } else {
      who.hidden = true;
    }
    byId("jwt-login-form").hidden = !!access();
    byId("jwt-actions").hidden = !access();
    var inspect = await call("GET", "/jwt/api/inspect", undefined, access());
    var info = inspect.data || {};
    if (info.now) { skew = info.now - Math.floor(Date.now() / 1000); }
    var body = byId("refresh-rows").querySelector("tbody");
    body.textContent = "";
    (info.refresh_rows || []).forEach(function (row) {
      var tr = document.createElement("tr");
      if (row.blacklisted_at) { tr.className = "blacklisted"; }
      [row.jti.slice(0, 10) + "…", row.family.slice(0, 8) + "…", time(row.created_at), time(row.expires_at),
        row.used_at ? time(row.used_at) : "—", row.blacklisted_at ? time(row.blacklisted_at) : "—"].forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    if (info.totals) {
      byId("jwt-totals").textContent = lab.t("js.jwt.totals", { outstanding: info.totals.outstanding, blacklisted: info.totals.blacklisted });
    }
    render();
  }
  function time(unix) { return new Date(unix * 1000).toLocaleTimeString(); }

  byId("jwt-login-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var error = byId("jwt-login-error");
    error.hidden = true;
    var answer = await call("POST", "/jwt/api/token", { email: byId("email").value, password: byId("password").value });
    if (answer.status === 200) {
      localStorage.setItem(ACCESS, answer.data.access);
      localStorage.setItem(REFRESH, answer.data.refresh);
      byId("password").value = "";
    } else {
      var data = answer.data || {};
      error.textContent = data.detail || JSON.stringify(data);
      error.hidden = false;
    }
    refreshAll();
  });

  byId("jwt-refresh").addEventListener("click", async function () {
    await refreshPair();
    refreshAll();
  });

  byId("jwt-logout").addEventListener("click", async function () {
    await call("POST", "/jwt/api/token/blacklist", { refresh: refreshToken() });
    localStorage.removeItem(ACCESS);
    localStorage.removeItem(REFRESH);
    refreshAll();
  });

  async function sendForged(token, out) {
    var answer = await call("GET", "/jwt/api/me", undefined, token);
    var detail = answer.data && answer.data.messages ? answer.data.messages[0].message : (answer.data && answer.data.detail);
    lab.show(out, "HTTP " + answer.status + " — " + detail + "\n" + token);
    out.className = "answer " + (answer.status === 200 ? "accepted" : "refused");
  }

  byId("tamper-send").addEventListener("click", async function () {
    var out = byId("tamper-result");
    var decoded = access() ? decode(access()) : null;
    if (!decoded) { lab.show(out, lab.t("js.jwt.login_first")); return; }
    var payload;
    try { payload = JSON.parse(byId("tamper-payload").value); } catch (e) { lab.show(out, lab.t("js.jwt.bad_json")); return; }
    await sendForged(decoded.parts[0] + "." + b64urlEncode(JSON.stringify(payload)) + "." + decoded.parts[2], out);
  });

  byId("alg-none-send").addEventListener("click", async function () {
    var out = byId("tamper-result");
    var decoded = access() ? decode(access()) : null;
    if (!decoded) { lab.show(out, lab.t("js.jwt.login_first")); return; }
    await sendForged(b64urlEncode(JSON.stringify({ alg: "none", typ: "JWT" })) + "." + decoded.parts[1] + ".", out);
  });

  var expire = byId("expire-access");
  if (expire) {
    expire.addEventListener("click", async function () {
      var out = byId("expiry-result");
      if (!access()) { lab.show(out, lab.t("js.jwt.login_first")); return; }
      var ttl = decode(access()).payload.exp - decode(access()).payload.iat;
      var moved = await lab.postJson("/lab/clock", { advance: ttl + "s" });
      if (moved.status !== 200) { lab.show(out, lab.t("js.lab.clock_failed")); return; }
      var raw = await call("GET", "/jwt/api/me", undefined, access());
      var lines = [lab.t("js.lab.clock_moved", { now: moved.data.now_text }),
        lab.t("js.jwt.expired_answer", { status: raw.status })];
      if (expired(raw) && await refreshPair()) {
        var again = await call("GET", "/jwt/api/me", undefined, access());
        lines.push(lab.t("js.jwt.refreshed_answer", { status: again.status }));
      }
      lab.show(out, lines.join("\n"));
      refreshAll();
    });
  }

  byId("logout-keep").addEventListener("click", async function () {
    var out = byId("logout-result");
    if (!access()) { lab.show(out, lab.t("js.jwt.login_first")); return; }
    sessionStorage.setItem(OLD, JSON.stringify({ access: access(), refresh: refreshToken() }));
    var answer = await call("POST", "/jwt/api/token/blacklist", { refresh: refreshToken() });
    localStorage.removeItem(ACCESS);
    localStorage.removeItem(REFRESH);
    lab.show(out, lab.t("js.jwt.logged_out", { status: answer.status }));
    refreshAll();
  });

  async function replay(kind) {
    var out = byId("logout-result");
    var old = JSON.parse(sessionStorage.getItem(OLD) || "null");
    if (!old) { lab.show(out, lab.t("js.jwt.no_copy")); return; }
    var answer = kind === "access"
      ? await call("GET", "/jwt/api/me", undefined, old.access)
      : await call("POST", "/jwt/api/token/refresh", { refresh: old.refresh });
    var ok = answer.status === 200;
    lab.show(out, (ok ? lab.t("js.replay.accepted") : lab.t("js.replay.refused")) + "\nHTTP " + answer.status + "\n" + JSON.stringify(answer.data));
    out.className = "answer " + (ok ? "accepted" : "refused");
    refreshAll();
  }
  byId("replay-access").addEventListener("click", function () { replay("access"); });
  byId("replay-refresh").addEventListener("click", function () { replay("refresh"); });

  // Two tabs sharing one refresh token, refreshing at the same moment; then a late replay.
  var TABS = "authlab.jwt.tabs";
  async function liveRefreshRows() {
    var inspect = await call("GET", "/jwt/api/inspect", undefined, access());
    return ((inspect.data || {}).refresh_rows || []).filter(function (row) { return !row.blacklisted_at; }).length;
  }
  var race = byId("tabs-race");
  if (race) {
    race.addEventListener("click", async function () {
      var out = byId("tabs-result");
      var shared = refreshToken();
      if (!shared) { lab.show(out, lab.t("js.jwt.login_first")); return; }
      sessionStorage.setItem(TABS, shared);
      var answers = await Promise.all([
        call("POST", "/jwt/api/token/refresh", { refresh: shared }),
        call("POST", "/jwt/api/token/refresh", { refresh: shared })
      ]);
      var kept = answers.filter(function (a) { return a.status === 200; })[0];
      if (kept) {
        localStorage.setItem(ACCESS, kept.data.access);
        localStorage.setItem(REFRESH, kept.data.refresh);
      }
      var lines = [lab.t("js.jwt.tabs_answers", { first: answers[0].status, second: answers[1].status })];
      answers.forEach(function (a) { if (a.status !== 200) { lines.push(JSON.stringify(a.data)); } });
      if (answers[0].status === 200 && answers[1].status === 200 && answers[0].data.refresh === answers[1].data.refresh) {
        lines.push(lab.t("js.jwt.tabs_same"));
      }
      lines.push(lab.t("js.jwt.tabs_family", { live: await liveRefreshRows() }));
      lab.show(out, lines.join("\n"));
      out.className = "answer " + (answers.every(function (a) { return a.status === 200; }) ? "accepted" : "refused");
      refreshAll();
    });
  }
  var late = byId("tabs-late");
  if (late) {
    late.addEventListener("click", async function () {
      var out = byId("tabs-result");
      var shared = sessionStorage.getItem(TABS);
      if (!shared) { lab.show(out, lab.t("js.jwt.tabs_no_copy")); return; }
      var grace = Number(byId("lab-two-tabs").getAttribute("data-grace"));
      var moved = await lab.postJson("/lab/clock", { advance: (grace + 1) + "s" });
      if (moved.status !== 200) { lab.show(out, lab.t("js.lab.clock_failed")); return; }
      var answer = await call("POST", "/jwt/api/token/refresh", { refresh: shared });
      lab.show(out, [lab.t("js.lab.clock_moved", { now: moved.data.now_text }),
        "HTTP " + answer.status + " " + JSON.stringify(answer.data),
        lab.t("js.jwt.tabs_family", { live: await liveRefreshRows() })].join("\n"));
      out.className = "answer " + (answer.status === 200 ? "accepted" : "refused");
      refreshAll();
    });
  }

  byId("stateless-measure").addEventListener("click", async function () {
    var out = byId("stateless-result");
    if (!access()) { lab.show(out, lab.t("js.jwt.login_first")); return; }
    var lines = [];
    var claims = await authed("GET", "/jwt/api/claims");
    lines.push("GET /jwt/api/claims → " + claims.status + " · " + claims.timing);
    var me = await authed("GET", "/jwt/api/me");
    lines.push("GET /jwt/api/me → " + me.status + " · " + me.timing);
    var tokenKey = localStorage.getItem("authlab.token");
    if (tokenKey) {
      var res = await fetch("/token/api/me", { headers: { Authorization: "Token " + tokenKey }, credentials: "omit" });
      lines.push("GET /token/api/me → " + res.status + " · " + (res.headers.get("Server-Timing") || ""));
    } else {
      lines.push(lab.t("js.jwt.no_token_key"));
    }
    lab.show(out, lines.join("\n"));
  });

  refreshAll();
})();
