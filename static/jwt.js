// The JWT page: logs in, keeps the pair in localStorage, decodes both tokens without any key,
// counts down to expiry on the server's (lab) clock, and refreshes by itself when the access
// token expires. localStorage is the one source of truth for the pair: every change goes
// through setPair/clearPair, which redraw every panel. Every call lands in the request log.
(function () {
  "use strict";
  var lab = window.authlab;
  var ACCESS = "authlab.jwt.access";
  var REFRESH = "authlab.jwt.refresh";
  var OLD = "authlab.jwt.old";
  // The refresh token this tab held last, kept after logout so the server panel can go on
  // showing that pair's rows (the one just blacklisted included).
  var LAST = "authlab.jwt.last_refresh";
  var skew = 0; // server clock minus this browser's clock, in seconds
  function byId(id) { return document.getElementById(id); }
  function access() { return localStorage.getItem(ACCESS) || ""; }
  function refreshToken() { return localStorage.getItem(REFRESH) || ""; }
  var bytes = lab.bytes;

  // The only writers of the pair: both redraw the decoder, the wire panel and the countdowns.
  function setPair(accessToken, refresh) {
    localStorage.setItem(ACCESS, accessToken);
    localStorage.setItem(REFRESH, refresh);
    sessionStorage.setItem(LAST, refresh);
    render();
  }
  function clearPair() {
    localStorage.removeItem(ACCESS);
    localStorage.removeItem(REFRESH);
    render();
  }
  // Another tab changed the pair: follow it.
  window.addEventListener("storage", function (event) {
    if (event.key === ACCESS || event.key === REFRESH || event.key === null) { refreshAll(); }
  });
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

  async function call(method, path, body, bearer, extra) {
    var headers = Object.assign({}, extra || {});
    if (bearer) {
      headers.Authorization = "Bearer " + bearer;
    }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    var res = await fetch(path, { method: method, headers: headers, credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body) });
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { status: res.status, data: data, timing: res.headers.get("Server-Timing") || "" };
  }

  function expired(answer) {
    var messages = answer.data && answer.data.messages;
    return answer.status === 401 && messages && messages[0] && messages[0].message === "Token is expired";
  }

  // Uses the refresh token for a new pair; false when the refresh token is refused too. One
  // refresh at a time: a second caller waits for the first instead of spending the same token
  // again (which, with no grace window, would count as reuse and end the family). Only a 401
  // ends the pair; a busy or failing server leaves it as it is.
  var refreshing = null;
  function refreshPair() {
    if (!refreshToken()) { return Promise.resolve(false); }
    if (!refreshing) {
      refreshing = (async function () {
        var answer = await call("POST", "/jwt/api/token/refresh", { refresh: refreshToken() });
        if (answer.status === 200) {
          setPair(answer.data.access, answer.data.refresh);
          return true;
        }
        if (answer.status === 401) { clearPair(); }
        return false;
      })().finally(function () { refreshing = null; });
    }
    return refreshing;
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
      iat: lab.when(a.payload.iat), exp: lab.when(a.payload.exp) }) : "";
    byId("refresh-payload").textContent = r ? JSON.stringify(r.payload, null, 2) : "";
    // The learner's own edit is never overwritten by a redraw; an untouched box follows the token.
    var tamper = byId("tamper-payload");
    if (!tamper.getAttribute("data-edited")) {
      tamper.value = a ? JSON.stringify(Object.assign({}, a.payload, { user_id: "2" })) : "";
    }
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
    el.textContent = lab.left(left);
    el.className = "countdown" + (left > 0 ? "" : " expired");
  }
  // The access token ran out while the learner watched: the page refreshes the pair by itself,
  // once per access token (a refused refresh logs the page out).
  var autoRefreshed = "";
  function tick() {
    countdown("countdown-access", access());
    countdown("countdown-refresh", refreshToken());
    var a = access() ? decode(access()) : null;
    if (a && a.payload.exp <= now() && refreshToken() && autoRefreshed !== access()) {
      autoRefreshed = access();
      refreshPair().then(function (ok) { refreshAll(ok ? lab.t("js.jwt.refreshed") : ""); });
    }
  }
  setInterval(tick, 1000);

  async function refreshAll(note) {
    var who = byId("jwt-who");
    if (access()) {
      var me = await authed("GET", "/jwt/api/me");
      if (me.status === 200) {
        who.textContent = lab.t("js.jwt.signed_in", { username: me.data.username, email: me.data.email }) +
          (me.refreshed ? " " + lab.t("js.jwt.refreshed") : (note ? " " + note : ""));
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
    var last = sessionStorage.getItem(LAST);
    var inspect = await call("GET", "/jwt/api/inspect", undefined, access(),
      !access() && last ? { "X-Authlab-Last-Refresh": last } : undefined);
    var info = inspect.data || {};
    if (info.now) { skew = info.now - Math.floor(Date.now() / 1000); }
    var body = byId("refresh-rows").querySelector("tbody");
    body.textContent = "";
    (info.refresh_rows || []).forEach(function (row) {
      var tr = document.createElement("tr");
      if (row.blacklisted_at) { tr.className = "blacklisted"; }
      [lab.longValue(row.jti, 6), lab.longValue(row.family, 6)].forEach(function (value) {
        var td = document.createElement("td");
        td.appendChild(value);
        tr.appendChild(td);
      });
      [row.created_at, row.expires_at, row.used_at, row.blacklisted_at].forEach(function (unix) {
        var td = document.createElement("td");
        td.className = "time";
        if (unix) {
          // Date above time: a token that lives a day shows it.
          var text = lab.when(unix);
          [text.slice(0, 10), text.slice(11, 19)].forEach(function (part, i) {
            if (i > 0) { td.appendChild(document.createElement("br")); }
            var span = document.createElement("span");
            span.className = "nowrap";
            span.textContent = part;
            td.appendChild(span);
          });
        } else {
          td.textContent = "—";
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    if (info.totals) {
      byId("jwt-totals").textContent = lab.t("js.jwt.totals", { outstanding: info.totals.outstanding, blacklisted: info.totals.blacklisted });
    }
    render();
  }

  byId("jwt-login-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var error = byId("jwt-login-error");
    error.hidden = true;
    var answer = await call("POST", "/jwt/api/token", { email: byId("email").value, password: byId("password").value });
    if (answer.status === 200) {
      setPair(answer.data.access, answer.data.refresh);
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
    clearPair();
    refreshAll();
  });

  async function sendForged(token, out) {
    var answer = await call("GET", "/jwt/api/me", undefined, token);
    var data = answer.data || {};
    var detail = answer.status === 200
      ? lab.t("js.jwt.forged_accepted", { username: data.username, email: data.email })
      : (data.messages ? data.messages[0].message : data.detail);
    lab.show(out, "HTTP " + answer.status + " — " + detail + "\n" + token);
    out.className = "answer " + (answer.status === 200 ? "accepted" : "refused");
  }

  byId("tamper-payload").addEventListener("input", function (event) {
    event.target.setAttribute("data-edited", "1");
  });

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
    clearPair();
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
      // The button's own requests: marked, so that they never solve the refresh-reuse challenge.
      var mark = { "X-Authlab-Lab-Button": "two-tabs" };
      var answers = await Promise.all([
        call("POST", "/jwt/api/token/refresh", { refresh: shared }, undefined, mark),
        call("POST", "/jwt/api/token/refresh", { refresh: shared }, undefined, mark)
      ]);
      var kept = answers.filter(function (a) { return a.status === 200; })[0];
      if (kept) { setPair(kept.data.access, kept.data.refresh); }
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
      // The button's own replay: marked, so that it never solves the refresh-reuse challenge.
      var answer = await call("POST", "/jwt/api/token/refresh", { refresh: shared }, undefined,
        { "X-Authlab-Lab-Button": "two-tabs" });
      lab.show(out, [lab.t("js.lab.clock_moved", { now: moved.data.now_text }),
        "HTTP " + answer.status + " " + JSON.stringify(answer.data),
        lab.t("js.jwt.tabs_family", { live: await liveRefreshRows() })].join("\n"));
      out.className = "answer " + (answer.status === 200 ? "accepted" : "refused");
      refreshAll();
    });
  }

  // More claims, a longer token: each claim the learner adds is signed into a new, valid access
  // token by the server; the table shows the token and its header growing byte by byte.
  var claimsForm = byId("claims-form");
  if (claimsForm) {
    var added = {};
    var grown = null; // the last signed token of this lab
    var firstHeader = 0;
    var growth = byId("claims-growth").querySelector("tbody");
    var addRow = function (count, answer) {
      var tr = document.createElement("tr");
      if (!firstHeader) { firstHeader = answer.header_bytes; }
      [String(count), lab.t("js.bytes", { n: answer.payload_bytes }), lab.t("js.bytes", { n: answer.token_bytes }),
        lab.t("js.bytes", { n: answer.header_bytes }),
        "+" + lab.t("js.bytes", { n: answer.header_bytes - firstHeader })].forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      growth.appendChild(tr);
    };
    var signWith = async function () {
      var out = byId("claims-result");
      if (!access()) { lab.show(out, lab.t("js.jwt.login_first")); return false; }
      var answer = await authed("POST", "/jwt/api/lab/claims", { claims: added });
      if (answer.status !== 200) {
        var errors = answer.data && answer.data.claims;
        lab.show(out, "HTTP " + answer.status + " — " + (errors ? errors.join(" ") : JSON.stringify(answer.data)));
        out.className = "answer refused";
        return false;
      }
      grown = answer.data.access;
      addRow(Object.keys(added).length, answer.data);
      lab.show(byId("claims-header"), "Authorization: Bearer " + grown);
      byId("claims-result").hidden = true;
      return true;
    };
    claimsForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      var name = byId("claim-name").value.trim();
      var raw = byId("claim-value").value;
      if (!name) { lab.show(byId("claims-result"), lab.t("js.jwt.claim_name_needed")); return; }
      if (["token_type", "exp", "iat", "jti", "user_id", "nbf", "aud", "iss", "sub"].indexOf(name) >= 0) {
        lab.show(byId("claims-result"), lab.t("js.jwt.claim_reserved", { name: name }));
        return;
      }
      var value;
      try { value = JSON.parse(raw); } catch (e) { value = raw; }
      var before = Object.assign({}, added);
      added[name] = value;
      if (!growth.firstChild) {
        // The first row is the token as simplejwt issues it, before any claim of the learner's.
        var plain = added;
        added = {};
        if (!(await signWith())) { added = before; return; }
        added = plain;
      }
      if (!(await signWith())) { added = before; return; }
      byId("claim-name").value = "";
      byId("claim-value").value = "";
    });
    byId("claims-send").addEventListener("click", async function () {
      var out = byId("claims-result");
      if (!grown) { lab.show(out, lab.t("js.jwt.claims_none")); return; }
      var answer = await call("GET", "/jwt/api/claims", undefined, grown);
      lab.show(out, "GET /jwt/api/claims → HTTP " + answer.status + "\n" + JSON.stringify(answer.data, null, 2));
      out.className = "answer " + (answer.status === 200 ? "accepted" : "refused");
    });
    byId("claims-clear").addEventListener("click", function () {
      added = {};
      grown = null;
      firstHeader = 0;
      growth.textContent = "";
      byId("claims-header").hidden = true;
      byId("claims-result").hidden = true;
    });
  }

  // Django's default user model logs in by username: the pair is the same simplejwt pair.
  var defaultForm = byId("default-user-form");
  if (defaultForm) {
    defaultForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      var out = byId("default-user-result");
      var answer = await call("POST", "/jwt/api/lab/default-user",
        { username: byId("default-username").value, password: byId("default-password").value });
      byId("default-password").value = "";
      if (answer.status !== 200) {
        var data = answer.data || {};
        var why = data.detail || (data.username && data.username.join(" ")) || JSON.stringify(data);
        lab.show(out, "POST /jwt/api/lab/default-user → HTTP " + answer.status + "\n" + why);
        out.className = "answer refused";
        return;
      }
      var payload = lab.jwtPayload(answer.data.access);
      var me = await call("GET", "/jwt/api/me", undefined, answer.data.access);
      lab.show(out, ["POST /jwt/api/lab/default-user → HTTP 200",
        lab.t("js.jwt.default_user_payload"), JSON.stringify(payload, null, 2),
        "GET /jwt/api/me → HTTP " + me.status + " " + JSON.stringify(me.data)].join("\n"));
      out.className = "answer " + (me.status === 200 ? "accepted" : "refused");
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
