// Marathon's page. Views (hash routes): the apps with status, health bar and instance counts; one
// app with its tasks (each linked to its sandbox on the master's page), launch queue entry, last
// task failure, configuration and actions; its versions with a diff and "apply"; the create and
// edit form, whose fields and JSON stay in sync and whose errors (Marathon's 422 `details`) appear
// under the field they name; deployments with their steps and rollback; the launch queue.
// Live through /v2/events: an event re-reads what the current view shows (no timer), and every
// (re)connection re-reads everything, since events sent while the stream was down are lost.
"use strict";

(() => {
  const { api, h, show, ago, pretty } = Corral;
  const main = document.getElementById("main");

  // ---- ids, paths and small pieces ----

  /// `/prod/web` → `prod/web`, as it goes after `v2/apps/` and `#/apps/`.
  const appPath = (id) => id.replace(/^\/+/, "").split("/").map(encodeURIComponent).join("/");
  const appHash = (id) => `#/apps/${appPath(id)}`;
  const appLink = (id) => h("a", { href: appHash(id) }, id);
  const timeCell = (time) => (time ? h("span", { title: time }, ago(time)) : h("span", { class: "muted" }, "—"));
  const forced = () => document.getElementById("force")?.checked === true;
  const withForce = (path) => (forced() ? `${path}${path.includes("?") ? "&" : "?"}force=true` : path);
  const shortId = (id) => h("span", { class: "mono", title: id }, id.length > 13 ? `${id.slice(0, 8)}…` : id);

  /// What the API answers about an app beside its definition.
  const STATUS_FIELDS = ["tasks", "tasksRunning", "tasksHealthy", "tasksStaged", "tasksUnhealthy", "deployments",
    "lastTaskFailure", "taskStats", "readinessCheckResults"];

  /// The definition alone, as the form edits it: no status and no version (a `version` in a PUT
  /// means "go back to that version").
  function editable(app) {
    const definition = { ...app };
    for (const field of [...STATUS_FIELDS, "version", "versionInfo"]) delete definition[field];
    return definition;
  }

  /// running/healthy/unhealthy/staged over the wanted instances, as coloured widths.
  function healthBar(app) {
    const healthy = app.tasksHealthy ?? 0;
    const unhealthy = app.tasksUnhealthy ?? 0;
    const running = Math.max(0, (app.tasksRunning ?? 0) - healthy - unhealthy);
    const staged = app.tasksStaged ?? 0;
    const total = Math.max(app.instances ?? 0, healthy + unhealthy + running + staged, 1);
    const part = (kind, count) => (count > 0
      ? h("span", { class: kind, style: `width: ${((100 * count) / total).toFixed(1)}%` }) : null);
    const title = `${healthy} healthy, ${unhealthy} unhealthy, ${running} running without health result, ${staged} staged, of ${app.instances}`;
    return h("div", { class: "healthbar", title }, part("healthy", healthy), part("unhealthy", unhealthy),
      part("running", running), part("staged", staged));
  }

  /// Marathon's app status: Delayed (backoff), Deploying, Suspended (no instances), Waiting (for
  /// offers), Running.
  function appStatus(app, queued) {
    if (queued && !queued.delay?.overdue && (queued.delay?.timeLeftSeconds ?? 0) > 0) return "Delayed";
    if (app.deployments?.length) return "Deploying";
    if (app.instances === 0 && (app.tasksRunning ?? 0) === 0) return "Suspended";
    if (queued) return "Waiting";
    return "Running";
  }

  const statusBadge = (status) => h("span", { class: `badge status-${status}`, "data-field": "status" }, status);

  function taskHealth(task) {
    const results = task.healthCheckResults ?? [];
    if (!results.length) return "unknown";
    return results.every((result) => result.alive) ? "healthy" : "unhealthy";
  }

  /// A table whose columns are labels or `[label, class]` (e.g. `hide-narrow`); rows are `tr`s.
  function grid(columns, rows, empty) {
    const head = columns.map((column) => (Array.isArray(column) ? h("th", { class: column[1] }, column[0]) : h("th", {}, column)));
    const body = rows.length ? rows : [h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, empty))];
    return h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, head)), h("tbody", {}, body)));
  }

  // ---- the leader, the master and the live connection ----

  let info = null;

  async function loadInfo() {
    try {
      info = await api("v2/info");
    } catch (error) {
      failedToLoad(error);
      return;
    }
    const master = masterUrl(info);
    show("whoami", info.elected ? "this instance leads" : `standby; leader ${info.leader ?? "unknown"}`,
      master ? [" · ", h("a", { href: `${master}/`, style: "color: inherit" }, "master")] : null);
  }

  /// The master's page: `mesos_leader_ui_url` (the leading master), else `master` when it names
  /// HTTP addresses (the first of a list; http unless this instance serves TLS). A `zk://` master
  /// names no page.
  function masterUrl(known) {
    const config = known?.marathon_config ?? {};
    if (config.mesos_leader_ui_url) return config.mesos_leader_ui_url.replace(/\/+$/, "");
    const master = String(config.master ?? "").split(",")[0].trim();
    if (!master || /^zk:\/\//i.test(master)) return null;
    if (/^https?:\/\//i.test(master)) return master.replace(/\/+$/, "");
    const scheme = known?.http_config?.https_port ? "https" : "http";
    return `${scheme}://${master.replace(/\/+$/, "")}`;
  }

  function setLive(on) {
    const live = document.getElementById("live");
    live.className = `live ${on ? "on" : "off"}`;
    live.textContent = on ? "live on" : "live off";
  }

  // ---- errors ----

  const UNAVAILABLE = [0, 401, 403, 503];

  /// A failed read: the banner says why (401/403/503/no answer); the view keeps what it showed.
  function failedToLoad(error) {
    if (error.name === "AbortError") return;
    Corral.banner(error);
  }

  function clearErrorBanner() {
    if (document.getElementById("corral-banner")?.classList.contains("error")) Corral.clearBanner();
  }

  /// A refused action: the banner for 401/403/503, else next to the actions, with the deployments
  /// in the way for a 409.
  function failedAction(error) {
    if (UNAVAILABLE.includes(error.status)) {
      Corral.banner(error);
      return;
    }
    const box = document.getElementById("action-error");
    if (!box) {
      Corral.banner(error);
      return;
    }
    const locking = error.status === 409 ? (error.body?.deployments ?? []) : [];
    show(box, h("strong", {}, `Refused (${error.status}). `), error.message,
      locking.length ? [h("br"), "In the way: ", locking.map((d, i) => [i ? ", " : "",
        h("a", { href: "#/deployments", class: "mono", "data-locked-by": d.id }, d.id)]),
      ". Tick “force” to cancel them and go ahead, or roll them back on ", h("a", { href: "#/deployments" }, "Deployments"), "."] : null);
  }

  function clearActionError() {
    const box = document.getElementById("action-error");
    if (box) box.replaceChildren();
  }

  /// Runs an action from `button`: disabled meanwhile; `done(answer)` on success.
  async function act(button, call, done) {
    clearActionError();
    if (button) button.disabled = true;
    try {
      const answer = await call();
      done?.(answer);
      refreshSoon(0);
    } catch (error) {
      failedAction(error);
    } finally {
      if (button) button.disabled = false;
    }
  }

  const deployed = (what, answer) => Corral.notice(`${what}${answer?.deploymentId ? ` (deployment ${answer.deploymentId})` : ""}.`);

  // ---- views and their refreshes ----

  /// The current view: `{refresh(), wants(type, event)}`. A refresh that finishes after the view
  /// changed must not draw, so views check `current(view)`.
  let view = null;
  const current = (candidate) => candidate === view;
  let timer = null;
  let busy = false;
  let again = false;

  /// Re-reads the current view soon; events that come in a burst share one read.
  function refreshSoon(delay = 150) {
    if (timer !== null) return;
    timer = setTimeout(refreshNow, delay);
  }

  async function refreshNow() {
    timer = null;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    const viewing = view;
    try {
      await viewing?.refresh();
      if (current(viewing)) clearErrorBanner();
    } catch (error) {
      if (current(viewing) && error.status === 404) {
        show(main, h("h1", {}, "Not found"), h("p", { id: "not-found" }, error.message), h("a", { href: "#/apps" }, "All apps"));
        view = null;
      } else if (current(viewing)) {
        failedToLoad(error);
      }
    } finally {
      busy = false;
      if (again) {
        again = false;
        refreshSoon(0);
      }
    }
  }

  let nextNotice = null;

  /// Goes to `hash`, saying `message` there.
  function go(hash, message) {
    nextNotice = message;
    if (location.hash === hash) {
      Corral.notice(message);
      refreshSoon(0);
    } else {
      location.hash = hash;
    }
  }

  function enter(next) {
    view = next;
    if (document.getElementById("corral-banner")?.classList.contains("ok")) Corral.clearBanner();
    if (nextNotice) Corral.notice(nextNotice);
    nextNotice = null;
    refreshSoon(0);
  }

  const actionError = () => h("div", { id: "action-error", class: "conflict", role: "alert" });
  const forceBox = () => h("label", { class: "nowrap", title: "Cancel the deployments that change this app and go ahead" },
    h("input", { type: "checkbox", id: "force" }), " force");

  // ---- #/apps ----

  function appsView() {
    const filter = h("input", { type: "search", id: "apps-filter", placeholder: "filter by id", "aria-label": "filter by id" });
    const list = h("div", { id: "apps" }, "loading…");
    show(main, h("h1", {}, "Apps"), h("div", { class: "actions" }, filter, h("a", { class: "button primary", href: "#/new", id: "new-app" }, "New app")),
      actionError(), list);
    let last = null;
    const self = {
      wants: () => true,
      async refresh() {
        const [apps, queue] = await Promise.all([api("v2/apps"), api("v2/queue")]);
        if (!current(self)) return;
        last = { apps: apps.apps, queue: queue.queue };
        draw();
      },
    };
    function draw() {
      if (!last) return;
      const needle = filter.value.trim().toLowerCase();
      const queued = new Map(last.queue.map((item) => [item.app.id, item]));
      const rows = last.apps
        .filter((app) => app.id.toLowerCase().includes(needle))
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((app) => h("tr", { "data-app": app.id },
          h("td", { class: "id-cell" }, appLink(app.id)),
          h("td", {}, statusBadge(appStatus(app, queued.get(app.id)))),
          h("td", {}, healthBar(app)),
          h("td", { "data-field": "tasksRunning" }, app.tasksRunning),
          h("td", { "data-field": "tasksHealthy" }, app.tasksHealthy),
          h("td", { "data-field": "tasksStaged" }, app.tasksStaged),
          h("td", { "data-field": "instances" }, app.instances),
          h("td", { class: "hide-narrow" }, app.cpus),
          h("td", { class: "hide-narrow" }, app.mem),
          h("td", { class: "hide-narrow" }, timeCell(app.version))));
      const total = last.apps.length;
      show(list, grid(["ID", "Status", "Health", "Running", "Healthy", "Staged", "Instances", ["CPUs", "hide-narrow"],
        ["Mem (MiB)", "hide-narrow"], ["Version", "hide-narrow"]], rows, total ? "no app matches" : "no apps yet"));
    }
    filter.addEventListener("input", draw);
    return self;
  }

  // ---- #/apps/<id> ----

  function appView(id) {
    const scale = h("input", { type: "number", id: "scale-instances", min: "0", step: "1", "aria-label": "instances" });
    let scaleTouched = false;
    scale.addEventListener("input", () => { scaleTouched = true; });
    const title = h("span", {}, id);
    const badge = h("span", { id: "app-status" });
    const buttons = {
      scale: h("button", { id: "scale-submit", class: "primary" }, "Scale"),
      restart: h("button", { id: "restart" }, "Restart"),
      suspend: h("button", { id: "suspend" }, "Suspend"),
      destroy: h("button", { id: "destroy", class: "danger" }, "Destroy"),
    };
    show(main,
      h("h1", {}, title, " ", badge),
      h("div", { class: "actions" },
        h("label", { class: "nowrap" }, "Instances ", scale), buttons.scale, buttons.restart, buttons.suspend,
        h("a", { class: "button", id: "edit", href: `${appHash(id)}/edit` }, "Edit"),
        h("a", { class: "button", id: "versions", href: `${appHash(id)}/versions` }, "Versions"),
        buttons.destroy, forceBox()),
      actionError(),
      h("div", { id: "app-summary", class: "cards" }),
      h("h2", {}, "Tasks"), h("div", { id: "app-tasks" }, "loading…"),
      h("h2", {}, "Launch queue"), h("div", { id: "app-queue" }),
      h("h2", {}, "Last task failure"), h("div", { id: "last-failure" }),
      h("h2", {}, "Configuration"), h("pre", { id: "app-config" }));

    const appUrl = `v2/apps/${appPath(id)}`;
    buttons.scale.addEventListener("click", () => {
      const instances = Number(scale.value);
      if (scale.value === "" || !Number.isInteger(instances) || instances < 0) {
        failedAction({ status: 422, message: "Instances must be a whole number, 0 or more." });
        return;
      }
      act(buttons.scale, () => api(withForce(appUrl), { method: "PUT", body: { instances } }), (answer) => {
        scaleTouched = false;
        deployed(`Scaling ${id} to ${instances}`, answer);
      });
    });
    buttons.restart.addEventListener("click", () => act(buttons.restart,
      () => api(withForce(`${appUrl}/restart`), { method: "POST", body: {} }), (answer) => deployed(`Restarting ${id}`, answer)));
    buttons.suspend.addEventListener("click", () => act(buttons.suspend,
      () => api(withForce(appUrl), { method: "PUT", body: { instances: 0 } }), (answer) => {
        scaleTouched = false;
        deployed(`Suspending ${id}`, answer);
      }));
    buttons.destroy.addEventListener("click", () => {
      if (!confirm(`Destroy ${id}? Its tasks are killed and its configuration is deleted.`)) return;
      act(buttons.destroy, () => api(withForce(appUrl), { method: "DELETE" }), () => go("#/apps", `Destroying ${id}.`));
    });

    const self = {
      wants: (type, event) => type.startsWith("deployment_") || type.startsWith("group_change")
        || [event.appId, event.runSpecId, event.appDefinition?.id].includes(id),
      async refresh() {
        const [answer, queue] = await Promise.all([api(appUrl), api("v2/queue"), info ? null : loadInfo()]);
        if (!current(self)) return;
        const app = answer.app;
        const queued = queue.queue.find((item) => item.app.id === id);
        show(badge, statusBadge(appStatus(app, queued)));
        if (!scaleTouched) scale.value = app.instances;
        drawSummary(app);
        drawTasks(app);
        drawQueue(queued);
        drawFailure(app.lastTaskFailure);
        show("app-config", pretty(editable(app)));
      },
    };

    function drawSummary(app) {
      const card = (label, value, field) => h("div", { class: "card" }, h("div", { class: "label" }, label),
        h("div", { class: "value", "data-field": field }, value));
      show("app-summary",
        card("Running", `${app.tasksRunning} of ${app.instances}`, "summary-running"),
        card("Healthy", app.tasksHealthy, "summary-healthy"),
        card("Staged", app.tasksStaged, "summary-staged"),
        card("Health", healthBar(app), "summary-health"),
        card("CPUs · Mem · Disk", `${app.cpus} · ${app.mem} MiB · ${app.disk} MiB`, "resources"),
        card("Version", timeCell(app.version), "version"),
        card("Deployments", app.deployments.length
          ? app.deployments.map((d, i) => [i ? " " : "", h("a", { href: "#/deployments", class: "mono", title: d.id }, d.id.slice(0, 8))])
          : "none", "deployments"));
    }

    function drawTasks(app) {
      const master = masterUrl(info);
      const rows = (app.tasks ?? [])
        .slice()
        .sort((a, b) => String(a.startedAt ?? a.stagedAt).localeCompare(String(b.startedAt ?? b.stagedAt)))
        .map((task) => {
          const health = taskHealth(task);
          const kill = h("button", { "data-kill": task.id, title: "Kill this task; Marathon starts a replacement" }, "Kill");
          kill.addEventListener("click", () => act(kill,
            () => api(withForce(`${appUrl}/tasks/${encodeURIComponent(task.id)}`), { method: "DELETE" }),
            () => Corral.notice(`Killing ${task.id}.`)));
          return h("tr", { "data-task": task.id },
            h("td", { class: "nowrap" }, h("span", { class: "mono" }, task.id), " ",
              master ? h("a", { class: "sandbox", href: `${master}/#/tasks/${encodeURIComponent(task.id)}` }, "sandbox")
                : h("span", { class: "muted", title: "the master's address is not known yet" }, "(no sandbox link)")),
            h("td", { "data-field": "host" }, task.host),
            h("td", { "data-field": "ports" }, (task.ports ?? []).join(", ")),
            h("td", { "data-field": "health", class: health }, health),
            h("td", { "data-field": "state" }, h("span", { class: task.state }, task.state)),
            h("td", { "data-field": "startedAt" }, timeCell(task.startedAt ?? task.stagedAt)),
            h("td", { class: "hide-narrow" }, timeCell(task.version)),
            h("td", {}, kill));
        });
      show("app-tasks", grid(["Task", "Host", "Ports", "Health", "State", "Started", ["Version", "hide-narrow"], ""],
        rows, "no tasks"));
    }

    function drawQueue(queued) {
      if (!queued) {
        show("app-queue", h("span", { class: "muted" }, "Nothing waiting to launch."));
        return;
      }
      const reset = h("button", { "data-reset-delay": id }, "Reset delay");
      reset.addEventListener("click", () => act(reset, () => api(`v2/queue/${appPath(id)}/delay`, { method: "DELETE" }),
        () => Corral.notice(`The launch delay of ${id} is reset.`)));
      show("app-queue", h("dl", { class: "facts" },
        h("dt", {}, "Waiting to launch"), h("dd", { "data-field": "queued" }, queued.count),
        h("dt", {}, "Backoff delay"), h("dd", { "data-field": "delay" }, delayText(queued.delay)),
        h("dt", {}, "Since"), h("dd", {}, timeCell(queued.since)),
        offersFacts(queued.processedOffersSummary)), h("div", { class: "actions" }, reset));
    }

    function drawFailure(failure) {
      if (!failure) {
        show("last-failure", h("span", { class: "muted" }, "No task has failed."));
        return;
      }
      show("last-failure", h("dl", { class: "facts" },
        h("dt", {}, "Task"), h("dd", { class: "mono" }, failure.taskId),
        h("dt", {}, "State"), h("dd", {}, h("span", { class: failure.state }, failure.state)),
        h("dt", {}, "Message"), h("dd", { "data-field": "message" }, failure.message || "—"),
        h("dt", {}, "Host"), h("dd", {}, failure.host),
        h("dt", {}, "When"), h("dd", {}, timeCell(failure.timestamp)),
        h("dt", {}, "Version"), h("dd", {}, failure.version)));
    }

    return self;
  }

  function delayText(delay) {
    if (!delay) return "—";
    if (delay.overdue || delay.timeLeftSeconds <= 0) return "none: launching as offers come";
    const at = new Date(Date.now() + delay.timeLeftSeconds * 1000);
    return `${delay.timeLeftSeconds} s (until ${at.toLocaleTimeString()})`;
  }

  function offersFacts(summary) {
    if (!summary) return null;
    const declined = [...(summary.rejectSummaryLastOffers ?? [])].filter((step) => step.declined > 0);
    return [h("dt", {}, "Offers"), h("dd", {}, `${summary.processedOffersCount} seen, ${summary.unusedOffersCount} unused`,
      declined.length ? [": ", declined.map((step) => `${step.reason} ${step.declined}`).join(", ")] : null)];
  }

  // ---- #/apps/<id>/versions ----

  /// The line diff of two texts (longest common subsequence), as `{kind: same|add|del, text}`.
  function lineDiff(before, after) {
    const a = before.split("\n");
    const b = after.split("\n");
    const common = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
    for (let i = a.length - 1; i >= 0; i -= 1) {
      for (let j = b.length - 1; j >= 0; j -= 1) {
        common[i][j] = a[i] === b[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
      }
    }
    const lines = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i] === b[j]) {
        lines.push({ kind: "same", text: a[i] });
        i += 1;
        j += 1;
      } else if (j >= b.length || (i < a.length && common[i + 1][j] >= common[i][j + 1])) {
        lines.push({ kind: "del", text: a[i] });
        i += 1;
      } else {
        lines.push({ kind: "add", text: b[j] });
        j += 1;
      }
    }
    return lines;
  }

  /// The diff as `.diff` lines, unchanged runs cut to 2 lines of context around the changes.
  function diffView(before, after) {
    const lines = lineDiff(before, after);
    if (lines.every((line) => line.kind === "same")) {
      return h("div", { class: "diff muted" }, "The same configuration as the current version.");
    }
    const near = lines.map((_, at) => lines.slice(Math.max(0, at - 2), at + 3).some((line) => line.kind !== "same"));
    const shown = [];
    lines.forEach((line, at) => {
      if (near[at]) {
        const sign = { same: "  ", add: "+ ", del: "- " }[line.kind];
        shown.push(h("div", { class: line.kind === "same" ? "" : line.kind }, sign + line.text));
      } else if (near[at - 1] || at === 0) {
        shown.push(h("div", { class: "muted" }, "  …"));
      }
    });
    return h("div", { class: "diff mono" }, shown);
  }

  function versionsView(id) {
    show(main, h("h1", {}, appLink(id), " — versions"),
      h("p", { class: "muted" }, "Each version's configuration against the current one (− current, + that version). “Apply” deploys that version again."),
      h("div", { class: "actions" }, forceBox()), actionError(), h("div", { id: "versions" }, "loading…"));
    const appUrl = `v2/apps/${appPath(id)}`;
    const definitions = new Map();
    const open = new Set();
    let first = true;
    const self = {
      wants: (type, event) => type.startsWith("deployment_") || event.appDefinition?.id === id,
      async refresh() {
        const [answer, list] = await Promise.all([api(appUrl), api(`${appUrl}/versions`)]);
        if (!current(self)) return;
        const currentConfig = pretty(configOf(answer.app));
        const rows = list.versions.map((version) => {
          const isCurrent = version === answer.app.version;
          const apply = h("button", { "data-apply-version": version, disabled: isCurrent }, isCurrent ? "Current" : "Apply");
          apply.addEventListener("click", () => act(apply,
            () => api(withForce(appUrl), { method: "PUT", body: { version } }),
            (result) => go(appHash(id), `Deploying version ${version} of ${id}${result?.deploymentId ? ` (deployment ${result.deploymentId})` : ""}.`)));
          const body = h("div", {}, "loading…");
          const details = h("details", { class: "diff-of", "data-diff": version }, h("summary", {}, "diff"), body);
          const load = async () => {
            try {
              if (!definitions.has(version)) definitions.set(version, await api(`${appUrl}/versions/${encodeURIComponent(version)}`));
              show(body, diffView(currentConfig, pretty(configOf(definitions.get(version)))));
            } catch (error) {
              show(body, h("span", { class: "field-error" }, error.message));
            }
          };
          details.addEventListener("toggle", () => {
            if (details.open) {
              open.add(version);
              load();
            } else {
              open.delete(version);
            }
          });
          if (first && !isCurrent && open.size === 0) open.add(version);
          if (open.has(version)) details.open = true;
          return [
            h("tr", { "data-version": version },
              h("td", { class: "mono" }, version), h("td", { class: "nowrap" }, ago(version)),
              h("td", {}, isCurrent ? h("span", { class: "badge state-ok" }, "current") : null),
              h("td", {}, apply)),
            h("tr", { class: "diff-row" }, h("td", { colspan: 4 },
              isCurrent ? h("span", { class: "muted" }, "The running configuration.") : details)),
          ];
        });
        first = false;
        show("versions", grid(["Version", "Made", "", ""], rows.flat(), "no versions"));
      },
    };
    return self;
  }

  /// What a version's diff compares: the definition without its version stamps.
  const configOf = (app) => editable(app);

  // ---- #/new and #/apps/<id>/edit ----

  /// The form's fields: each edits one of the definition's fields; `path` is Marathon's error path.
  const FIELDS = [
    { name: "id", label: "ID", path: "/id", kind: "text", placeholder: "/web" },
    { name: "cmd", label: "Command", path: "/cmd", kind: "textarea", placeholder: "python3 -m http.server $PORT0" },
    { name: "instances", label: "Instances", path: "/instances", kind: "number", step: "1" },
    { name: "cpus", label: "CPUs", path: "/cpus", kind: "number", step: "any" },
    { name: "mem", label: "Memory (MiB)", path: "/mem", kind: "number", step: "any" },
    { name: "disk", label: "Disk (MiB)", path: "/disk", kind: "number", step: "any" },
    { name: "image", label: "Docker image (optional)", path: "/container/docker/image", kind: "text", placeholder: "none: a process task" },
  ];

  const NEW_APP = { id: "", cmd: "", instances: 1, cpus: 0.1, mem: 64, disk: 0 };

  function readField(definition, field) {
    if (field.name === "image") return definition.container?.docker?.image ?? "";
    const value = definition[field.name];
    return value === undefined || value === null ? "" : String(value);
  }

  function writeField(definition, field, input) {
    const text = input.value;
    if (field.name === "image") {
      if (text.trim()) {
        const container = definition.container ?? {};
        definition.container = { ...container, type: "DOCKER", docker: { ...(container.docker ?? {}), image: text.trim() } };
      } else if (definition.container?.docker) {
        const { image, ...docker } = definition.container.docker;
        if (Object.keys(docker).length) definition.container = { ...definition.container, docker };
        else delete definition.container;
      }
    } else if (field.kind === "number") {
      if (text === "") delete definition[field.name];
      else definition[field.name] = Number(text);
    } else if (field.name === "cmd" && text === "") {
      delete definition.cmd;
    } else {
      definition[field.name] = text;
    }
  }

  /// The definition with the form's fields first, in the form's order, so that a field cleared
  /// and typed again keeps its place in the JSON.
  function inFormOrder(definition) {
    const ordered = {};
    for (const field of FIELDS) if (field.name in definition) ordered[field.name] = definition[field.name];
    return Object.assign(ordered, definition);
  }

  function formView(editing) {
    const inputs = new Map();
    const fields = FIELDS.map((field) => {
      const attributes = { name: field.name, id: `field-${field.name}`, placeholder: field.placeholder, autocomplete: "off", spellcheck: "false" };
      const input = field.kind === "textarea" ? h("textarea", attributes)
        : h("input", { ...attributes, type: field.kind, step: field.step, readonly: editing && field.name === "id" });
      inputs.set(field.name, input);
      return h("div", { class: "field" }, h("label", { for: attributes.id }, field.label), input);
    });
    const json = h("textarea", { id: "app-json", spellcheck: "false", "aria-label": "the app definition as JSON" });
    const jsonErrors = h("div", { id: "json-errors" });
    const submit = h("button", { id: "app-submit", class: "primary", type: "submit" }, editing ? "Deploy changes" : "Create app");
    const form = h("form", { id: "app-form", novalidate: true },
      h("div", { class: "split" },
        h("div", { class: "form-fields" }, fields),
        h("div", {}, h("label", { for: "app-json", class: "muted" }, "The whole definition as JSON (the fields on the left edit it too)"),
          json, jsonErrors)),
      h("div", { class: "actions" }, submit, forceBox(),
        h("a", { class: "button", href: editing ? appHash(editing) : "#/apps" }, "Cancel")));
    show(main, h("h1", {}, editing ? ["Edit ", appLink(editing)] : "New app"), actionError(), form);

    let definition = null;
    const setDefinition = (next) => {
      definition = next;
      json.value = pretty(definition);
      fillFields();
    };
    const fillFields = () => {
      for (const field of FIELDS) inputs.get(field.name).value = readField(definition, field);
    };
    const setFieldsEnabled = (enabled) => {
      for (const [name, input] of inputs) input.disabled = !enabled && !(editing && name === "id");
    };
    for (const field of FIELDS) {
      const input = inputs.get(field.name);
      const changed = () => {
        if (!definition) return;
        writeField(definition, field, input);
        definition = inFormOrder(definition);
        json.value = pretty(definition);
      };
      input.addEventListener("input", changed);
      input.addEventListener("change", changed);
    }
    json.addEventListener("input", () => {
      form.querySelector("#json-parse-error")?.remove();
      json.classList.remove("invalid");
      let parsed;
      try {
        parsed = JSON.parse(json.value);
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("the definition must be a JSON object");
      } catch (error) {
        json.classList.add("invalid");
        json.after(h("div", { class: "field-error", id: "json-parse-error" }, `Not valid JSON: ${error.message}. The fields on the left wait until it is.`));
        setFieldsEnabled(false);
        return;
      }
      definition = parsed;
      fillFields();
      setFieldsEnabled(true);
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors();
      clearActionError();
      if (!definition || json.classList.contains("invalid")) {
        json.focus();
        return;
      }
      submit.disabled = true;
      try {
        if (editing) {
          const answer = await api(withForce(`v2/apps/${appPath(editing)}?partialUpdate=false`), { method: "PUT", body: editable(definition) });
          go(appHash(editing), `Deploying the changes to ${editing}${answer?.deploymentId ? ` (deployment ${answer.deploymentId})` : ""}.`);
        } else {
          const created = await api(withForce("v2/apps"), { method: "POST", body: definition });
          go(appHash(created.id), `Created ${created.id}${created.deployments?.[0] ? ` (deployment ${created.deployments[0].id})` : ""}.`);
        }
      } catch (error) {
        if ((error.status === 422 || error.status === 400) && error.body) showFieldErrors(error.body);
        else failedAction(error);
      } finally {
        submit.disabled = false;
      }
    });

    function clearFieldErrors() {
      form.querySelectorAll(".field-error[data-path]").forEach((element) => element.remove());
      form.querySelectorAll(".invalid").forEach((element) => { if (element !== json) element.classList.remove("invalid"); });
    }

    /// Marathon's `details`: `[{path, errors}]` (422, or 400 for a wrong type), or a text (400).
    function showFieldErrors(body) {
      const details = Array.isArray(body.details) ? body.details : [{ path: "/", errors: [String(body.details ?? body.message)] }];
      for (const detail of details) {
        const path = detail.path || "/";
        const errors = Array.isArray(detail.errors) ? detail.errors : [String(detail.errors)];
        const field = FIELDS.find((candidate) => candidate.path === path);
        const message = h("div", { class: "field-error", "data-path": path }, field ? errors.join("\n") : `${path}: ${errors.join("\n")}`);
        if (field) {
          const input = inputs.get(field.name);
          input.classList.add("invalid");
          input.after(message);
        } else {
          jsonErrors.append(message);
        }
      }
      show("action-error", h("strong", {}, `${body.message ?? "Refused"}. `), "The errors are under the fields they name.");
      form.querySelector(".field-error[data-path]")?.scrollIntoView({ block: "nearest" });
    }

    const self = {
      wants: () => false,
      async refresh() {
        if (definition) return;
        if (!editing) {
          setDefinition({ ...NEW_APP });
          return;
        }
        const answer = await api(`v2/apps/${appPath(editing)}`);
        if (current(self) && !definition) setDefinition(editable(answer.app));
      },
    };
    return self;
  }

  // ---- #/deployments ----

  const actionText = (action) => `${action.action} ${action.app ?? action.pod ?? ""}`.trim();

  function deploymentsView() {
    show(main, h("h1", {}, "Deployments"),
      h("p", { class: "muted" }, "“Roll back” cancels a deployment and starts one that reverts its changes; “Stop” only cancels it, leaving the apps as they are."),
      actionError(), h("div", { id: "deployments" }, "loading…"));
    const self = {
      wants: (type) => type.startsWith("deployment_") || type.startsWith("group_change")
        || ["api_post_event", "status_update_event", "app_terminated_event", "instance_health_changed_event"].includes(type),
      async refresh() {
        const deployments = await api("v2/deployments");
        if (!current(self)) return;
        const rows = deployments.map((deployment) => {
          const rollback = h("button", { "data-rollback": deployment.id, class: "primary" }, "Roll back");
          const stop = h("button", { "data-cancel": deployment.id, class: "danger" }, "Stop");
          rollback.addEventListener("click", () => act(rollback,
            () => api(`v2/deployments/${encodeURIComponent(deployment.id)}`, { method: "DELETE" }),
            (answer) => deployed(`Rolling back ${deployment.id}`, answer)));
          stop.addEventListener("click", () => {
            if (!confirm(`Stop deployment ${deployment.id} without rolling it back? Its apps stay as they are now.`)) return;
            act(stop, () => api(`v2/deployments/${encodeURIComponent(deployment.id)}?force=true`, { method: "DELETE" }),
              () => Corral.notice(`Stopped ${deployment.id}.`));
          });
          const steps = h("ol", { class: "steps" }, deployment.steps.map((step, at) => h("li", {
            class: at + 1 < deployment.currentStep ? "done" : at + 1 === deployment.currentStep ? "current" : "",
          }, step.actions.map(actionText).join(", "))));
          return h("tr", { "data-deployment": deployment.id },
            h("td", {}, shortId(deployment.id), h("div", { class: "muted" }, ago(deployment.version)),
              h("div", { class: "actions" }, rollback, stop)),
            h("td", {}, deployment.affectedApps.map((app, i) => [i ? ", " : "", appLink(app)])),
            h("td", { class: "nowrap", "data-field": "progress" },
              h("progress", { max: deployment.totalSteps || 1, value: Math.max(0, deployment.currentStep - 1) }),
              ` step ${deployment.currentStep} of ${deployment.totalSteps}`),
            h("td", {}, steps),
            h("td", { class: "hide-narrow" }, deployment.currentActions.map((action) => h("div", {}, actionText(action)))));
        });
        show("deployments", grid(["Deployment", "Apps", "Progress", "Steps", ["Now", "hide-narrow"]], rows, "no deployment is running"));
      },
    };
    return self;
  }

  // ---- #/queue ----

  function queueView() {
    show(main, h("h1", {}, "Launch queue"),
      h("p", { class: "muted" }, "Instances waiting for offers, and the backoff delay after failed tasks."),
      actionError(), h("div", { id: "queue" }, "loading…"));
    const self = {
      wants: () => true,
      async refresh() {
        const queue = await api("v2/queue");
        if (!current(self)) return;
        const rows = queue.queue.map((item) => {
          const reset = h("button", { "data-reset-delay": item.app.id }, "Reset delay");
          reset.addEventListener("click", () => act(reset, () => api(`v2/queue/${appPath(item.app.id)}/delay`, { method: "DELETE" }),
            () => Corral.notice(`The launch delay of ${item.app.id} is reset.`)));
          const summary = item.processedOffersSummary;
          const declined = (summary?.rejectSummaryLastOffers ?? []).filter((step) => step.declined > 0);
          return h("tr", { "data-queue": item.app.id },
            h("td", { class: "id-cell" }, appLink(item.app.id)),
            h("td", { "data-field": "count" }, item.count),
            h("td", { "data-field": "delay" }, delayText(item.delay)),
            h("td", {}, timeCell(item.since)),
            h("td", { class: "hide-narrow" }, summary ? `${summary.processedOffersCount} seen, ${summary.unusedOffersCount} unused` : "—",
              declined.length ? h("div", { class: "muted" }, declined.map((step) => `${step.reason} ${step.declined}`).join(", ")) : null),
            h("td", {}, reset));
        });
        show("queue", grid(["App", "Waiting", "Delay", "Since", ["Offers", "hide-narrow"], ""], rows, "nothing is waiting to launch"));
      },
    };
    return self;
  }

  // ---- start ----

  const IGNORED = new Set(["event_stream_attached", "event_stream_detached"]);

  Corral.router([
    [/^\/?$/, () => { location.hash = "#/apps"; }],
    [/^\/apps\/?$/, () => enter(appsView())],
    [/^\/new\/?$/, () => enter(formView(null))],
    [/^\/apps\/(.+)\/versions\/?$/, (id) => enter(versionsView(`/${id}`))],
    [/^\/apps\/(.+)\/edit\/?$/, (id) => enter(formView(`/${id}`))],
    [/^\/apps\/(.+?)\/?$/, (id) => enter(appView(`/${id}`))],
    [/^\/deployments\/?$/, () => enter(deploymentsView())],
    [/^\/queue\/?$/, () => enter(queueView())],
  ]);
  loadInfo();
  Corral.stream("v2/events", {
    onOpen() {
      setLive(true);
      loadInfo();
      refreshSoon(0);
    },
    onDrop(error) {
      setLive(false);
      if ([401, 403, 503].includes(error.status)) Corral.banner(error);
    },
    onEvent(type, data) {
      if (IGNORED.has(type) || !view) return;
      let event = {};
      try {
        event = JSON.parse(data);
      } catch (_) {
        // not JSON: the type alone decides
      }
      if (view.wants(type, event)) refreshSoon();
    },
  });
})();
