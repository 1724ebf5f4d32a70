// The master's page, as the Mesos UI shows a master: a summary of the cluster, agents,
// frameworks with their DRF shares, tasks with their status history and sandbox (listed and
// tailed through the master's `agents/<id>/files/...` routes), and outstanding offers. Data comes
// from `master/state` (re-read every 5 s while a page shows it); a standby's state names the
// leader, and every page then says so and links to the leader's page.
"use strict";

(() => {
  const { h, show, table, api, ago, bytes } = Corral;
  const main = document.getElementById("main");

  const REFRESH_MS = 5000;
  const TAIL_POLL_MS = 1000;
  /// A tail starts this far before the end of the file...
  const TAIL_START = 64 * 1024;
  /// ...asks for at most this much at a time...
  const TAIL_CHUNK = 256 * 1024;
  /// ...and keeps this many characters on the page.
  const TAIL_KEEP = 2 * 1024 * 1024;

  /// Refusals that only another token mends.
  const NEEDS_TOKEN = [401, 403];

  const enc = encodeURIComponent;
  const seconds = (time) => (time ? time * 1000 : undefined);
  const megabytes = (mb) => bytes((Number(mb) || 0) * 1024 * 1024);
  const number = (value) => {
    const n = Number(value) || 0;
    return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0$/, "");
  };

  // ---- views: each route draws into #main; its timers and requests stop when the route changes ----

  let current = null;

  function view(render) {
    return (...args) => {
      current?.stop();
      const controller = new AbortController();
      const stops = [];
      const v = {
        stopped: false,
        signal: controller.signal,
        onStop: (stop) => stops.push(stop),
        stop() {
          v.stopped = true;
          controller.abort();
          stops.forEach((stop) => stop());
        },
      };
      current = v;
      const path = location.hash.replace(/^#/, "") || "/";
      document.getElementById("nav-summary").classList.toggle("current", path === "/");
      render(v, ...args).catch((error) => {
        if (!v.stopped && error.name !== "AbortError") Corral.banner(error);
      });
    };
  }

  const sleep = (v, ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      v.onStop(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  /// Loads the state (and what `extra` adds) now and every 5 s, and draws it when what `shown`
  /// picks from it changed (so links are not replaced under the pointer for nothing). A standby
  /// (or a master still recovering) is drawn as such instead.
  async function refreshing(v, draw, { extra = async () => ({}), shown = (state, more) => [state, more] } = {}) {
    let last = null;
    while (!v.stopped) {
      try {
        const [state, more] = await Promise.all([api("master/state", { signal: v.signal }), extra(v)]);
        if (v.stopped) return;
        Corral.clearBanner();
        whoami(state);
        const key = JSON.stringify(state.elected_time ? shown(state, more) : [state.leader_info, state.id]);
        if (key !== last) {
          last = key;
          if (state.elected_time) draw(state, more);
          else notLeading(state);
        }
      } catch (error) {
        if (v.stopped || error.name === "AbortError") return;
        Corral.banner(error);
        // A token is pasted into the banner, which reloads the page: asking again would only
        // redraw the banner under the operator's typing.
        if (NEEDS_TOKEN.includes(error.status)) {
          show(main, h("p", { class: "muted" }, "The master's state is not shown without a token that may read it (see above)."));
          return;
        }
      }
      await sleep(v, REFRESH_MS);
    }
  }

  /// The state once (for pages that do not redraw, such as the tail), or null on a standby.
  async function stateOnce(v) {
    const state = await api("master/state", { signal: v.signal });
    whoami(state);
    if (state.elected_time) return state;
    notLeading(state);
    return null;
  }

  // ---- who leads ----

  function leaderAddress(state) {
    const info = state.leader_info;
    if (!info) return null;
    return `${info.address?.hostname || info.hostname}:${info.address?.port || info.port}`;
  }

  function whoami(state) {
    const role = state.elected_time ? "leading" : state.leader_info && state.leader_info.id !== state.id ? "standby" : "not leading";
    show("whoami", `${location.host} · ${role} · Mesos ${state.version}`);
  }

  /// A standby has no cluster to show: it names the leader and links to the leader's page (the
  /// same section there). A master with no leader known says so, and the next refresh retries.
  function notLeading(state) {
    const leader = leaderAddress(state);
    if (leader && state.leader_info.id !== state.id) {
      const url = `${location.protocol}//${leader}/${location.hash}`;
      show(main, h("div", { id: "standby", "data-field": "standby" },
        h("strong", {}, "This master is a standby. "),
        "The leading master is ", h("a", { id: "leader-link", "data-field": "leader", href: url }, leader), ": ",
        "its page shows the cluster. ", h("a", { href: url, class: "button" }, "Open the leader's page")),
      h("dl", { class: "facts" }, h("dt", {}, "This master"), h("dd", {}, `${state.hostname} (${state.id})`),
        h("dt", {}, "Started"), h("dd", {}, ago(seconds(state.start_time)))));
    } else if (leader) {
      show(main, h("div", { id: "standby" }, "This master was elected and is reading its registry; the page fills in shortly."));
    } else {
      show(main, h("div", { id: "standby" }, "No leading master is known yet; retrying."));
    }
  }

  // ---- what the state holds ----

  /// Every task: `{task, framework, completed}`, running ones first.
  function allTasks(state) {
    const tasks = [];
    for (const framework of [...state.frameworks, ...(state.completed_frameworks || [])]) {
      for (const task of framework.tasks || []) tasks.push({ task, framework, completed: false });
      for (const task of framework.completed_tasks || []) tasks.push({ task, framework, completed: true });
    }
    return tasks;
  }

  /// The state without what changes with every allocation (offers), for pages that do not show it.
  const steady = (state) => ({
    ...state,
    frameworks: state.frameworks.map(({ offers, offered_resources, resources, ...rest }) => rest),
    slaves: state.slaves.map(({ offered_resources, ...rest }) => rest),
  });

  const agentOf = (state, id) => state.slaves.find((agent) => agent.id === id);
  /// `host:port`: agents of one machine (as `corral up` runs them) differ only by port.
  const agentName = (state, id) => {
    const found = agentOf(state, id);
    return found ? `${found.hostname}:${found.port}` : id;
  };

  /// How many ports `[31000-31099, 32000-32000]` holds.
  function portCount(ranges) {
    if (!ranges) return 0;
    let count = 0;
    for (const [, first, last] of String(ranges).matchAll(/(\d+)-(\d+)/g)) count += Number(last) - Number(first) + 1;
    return count;
  }

  const totals = (agents, field) => {
    const sum = { cpus: 0, mem: 0, disk: 0, ports: 0 };
    for (const agent of agents) {
      const r = agent[field] || {};
      sum.cpus += Number(r.cpus) || 0;
      sum.mem += Number(r.mem) || 0;
      sum.disk += Number(r.disk) || 0;
      sum.ports += portCount(r.ports);
    }
    return sum;
  };

  /// The framework's dominant share: as the master reports it, else its largest used/total.
  function dominantShare(state, framework) {
    if (typeof framework.dominant_share === "number") return framework.dominant_share;
    const total = totals(state.slaves, "resources");
    const used = framework.used_resources || {};
    return Math.max(0, ...["cpus", "mem", "disk"].map((name) => (total[name] ? (Number(used[name]) || 0) / total[name] : 0)));
  }

  const taskLink = (task) => h("a", { href: `#/tasks/${enc(task.id)}`, "data-task-id": task.id }, task.id);
  const agentLink = (state, id) => h("a", { href: `#/agents/${enc(id)}` }, agentName(state, id));
  const frameworkLink = (framework) => h("a", { href: `#/frameworks/${enc(framework.id)}` }, framework.name || framework.id);
  const stateBadge = (taskState) => h("span", { class: `badge ${taskState}`, "data-field": "state" }, taskState);
  const chips = (object) => Object.entries(object || {}).map(([key, value]) => h("span", { class: "chip" }, `${key}=${value}`));
  const usedOfTotal = (used, total, format = number) => `${format(used || 0)} / ${format(total || 0)}`;
  const lastUpdate = (task) => seconds(task.statuses?.at(-1)?.timestamp);

  function facts(pairs) {
    return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([label, value, field]) => [
      h("dt", {}, label), h("dd", { "data-field": field }, value ?? ""),
    ]));
  }

  function resourceText(r) {
    if (!r) return "";
    const parts = [`cpus ${number(r.cpus)}`, `mem ${megabytes(r.mem)}`];
    if (r.disk) parts.push(`disk ${megabytes(r.disk)}`);
    if (r.gpus) parts.push(`gpus ${number(r.gpus)}`);
    if (r.ports) parts.push(`ports ${r.ports}`);
    return parts.join(" · ");
  }

  function taskTable(state, tasks, empty = "no tasks") {
    const rows = tasks
      .sort((a, b) => (lastUpdate(b.task) || 0) - (lastUpdate(a.task) || 0))
      .map(({ task, framework }) => h("tr", { "data-task-id": task.id },
        h("td", {}, taskLink(task)),
        h("td", { class: "hide-narrow" }, task.name),
        h("td", {}, stateBadge(task.state)),
        h("td", {}, frameworkLink(framework)),
        h("td", {}, agentLink(state, task.slave_id)),
        h("td", {}, number(task.resources?.cpus)),
        h("td", {}, megabytes(task.resources?.mem)),
        h("td", { class: "hide-narrow" }, task.resources?.ports || ""),
        h("td", { class: "nowrap" }, ago(lastUpdate(task)))));
    return table(["ID", h("span", { class: "hide-narrow" }, "Name"), "State", "Framework", "Agent", "CPUs", "Mem",
      h("span", { class: "hide-narrow" }, "Ports"), "Updated"], rows, empty);
  }

  // ---- #/ summary ----

  const TASK_STATES = [
    ["staging", "TASK_STAGING"], ["starting", "TASK_STARTING"], ["running", "TASK_RUNNING"], ["killing", "TASK_KILLING"],
    ["finished", "TASK_FINISHED"], ["failed", "TASK_FAILED"], ["killed", "TASK_KILLED"], ["lost", "TASK_LOST"], ["error", "TASK_ERROR"],
  ];

  function card(label, value, extra) {
    return h("div", { class: "card" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value), extra);
  }

  function usageCard(label, name, used, total, format) {
    const percent = total ? Math.min(100, (100 * used) / total) : 0;
    return card(label,
      [h("span", { "data-field": `${name}-used` }, format(used)), h("small", {}, " / "), h("small", { "data-field": `${name}-total` }, format(total))],
      h("div", { class: "usage", title: `${percent.toFixed(0)}% used` }, h("span", { style: `width: ${percent}%` })));
  }

  const summary = view(async (v) => {
    const metrics = async (view) => api("metrics/snapshot", { signal: view.signal }).catch(() => ({}));
    await refreshing(v, (state, snapshot) => {
      const used = totals(state.slaves, "used_resources");
      const total = totals(state.slaves, "resources");
      const offered = totals(state.slaves, "offered_resources");
      const tasks = allTasks(state);
      const active = tasks.filter((entry) => !entry.completed);
      const counted = (taskState, name) => {
        const counter = snapshot[`master/tasks_${name}`];
        // Ended tasks are counted since this master was elected; the state keeps only the latest.
        if (typeof counter === "number") return counter;
        return tasks.filter(({ task }) => task.state === taskState).length;
      };
      const leader = leaderAddress(state);
      show(main,
        h("h1", {}, "Cluster"),
        h("div", { class: "cards" },
          card("Leader", h("span", { "data-field": "leader" }, leader ?? "unknown")),
          card("Version", h("span", { "data-field": "version" }, state.version)),
          card("Started", h("span", { "data-field": "start-time", title: new Date(seconds(state.start_time)).toISOString() }, ago(seconds(state.start_time)))),
          card("Elected", h("span", { "data-field": "elected-time" }, ago(seconds(state.elected_time)))),
          card("Agents", [h("span", { "data-field": "agents-active" }, state.activated_slaves), h("small", {}, " active · "),
            h("small", { "data-field": "agents-inactive" }, String((state.deactivated_slaves || 0) + (snapshot["master/slaves_disconnected"] || 0))), h("small", {}, " inactive")]),
          card("Frameworks", [h("span", { "data-field": "frameworks" }, state.frameworks.length),
            h("small", {}, ` active · ${(state.completed_frameworks || []).length} completed`)]),
          card("Offers", h("span", { "data-field": "offers" }, state.frameworks.reduce((n, f) => n + (f.offers || []).length, 0)))),
        h("h2", {}, "Resources"),
        h("div", { class: "cards" },
          usageCard("CPUs", "cpus", used.cpus, total.cpus, number),
          usageCard("Memory", "mem", used.mem, total.mem, megabytes),
          usageCard("Disk", "disk", used.disk, total.disk, megabytes),
          usageCard("Ports", "ports", used.ports, total.ports, String)),
        h("p", { class: "muted" }, `Offered now: cpus ${number(offered.cpus)} · mem ${megabytes(offered.mem)} · disk ${megabytes(offered.disk)} · ${offered.ports} ports.`),
        h("h2", {}, "Tasks"),
        h("div", { class: "cards" }, TASK_STATES.map(([name, taskState]) =>
          card(name, h("span", { "data-field": `tasks-${name}`, class: taskState }, counted(taskState, name))))),
        h("h2", {}, "Active tasks"),
        taskTable(state, active.slice(0, 100), "no active tasks"));
    }, { extra: metrics });
  });

  // ---- #/agents and #/agents/<id> ----

  const agents = view(async (v) => {
    await refreshing(v, (state) => {
      const tasksOn = (id) => allTasks(state).filter(({ task, completed }) => !completed && task.slave_id === id).length;
      const rows = state.slaves.map((agent) => h("tr", { "data-agent-id": agent.id },
        h("td", {}, h("a", { href: `#/agents/${enc(agent.id)}` }, `${agent.hostname}:${agent.port}`)),
        h("td", { class: "mono hide-narrow" }, agent.id),
        h("td", { class: "nowrap" }, usedOfTotal(agent.used_resources?.cpus, agent.resources?.cpus)),
        h("td", { class: "nowrap" }, usedOfTotal(agent.used_resources?.mem, agent.resources?.mem, megabytes)),
        h("td", { class: "nowrap" }, usedOfTotal(agent.used_resources?.disk, agent.resources?.disk, megabytes)),
        h("td", { class: "nowrap" }, usedOfTotal(portCount(agent.used_resources?.ports), portCount(agent.resources?.ports), String)),
        h("td", {}, chips(agent.attributes)),
        h("td", {}, tasksOn(agent.id)),
        h("td", { class: "nowrap" }, ago(seconds(agent.registered_time)))));
      show(main, h("h1", {}, `Agents (${state.slaves.length})`),
        table(["Agent", h("span", { class: "hide-narrow" }, "ID"), "CPUs", "Mem", "Disk", "Ports", "Attributes", "Tasks", "Registered"],
          rows, "no agents are registered"));
    }, { shown: steady });
  });

  const agent = view(async (v, id) => {
    await refreshing(v, (state) => {
      const found = agentOf(state, id);
      if (!found) {
        show(main, h("h1", {}, "Agent"), h("p", {}, `No agent ${id} is registered with this master.`), h("a", { href: "#/agents" }, "All agents"));
        return;
      }
      const offers = state.frameworks.flatMap((framework) => (framework.offers || []).filter((offer) => offer.slave_id === id));
      const resourceRow = (name, format) => [name, format(found.used_resources?.[name]), format(found.offered_resources?.[name]), format(found.resources?.[name])];
      const portsRow = ["ports", found.used_resources?.ports || "", found.offered_resources?.ports || "", found.resources?.ports || ""];
      show(main,
        h("div", { class: "crumbs" }, h("a", { href: "#/agents" }, "Agents"), " › ", found.id),
        h("h1", {}, `${found.hostname}:${found.port}`),
        facts([
          ["ID", found.id, "agent-id"],
          ["Address", `${found.hostname}:${found.port}`, "address"],
          ["Version", found.version],
          ["Registered", ago(seconds(found.registered_time)), "registered-time"],
          found.reregistered_time ? ["Re-registered", ago(seconds(found.reregistered_time))] : null,
          ["Attributes", chips(found.attributes), "attributes"],
        ]),
        h("h2", {}, "Resources"),
        table(["Resource", "Used", "Offered", "Total"], [resourceRow("cpus", number), resourceRow("mem", megabytes), resourceRow("disk", megabytes), portsRow]),
        h("h2", {}, "Tasks"),
        taskTable(state, allTasks(state).filter(({ task }) => task.slave_id === id), "no tasks on this agent"),
        h("h2", {}, "Offers"),
        offerTable(state, offers));
    });
  });

  // ---- #/frameworks and #/frameworks/<id> ----

  const frameworks = view(async (v) => {
    await refreshing(v, (state) => {
      const row = (framework, completed) => h("tr", { "data-framework-id": framework.id },
        h("td", {}, frameworkLink(framework)),
        h("td", { class: "mono hide-narrow" }, framework.id),
        h("td", {}, framework.principal || ""),
        h("td", {}, framework.role || ""),
        h("td", {}, completed ? h("span", { class: "muted" }, "completed")
          : h("span", { class: framework.connected ? "state-ok" : "state-bad" }, framework.connected ? (framework.active ? "active" : "suppressed") : "disconnected")),
        h("td", {}, (framework.tasks || []).length),
        h("td", {}, number(framework.used_resources?.cpus)),
        h("td", {}, megabytes(framework.used_resources?.mem)),
        h("td", {}, megabytes(framework.used_resources?.disk)),
        h("td", { "data-field": "share" }, `${(100 * dominantShare(state, framework)).toFixed(1)}%`),
        h("td", { class: "nowrap" }, ago(seconds(framework.registered_time))));
      show(main, h("h1", {}, `Frameworks (${state.frameworks.length})`),
        table(["Name", h("span", { class: "hide-narrow" }, "ID"), "Principal", "Role", "Status", "Tasks", "CPUs", "Mem", "Disk", "DRF share", "Registered"],
          [...state.frameworks.map((f) => row(f, false)), ...(state.completed_frameworks || []).map((f) => row(f, true))],
          "no frameworks are registered"));
    }, { shown: steady });
  });

  const framework = view(async (v, id) => {
    await refreshing(v, (state) => {
      const all = [...state.frameworks, ...(state.completed_frameworks || [])];
      const found = all.find((f) => f.id === id);
      if (!found) {
        show(main, h("h1", {}, "Framework"), h("p", {}, `No framework ${id} is known to this master.`), h("a", { href: "#/frameworks" }, "All frameworks"));
        return;
      }
      const entries = (list, completed) => (list || []).map((task) => ({ task, framework: found, completed }));
      show(main,
        h("div", { class: "crumbs" }, h("a", { href: "#/frameworks" }, "Frameworks"), " › ", found.name),
        h("h1", {}, found.name || found.id),
        facts([
          ["ID", found.id, "framework-id"],
          ["Principal", found.principal || "", "principal"],
          ["Role", found.role],
          ["User", found.user],
          ["Host", found.hostname],
          found.webui_url ? ["Web UI", h("a", { href: found.webui_url }, found.webui_url)] : null,
          ["Status", found.connected ? (found.active ? "connected, active" : "connected, suppressed") : "disconnected"],
          ["Registered", ago(seconds(found.registered_time))],
          ["Failover timeout", `${number(found.failover_timeout)} s`],
          ["DRF share", `${(100 * dominantShare(state, found)).toFixed(1)}%`, "share"],
          ["Used", resourceText(found.used_resources)],
          ["Offered", resourceText(found.offered_resources)],
        ]),
        h("h2", {}, `Active tasks (${(found.tasks || []).length})`),
        taskTable(state, entries(found.tasks, false), "no active tasks"),
        h("h2", {}, "Completed tasks"),
        taskTable(state, entries(found.completed_tasks, true), "no completed tasks"),
        h("h2", {}, "Offers"),
        offerTable(state, found.offers || []));
    });
  });

  // ---- #/tasks ----

  const tasks = view(async (v) => {
    await refreshing(v, (state) => {
      const entries = allTasks(state);
      const active = entries.filter((entry) => !entry.completed);
      show(main,
        h("h1", {}, `Active tasks (${active.length})`),
        taskTable(state, active, "no active tasks"),
        h("h2", {}, "Completed tasks"),
        taskTable(state, entries.filter((entry) => entry.completed), "no completed tasks"));
    }, { shown: steady });
  });

  // ---- #/offers ----

  function offerTable(state, offers) {
    const frameworkName = (id) => state.frameworks.find((f) => f.id === id)?.name ?? id;
    const rows = offers.map((offer) => h("tr", { "data-offer-id": offer.id },
      h("td", { class: "mono hide-narrow" }, offer.id),
      h("td", {}, h("a", { href: `#/frameworks/${enc(offer.framework_id)}` }, frameworkName(offer.framework_id))),
      h("td", {}, agentLink(state, offer.slave_id)),
      h("td", {}, number(offer.resources?.cpus)),
      h("td", {}, megabytes(offer.resources?.mem)),
      h("td", {}, megabytes(offer.resources?.disk)),
      h("td", {}, offer.resources?.ports || "")));
    return table([h("span", { class: "hide-narrow" }, "Offer"), "Framework", "Agent", "CPUs", "Mem", "Disk", "Ports"], rows, "no outstanding offers");
  }

  const offers = view(async (v) => {
    await refreshing(v, (state) => {
      const all = state.frameworks.flatMap((framework) => framework.offers || []);
      show(main, h("h1", {}, `Outstanding offers (${all.length})`),
        h("p", { class: "muted" }, "Resources offered to a framework and not yet accepted or declined. A framework that wants nothing declines at once, so this is usually short."),
        offerTable(state, all));
    });
  });

  // ---- #/tasks/<id>: the task, its statuses and its sandbox ----

  function findTask(state, id) {
    const entries = allTasks(state).filter(({ task }) => task.id === id);
    // A task id may be reused after the task ended: the running one, else the latest.
    return entries.find((entry) => !entry.completed) ?? entries.sort((a, b) => (lastUpdate(b.task) || 0) - (lastUpdate(a.task) || 0))[0];
  }

  /// An id as the agent names its sandbox directory: letters, digits, `.`, `_` and `-` kept,
  /// the rest `_`; an id too long for a file name keeps a prefix and gains its FNV-1a hash.
  function pathComponent(id) {
    let clean = Array.from(id, (c) => (/^[A-Za-z0-9._-]$/.test(c) ? c : "_")).join("");
    if (clean === "" || clean === "." || clean === "..") clean = clean.replaceAll(".", "_") + "_";
    if (clean.length <= 255) return clean;
    let hash = 0xcbf29ce484222325n;
    for (const byte of new TextEncoder().encode(id)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return `${clean.slice(0, 255 - 17)}-${hash.toString(16).padStart(16, "0")}`;
  }

  /// The task's directory on its agent, relative to the agent's sandboxes: one run directory per launch in it.
  const taskDir = (task) => `${pathComponent(task.framework_id)}/${pathComponent(task.id)}`;
  const filesUrl = (task, action, path, query = "") => `agents/${enc(task.slave_id)}/files/${action}?path=${enc(path)}${query}`;
  const fileHash = (task, relative) => `#/tasks/${enc(task.id)}/files/${relative.split("/").map(enc).join("/")}`;
  const baseName = (path) => path.replace(/\/+$/, "").split("/").pop();

  function taskHeader(state, entry, ...trail) {
    const { task, framework } = entry;
    return [
      h("div", { class: "crumbs" }, h("a", { href: `#/frameworks/${enc(framework.id)}` }, framework.name || framework.id), " › ",
        trail.length ? [h("a", { href: `#/tasks/${enc(task.id)}` }, task.id), trail.map((part) => [" › ", part])] : task.id),
    ];
  }

  /// Shows why a sandbox cannot be shown; 401, 403 and 503 (and no answer) go to the banner.
  function sandboxProblem(error) {
    if ([0, 503, ...NEEDS_TOKEN].includes(error.status)) Corral.banner(error);
    return h("p", { class: "state-bad", "data-field": "sandbox-error" }, `The sandbox cannot be read: ${error.message}`);
  }

  /// The task's run directories on its agent, the newest first.
  async function runsOf(v, task) {
    const entries = await api(filesUrl(task, "browse", taskDir(task)), { signal: v.signal });
    return entries.filter((entry) => entry.mode.startsWith("d")).sort((a, b) => b.mtime - a.mtime);
  }

  function listing(task, relativeDir, entries) {
    const rows = entries
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((entry) => {
        const name = baseName(entry.path);
        const relative = relativeDir ? `${relativeDir}/${name}` : name;
        return h("tr", {},
          h("td", {}, h("a", { href: fileHash(task, relative), "data-file": name }, entry.mode.startsWith("d") ? `${name}/` : name)),
          h("td", { class: "nowrap" }, entry.mode.startsWith("d") ? "" : bytes(entry.size)),
          h("td", { class: "nowrap" }, ago(seconds(entry.mtime))),
          h("td", { class: "mono hide-narrow" }, entry.mode));
      });
    return table(["Name", "Size", "Modified", h("span", { class: "hide-narrow" }, "Mode")], rows, "empty directory");
  }

  async function drawSandbox(v, task, box) {
    try {
      const runs = await runsOf(v, task);
      if (v.stopped) return;
      if (!runs.length) {
        show(box, h("p", { class: "muted" }, "The agent has no sandbox for this task."));
        return;
      }
      const run = baseName(runs[0].path);
      const entries = await api(filesUrl(task, "browse", `${taskDir(task)}/${run}`), { signal: v.signal });
      if (v.stopped) return;
      show(box,
        h("p", { class: "muted mono path" }, runs[0].path),
        listing(task, run, entries),
        runs.length > 1 ? h("p", {}, "Earlier runs: ", runs.slice(1).map((older) => [h("a", { href: fileHash(task, baseName(older.path)) }, baseName(older.path)), " "])) : null);
    } catch (error) {
      if (!v.stopped && error.name !== "AbortError") show(box, sandboxProblem(error));
    }
  }

  const taskPage = view(async (v, id) => {
    let sandboxShown = false;
    const shown = (state) => {
      const entry = findTask(state, id);
      return [entry?.task, entry?.framework.name, agentOf(state, entry?.task.slave_id)?.hostname];
    };
    await refreshing(v, (state) => {
      const entry = findTask(state, id);
      if (!entry) {
        show(main, h("h1", {}, "Task"), h("p", {}, `No task ${id} is known to this master (ended tasks are kept for a while only).`));
        return;
      }
      const { task, framework } = entry;
      const status = task.statuses?.at(-1) ?? {};
      const agentHere = agentOf(state, task.slave_id);
      const ports = [task.resources?.ports, ...(task.discovery?.ports?.ports || []).map((p) => `${p.name || p.protocol || "port"} ${p.number}`)].filter(Boolean);
      const statuses = [...(task.statuses || [])].reverse().map((s) => h("tr", {},
        h("td", {}, stateBadge(s.state)),
        h("td", { class: "nowrap", title: s.timestamp ? new Date(seconds(s.timestamp)).toISOString() : "" }, ago(seconds(s.timestamp))),
        h("td", {}, s.healthy === undefined ? "" : h("span", { class: s.healthy ? "healthy" : "unhealthy" }, s.healthy ? "healthy" : "unhealthy")),
        h("td", {}, s.reason || ""),
        h("td", {}, s.source ? s.source.replace(/^SOURCE_/, "").toLowerCase() : ""),
        h("td", {}, s.message || "")));
      const box = sandboxShown ? document.getElementById("sandbox") : h("div", { id: "sandbox" }, "reading the sandbox…");
      show(main,
        taskHeader(state, entry),
        h("h1", {}, task.id),
        facts([
          ["State", stateBadge(task.state)],
          status.message ? ["Message", status.message, "message"] : null,
          status.reason ? ["Reason", status.reason, "reason"] : null,
          ["Name", task.name],
          ["Framework", frameworkLink(framework)],
          ["Agent", agentHere ? agentLink(state, task.slave_id) : `${task.slave_id} (not registered)`, "agent"],
          ["Resources", resourceText(task.resources), "resources"],
          ["Ports", ports.join(", "), "ports"],
          task.labels?.length ? ["Labels", task.labels.map((label) => h("span", { class: "chip" }, `${label.key}=${label.value ?? ""}`))] : null,
          task.container ? ["Container", task.container.docker?.image ? `${task.container.type} ${task.container.docker.image}` : task.container.type] : null,
        ]),
        h("h2", {}, "Sandbox"),
        box,
        h("h2", {}, "Status updates"),
        table(["State", "When", "Health", "Reason", "Source", "Message"], statuses, "no status updates yet"));
      sandboxShown = true;
      if (agentHere) drawSandbox(v, task, box);
      else show(box, h("p", { class: "muted" }, "The task's agent is not registered: its sandbox cannot be read."));
    }, { shown });
  });

  // ---- #/tasks/<id>/files/<path>: a directory, or a live tail of a file ----

  const filePage = view(async (v, id, relative) => {
    const state = await stateOnce(v);
    if (!state || v.stopped) return;
    const entry = findTask(state, id);
    if (!entry) {
      show(main, h("h1", {}, "Task"), h("p", {}, `No task ${id} is known to this master.`));
      return;
    }
    const { task } = entry;
    const parts = relative.split("/").filter(Boolean);
    const crumbs = parts.map((part, index) => (index === parts.length - 1 ? part : h("a", { href: fileHash(task, parts.slice(0, index + 1).join("/")) }, part)));
    const path = `${taskDir(task)}/${parts.join("/")}`;
    show(main, taskHeader(state, entry, ...crumbs), h("h1", {}, parts.at(-1) ?? ""), h("div", { id: "file" }, "reading…"));
    const box = document.getElementById("file");
    let size;
    try {
      size = (await api(filesUrl(task, "read", path, "&offset=-1"), { signal: v.signal })).offset;
    } catch (error) {
      if (v.stopped || error.name === "AbortError") return;
      if (error.status !== 400) {
        show(box, sandboxProblem(error));
        return;
      }
      // 400: a directory.
      try {
        const entries = await api(filesUrl(task, "browse", path), { signal: v.signal });
        if (!v.stopped) show(box, listing(task, parts.join("/"), entries));
      } catch (listError) {
        if (!v.stopped && listError.name !== "AbortError") show(box, sandboxProblem(listError));
      }
      return;
    }
    await tail(v, task, path, size, box);
  });

  /// Follows a file as `tail -f` does: the last 64 KiB first, then whatever it grows by, asked for
  /// about once a second (at once while it is catching up), until the page changes.
  async function tail(v, task, path, size, box) {
    const live = h("span", { class: "live on", id: "tail-live" }, "following");
    const note = h("span", { class: "muted" });
    const pre = h("pre", { id: "tail", class: "log", "data-path": path });
    show(box, h("div", { class: "actions" }, live, note), pre);
    const encoder = new TextEncoder();
    let offset = Math.max(0, size - TAIL_START);
    let skipPartialLine = offset > 0;
    if (offset > 0) note.textContent = `the first ${bytes(offset)} are not shown`;
    while (!v.stopped) {
      let caughtUp = true;
      try {
        const chunk = await api(filesUrl(task, "read", path, `&offset=${offset}&length=${TAIL_CHUNK}`), { signal: v.signal });
        if (v.stopped) return;
        let data = chunk.data;
        // A read that ends inside a character ends with U+FFFD: those bytes are read again next time.
        if (data.endsWith("\uFFFD")) data = data.slice(0, -1);
        const read = encoder.encode(data).length;
        offset = chunk.offset + read;
        caughtUp = read < TAIL_CHUNK - 4;
        if (skipPartialLine && data) {
          const newline = data.indexOf("\n");
          data = newline >= 0 ? data.slice(newline + 1) : "";
          skipPartialLine = newline < 0;
        }
        if (data) append(pre, data);
        live.className = "live on";
        live.textContent = "following";
      } catch (error) {
        if (v.stopped || error.name === "AbortError") return;
        live.className = "live off";
        live.textContent = `not following: ${error.message}; retrying`;
        if ([0, 503, ...NEEDS_TOKEN].includes(error.status)) Corral.banner(error);
        if (NEEDS_TOKEN.includes(error.status)) return;
      }
      await sleep(v, caughtUp ? TAIL_POLL_MS : 0);
    }
  }

  function append(pre, text) {
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 24;
    pre.append(text);
    if (pre.textContent.length > TAIL_KEEP) pre.textContent = pre.textContent.slice(-TAIL_KEEP / 2);
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  Corral.router([
    [/^\/$/, summary],
    [/^\/agents\/?$/, agents],
    [/^\/agents\/([^/]+)$/, agent],
    [/^\/frameworks\/?$/, frameworks],
    [/^\/frameworks\/([^/]+)$/, framework],
    [/^\/tasks\/?$/, tasks],
    [/^\/tasks\/([^/]+)\/files\/(.*)$/, filePage],
    [/^\/tasks\/([^/]+)$/, taskPage],
    [/^\/offers\/?$/, offers],
  ]);
})();
