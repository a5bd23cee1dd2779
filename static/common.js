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

  window.authlab = { t: t, postJson: postJson, show: show };
})();
