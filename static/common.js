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

  // Adds one row, newest first, to the page's request log (#request-log).
  function logRequest(method, path, sent, status, timing) {
    var table = document.getElementById("request-log");
    if (!table) { return; }
    var body = table.querySelector("tbody");
    var row = document.createElement("tr");
    [method + " " + path, sent, String(status), timing || ""].forEach(function (text) {
      var cell = document.createElement("td");
      cell.textContent = text;
      row.appendChild(cell);
    });
    body.insertBefore(row, body.firstChild);
  }

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

  window.authlab = {
    t: t, postJson: postJson, show: show, logRequest: logRequest,
    base64urlDecode: base64urlDecode, jwtPayload: jwtPayload, bytes: bytes
  };
})();
