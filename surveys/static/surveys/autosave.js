// Background autosave for the answering form. Without JavaScript the form
// still saves on every page change; this only saves sooner.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form) return;
  var status = form.querySelector("[data-save-status]");
  var url = form.getAttribute("data-autosave-url");
  var timer = null;
  var inFlight = false;
  var pending = false;
  var DELAY_MS = 1200;

  function show(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("text-danger", !!isError);
  }

  function save() {
    if (inFlight) { pending = true; return; }
    inFlight = true;
    show("Saving…", false);
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (resp) {
      return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        show(result.data.message, false);
      } else {
        show(result.data.error || "Not saved.", true);
      }
    }).catch(function () {
      show("Not saved: connection problem. Your answers stay on this page; use Save draft.", true);
    }).finally(function () {
      inFlight = false;
      if (pending) { pending = false; schedule(); }
    });
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  }

  form.addEventListener("change", schedule);
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA" || event.target.type === "number") schedule();
  });
  form.addEventListener("submit", function () {
    if (timer) clearTimeout(timer);
  });
})();
