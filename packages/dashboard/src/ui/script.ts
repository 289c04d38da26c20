// The dashboard's browser script, served at <basePath>/assets/dashboard.js. Plain ES2020, no build,
// no CDN. It renders every value with textContent (never innerHTML), so job data cannot inject markup.
// Kept as a string so it ships inside the package's dist with no copy step: it uses no backticks, no
// "${" and no backslashes (a template literal would read them as escapes).
export const DASHBOARD_SCRIPT = `"use strict";
(function () {
  var base = document.querySelector('meta[name="switchyard-base"]').content;
  var csrf = document.querySelector('meta[name="switchyard-csrf"]').content;
  var view = document.getElementById("view");
  var notice = document.getElementById("notice");
  var offers = null;
  var timer = null;
  /** The period of the refresh pending (ms), 0 when the page shown does not refresh itself. */
  var pollMs = 0;
  var OVERVIEW_REFRESH_MS = 10000;
  var DETAIL_REFRESH_MS = 2000;
  var STATES = ["waiting", "delayed", "active", "completed", "failed", "cancelled"];

  /** Builds an element; strings become text nodes, never HTML. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    for (var key in attrs || {}) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) continue;
      if (key === "onclick") el.addEventListener("click", value);
      else if (key === "text") el.textContent = String(value);
      else el.setAttribute(key, String(value));
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(el, c); });
    else el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function show() {
    view.replaceChildren();
    for (var i = 0; i < arguments.length; i++) append(view, arguments[i]);
  }
  function say(message, isError) {
    notice.textContent = message;
    notice.className = isError ? "error" : "";
    notice.hidden = !message;
  }

  function api(path, method) {
    var init = { method: method || "GET", headers: { accept: "application/json" }, credentials: "same-origin" };
    if (method === "POST") init.headers["x-switchyard-csrf"] = csrf;
    return fetch(base + "/api/" + path, init).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || "HTTP " + response.status);
        return body;
      });
    });
  }

  function when(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  }
  function stateBadge(state) {
    return h("span", { class: "state " + state, text: state });
  }
  function jobLink(id) {
    return h("a", { href: "#/job/" + encodeURIComponent(id), class: "mono", text: id });
  }
  function pretty(value, field) {
    return h("pre", { "data-field": field, text: value === undefined ? "(none)" : JSON.stringify(value, null, 2) });
  }

  function act(path, label, then) {
    return api(path, "POST").then(function (body) {
      say(label(body), false);
      if (then) then();
    }, function (error) { say(error.message, true); });
  }

  function retryFailedButton(job) {
    if (!offers.retryFailed) return null;
    return h("button", {
      class: "primary", "data-action": "retry-failed", text: "Retry all failed",
      onclick: function () {
        act("retry-failed" + (job ? "?job=" + encodeURIComponent(job) : ""), function (body) {
          return body.retried + " failed job(s) retried";
        }, route);
      }
    });
  }

  // #/ : counts per state (each a link to its list), filtered by job name.
  function overview(params) {
    var job = params.get("job") || "";
    return api("overview" + (job ? "?job=" + encodeURIComponent(job) : "")).then(function (body) {
      var cards = STATES.filter(function (state) {
        return offers.counted.indexOf(state) >= 0 || offers.listed.indexOf(state) >= 0;
      }).map(function (state) {
        var count = body.counts && state in body.counts ? body.counts[state] : null;
        var listed = offers.listed.indexOf(state) >= 0;
        var href = "#/state/" + state + (job ? "?job=" + encodeURIComponent(job) : "");
        return h(listed ? "a" : "div", { class: "card " + state, href: listed ? href : null, "data-state": state },
          h("div", { class: "count", text: count === null ? "–" : count }),
          h("div", { class: "label", text: state }));
      });
      var filter = h("form", { id: "filter" },
        h("input", { name: "job", placeholder: "Filter by job name", value: job, "aria-label": "Job name" }),
        h("button", { text: "Filter" }));
      filter.addEventListener("submit", function (event) {
        event.preventDefault();
        var name = filter.elements.job.value.trim();
        location.hash = "#/" + (name ? "?job=" + encodeURIComponent(name) : "");
      });
      show(
        h("h1", { text: "Jobs" + (job ? " named " + job : "") }),
        h("p", { class: "muted", text: "Backend: " + offers.backend + (offers.readOnly ? " (read-only)" : "") }),
        h("div", { class: "toolbar" }, filter, retryFailedButton(job)),
        offers.counted.length === 0 ? h("p", { class: "muted", text: "This backend cannot count jobs per state." }) : null,
        h("div", { class: "cards" }, cards),
        body.byJob && body.byJob.length ? byJobTable(body.byJob) : null);
      poll(OVERVIEW_REFRESH_MS);
    });
  }

  /** Rows of jobs, columns of counted states; a count links to that job's list in that state. */
  function byJobTable(rows) {
    var states = STATES.filter(function (state) { return offers.counted.indexOf(state) >= 0; });
    return [h("h2", { text: "By job" }), h("table", { id: "by-job" },
      h("thead", {}, h("tr", {}, h("th", { text: "Job" }), states.map(function (state) {
        return h("th", { text: state });
      }))),
      h("tbody", {}, rows.map(function (row) {
        return h("tr", { "data-job-name": row.job },
          h("td", {}, h("a", { href: "#/?job=" + encodeURIComponent(row.job), text: row.job })),
          states.map(function (state) {
            var count = row.counts[state] || 0;
            var cell = offers.listed.indexOf(state) >= 0 && count > 0
              ? h("a", { href: "#/state/" + state + "?job=" + encodeURIComponent(row.job), text: count })
              : count;
            return h("td", { class: "count-cell " + state, "data-state": state }, cell);
          }));
      })))];
  }

  // #/state/<state> : one page of jobs in a state, newest first, with "more" for the next page.
  function list(state, params) {
    var job = params.get("job") || "";
    var rows = h("tbody");
    var more = h("button", { text: "More", hidden: true });
    var cursor = null;
    function load() {
      var query = "state=" + encodeURIComponent(state) + (job ? "&job=" + encodeURIComponent(job) : "") +
        (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      return api("jobs?" + query).then(function (body) {
        body.jobs.forEach(function (item) {
          rows.appendChild(h("tr", { "data-job": item.id },
            h("td", {}, jobLink(item.id)),
            h("td", { text: item.name }),
            h("td", { text: item.attempts + " / " + item.maxAttempts }),
            h("td", { text: when(item.createdAt) }),
            h("td", { class: "error", text: item.error || "" })));
        });
        if (rows.children.length === 0) {
          rows.appendChild(h("tr", {}, h("td", { colspan: 5, class: "muted", text: "No " + state + " jobs." })));
        }
        cursor = body.cursor || null;
        more.hidden = !cursor;
      });
    }
    more.addEventListener("click", function () { load().catch(function (e) { say(e.message, true); }); });
    show(
      h("h1", {}, "Jobs ", stateBadge(state), job ? " named " + job : ""),
      h("div", { class: "toolbar" },
        h("button", { text: "Refresh", onclick: route }),
        state === "failed" ? retryFailedButton(job) : null),
      h("table", {},
        h("thead", {}, h("tr", {}, ["Id", "Job", "Attempts", "Created", "Error"].map(function (t) {
          return h("th", { text: t });
        }))),
        rows),
      h("div", { class: "toolbar" }, more));
    return load();
  }

  // #/job/<id> : everything the backend knows of one job, with retry and cancel where they apply.
  function detail(id) {
    return api("jobs/" + encodeURIComponent(id)).then(function (body) {
      var job = body.job;
      var canCancel = offers.cancel && (job.state === "waiting" || job.state === "delayed" ||
        (job.state === "active" && offers.cancelRunning));
      var actions = h("div", { class: "toolbar" },
        offers.retry && job.state === "failed" ? h("button", {
          class: "primary", "data-action": "retry", text: "Retry",
          onclick: function () {
            act("jobs/" + encodeURIComponent(id) + "/retry", function (r) {
              return r.retried ? "Retried: the job runs again." : "Not retried: the job is no longer failed.";
            }, route);
          }
        }) : null,
        canCancel ? h("button", {
          class: "danger", "data-action": "cancel", text: "Cancel",
          onclick: function () {
            act("jobs/" + encodeURIComponent(id) + "/cancel", function (r) {
              return r.cancelled ? "Cancelled." : "Not cancelled: the job had already ended.";
            }, route);
          }
        }) : null);
      show(
        h("h1", {}, job.name + " ", h("span", { class: "mono", text: job.id }), " ", stateBadge(job.state)),
        actions,
        h("dl", {},
          h("dt", { text: "Job" }), h("dd", { text: job.name }),
          h("dt", { text: "State" }), h("dd", { "data-field": "state", text: job.state }),
          h("dt", { text: "Attempts" }), h("dd", { text: job.attempts + " of " + job.maxAttempts }),
          h("dt", { text: "Created" }), h("dd", { text: when(job.createdAt) || "(unknown)" }),
          job.runAt ? [h("dt", { text: "Runs at" }), h("dd", { text: when(job.runAt) })] : null,
          job.finishedAt ? [h("dt", { text: "Finished" }), h("dd", { text: when(job.finishedAt) })] : null),
        job.error ? [h("h2", { text: "Error" }),
          h("pre", { class: "error", "data-field": "error", text: (job.error.code ? job.error.code + ": " : "") + job.error.message })] : null,
        h("h2", { text: "Payload" }), pretty(job.payload, "payload"),
        job.progress !== undefined ? [h("h2", { text: "Progress" }), pretty(job.progress, "progress")] : null,
        job.result !== undefined ? [h("h2", { text: "Result" }), pretty(job.result, "result")] : null,
        job.steps ? [h("h2", { text: "Completed steps" }),
          job.steps.length ? h("ul", { "data-field": "steps" }, job.steps.map(function (s) { return h("li", { class: "mono", text: s }); }))
            : h("p", { class: "muted", text: "None yet." })] : null);
      poll(DETAIL_REFRESH_MS);
    }, function (error) {
      show(h("h1", { text: "Job " + id }), h("p", { class: "muted", text: error.message }));
    });
  }

  // #/schedules : the recurring runs the backend stores.
  function schedules() {
    return api("schedules").then(function (body) {
      show(
        h("h1", { text: "Schedules" }),
        body.schedules.length === 0 ? h("p", { class: "muted", text: "No schedules." }) :
        h("table", {},
          h("thead", {}, h("tr", {}, ["Id", "Job", "When", "Next run", "Payload"].map(function (t) {
            return h("th", { text: t });
          }))),
          h("tbody", {}, body.schedules.map(function (s) {
            var every = s.cron ? s.cron + " (" + (s.timezone || "UTC") + ")" : "every " + s.everyMs / 1000 + " s";
            return h("tr", {},
              h("td", { class: "mono", text: s.id }),
              h("td", { text: s.job }),
              h("td", { class: "mono", text: every }),
              h("td", { text: when(s.nextRunAt) }),
              h("td", { class: "mono", text: JSON.stringify(s.payload) }));
          }))));
    });
  }

  /**
   * Overview and detail refresh themselves while shown and the tab is visible: the overview every 10 s
   * (each refresh counts every job, a store query each), a job's page every 2 s (one get). A tab that
   * becomes visible again refreshes at once.
   */
  function poll(ms) {
    clearTimeout(timer);
    pollMs = ms;
    timer = setTimeout(function () { if (!document.hidden) route(); else poll(ms); }, ms);
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && pollMs) route();
  });

  function route() {
    clearTimeout(timer);
    pollMs = 0;
    var hash = location.hash.replace(/^#/, "") || "/";
    var query = hash.indexOf("?");
    var path = query >= 0 ? hash.slice(0, query) : hash;
    var params = new URLSearchParams(query >= 0 ? hash.slice(query + 1) : "");
    var parts = path.split("/").filter(Boolean);
    var shown;
    if (parts[0] === "state" && parts[1]) shown = list(parts[1], params);
    else if (parts[0] === "job" && parts[1]) shown = detail(decodeURIComponent(parts[1]));
    else if (parts[0] === "schedules") shown = schedules();
    else shown = overview(params);
    shown.catch(function (error) { say(error.message, true); });
  }

  document.getElementById("find").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = event.target.elements.id.value.trim();
    event.target.reset();
    if (id) location.hash = "#/job/" + encodeURIComponent(id);
  });
  window.addEventListener("hashchange", function () { say("", false); route(); });
  api("overview").then(function (body) {
    offers = body.offers;
    route();
  }, function (error) { say(error.message, true); });
})();
`;
