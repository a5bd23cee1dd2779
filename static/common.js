// authlab page helpers shared by every page: catalog strings, JSON requests, the lab clock bar.
(function () {
  "use strict";

  var strings = {};
  try {
    strings = JSON.parse(document.body.getAttribute("data-i18n") || "{}");
  } catch (e) {
    strings = {};
  }

  // Catalog text for `key`, with each %{name} replaced from `args`.
  function t(key, args) {
    var text = strings[key] || key;
    Object.keys(args || {}).forEach(function (name) {
      text = text.split("%{" + name + "}").join(String(args[name]));
    });
    return text;
  }

  // The private lab this page is in (empty: the server's shared lab). A request that sends no
  // cookies names it in X-Authlab-Lab instead, so the token and JWT pages, which send only
  // their Authorization header, still reach this browser's lab.
  var labId = document.body.getAttribute("data-lab") || "";
  function withLab(url, init) {
    init = init || {};
    var sameSite = new URL(url, location.href).origin === location.origin;
    if (!labId || !sameSite || init.credentials !== "omit") { return init; }
    var headers = {};
    if (init.headers && typeof init.headers.forEach === "function") {
      init.headers.forEach(function (value, name) { headers[name] = value; });
    } else {
      Object.assign(headers, init.headers || {});
    }
    var named = Object.keys(headers).some(function (h) { return h.toLowerCase() === "x-authlab-lab"; });
    if (!named) { headers["X-Authlab-Lab"] = labId; }
    return Object.assign({}, init, { headers: headers });
  }
  var networkFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    return networkFetch(input, withLab(typeof input === "string" ? input : input.url, init));
  };
  // The option a copied curl command needs to reach this lab ("" in the shared lab).
  function labFlag() { return labId ? " -H 'X-Authlab-Lab: " + labId + "'" : ""; }

  // POSTs a JSON body (same origin) and returns {status, data, headers}.
  async function postJson(path, body, headers) {
    var init = {
      method: "POST",
      credentials: "same-origin",
      headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
      body: JSON.stringify(body || {})
    };
    var res = await fetch(path, init);
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    // Whatever moved the lab clock, the bar shows the server's lab time at once.
    var bar = document.getElementById("lab-now");
    if (bar && res.status === 200 && data && data.now_text) { bar.textContent = data.now_text; }
    return { status: res.status, data: data, headers: res.headers };
  }

  function show(el, text) {
    if (!el) { return; }
    el.textContent = text;
    el.hidden = false;
  }

  document.querySelectorAll("[data-clock]").forEach(function (button) {
    button.addEventListener("click", async function () {
      var value = button.getAttribute("data-clock");
      var body = value === "reset" ? { reset: true } : { advance: value };
      var answer = await postJson("/lab/clock", body);
      if (answer.status === 200) {
        location.reload();
      } else {
        show(document.getElementById("lab-message"), t("js.lab.clock_failed"));
      }
    });
  });

  // Decodes one base64url segment of a JWT as UTF-8 text. No key is needed: it is only encoded.
  function base64urlDecode(segment) {
    var text = segment.replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) { text += "="; }
    var binary = atob(text);
    var buffer = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { buffer[i] = binary.charCodeAt(i); }
    return new TextDecoder().decode(buffer);
  }

  // The payload of a JWT as an object, or null.
  function jwtPayload(token) {
    try { return JSON.parse(base64urlDecode(token.split(".")[1])); } catch (e) { return null; }
  }

  function bytes(text) { return new TextEncoder().encode(text).length; }

  // A lab-clock time (Unix seconds) as every page writes it, the way the clock bar does:
  // "2026-12-01 14:05:03 UTC". One format in both languages, never the browser's own zone.
  function when(unix) {
    if (unix === null || unix === undefined || unix === "") { return "—"; }
    var d = new Date(Number(unix) * 1000);
    if (isNaN(d.getTime())) { return "—"; }
    return d.toISOString().slice(0, 19).replace("T", " ") + " UTC";
  }

  // A span of time as people say it, to the two largest units: "4 min 59 s", "23 h 59 min",
  // "364 d 23 h" — never "1439 min".
  function span(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var days = Math.floor(seconds / 86400), hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60), rest = seconds % 60;
    if (days > 0) { return hours ? t("js.span.days", { days: days, hours: hours }) : t("js.span.days_only", { days: days }); }
    if (hours > 0) { return minutes ? t("js.span.hours", { hours: hours, minutes: minutes }) : t("js.span.hours_only", { hours: hours }); }
    return rest || !minutes ? t("js.span.minutes", { minutes: minutes, seconds: rest }) : t("js.span.minutes_only", { minutes: minutes });
  }

  // Time left until an expiry: "expires in 4 min 59 s", or "expired".
  function left(seconds) {
    return seconds <= 0 ? t("js.jwt.expired") : t("js.jwt.expires_in", { span: span(seconds) });
  }

  // A long value (a key, a token, a user agent) shortened to its first `keep` characters, with
  // the whole value one click away and a button that copies it.
  function longValue(full, keep) {
    full = String(full || "");
    keep = keep || 12;
    if (full.length <= keep + 1) {
      var plain = document.createElement("code");
      plain.textContent = full;
      return plain;
    }
    var details = document.createElement("details");
    details.className = "long-value";
    var summary = document.createElement("summary");
    var head = document.createElement("code");
    head.textContent = full.slice(0, keep) + "…";
    summary.appendChild(head);
    details.appendChild(summary);
    var whole = document.createElement("code");
    whole.className = "value";
    whole.textContent = full;
    details.appendChild(whole);
    var copy = document.createElement("button");
    copy.type = "button";
    copy.className = "small secondary copy";
    copy.setAttribute("data-copy", full);
    copy.textContent = t("js.copy");
    details.appendChild(copy);
    return details;
  }

  // Every [data-copy] button, including the ones pages render on the server, copies its value.
  document.addEventListener("click", async function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var value = button.getAttribute("data-copy");
    try {
      await navigator.clipboard.writeText(value);
    } catch (e) {
      var area = document.createElement("textarea");
      area.value = value;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = t("js.copied");
  });

  // What a refused cookie or session credential's 401 `code` means, in the page's language
  // (the wire `detail` stays English beside it); "" when the body carries no code.
  function refusal(data) {
    var code = data && data.code;
    var key = ["js", "refusal", code].join(".");
    return code && strings[key] ? t(key) : "";
  }

  window.authlab = {
    t: t, postJson: postJson, show: show,
    base64urlDecode: base64urlDecode, jwtPayload: jwtPayload, bytes: bytes,
    when: when, span: span, left: left, longValue: longValue, refusal: refusal,
    withLab: withLab, labFlag: labFlag
  };
})();
