/* A background job's progress on a page (templates/jobs/_progress.html): polls
   GET /api/v1/jobs/ID, moves the bar, shows the message (as text, in the reader's
   language: message_localised), cancels with DELETE, and when the job is done opens the
   page that shows its result. The job id is in the page's URL (?job=ID), so a reload
   follows the same job. */
(function () {
  "use strict";
  var POLL_MS = 1000;

  /* Whether ``page`` is the page being looked at (its result is shown here already). */
  function shownHere(page) {
    var target = new URL(page, window.location.href);
    return target.pathname + target.search === window.location.pathname + window.location.search;
  }

  function start(box) {
    var bar = document.getElementById("job-bar");
    var percent = document.getElementById("job-percent");
    var message = document.getElementById("job-message");
    var stateText = document.getElementById("job-state");
    var errorText = document.getElementById("job-error");
    var cancel = document.getElementById("job-cancel");
    var result = document.getElementById("job-result");
    var url = box.getAttribute("data-job-url");
    var label = function (name) { return box.getAttribute("data-label-" + name) || name; };
    var finished = false;

    function show(job) {
      var value = Math.round(100 * (job.progress || 0));
      box.setAttribute("data-job-state", job.state);
      bar.value = value;
      bar.textContent = value + " %";
      percent.textContent = value + " %";
      stateText.textContent = job.cancel_requested && job.state === "running"
        ? label("cancelling") : label(job.state);
      // the message in the reader's language (the API's `message` stays English)
      message.textContent = job.message_localised || job.message || "";
      var live = job.state === "queued" || job.state === "running";
      cancel.hidden = !live || job.cancel_requested;
      if (job.error) {
        errorText.textContent = job.error.message || job.error.error || "";
        errorText.hidden = false;
      }
      if (job.state === "done" && job.page && !shownHere(job.page)) {
        result.href = GridPatrolDom.safeUrl(job.page);
        result.hidden = false;
      }
      return live;
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (job) {
          if (show(job)) { window.setTimeout(poll, POLL_MS); return; }
          finished = true;
          if (job.state === "done" && job.page && box.getAttribute("data-job-state-at-load")
              !== "done") {
            window.location.assign(GridPatrolDom.safeUrl(job.page));
          }
        })
        .catch(function () {
          message.textContent = label("lost");
          window.setTimeout(poll, 3 * POLL_MS);
        });
    }

    cancel.addEventListener("click", function () {
      cancel.disabled = true;
      fetch(url, { method: "DELETE", credentials: "same-origin",
                   headers: { Accept: "application/json",
                              "X-CSRFToken": box.getAttribute("data-csrf") } })
        .then(function (response) { return response.json(); })
        .then(function (job) { if (job && job.state) { show(job); } })
        .finally(function () { cancel.disabled = false; });
    });

    box.setAttribute("data-job-state-at-load", box.getAttribute("data-job-state"));
    if (!finished && (box.getAttribute("data-job-state") === "queued" ||
                      box.getAttribute("data-job-state") === "running")) {
      poll();
    }
  }

  function init() {
    var box = document.getElementById("job-progress");
    if (box) { start(box); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
