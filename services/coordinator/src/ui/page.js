// The coordinator's page, read-only: a tree browser (a znode's place in the tree, its children,
// data and stat, kept current by a long-poll watch on it, so a change another client makes shows
// without a reload) and the ensemble's members with their roles.
"use strict";

(() => {
  const { h, show, api } = Corral;

  // ---- znode paths ----

  const segments = (path) => path.split("/").filter(Boolean);
  const joined = (parts) => `/${parts.join("/")}`;
  const encoded = (path) => segments(path).map(encodeURIComponent).join("/");
  const hrefOf = (path) => `#/znode/${encoded(path)}`;
  const childOf = (parent, name) => (parent === "/" ? `/${name}` : `${parent}/${name}`);
  const parentOf = (path) => joined(segments(path).slice(0, -1));

  // ---- small pieces ----

  const hex = (number) => `0x${Number(number).toString(16)}`;
  const zxid = (number) => `${number} (${hex(number)})`;

  function time(ms) {
    if (!ms) return "0";
    return h("span", { title: String(ms) }, new Date(ms).toISOString().replace(".000Z", "Z"), " ", h("span", { class: "muted" }, `(${Corral.ago(ms)})`));
  }

  function live(on) {
    const element = document.getElementById("live");
    if (!element) return;
    element.className = `live ${on ? "on" : "off"}`;
    element.textContent = on ? "live" : "reconnecting";
  }

  function whoami(status) {
    show("whoami", `node ${status.id} · ${status.mode}`);
  }

  function selectSection(section) {
    document.querySelectorAll("nav a[data-section]").forEach((link) => {
      link.classList.toggle("current", link.dataset.section === section);
    });
  }

  // ---- data: text, JSON or hex ----

  /// Data is a UTF-8 string in the API; text with control characters is shown as hex.
  function looksBinary(data) {
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(data);
  }

  function asJson(data) {
    if (!/^\s*[[{]/.test(data)) return null;
    try {
      return Corral.pretty(JSON.parse(data));
    } catch (_) {
      return null;
    }
  }

  /// `offset  hex bytes  ascii`, 16 bytes a line, of the data's UTF-8 bytes.
  function hexDump(data) {
    const bytes = new TextEncoder().encode(data);
    const lines = [];
    for (let offset = 0; offset < bytes.length; offset += 16) {
      const row = Array.from(bytes.slice(offset, offset + 16));
      const hexes = row.map((b) => b.toString(16).padStart(2, "0")).join(" ").padEnd(47, " ");
      const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
      lines.push(`${offset.toString(16).padStart(8, "0")}  ${hexes}  ${ascii}`);
    }
    return lines.join("\n");
  }

  function dataSection(view, znode) {
    const data = znode.data;
    const json = asJson(data);
    // The rendering the operator picked stays while it applies; otherwise the data decides.
    view.dataView = view.chosenView === "json" && json === null ? undefined : view.chosenView;
    view.dataView ??= looksBinary(data) ? "hex" : "text";
    const renderings = { text: data, json, hex: hexDump(data) };
    const pre = h("pre", { id: "data", "data-view": view.dataView }, renderings[view.dataView]);
    const button = (name, label) =>
      renderings[name] === null
        ? null
        : h("button", {
            "data-view": name,
            class: view.dataView === name ? "selected" : null,
            onclick: () => {
              view.chosenView = name;
              if (view.last) renderZnode(view, view.last);
            },
          }, label);
    return [
      h("h2", {}, "Data ", h("span", { class: "muted" }, `(${Corral.bytes(znode.stat.dataLength)})`)),
      h("div", { class: "actions views" }, button("text", "text"), button("json", "JSON"), button("hex", "hex")),
      data === "" ? h("pre", { id: "data", "data-view": view.dataView, class: "muted" }, "") : pre,
    ];
  }

  const STAT = [
    ["czxid", zxid, "created by"],
    ["mzxid", zxid, "data last changed by"],
    ["pzxid", zxid, "children last changed by"],
    ["ctime", time, "created at"],
    ["mtime", time, "data last changed at"],
    ["version", String, "changes of the data"],
    ["cversion", String, "changes of the children"],
    ["aversion", String, "changes of the ACL"],
    ["ephemeralOwner", (owner) => (owner ? `${owner} (${hex(owner)})` : "0 (not ephemeral)"), "owning session"],
    ["dataLength", String, "bytes of data"],
    ["numChildren", String, "children"],
  ];

  function statList(stat) {
    const rows = STAT.filter(([name]) => stat[name] !== undefined).flatMap(([name, format, meaning]) => [
      h("dt", { title: meaning }, name),
      h("dd", { "data-stat": name }, format(stat[name])),
    ]);
    return h("dl", { id: "stat", class: "facts" }, rows);
  }

  // ---- the znode view ----

  function crumbs(path) {
    const parts = segments(path);
    const links = [h("a", { href: hrefOf("/"), class: parts.length ? null : "here" }, "/")];
    parts.forEach((part, index) => {
      if (index > 0) links.push(h("span", { class: "sep" }, "/"));
      const target = joined(parts.slice(0, index + 1));
      links.push(index === parts.length - 1 ? h("span", { class: "here" }, part) : h("a", { href: hrefOf(target) }, part));
    });
    return h("div", { class: "crumbs", id: "crumbs", "data-path": path }, links);
  }

  /// The path from the root to the znode as a nested list, its children innermost.
  function tree(path, children) {
    const parts = segments(path);
    const childList = h("ul", { id: "children" },
      children === null
        ? h("li", { class: "muted" }, "—")
        : children.length
          ? children.map((name) => h("li", { "data-child": name }, h("a", { href: hrefOf(childOf(path, name)) }, name)))
          : h("li", { class: "muted" }, "no children"));
    let inner = childList;
    for (let depth = parts.length; depth >= 0; depth -= 1) {
      const here = joined(parts.slice(0, depth));
      const label = depth === 0 ? "/" : parts[depth - 1];
      const link = h("a", { href: hrefOf(here), class: depth === parts.length ? "selected" : null }, label);
      const count = depth === parts.length && children ? h("span", { class: "count" }, `${children.length}`) : null;
      inner = h("ul", {}, h("li", {}, link, count, inner));
    }
    return h("div", { class: "tree" }, h("h2", {}, "Tree"), inner);
  }

  function heading(view) {
    return h("div", { class: "actions" }, crumbs(view.path), h("span", { id: "live", class: "live off" }, "connecting"));
  }

  function renderZnode(view, { znode, children }) {
    view.last = { znode, children };
    if (!znode) {
      show("main", heading(view),
        h("p", { id: "missing" }, `No znode at ${view.path}. `, view.path === "/" ? null : h("a", { href: hrefOf(parentOf(view.path)) }, "Up to its parent"),
          h("span", { class: "muted" }, " — the page shows it if it is created.")),
        h("div", { class: "split" }, tree(view.path, null), h("div")));
    } else {
      show("main", heading(view),
        h("div", { class: "split" }, tree(view.path, children), h("div", {}, dataSection(view, znode), h("h2", {}, "Stat"), statList(znode.stat))));
    }
    live(view.ok);
  }

  async function readZnode(path) {
    const suffix = path === "/" ? "" : encoded(path);
    try {
      const [znode, listed] = await Promise.all([api(`v1/znodes/${suffix}`), api(`v1/children/${suffix}`)]);
      return { znode, children: listed.children };
    } catch (error) {
      if (error.status === 404) return { znode: null, children: null };
      throw error;
    }
  }

  // One view at a time is followed; navigating replaces it, and the old one's watch is aborted.
  let current = { path: null };
  let wake = null;

  /// Reads the view's znode (once, however many ask at the same time) and the zxid to watch from.
  function load(view) {
    view.loading ??= (async () => {
      try {
        const status = await api("v1/status");
        whoami(status);
        const read = await readZnode(view.path);
        if (view !== current) return;
        view.since = status.zxid;
        view.ok = true;
        renderZnode(view, read);
        Corral.clearBanner();
      } finally {
        view.loading = null;
      }
    })();
    return view.loading;
  }

  /// One long-poll on the shown znode: an event re-reads it; the answer's zxid is where the next
  /// watch starts.
  async function watchOnce(view) {
    view.controller = new AbortController();
    let answer;
    try {
      const body = { paths: [view.path], since: view.since, timeout_ms: 25000 };
      answer = await api("v1/watch", { method: "POST", body, signal: view.controller.signal });
    } catch (error) {
      if (error.name === "AbortError" || view !== current) return;
      view.ok = false;
      live(false);
      if (error.status === 410) {
        // The history no longer reaches back: read again and watch from now.
        view.since = null;
        return;
      }
      throw error;
    }
    if (view !== current) return;
    view.ok = true;
    live(true);
    Corral.clearBanner();
    const since = view.since;
    view.since = Math.max(since, answer.zxid);
    if (answer.events.length) {
      const read = await readZnode(view.path);
      if (view === current) renderZnode(view, read);
    }
  }

  Corral.repeat(async () => {
    const view = current;
    if (view.path === null) {
      await new Promise((resolve) => { wake = resolve; });
    } else if (view.since === null || view.since === undefined) {
      await load(view);
    } else {
      await watchOnce(view);
    }
  });

  function follow(view) {
    current.controller?.abort();
    current = view;
    const waiting = wake;
    wake = null;
    waiting?.();
  }

  function showZnode(path) {
    selectSection("/znode");
    ensembleRun += 1;
    const view = { path, since: null };
    follow(view);
    show("main", heading(view), h("p", { class: "muted" }, "loading…"));
    load(view).catch((error) => {
      if (view === current) Corral.banner(error);
    });
  }

  // ---- the ensemble ----

  const ROLE_ORDER = { leader: 0, follower: 1, participant: 2, observer: 3 };

  function memberRow(status, member) {
    const self = member.id === status.id;
    const page = `${location.protocol}//${member.client}/#/ensemble`;
    let replicated = h("span", { class: "muted" }, "—");
    if (member.matched_zxid !== undefined && member.matched_zxid !== null) {
      const behind = status.zxid - member.matched_zxid;
      replicated = [zxid(member.matched_zxid), " ", h("span", { class: behind > 0 ? "state-warn" : "state-ok" }, behind > 0 ? `${behind} behind` : "in sync")];
    }
    return h("tr", { "data-member": member.id, "data-role": member.role },
      h("td", {}, String(member.id), self ? h("span", { class: "muted" }, " (this node)") : null),
      h("td", { class: `role role-${member.role}` }, member.role),
      h("td", {}, self ? member.client : h("a", { href: page }, member.client)),
      h("td", { class: "mono" }, member.peer),
      h("td", {}, replicated));
  }

  function card(label, value) {
    return h("div", { class: "card" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
  }

  function renderEnsemble(status, srvr) {
    whoami(status);
    const members = [...(status.members ?? [])].sort((a, b) => (ROLE_ORDER[a.role] ?? 9) - (ROLE_ORDER[b.role] ?? 9) || a.id - b.id);
    const leader = members.find((member) => member.role === "leader");
    const note = status.mode === "leader"
      ? "This node leads: the replicated column shows how far each member has caught up."
      : leader
        ? ["Only the leader knows how far each member has replicated: ", h("a", { href: `${location.protocol}//${leader.client}/#/ensemble` }, `open the leader's page (${leader.client})`), "."]
        : "No leader is known to this node right now.";
    show("main",
      h("div", { class: "actions" }, h("h1", {}, "Ensemble"), h("span", { id: "live", class: "live on" }, "live")),
      h("div", { class: "cards", id: "this-node" },
        card("this node", `${status.id}`),
        card("mode", h("span", { id: "mode", class: `role-${status.mode}` }, status.mode)),
        card("zxid", h("span", { title: hex(status.zxid) }, String(status.zxid))),
        card("epoch", String(status.epoch)),
        card("znodes", String(status.node_count)),
        card("sessions", String(status.sessions)),
        card("ephemerals", String(status.ephemerals)),
        card("watches waiting", String(status.watches)),
        card("avg latency", h("span", { title: `min ${status.latency_min_ms.toFixed(3)} ms, max ${status.latency_max_ms.toFixed(3)} ms (watch long-polls count too)` }, `${status.latency_avg_ms.toFixed(1)} ms`))),
      h("h2", {}, "Members"),
      h("div", { id: "members" }, Corral.table(["id", "role", "client address", h("span", {}, "peer address"), "replicated"], members.map((member) => memberRow(status, member)), "this node knows no members")),
      h("p", { class: "muted" }, note),
      h("h2", {}, "srvr"),
      h("pre", { id: "srvr" }, srvr));
  }

  let ensembleRun = 0;

  async function showEnsemble() {
    selectSection("/ensemble");
    follow({ path: null });
    const run = ++ensembleRun;
    show("main", h("h1", {}, "Ensemble"), h("p", { class: "muted" }, "loading…"));
    let pause = 3000;
    while (run === ensembleRun && location.hash.startsWith("#/ensemble")) {
      try {
        const [status, srvr] = await Promise.all([api("v1/status"), api("srvr")]);
        if (run !== ensembleRun) return;
        renderEnsemble(status, typeof srvr === "string" ? srvr : Corral.pretty(srvr));
        Corral.clearBanner();
        pause = 3000;
      } catch (error) {
        if (run !== ensembleRun) return;
        Corral.banner(error);
        live(false);
        pause = Math.min(pause * 2, 15000);
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  Corral.router([
    [/^\/$/, () => showZnode("/")],
    [/^\/znode(\/.*)?$/, (rest) => showZnode(rest ?? "/")],
    [/^\/ensemble\/?$/, showEnsemble],
  ]);
})();
