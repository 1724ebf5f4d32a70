// The lb's page: what HAProxy routes (each backend, the frontends that reach it by service port,
// host name and path, and its servers with HAProxy's state of them), the apps left out and why,
// and a link to HAProxy's own stats page. Refreshed every few seconds.
"use strict";

(() => {
  const { h, show, api } = Corral;
  const REFRESH_MS = 2500;

  /// HAProxy's stats page on the host this page came from (HAProxy serves it over plain HTTP).
  const statsUrl = (port) => `http://${location.hostname}:${port}/haproxy?stats`;

  function live(on) {
    const element = document.getElementById("live");
    if (!element) return;
    element.className = `live ${on ? "on" : "off"}`;
    element.textContent = on ? "live" : "reconnecting";
  }

  function card(label, value, id) {
    return h("div", { class: "card" }, h("div", { class: "label" }, label), h("div", { class: "value", id }, value));
  }

  const withPort = (port, standard) => (port && port !== standard ? `:${port}` : "");

  /// The ways traffic reaches a backend: its service port, and its host names on :80/:443.
  function frontends(route, status) {
    const lines = [h("div", {}, h("span", { class: "mono" }, route.bind), " ", h("span", { class: "badge" }, route.mode))];
    for (const vhost of route.vhosts) {
      const path = route.path ?? "/";
      if (status.http_port) {
        const note = route.redirect_to_https ? h("span", { class: "muted" }, " → https") : null;
        lines.push(h("div", { class: "mono" }, `http://${vhost}${withPort(status.http_port, 80)}${path}`, note));
      }
      if (status.https_port) lines.push(h("div", { class: "mono" }, `https://${vhost}${withPort(status.https_port, 443)}${path}`));
    }
    return h("div", { class: "frontends" }, lines);
  }

  function stateClass(server) {
    if (server.draining) return "state-warn";
    const state = (server.state ?? "").toUpperCase();
    if (state.startsWith("UP") || state === "NO CHECK") return "state-ok";
    if (state.startsWith("DOWN") || state === "MAINT" || state === "NOLB") return "state-bad";
    return "state-warn";
  }

  function servers(route) {
    const rows = route.servers.map((server) =>
      h("div", { "data-server": server.task_id },
        h("span", { class: "mono" }, server.address), " ",
        h("span", { class: `badge ${stateClass(server)}`, "data-state": server.state ?? "" }, server.draining ? "draining" : server.state ?? "state unknown"),
        server.sessions ? h("span", { class: "muted" }, ` ${server.sessions} sessions`) : null,
        " ", h("span", { class: "task hide-narrow" }, `${server.name} · ${server.task_id}`)));
    const slots = h("div", { class: "muted" }, `${route.servers.length} of ${route.slots} slots`);
    return h("div", { class: "servers" }, rows.length ? rows : h("div", { class: "muted" }, "no task serves"), slots);
  }

  function routeRow(route, status) {
    return h("tr", { "data-route": route.backend },
      h("td", {}, frontends(route, status)),
      h("td", {}, h("div", { class: "mono" }, route.backend), h("div", { class: "muted" }, `app ${route.app} · port ${route.port_index} · ${route.balance}`)),
      h("td", {}, servers(route)));
  }

  function render(status, routes) {
    const stats = status.stats_port ? statsUrl(status.stats_port) : null;
    const link = document.getElementById("haproxy-stats");
    if (stats && link) link.href = stats;
    show("whoami", status.serving ? "HAProxy serving" : "HAProxy not serving marathon's apps yet");
    show("main",
      h("div", { class: "actions" }, h("h1", {}, "Routes"), h("span", { id: "live", class: "live on" }, "live")),
      h("div", { class: "cards" },
        card("serving", status.serving ? "yes" : "no", "serving"),
        card("apps", String(status.apps)),
        card("backends", String(status.services)),
        card("servers", String(status.servers)),
        card("excluded", String(status.excluded.length)),
        card("reloads", String(status.reloads)),
        card("runtime updates", String(status.runtime_updates))),
      h("dl", { class: "facts" },
        h("dt", {}, "HAProxy stats"), h("dd", {}, stats ? h("a", { id: "stats-link", href: stats, target: "_blank", rel: "noopener" }, stats) : "not running yet"),
        h("dt", {}, "config"), h("dd", {}, h("a", { href: "haproxy.cfg", target: "_blank", rel: "noopener" }, "haproxy.cfg"), ` · ${status.refused_configs} refused by haproxy -c`),
        h("dt", {}, "last sync"), h("dd", {}, status.last_sync ? `${status.last_sync} (${Corral.ago(status.last_sync)})` : "never"),
        h("dt", {}, "last event"), h("dd", {}, status.last_event ? `${status.last_event} (${Corral.ago(status.last_event)})` : "none"),
        status.last_error ? [h("dt", {}, "last error"), h("dd", { class: "state-bad", id: "last-error" }, status.last_error)] : null),
      h("h2", {}, `Backends (${routes.length})`),
      h("div", { id: "routes" }, Corral.table(["frontends", "backend", "servers"], routes.map((route) => routeRow(route, status)), "no app is exposed")),
      h("h2", {}, `Excluded apps (${status.excluded.length})`),
      h("div", { id: "excluded" }, Corral.table(["app", "reason"],
        status.excluded.map((excluded) => h("tr", { "data-excluded": excluded.app }, h("td", { class: "mono" }, excluded.app), h("td", { class: "reason" }, excluded.reason))),
        "no app is left out")));
  }

  async function refresh() {
    let pause = REFRESH_MS;
    let shown = "";
    for (;;) {
      try {
        const [status, answer] = await Promise.all([api("v1/status"), api("v1/routes")]);
        // Unchanged answers leave the page alone (a scrolled table or a selection stays).
        const seen = JSON.stringify([status, answer.routes]);
        if (seen !== shown || !document.getElementById("live")?.classList.contains("on")) render(status, answer.routes);
        shown = seen;
        Corral.clearBanner();
        pause = REFRESH_MS;
      } catch (error) {
        Corral.banner(error);
        live(false);
        pause = Math.min(pause * 2, 15000);
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  Corral.router([[/^\/?$/, () => {}]]);
  refresh();
})();
