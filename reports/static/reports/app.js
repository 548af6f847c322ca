// The web page: submits events to the JSON API, polls the status URL, lists recent jobs.
// No framework, no build step; every text from the server goes in with textContent.
(function () {
  "use strict";

  var SAMPLE = {
    namespace: "ns_example",
    student_id: "00a9a76518624b02b0ed57263606fc26",
    events: [{ type: "saved_code", created_time: "2024-07-21 03:04:55.939000+00:00", unit: "17" }],
  };
  var POLL_MS = 300;
  var RECENT_KEY = "report-task.recent";
  var MAX_RECENT = 15;
  var STATUS_TEXT = {
    PENDING: "Waiting for a worker…",
    STARTED: "Building the report…",
    RETRY: "A dependency failed; retrying shortly…",
    SUCCESS: "Report ready",
    FAILURE: "The report could not be built",
  };

  var el = function (id) { return document.getElementById(id); };
  var pollTimer = null;
  var tracking = null; // the job whose status the page shows

  function authHeaders(extra) {
    var headers = Object.assign({ Accept: "application/json" }, extra || {});
    var key = el("api-key").value.trim();
    if (key) headers.Authorization = "Bearer " + key;
    return headers;
  }

  // --- Recent jobs (localStorage) -------------------------------------------------------
  function loadRecent() {
    try {
      var jobs = JSON.parse(window.localStorage.getItem(RECENT_KEY) || "[]");
      return Array.isArray(jobs) ? jobs : [];
    } catch (e) {
      return [];
    }
  }

  function saveRecent(jobs) {
    try {
      window.localStorage.setItem(RECENT_KEY, JSON.stringify(jobs.slice(0, MAX_RECENT)));
    } catch (e) { /* storage full or disabled: the list is a convenience only */ }
    renderRecent();
  }

  function rememberJob(job) {
    var jobs = loadRecent().filter(function (j) { return j.task_id !== job.task_id; });
    jobs.unshift(job);
    saveRecent(jobs);
  }

  function updateRecent(taskId, status) {
    var jobs = loadRecent();
    jobs.forEach(function (j) { if (j.task_id === taskId) j.status = status; });
    saveRecent(jobs);
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    if (text !== undefined) td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function badge(status) {
    var span = document.createElement("span");
    span.className = "badge badge-" + String(status || "").toLowerCase();
    span.textContent = status;
    return span;
  }

  function renderRecent() {
    var jobs = loadRecent();
    var body = el("recent").querySelector("tbody");
    body.replaceChildren();
    el("recent").hidden = jobs.length === 0;
    el("recent-empty").hidden = jobs.length !== 0;
    jobs.forEach(function (job) {
      var row = document.createElement("tr");
      cell(row, new Date(job.submitted).toLocaleString());
      cell(row, String(job.kind).toUpperCase());
      cell(row, String(job.students || "?"), "num");
      cell(row).appendChild(badge(job.status));
      cell(row, job.task_id, "mono");
      var actions = cell(row, undefined, "actions-cell");
      var show = document.createElement("button");
      show.type = "button";
      show.className = "link-button";
      show.textContent = "Track";
      show.addEventListener("click", function () { track(job); });
      actions.appendChild(show);
      if (job.status === "SUCCESS") {
        var link = document.createElement("a");
        link.href = job.status_url;
        link.textContent = job.kind === "pdf" ? "Download" : "Open";
        if (job.kind === "html") { link.target = "_blank"; link.rel = "noopener"; }
        actions.appendChild(link);
        var csv = document.createElement("a");
        csv.href = dataUrl(job, "csv");
        csv.textContent = "CSV";
        csv.setAttribute("download", "");
        actions.appendChild(csv);
      }
      body.appendChild(row);
    });
  }

  // --- Status panel -----------------------------------------------------------------------
  function showError(message, errors) {
    el("error").hidden = false;
    el("error-message").textContent = message;
    var list = el("error-list");
    list.replaceChildren();
    Object.keys(errors || {}).forEach(function (path) {
      var item = document.createElement("li");
      var where = document.createElement("code");
      where.textContent = path;
      item.appendChild(where);
      item.appendChild(document.createTextNode(": " + [].concat(errors[path]).join(" ")));
      list.appendChild(item);
    });
  }

  function clearError() {
    el("error").hidden = true;
    el("error-message").textContent = "";
    el("error-list").replaceChildren();
  }

  function setStatus(job, status, progress) {
    el("idle").hidden = true;
    el("job").hidden = false;
    var label = el("job-status");
    label.textContent = status;
    label.className = "badge badge-" + status.toLowerCase();
    el("job-kind").textContent = job.kind.toUpperCase() + " · " + (
      typeof job.students === "number"
        ? job.students + (job.students === 1 ? " student" : " students")
        : (INPUT_NAMES[job.input] || job.input) + " input");
    el("job-id").textContent = job.task_id;
    var bar = el("progress");
    var text = STATUS_TEXT[status] || status;
    if (status === "SUCCESS" || status === "FAILURE") {
      bar.max = 1;
      bar.value = status === "SUCCESS" ? 1 : 0;
    } else if (progress && progress.total) {
      bar.max = progress.total;
      bar.value = progress.done;
      text = progress.done + " of " + progress.total + " students done · " + text;
    } else {
      bar.removeAttribute("value"); // indeterminate
    }
    el("progress-text").textContent = text;
  }

  // The figures of a finished job as data: GET <status_url>/data (JSON, or ?format=csv).
  function dataUrl(job, format) {
    return job.status_url + "/data" + (format === "csv" ? "?format=csv" : "");
  }

  function showResult(job, data) {
    var open = el("open-report");
    var file = el("file-link");
    el("result").hidden = false;
    el("data-json").href = dataUrl(job, "json");
    el("data-csv").href = dataUrl(job, "csv");
    if (job.kind === "pdf") {
      open.href = job.status_url;
      open.textContent = "Download PDF";
      open.removeAttribute("target");
      open.setAttribute("download", "");
      file.hidden = true;
    } else {
      // The status URL answers browsers with the HTML document itself.
      open.href = job.status_url;
      open.textContent = "Open report";
      open.target = "_blank";
      open.removeAttribute("download");
      file.hidden = !(data && data.report_url);
      if (data && data.report_url) {
        file.href = data.report_url;
        file.textContent = "Download .html";
      }
    }
  }

  function stopPolling() {
    if (pollTimer !== null) window.clearTimeout(pollTimer);
    pollTimer = null;
  }

  function track(job) {
    stopPolling();
    clearError();
    tracking = job;
    el("result").hidden = true;
    setStatus(job, job.status || "PENDING", null);
    poll(job, 0);
  }

  function finish(job, status, data, message) {
    setStatus(job, status, null);
    updateRecent(job.task_id, status);
    if (status === "SUCCESS") showResult(job, data);
    else showError(message || "The report could not be built.");
  }

  function poll(job, failures) {
    if (tracking !== job) return;
    fetch(job.status_url, { headers: authHeaders(), cache: "no-store" })
      .then(function (response) {
        if (tracking !== job) return null;
        var type = response.headers.get("Content-Type") || "";
        if (response.status === 200 && type.indexOf("application/json") !== 0) {
          // A finished PDF job answers with the file itself.
          if (response.body) response.body.cancel();
          return finish(job, "SUCCESS", null);
        }
        return response.json().then(function (body) {
          if (tracking !== job) return;
          if (response.status === 202) {
            setStatus(job, body.status, body.progress);
            pollTimer = window.setTimeout(function () { poll(job, 0); }, POLL_MS);
          } else if (response.status === 200) {
            finish(job, body.status, body.data, body.message);
          } else if (response.status === 404) {
            finish(job, "NOT_FOUND", null, "Task not found: it may have been deleted.");
          } else {
            throw new Error(body.message || "HTTP " + response.status);
          }
        });
      })
      .catch(function (error) {
        if (tracking !== job) return;
        if (failures >= 10) {
          showError("Lost contact with the service: " + error.message);
          return;
        }
        pollTimer = window.setTimeout(function () { poll(job, failures + 1); }, POLL_MS * 3);
      });
  }

  // --- Submitting ---------------------------------------------------------------------------
  function countStudents(text) {
    try {
      var parsed = JSON.parse(text);
      return Array.isArray(parsed) ? parsed.length : 1;
    } catch (e) {
      return 0;
    }
  }

  var INPUT_NAMES = { progsnap2: "ProgSnap2", xapi: "xAPI", caliper: "Caliper" };
  // A .csv or .zip upload is sent as it is (a ProgSnap2 table), not pasted as text.
  var upload = null;

  function requestBody(text, input) {
    if (upload && input === "progsnap2") {
      var zip = /\.zip$/i.test(upload.name);
      return { body: upload, type: zip ? "application/zip" : "text/csv" };
    }
    return { body: text, type: input === "progsnap2" ? "text/csv" : "application/json" };
  }

  function submit(event) {
    event.preventDefault();
    clearError();
    var text = el("events").value.trim();
    var input = el("input").value;
    if (!text && !(upload && input === "progsnap2")) {
      showError("Paste events, upload a file, or load the sample first.");
      return;
    }
    var sent = requestBody(text, input);
    var form = el("report-form");
    var kind = form.querySelector("input[name=format]:checked").value;
    var url = kind === "pdf" ? form.dataset.pdfUrl : form.dataset.htmlUrl;
    var query = new URLSearchParams();
    var zone = el("timezone").value.trim();
    if (zone) query.set("timezone", zone);
    var language = el("language").value;
    if (language && language !== "en") query.set("language", language);
    if (input !== "json") query.set("input", input);
    if (query.toString()) url += "?" + query.toString();
    var button = el("submit");
    button.disabled = true;
    stopPolling();
    tracking = null;
    el("job").hidden = true;
    el("idle").hidden = false;
    el("idle").textContent = "Submitting…";
    button.textContent = "Submitting…";
    fetch(url, {
      method: "POST",
      headers: authHeaders({ "Content-Type": sent.type }),
      body: sent.body,
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.status !== 202) {
            el("idle").textContent = "Nothing was submitted: fix the input and try again.";
            showError(body.message || "The service answered HTTP " + response.status + ".",
              body.errors);
            return;
          }
          var job = {
            task_id: body.task_id,
            status_url: body.status_url,
            kind: kind,
            students: input === "json" ? countStudents(text) : null,
            input: input,
            status: body.status,
            submitted: new Date().toISOString(),
          };
          rememberJob(job);
          track(job);
        });
      })
      .catch(function (error) {
        el("idle").textContent = "Nothing was submitted.";
        showError("Could not reach the service: " + error.message);
      })
      .finally(function () {
        button.disabled = false;
        button.textContent = "Create report";
      });
  }

  function init() {
    el("report-form").addEventListener("submit", submit);
    el("load-sample").addEventListener("click", function () {
      el("events").value = JSON.stringify(SAMPLE, null, 2);
      el("input").value = "json";
      upload = null;
      clearError();
    });
    el("file").addEventListener("change", function () {
      var file = el("file").files[0];
      if (!file) return;
      clearError();
      if (/\.(csv|zip)$/i.test(file.name)) {  // a ProgSnap2 table: sent as it is
        upload = file;
        el("input").value = "progsnap2";
        el("events").value = "";
        el("events").placeholder = file.name + " (" + file.size + " bytes) is sent as it is.";
        return;
      }
      upload = null;
      file.text().then(function (text) { el("events").value = text; });
    });
    el("clear-recent").addEventListener("click", function () { saveRecent([]); });
    try {  // the browser's own zone as a starting point: instructors read their own clock
      el("timezone").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) { /* no Intl: leave it empty (UTC) */ }
    var wanted = (navigator.language || "en").slice(0, 2).toLowerCase();  // the reader's own
    Array.prototype.forEach.call(el("language").options, function (option) {
      if (option.value === wanted) el("language").value = wanted;
    });
    renderRecent();
  }

  init();
})();
