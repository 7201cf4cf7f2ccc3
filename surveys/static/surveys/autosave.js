// Background autosave for the answering form. Without JavaScript the form
// still saves on every page change; this only saves sooner, says when it last
// saved, and warns before leaving the page with changes not saved yet.
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
  // Every change bumps `edits`; a save that succeeds covers the edits made
  // before it started. Changes are unsaved while the two differ.
  var edits = 0;
  var savedEdits = 0;
  var submitting = false;

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // The person's own clock, not the server's time zone.
  function clock(date) {
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function show(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("text-danger", !!isError);
  }

  function save() {
    if (inFlight) { pending = true; return; }
    inFlight = true;
    var covers = edits;
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
        savedEdits = Math.max(savedEdits, covers);
        var at = new Date(result.data.saved_at);
        show(isNaN(at) ? result.data.message : "Saved at " + clock(at), false);
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

  function changed() {
    edits += 1;
    schedule();
  }

  // When the draft was last saved, from an earlier visit.
  var last = status && status.getAttribute("data-saved-at");
  if (last) {
    var at = new Date(last);
    if (!isNaN(at)) {
      var today = new Date().toDateString() === at.toDateString();
      var day = today ? "at " : at.toLocaleDateString([], { day: "numeric", month: "short" }) + ", ";
      show("Last saved " + day + clock(at), false);
    }
  }

  // Typing counts as it happens; its change event on leaving the field would
  // only count it again.
  function typed(target) {
    return target.tagName === "TEXTAREA" || target.type === "number";
  }
  form.addEventListener("change", function (event) {
    if (!typed(event.target)) changed();
  });
  form.addEventListener("input", function (event) {
    if (typed(event.target)) changed();
  });
  // Previous, Save draft, Next and Review post every answer on the page:
  // nothing to warn about, and no background save racing them.
  form.addEventListener("submit", function () {
    submitting = true;
    if (timer) clearTimeout(timer);
  });
  window.addEventListener("pageshow", function () { submitting = false; });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || edits === savedEdits) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers need it set to show the prompt
  });
})();
