// What every Corral page shares: API calls carrying the operator's token, one banner that says why
// the API refused (401, 403, 503) or cannot be reached, an event-stream reader that reconnects and
// tells the page to catch up, a hash router, and small helpers that build DOM without innerHTML.
"use strict";

const Corral = (() => {
  const TOKEN_KEY = "corral.token";

  /// The bearer token the operator pasted (kept in this browser only), or "".
  const token = () => localStorage.getItem(TOKEN_KEY) || "";

  function setToken(value) {
    if (value) localStorage.setItem(TOKEN_KEY, value.trim());
    else localStorage.removeItem(TOKEN_KEY);
  }

  /// An API answer that was not 2xx (status 0: the request never got an answer).
  class ApiError extends Error {
    constructor(status, body, message) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  /// The message an error body carries, whatever the service's error shape.
  function messageOf(status, body) {
    if (body && typeof body === "object") {
      const message = body.message ?? body.error ?? body.code;
      if (message) return String(message);
    }
    if (typeof body === "string" && body.trim()) return body.trim().slice(0, 500);
    return `HTTP ${status}`;
  }

  function headers(extra = {}) {
    const all = { ...extra };
    if (token()) all.Authorization = `Bearer ${token()}`;
    return all;
  }

  /// Calls the API of the service that served the page. `body` (an object or JSON text) is sent as
  /// JSON. Resolves to the decoded answer (text when it is not JSON); rejects with an ApiError.
  async function api(path, { method = "GET", body, signal } = {}) {
    const init = { method, signal, headers: headers({ Accept: "application/json" }) };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, null, `cannot reach ${location.host}: ${error.message}`);
    }
    const text = await response.text();
    let decoded = text;
    try {
      decoded = text ? JSON.parse(text) : null;
    } catch (_) {
      // not JSON: keep the text
    }
    if (!response.ok) throw new ApiError(response.status, decoded, messageOf(response.status, decoded));
    return decoded;
  }

  /// Builds an element: `h("a", {href: "#/x", class: "b", onclick: f}, "text", child, [more])`.
  /// Strings become text nodes, so nothing a service returns is ever parsed as HTML.
  function h(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
      else if (name === "value") element.value = value;
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    const add = (child) => {
      if (child === undefined || child === null || child === false) return;
      if (Array.isArray(child)) child.forEach(add);
      else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    };
    children.forEach(add);
    return element;
  }

  /// Replaces the children of `target` (an element or its id).
  function show(target, ...children) {
    const element = typeof target === "string" ? document.getElementById(target) : target;
    element.replaceChildren();
    children.flat(Infinity).forEach((child) => {
      if (child !== undefined && child !== null && child !== false) {
        element.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    });
    return element;
  }

  /// A table: `columns` are header labels, `rows` arrays of cells (strings or nodes).
  function table(columns, rows, empty = "none") {
    const body = rows.length
      ? rows.map((cells) => (cells instanceof Node ? cells : h("tr", {}, cells.map((cell) => h("td", {}, cell)))))
      : [h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, empty))];
    return h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c)))), h("tbody", {}, body)));
  }

  /// "12s ago" for an ISO timestamp or epoch milliseconds.
  function ago(time) {
    if (time === undefined || time === null || time === "") return "";
    const at = typeof time === "number" ? time : Date.parse(time);
    if (Number.isNaN(at)) return String(time);
    const seconds = Math.max(0, Math.round((Date.now() - at) / 1000));
    if (seconds < 120) return `${seconds}s ago`;
    if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
    if (seconds < 172800) return `${Math.round(seconds / 3600)}h ago`;
    return `${Math.round(seconds / 86400)}d ago`;
  }

  function bytes(count) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = Number(count) || 0;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value.toFixed(unit && value < 10 ? 1 : 0)} ${units[unit]}`;
  }

  const pretty = (value) => JSON.stringify(value, null, 2);

  // ---- the banner ----

  function bannerElement() {
    let banner = document.getElementById("corral-banner");
    if (!banner) {
      banner = h("div", { id: "corral-banner", role: "status" });
      document.body.prepend(banner);
    }
    return banner;
  }

  /// Says why the page cannot show what it should. 401 offers a place to paste a token.
  function banner(error) {
    const box = bannerElement();
    const status = error?.status;
    // The same refusal again (a retry, a reconnect) leaves the banner as it is: a token being
    // typed into it is not wiped.
    const shown = `${status} ${error?.message}`;
    if (box.className === "banner error" && box.dataset.shown === shown) return;
    box.dataset.shown = shown;
    box.className = "banner error";
    if (status === 401) {
      const input = h("input", { type: "password", id: "corral-token", placeholder: "a JWT from corral token issue --role read", autocomplete: "off" });
      const save = () => {
        setToken(input.value);
        location.reload();
      };
      show(box, h("strong", {}, "This API needs a token (401). "), `${error.message}. `,
        h("span", { class: "nowrap" }, input, " ", h("button", { id: "corral-token-save", onclick: save }, "Use token")),
        token() ? [" ", h("button", { id: "corral-token-forget", onclick: () => { setToken(""); location.reload(); } }, "Forget the token")] : null);
    } else if (status === 403) {
      show(box, h("strong", {}, "Your token may not do this (403). "), error.message,
        " ", h("button", { id: "corral-token-forget", onclick: () => { setToken(""); location.reload(); } }, "Use another token"));
    } else if (status === 503) {
      show(box, h("strong", {}, "The service is unavailable (503). "), error.message, " — retrying.");
    } else if (status === 0) {
      show(box, h("strong", {}, "No answer. "), error.message, " — retrying.");
    } else {
      show(box, h("strong", {}, `Error${status ? ` ${status}` : ""}. `), error?.message ?? String(error));
    }
  }

  /// Shows a passing message ("Scaled /web to 3") in the banner.
  function notice(message) {
    const box = bannerElement();
    box.className = "banner ok";
    show(box, message);
  }

  function clearBanner() {
    const box = document.getElementById("corral-banner");
    if (box) {
      box.className = "";
      box.replaceChildren();
    }
  }

  // ---- live updates ----

  /// Reads a server-sent event stream with fetch (so the token goes along) and reconnects when it
  /// drops, waiting 1 s, then longer, up to 15 s. `onOpen` runs on every (re)connection: events
  /// sent while the stream was down are lost, so the page fetches a fresh snapshot then.
  /// Returns `{close()}`.
  function stream(path, { onEvent, onOpen, onDrop } = {}) {
    let closed = false;
    let controller = null;
    let pause = 1000;
    async function connectOnce() {
      controller = new AbortController();
      const response = await fetch(path, { headers: headers({ Accept: "text/event-stream" }), signal: controller.signal });
      if (!response.ok) {
        const text = await response.text();
        let body = text;
        try { body = JSON.parse(text); } catch (_) { /* text */ }
        throw new ApiError(response.status, body, messageOf(response.status, body));
      }
      pause = 1000;
      onOpen?.();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      let event = { type: "message", data: [] };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let newline;
        while ((newline = buffer.search(/\r\n|\n|\r/)) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
          if (line === "") {
            if (event.data.length) onEvent?.(event.type, event.data.join("\n"));
            event = { type: "message", data: [] };
          } else if (!line.startsWith(":")) {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const data = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") event.type = data;
            else if (field === "data") event.data.push(data);
          }
        }
      }
    }
    (async () => {
      while (!closed) {
        try {
          await connectOnce();
          if (!closed) onDrop?.(new ApiError(0, null, "the event stream ended"));
        } catch (error) {
          if (closed) return;
          onDrop?.(error instanceof ApiError ? error : new ApiError(0, null, `the event stream dropped: ${error.message}`));
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 15000);
      }
    })();
    return {
      close() {
        closed = true;
        controller?.abort();
      },
    };
  }

  /// Calls `load` over and over, for long-poll watches: `load` returns when its watch fires. An
  /// error goes to the banner and the next call waits 1 s, then longer, up to 15 s.
  async function repeat(load) {
    let pause = 1000;
    for (;;) {
      try {
        await load();
        pause = 1000;
      } catch (error) {
        banner(error);
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 15000);
      }
    }
  }

  // ---- navigation ----

  /// Routes `#/path` to the first `[pattern, render]` whose regular expression matches; `render`
  /// gets the match's groups (decoded). Runs now and on every hash change.
  function router(routes) {
    const run = () => {
      const path = location.hash.replace(/^#/, "") || "/";
      for (const [pattern, render] of routes) {
        const match = path.match(pattern);
        if (match) {
          document.querySelectorAll("nav a[data-section]").forEach((link) => {
            link.classList.toggle("current", path.startsWith(link.dataset.section));
          });
          render(...match.slice(1).map((part) => (part === undefined ? undefined : decodeURIComponent(part))));
          return;
        }
      }
      location.hash = "#/";
    };
    window.addEventListener("hashchange", run);
    run();
  }

  return { token, setToken, ApiError, api, h, show, table, ago, bytes, pretty, banner, notice, clearBanner, stream, repeat, router, messageOf };
})();
