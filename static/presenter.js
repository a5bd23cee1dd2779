// Presenter mode (?present=1 on any page): large type, one step of the page at a time, the
// arrow keys (or Page Up/Down, Space) to move, Home/End for the first and last, Esc to leave.
(function () {
  "use strict";
  var lab = window.authlab;
  if (!lab || new URLSearchParams(location.search).get("present") !== "1") { return; }
  var main = document.querySelector("main");
  var page = main && (main.querySelector(".scheme-page") || main.querySelector("section") && main);
  if (!page) { return; }
  // The steps: each top-level part of the page, each panel and each lab on its own.
  var steps = [];
  Array.prototype.forEach.call(page.children, function (child) {
    if (child.classList.contains("panels") || child.classList.contains("labs")) {
      Array.prototype.forEach.call(child.children, function (part) {
        if (part.tagName !== "H2") { steps.push(part); }
      });
    } else if (child.tagName !== "SCRIPT") {
      steps.push(child);
    }
  });
  steps = steps.filter(function (step) { return !step.hidden; });
  if (!steps.length) { return; }
  document.body.classList.add("presenting");
  var bar = document.createElement("div");
  bar.className = "presenter-bar";
  bar.id = "presenter-bar";
  var back = document.createElement("button");
  back.type = "button"; back.className = "small secondary"; back.textContent = "←";
  back.setAttribute("aria-label", lab.t("js.presenter.previous"));
  var count = document.createElement("span");
  count.id = "presenter-step";
  var next = document.createElement("button");
  next.type = "button"; next.className = "small"; next.textContent = "→";
  next.setAttribute("aria-label", lab.t("js.presenter.next"));
  var leave = document.createElement("a");
  leave.href = location.pathname; leave.textContent = lab.t("js.presenter.leave");
  [back, count, next, leave].forEach(function (el) { bar.appendChild(el); });
  document.body.appendChild(bar);

  var at = Math.min(steps.length - 1, Math.max(0, Number(sessionStorage.getItem("authlab.present." + location.pathname) || 0)));
  function show(i) {
    at = Math.min(steps.length - 1, Math.max(0, i));
    steps.forEach(function (step, n) { step.classList.toggle("present-hidden", n !== at); });
    count.textContent = lab.t("js.presenter.step", { at: at + 1, of: steps.length });
    sessionStorage.setItem("authlab.present." + location.pathname, String(at));
    window.scrollTo(0, 0);
  }
  back.addEventListener("click", function () { show(at - 1); });
  next.addEventListener("click", function () { show(at + 1); });
  document.addEventListener("keydown", function (event) {
    var typing = event.target && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
    if (typing) { return; }
    if (["ArrowRight", "PageDown", " "].indexOf(event.key) >= 0) { show(at + 1); event.preventDefault(); }
    if (["ArrowLeft", "PageUp"].indexOf(event.key) >= 0) { show(at - 1); event.preventDefault(); }
    if (event.key === "Home") { show(0); event.preventDefault(); }
    if (event.key === "End") { show(steps.length - 1); event.preventDefault(); }
    if (event.key === "Escape") { location.href = location.pathname; }
  });
  show(at);
})();
