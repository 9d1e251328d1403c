// Import page: upload with a progress bar, poll a background job if the server answers 202, show the report.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  if (!form) return;
  var progress = document.getElementById("import-progress");
  var bar = progress.querySelector(".progress-bar");
  var label = progress.querySelector(".progress-text");
  var errorBox = document.getElementById("import-error");
  var result = document.getElementById("import-result");
  var button = form.querySelector("button[type=submit]");

  function showProgress(fraction, text) {
    progress.hidden = false;
    progress.classList.toggle("indeterminate", fraction === null);
    bar.style.width = fraction === null ? "" : Math.round(fraction * 100) + "%";
    label.textContent = text;
  }

  function fail(message) {
    progress.hidden = true;
    button.disabled = false;
    errorBox.textContent = form.dataset.msgFailed + ": " + localize(message);
    errorBox.hidden = false;
  }

  function errorMessage(body, status) {
    if (body && body.error && body.error.message) return body.error.message;
    return "HTTP " + status;
  }

  function showResult(data) {
    progress.hidden = true;
    button.disabled = false;
    var rejected = data.rejected || [];
    var values = { total_rows: data.total_rows, created: countOf(data.created), existing: countOf(data.existing),
      rejected: rejected.length, encoding: data.encoding || "—" };
    result.querySelectorAll("[data-k]").forEach(function (el) {
      var v = values[el.dataset.k];
      el.textContent = v === undefined || v === null ? "—" : String(v);
    });
    var mapping = data.mapping || {};
    var parts = Object.keys(mapping).map(function (k) { return k + " → " + (fieldLabels[mapping[k]] || mapping[k]); });
    document.getElementById("import-mapping").textContent = parts.length ? parts.join(" · ") : "—";
    var table = document.getElementById("import-rejected");
    var body = table.querySelector("tbody");
    body.textContent = "";
    rejected.forEach(function (r) {
      var tr = document.createElement("tr");
      var line = document.createElement("td");
      line.className = "mono";
      line.textContent = r.line;
      var reason = document.createElement("td");
      reason.textContent = localize(r.reason); // textContent: file contents never become markup
      tr.appendChild(line);
      tr.appendChild(reason);
      body.appendChild(tr);
    });
    table.hidden = rejected.length === 0;
    document.getElementById("import-allgood").hidden = rejected.length !== 0;
    result.hidden = false;
  }

  // Product messages read "中文 / English": show the side that matches the page language.
  var localize = window.FeedbackLoop.pickLanguage;

  var fieldLabels = {};
  try { fieldLabels = JSON.parse(form.dataset.fieldLabels || "{}"); } catch (e) { fieldLabels = {}; }

  function countOf(v) { return Array.isArray(v) ? v.length : v; }

  // A background job (202): show its progress, poll until it is done, then show its report.
  function followJob(job, url) {
    var state = job.status || job.state;
    if (state === "failed" || state === "error") {
      var err = job.error || {};
      return fail(err.message || job.message || state);
    }
    if (state === "done" && job.result) return showResult(job.result);
    var total = job.total || job.total_rows;
    if (job.processed && total) {
      showProgress(job.processed / total, form.dataset.msgProcessing + " " + job.processed + " / " + total);
    } else {
      showProgress(null, form.dataset.msgProcessing);
    }
    window.setTimeout(function () { poll(url); }, 1000);
  }

  function poll(url) {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (r) {
        if (r.status >= 400) return fail(errorMessage(r.body, r.status));
        followJob(r.body, url);
      })
      .catch(function (e) { fail(String(e)); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    result.hidden = true;
    var file = form.querySelector("input[type=file]").files[0];
    if (!file) return fail(form.dataset.msgNofile);
    var data = new FormData(form);
    if (!data.get("channel")) data.delete("channel");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) showProgress(e.loaded / e.total, form.dataset.msgUploading + " " + Math.round(100 * e.loaded / e.total) + "%");
    });
    xhr.upload.addEventListener("load", function () { showProgress(null, form.dataset.msgProcessing); });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 202 && body) {
        var id = body.job_id || body.id;
        if (!id) return fail("no job id");
        return followJob(body, form.getAttribute("action") + "/" + encodeURIComponent(id));
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) return showResult(body);
      fail(errorMessage(body, xhr.status));
    });
    xhr.addEventListener("error", function () { fail("network error"); });
    button.disabled = true;
    showProgress(0, form.dataset.msgUploading);
    xhr.send(data);
  });
})();
