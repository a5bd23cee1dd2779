// The request inspector: every request this page's script makes (and every form the browser posts
// from it) listed whole, opened, edited and sent again, copied as curl, exported as HAR 1.2.
// Exchanges are kept in sessionStorage, so a form post or a lab action that reloads the page
// keeps the list.
(function () {
  "use strict";
  var lab = window.authlab;
  var root = document.getElementById("inspector");
  if (!lab || !root) { return; }
  var STORE = "authlab.inspector";
  var PENDING = "authlab.inspector.pending";
  var COUNTER = "authlab.inspector.counter";
  var MAX = 100;
  var realFetch = window.fetch.bind(window);
  var t = lab.t;

  // The cookies the browser sent with this page, as the server read them (HttpOnly ones
  // included: script cannot read those, the server can), by name.
  var pageCookies = {};
  try { pageCookies = JSON.parse(root.getAttribute("data-cookies") || "{}"); } catch (e) { pageCookies = {}; }

  function load() {
    try { return JSON.parse(sessionStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  var exchanges = load();
  function save() {
    while (exchanges.length > MAX) { exchanges.shift(); }
    try { sessionStorage.setItem(STORE, JSON.stringify(exchanges)); } catch (e) { /* full: keep in memory */ }
  }
  // Ids come from one counter, bumped as each request starts: requests in flight together
  // (two tabs refreshing at once) each get their own.
  var lastId = exchanges.reduce(function (top, x) { return Math.max(top, x.id); }, 0);
  function nextId() {
    var stored = Number(sessionStorage.getItem(COUNTER) || 0);
    lastId = Math.max(lastId, stored) + 1;
    try { sessionStorage.setItem(COUNTER, String(lastId)); } catch (e) { /* memory only */ }
    return lastId;
  }

  // Passwords never stay in the list, the HAR or a copied command: a JSON or form body's
  // password fields are masked as they are recorded (a copied command says YOUR-PASSWORD).
  var MASK = "********";
  var SECRET_FIELDS = ["password", "new_password", "old_password", "current_password", "password1", "password2"];
  function masked(body) {
    if (typeof body !== "string" || !body) { return body; }
    try {
      var data = JSON.parse(body);
      if (data && typeof data === "object" && !Array.isArray(data)) {
        var hidden = false;
        SECRET_FIELDS.forEach(function (name) {
          if (typeof data[name] === "string") { data[name] = MASK; hidden = true; }
        });
        return hidden ? JSON.stringify(data) : body;
      }
      return body;
    } catch (e) { /* not JSON: perhaps a form */ }
    if (body.indexOf("=") < 0 || /\s/.test(body)) { return body; }
    return body.split("&").map(function (pair) {
      var name = decodeURIComponent(pair.split("=")[0].replace(/\+/g, " "));
      return SECRET_FIELDS.indexOf(name) >= 0 ? pair.split("=")[0] + "=" + MASK : pair;
    }).join("&");
  }

  // `Server-Timing: db;dur=0.31;desc="…", total;dur=1.2` as [{name, dur, desc}].
  function serverTiming(header) {
    if (!header) { return []; }
    return header.split(",").map(function (part) {
      var bits = part.trim().split(";");
      var entry = { name: bits[0].trim(), dur: null, desc: "" };
      bits.slice(1).forEach(function (bit) {
        var kv = bit.split("=");
        var key = kv[0].trim(), value = kv.slice(1).join("=").trim().replace(/^"|"$/g, "");
        if (key === "dur") { entry.dur = Number(value); }
        if (key === "desc") { entry.desc = value; }
      });
      return entry;
    }).filter(function (e) { return e.name; });
  }

  // The cookie line the browser adds to a same-origin request, from what the server saw with this
  // page (the browser may hold newer values after a login that did not reload the page).
  function cookieLine() {
    var names = Object.keys(pageCookies);
    document.cookie.split(";").forEach(function (pair) {
      var name = pair.split("=")[0].trim();
      if (name && names.indexOf(name) < 0) { names.push(name); pageCookies[name] = pair.split("=").slice(1).join("="); }
    });
    return names.map(function (n) { return n + "=" + pageCookies[n]; }).join("; ");
  }

  // The cookie and session rooms' inspect answers say which cookie the server received (the
  // panels' "in your browser"): later requests and their curl commands carry that value.
  // The exchange that carried it is corrected too: the browser sent what the server read.
  function learnCookies(text, exchange) {
    var data = null;
    try { data = JSON.parse(text); } catch (e) { return; }
    var browser = data && data.browser;
    if (!browser || typeof browser.name !== "string") { return; }
    if (browser.present) { pageCookies[browser.name] = browser.value; } else { delete pageCookies[browser.name]; }
    var line = exchange.request.headers.filter(function (h) { return h.name === "Cookie"; })[0];
    if (line) { line.value = cookieLine(); }
  }

  function headerList(headers) {
    var out = [];
    if (!headers) { return out; }
    if (typeof headers.forEach === "function" && !Array.isArray(headers)) {
      headers.forEach(function (value, name) { out.push({ name: name, value: value }); });
    } else if (Array.isArray(headers)) {
      headers.forEach(function (pair) { out.push({ name: pair[0], value: pair[1] }); });
    } else {
      Object.keys(headers).forEach(function (name) { out.push({ name: name, value: String(headers[name]) }); });
    }
    return out;
  }

  // Every fetch the page makes goes through here and is recorded whole.
  window.fetch = async function (input, init) {
    init = lab.withLab(typeof input === "string" ? input : input.url, init || {});
    var url = new URL(typeof input === "string" ? input : input.url, location.href);
    var request = {
      method: (init.method || "GET").toUpperCase(),
      url: url.href,
      headers: headerList(init.headers),
      body: masked(typeof init.body === "string" ? init.body
        : (init.body instanceof URLSearchParams ? init.body.toString() : (init.body ? "(" + t("js.inspector.binary_body") + ")" : null))),
      withCookies: url.origin === location.origin && init.credentials !== "omit"
    };
    if (init.body instanceof URLSearchParams) {
      request.headers.push({ name: "Content-Type", value: "application/x-www-form-urlencoded;charset=UTF-8" });
    }
    if (request.withCookies && cookieLine()) {
      request.headers.push({ name: "Cookie", value: cookieLine(), byBrowser: true });
    }
    var exchange = { id: nextId(), started: new Date().toISOString(), request: request, via: init.authlabVia || "script", resendOf: init.authlabResendOf || null };
    var begun = performance.now();
    var res;
    try {
      res = await realFetch(input, init);
    } catch (err) {
      exchange.time = performance.now() - begun;
      exchange.response = { status: 0, statusText: String(err), headers: [], body: "" };
      push(exchange);
      throw err;
    }
    var text = "";
    try { text = await res.clone().text(); } catch (e) { text = ""; }
    exchange.time = performance.now() - begun;
    exchange.response = {
      status: res.status,
      statusText: res.statusText,
      headers: headerList(res.headers),
      body: text
    };
    if (res.type === "opaqueredirect") {
      // redirect: "manual": the browser tells script only that the answer was a redirect.
      exchange.response.status = 303;
      exchange.response.statusText = "See Other";
      exchange.response.note = t("js.inspector.opaque_redirect");
    } else if (res.redirected) {
      exchange.response.landed = { url: res.url, status: res.status };
    }
    exchange.timing = serverTiming(res.headers.get("Server-Timing"));
    learnCookies(text, exchange);
    push(exchange);
    return res;
  };

  function push(exchange) {
    exchanges.push(exchange);
    save();
    render();
  }

  // A form the browser posts itself (the cookie and session logins, the lab forms): recorded as
  // it leaves, completed on the page the answer leads to (see `completePending`).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || (form.getAttribute("method") || "get").toLowerCase() !== "post" || event.defaultPrevented) { return; }
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) { return; }
      fields.push({ name: el.name, value: el.type === "password" ? "" : el.value, secret: el.type === "password" });
    });
    var pending = {
      id: nextId(),
      started: new Date().toISOString(),
      via: "form",
      request: {
        method: "POST",
        url: new URL(form.getAttribute("action") || location.pathname, location.href).href,
        headers: [
          { name: "Content-Type", value: "application/x-www-form-urlencoded" },
          { name: "Origin", value: location.origin, byBrowser: true },
          { name: "Cookie", value: cookieLine(), byBrowser: true }
        ],
        fields: fields,
        body: fields.map(function (f) {
          return encodeURIComponent(f.name) + "=" + (f.secret ? "********" : encodeURIComponent(f.value));
        }).join("&"),
        withCookies: true
      },
      cookiesBefore: pageCookies,
      at: performance.timeOrigin + performance.now()
    };
    try { sessionStorage.setItem(PENDING, JSON.stringify(pending)); } catch (e) { /* nothing to keep */ }
  }, false);

  // The page a posted form led to: what the browser got (the navigation's final status and
  // Server-Timing) and which cookies the server's answer set or removed, compared by value.
  function completePending() {
    var pending = null;
    try { pending = JSON.parse(sessionStorage.getItem(PENDING) || "null"); } catch (e) { pending = null; }
    sessionStorage.removeItem(PENDING);
    if (!pending) { return; }
    // Only the page the post led to completes it: a minute at most, reached from the post.
    if (Date.now() - Date.parse(pending.started) > 60000) { return; }
    var nav = performance.getEntriesByType("navigation")[0] || {};
    var before = pending.cookiesBefore || {};
    var set = [];
    Object.keys(pageCookies).forEach(function (name) {
      if (before[name] !== pageCookies[name]) { set.push({ name: "Set-Cookie", value: name + "=" + pageCookies[name], byServer: true }); }
    });
    Object.keys(before).forEach(function (name) {
      if (!(name in pageCookies)) { set.push({ name: "Set-Cookie", value: name + "=; Max-Age=0", byServer: true }); }
    });
    var redirected = nav.redirectCount > 0 || location.href.split("#")[0] !== pending.request.url;
    var headers = set.slice();
    if (redirected) { headers.unshift({ name: "Location", value: location.pathname + location.search }); }
    pending.response = {
      status: redirected ? 303 : (nav.responseStatus || 200),
      statusText: redirected ? "See Other" : "",
      headers: headers,
      body: "",
      landed: redirected ? { url: location.href, status: nav.responseStatus || 200 } : null
    };
    pending.time = Math.max(0, (performance.timeOrigin + (nav.responseEnd || 0)) - pending.at);
    pending.timing = (nav.serverTiming || []).map(function (s) { return { name: s.name, dur: s.duration, desc: s.description }; });
    pending.id = nextId();
    delete pending.cookiesBefore;
    delete pending.at;
    exchanges.push(pending);
    save();
  }

  function shellQuote(text) { return "'" + String(text).replace(/'/g, "'\\''") + "'"; }

  // The exchange's request as a curl command that reaches this same server.
  function curl(x) {
    var r = x.request;
    var parts = ["curl -i"];
    if (r.method !== "GET" && !(r.method === "POST" && (r.body || r.fields))) { parts.push("-X " + r.method); }
    parts.push(shellQuote(r.url));
    r.headers.forEach(function (h) {
      if (h.name.toLowerCase() === "origin") { return; }
      if (h.name.toLowerCase() === "cookie") {
        if (h.value) { parts.push("-b " + shellQuote(h.value)); }
        return;
      }
      parts.push("-H " + shellQuote(h.name + ": " + h.value));
    });
    if (r.fields) {
      r.fields.forEach(function (f) {
        parts.push("--data-urlencode " + shellQuote(f.name + "=" + (f.secret ? t("js.inspector.your_password") : f.value)));
      });
    } else if (r.body !== null && r.body !== undefined) {
      parts.push("--data-raw " + shellQuote(r.body.split(MASK).join(t("js.inspector.your_password"))));
    }
    return parts.join(" ");
  }

  function mimeOf(headers) {
    var found = headers.filter(function (h) { return h.name.toLowerCase() === "content-type"; })[0];
    return found ? found.value : "";
  }

  function queryString(url) {
    var out = [];
    new URL(url).searchParams.forEach(function (value, name) { out.push({ name: name, value: value }); });
    return out;
  }

  function cookiesOf(headers, name) {
    var out = [];
    headers.forEach(function (h) {
      if (h.name.toLowerCase() !== name) { return; }
      h.value.split(";").forEach(function (pair, i) {
        if (name === "set-cookie" && i > 0) { return; }
        var bits = pair.trim().split("=");
        if (bits[0]) { out.push({ name: bits[0], value: bits.slice(1).join("=") }); }
      });
    });
    return out;
  }

  // The listed exchanges as a HAR 1.2 log (what the browser's devtools import), with the server's
  // own time (Server-Timing) as `wait` and the rest of the round trip as `receive`.
  function har() {
    var pageId = "page_1";
    var first = exchanges.length ? exchanges[0].started : new Date().toISOString();
    return {
      log: {
        version: "1.2",
        creator: { name: "authlab", version: root.getAttribute("data-version") || "" },
        pages: [{ startedDateTime: first, id: pageId, title: document.title, pageTimings: { onContentLoad: -1, onLoad: -1 } }],
        entries: exchanges.map(function (x) {
          var r = x.request, a = x.response || { status: 0, statusText: "", headers: [], body: "" };
          var total = Math.max(0, Number(x.time) || 0);
          var server = (x.timing || []).reduce(function (sum, s) { return s.name === "total" ? Math.max(sum, s.dur || 0) : sum; }, 0);
          if (!server) { server = (x.timing || []).reduce(function (sum, s) { return sum + (s.dur || 0); }, 0); }
          var wait = Math.min(total, server);
          var requestHeaders = r.headers.map(function (h) { return { name: h.name, value: h.value }; });
          var responseHeaders = a.headers.map(function (h) { return { name: h.name, value: h.value }; });
          var mime = mimeOf(r.headers) || "application/octet-stream";
          var entry = {
            pageref: pageId,
            startedDateTime: x.started,
            time: total,
            request: {
              method: r.method, url: r.url, httpVersion: "HTTP/1.1",
              cookies: cookiesOf(r.headers, "cookie"), headers: requestHeaders,
              queryString: queryString(r.url), headersSize: -1,
              bodySize: r.body ? lab.bytes(r.body) : 0
            },
            response: {
              status: a.status, statusText: a.statusText || "", httpVersion: "HTTP/1.1",
              cookies: cookiesOf(a.headers, "set-cookie"), headers: responseHeaders,
              content: { size: lab.bytes(a.body || ""), mimeType: mimeOf(a.headers) || "x-unknown", text: a.body || "" },
              redirectURL: (a.headers.filter(function (h) { return h.name.toLowerCase() === "location"; })[0] || {}).value || "",
              headersSize: -1, bodySize: lab.bytes(a.body || "")
            },
            cache: {},
            timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: wait, receive: total - wait },
            comment: x.via === "form" ? t("js.inspector.har_form") : ""
          };
          if (r.body) { entry.request.postData = { mimeType: mime, text: r.body }; }
          if (x.timing && x.timing.length) { entry._serverTiming = x.timing; }
          return entry;
        })
      }
    };
  }

  function exportHar() {
    var blob = new Blob([JSON.stringify(har(), null, 2)], { type: "application/json" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "authlab" + location.pathname.replace(/\//g, "-").replace(/-$/, "") + ".har";
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  // ---- rendering ----

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function pathOf(url) {
    var u = new URL(url);
    return u.origin === location.origin ? u.pathname + u.search : u.href;
  }

  // The credential a request carried, shortened as the panels show it.
  function credentialOf(r) {
    var auth = r.headers.filter(function (h) { return h.name.toLowerCase() === "authorization"; })[0];
    if (auth) { return auth.value; }
    var cookie = r.headers.filter(function (h) { return h.name.toLowerCase() === "cookie"; })[0];
    if (!cookie || !cookie.value) { return "—"; }
    // The credential first: the CSRF seed and the language choice are not who you are.
    var pairs = cookie.value.split("; ");
    var credentials = pairs.filter(function (p) { return !/^(authlab_csrf|lang)=/.test(p); });
    return "Cookie: " + (credentials.length ? credentials : pairs).join("; ");
  }

  function pretty(body) {
    if (!body) { return ""; }
    try { return JSON.stringify(JSON.parse(body), null, 2); } catch (e) { return body; }
  }

  function headerTable(headers, caption) {
    var table = el("table", "kv headers");
    if (caption) { table.appendChild(el("caption", "", caption)); }
    headers.forEach(function (h) {
      var row = el("tr");
      var name = el("th", "", h.name);
      var cell = el("td");
      var long = /^(authorization|cookie|set-cookie)$/i.test(h.name) ? 48 : 200;
      cell.appendChild(lab.longValue(h.value, long));
      if (h.byBrowser) { cell.appendChild(el("span", "hint", " " + t("js.inspector.by_browser"))); }
      if (h.byServer) { cell.appendChild(el("span", "hint", " " + t("js.inspector.by_server"))); }
      row.appendChild(name);
      row.appendChild(cell);
      table.appendChild(row);
    });
    if (!headers.length) { table.appendChild(el("tr")).appendChild(el("td", "empty", "—")); }
    return table;
  }

  function side(x, heading) {
    var box = el("div", "exchange-side");
    box.appendChild(el("h4", "", heading));
    var r = x.request, a = x.response || {};
    box.appendChild(el("pre", "wire-header request-line", r.method + " " + pathOf(r.url) + " HTTP/1.1"));
    box.appendChild(headerTable(r.headers, t("js.inspector.request_headers")));
    if (r.body) { box.appendChild(el("pre", "structure body", pretty(r.body))); }
    box.appendChild(el("pre", "wire-header status-line", "HTTP/1.1 " + a.status + " " + (a.statusText || "")));
    box.appendChild(headerTable(a.headers || [], t("js.inspector.response_headers")));
    if (a.landed) { box.appendChild(el("p", "note", t("js.inspector.landed", { url: pathOf(a.landed.url), status: a.landed.status }))); }
    if (a.note) { box.appendChild(el("p", "note", a.note)); }
    if (x.via === "form") { box.appendChild(el("p", "note", t("js.inspector.form_note"))); }
    if (a.body) { box.appendChild(el("pre", "structure body response-body", pretty(a.body))); }
    if (x.timing && x.timing.length) {
      var timing = el("table", "kv timing");
      timing.appendChild(el("caption", "", a.landed && x.via === "form" ? "Server-Timing (GET " + pathOf(a.landed.url) + ")" : "Server-Timing"));
      x.timing.forEach(function (s) {
        var row = el("tr");
        row.appendChild(el("th", "", s.name));
        row.appendChild(el("td", "", (s.dur === null ? "" : s.dur.toFixed(2) + " ms") + (s.desc ? " — " + s.desc : "")));
        timing.appendChild(row);
      });
      box.appendChild(timing);
    }
    return box;
  }

  // The resend form: method, URL, headers (one per line), body, and which credential to send.
  function editor(x) {
    var form = el("form", "stacked resend");
    var r = x.request;
    var method = el("select");
    ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"].forEach(function (m) {
      var option = el("option", "", m); option.value = m; if (m === r.method) { option.selected = true; } method.appendChild(option);
    });
    method.name = "method";
    var url = el("input"); url.name = "url"; url.value = pathOf(r.url); url.spellcheck = false;
    var headers = el("textarea"); headers.name = "headers"; headers.rows = 2; headers.spellcheck = false;
    headers.placeholder = t("js.inspector.headers_hint");
    headers.value = r.headers.filter(function (h) {
      return !h.byBrowser && !/^authorization$/i.test(h.name);
    }).map(function (h) { return h.name + ": " + h.value; }).join("\n");
    var body = el("textarea"); body.name = "body"; body.rows = 2; body.spellcheck = false;
    body.value = r.fields ? r.fields.map(function (f) {
      return encodeURIComponent(f.name) + "=" + (f.secret ? "" : encodeURIComponent(f.value));
    }).join("&") : (r.body || "");
    var credential = el("select"); credential.name = "credential";
    var auth = (r.headers.filter(function (h) { return /^authorization$/i.test(h.name); })[0] || {}).value;
    var choices = [
      ["as-sent", t("js.inspector.cred_as_sent")],
      ["none", t("js.inspector.cred_none")],
      ["cookies", t("js.inspector.cred_cookies")],
      ["token", t("js.inspector.cred_token")],
      ["jwt", t("js.inspector.cred_jwt")]
    ];
    choices.forEach(function (c) { var o = el("option", "", c[1]); o.value = c[0]; credential.appendChild(o); });
    // What the tester typed survives the list being drawn again (a request landing meanwhile).
    var draft = drafts[x.id] || (drafts[x.id] = {});
    [method, url, headers, body, credential].forEach(function (field) {
      if (draft[field.name] !== undefined) { field.value = draft[field.name]; }
      field.addEventListener("input", function () { draft[field.name] = field.value; });
      field.addEventListener("change", function () { draft[field.name] = field.value; });
    });
    [[t("js.inspector.method"), method], ["URL", url], [t("js.inspector.headers"), headers],
      [t("js.inspector.body"), body], [t("js.inspector.credential"), credential]].forEach(function (pair) {
      var label = el("label", "", pair[0]);
      form.appendChild(label);
      form.appendChild(pair[1]);
    });
    var send = el("button", "", t("js.inspector.send"));
    send.type = "submit";
    form.appendChild(send);
    var problem = el("p", "form-error", "");
    problem.hidden = true;
    form.appendChild(problem);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      problem.hidden = true;
      var init = { method: method.value, headers: {}, authlabVia: "resend", authlabResendOf: x.id };
      var bad = null, forbidden = null;
      headers.value.split("\n").forEach(function (line) {
        if (!line.trim()) { return; }
        var at = line.indexOf(":");
        if (at < 1) { bad = line; return; }
        var name = line.slice(0, at).trim();
        if (/^(cookie|cookie2|origin|host|referer|content-length|connection|sec-.*|proxy-.*)$/i.test(name)) { forbidden = name; return; }
        init.headers[name] = line.slice(at + 1).trim();
      });
      if (forbidden !== null) { problem.textContent = t("js.inspector.forbidden_header", { name: forbidden }); problem.hidden = false; return; }
      if (bad !== null) { problem.textContent = t("js.inspector.bad_header", { line: bad }); problem.hidden = false; return; }
      var choice = credential.value;
      init.credentials = choice === "cookies" || (choice === "as-sent" && r.withCookies) ? "same-origin" : "omit";
      if (choice === "as-sent" && auth) { init.headers.Authorization = auth; }
      if (choice === "token") {
        var key = localStorage.getItem("authlab.token");
        if (!key) { problem.textContent = t("js.inspector.no_token"); problem.hidden = false; return; }
        init.headers.Authorization = "Token " + key;
      }
      if (choice === "jwt") {
        var access = localStorage.getItem("authlab.jwt.access");
        if (!access) { problem.textContent = t("js.inspector.no_jwt"); problem.hidden = false; return; }
        init.headers.Authorization = "Bearer " + access;
      }
      if (body.value && method.value !== "GET") { init.body = body.value; }
      var target;
      try { target = new URL(url.value, location.href); } catch (e) { target = null; }
      if (!target || target.origin !== location.origin) {
        problem.textContent = t("js.inspector.same_site_only"); problem.hidden = false; return;
      }
      if (document.activeElement && document.activeElement.blur) { document.activeElement.blur(); }
      try {
        await window.fetch(target.href, init);
      } catch (e) {
        problem.textContent = String(e); problem.hidden = false; return;
      }
      // The answer shows beside the original, which stays open.
      open[x.id] = true;
      render();
    });
    return form;
  }

  var open = {};
  var editing = {};
  var drafts = {};
  var renderLater = false;

  // Draws the list again; while the tester is typing in a resend form, once they leave it.
  function render() {
    if (document.activeElement && document.activeElement.closest && document.activeElement.closest("#inspector form.resend")) {
      renderLater = true;
      return;
    }
    renderLater = false;
    draw();
  }
  root.addEventListener("focusout", function () {
    setTimeout(function () { if (renderLater) { render(); } }, 0);
  });

  function draw() {
    var body = root.querySelector("tbody");
    var count = root.querySelector("#inspector-count");
    if (count) { count.textContent = exchanges.length === 1 ? t("js.inspector.count_one") : t("js.inspector.count", { count: exchanges.length }); }
    if (!body) { return; }
    body.textContent = "";
    exchanges.slice().reverse().forEach(function (x) {
      var a = x.response || {};
      var row = el("tr", "exchange" + (a.status >= 400 ? " refused" : ""));
      row.setAttribute("data-exchange", String(x.id));
      row.appendChild(el("td", "num", String(x.id)));
      var what = el("td");
      what.appendChild(el("code", "nowrap", x.request.method + " " + pathOf(x.request.url)));
      if (x.via === "form") { what.appendChild(el("span", "chip", t("js.inspector.via_form"))); }
      if (x.via === "resend") { what.appendChild(el("span", "chip", t("js.inspector.via_resend", { id: x.resendOf }))); }
      row.appendChild(what);
      var cred = el("td");
      cred.appendChild(lab.longValue(credentialOf(x.request), 28));
      row.appendChild(cred);
      row.appendChild(el("td", "status", String(a.status)));
      var total = (x.timing || []).filter(function (s) { return s.name === "total"; })[0];
      row.appendChild(el("td", "nowrap", total && total.dur !== null ? total.dur.toFixed(2) + " ms" : ((x.timing || [])[0] ? x.timing.map(function (s) { return s.name; }).join(", ") : "")));
      var actions = el("td", "nowrap");
      var toggle = el("button", "small secondary open-exchange", open[x.id] ? t("js.inspector.close") : t("js.inspector.open"));
      toggle.type = "button";
      toggle.addEventListener("click", function () { open[x.id] = !open[x.id]; render(); });
      var copy = el("button", "small secondary copy copy-curl", t("js.inspector.copy_curl"));
      copy.type = "button";
      copy.setAttribute("data-copy", curl(x));
      actions.appendChild(toggle);
      actions.appendChild(copy);
      row.appendChild(actions);
      body.appendChild(row);
      if (!open[x.id]) { return; }
      var detail = el("tr", "exchange-detail");
      var cell = el("td");
      cell.colSpan = 6;
      var sides = el("div", "exchange-sides");
      sides.appendChild(side(x, t("js.inspector.original")));
      var resent = exchanges.filter(function (y) { return y.resendOf === x.id; }).pop();
      if (resent) { sides.appendChild(side(resent, t("js.inspector.resent", { id: resent.id }))); }
      cell.appendChild(sides);
      cell.appendChild(el("pre", "curl", curl(x)));
      var edit = el("button", "small edit-resend", t("js.inspector.edit"));
      edit.type = "button";
      edit.addEventListener("click", function () { editing[x.id] = !editing[x.id]; render(); });
      cell.appendChild(edit);
      if (editing[x.id]) { cell.appendChild(editor(x)); }
      detail.appendChild(cell);
      body.appendChild(detail);
    });
    var empty = root.querySelector("#inspector-empty");
    if (empty) { empty.hidden = exchanges.length > 0; }
  }

  completePending();
  render();
  var exportButton = document.getElementById("inspector-har");
  if (exportButton) { exportButton.addEventListener("click", exportHar); }
  var clearButton = document.getElementById("inspector-clear");
  if (clearButton) {
    clearButton.addEventListener("click", function () { exchanges = []; open = {}; editing = {}; drafts = {}; save(); render(); });
  }

  lab.inspector = { har: har, curl: curl, exchanges: function () { return exchanges; } };
})();
