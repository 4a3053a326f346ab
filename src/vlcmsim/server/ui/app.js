// The vlcmsim dashboard: the public Automation API and /sim, polled, nothing else.
// Data goes into the page as text (textContent), never as markup. The page is updated
// in place: a row is made once and changed when its data changes, so a selection and a
// click stay where they are while the page refreshes every second.
"use strict";

const state = { sid: sessionStorage.getItem("vlcmsim-session"), user: sessionStorage.getItem("vlcmsim-user"),
                selected: null, timer: null, busy: false, confirming: null };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

function badge(text) { return el("span", { class: "badge " + (text || "") }, text || "-"); }

// Replace `node`'s children only when what they show changed (`signature`): an unchanged
// row keeps its elements, so what the user selected or is about to click stays put.
function render(node, signature, build) {
  if (node.dataset.signature === signature) return;
  node.dataset.signature = signature;
  node.replaceChildren(...build().filter((child) => child !== null && child !== undefined));
}

// The keyed children of `container`: one element per key, made once, kept in order.
function keyed(container, keys, make) {
  const existing = new Map([...container.children].map((c) => [c.dataset.key, c]));
  keys.forEach((key, i) => {
    let node = existing.get(key);
    if (!node) { node = make(key); node.dataset.key = key; }
    if (container.children[i] !== node) container.insertBefore(node, container.children[i] || null);
    existing.delete(key);
  });
  for (const stale of existing.values()) stale.remove();
  return keys.map((key) => container.querySelector(`:scope > [data-key="${CSS.escape(key)}"]`));
}

// What the last refresh could not read (cleared by the next good one), and what the user's
// last action was refused for (kept until dismissed or the next action succeeds).
const problems = { refresh: "", action: "" };

function showProblems() {
  const banner = document.getElementById("banner");
  const action = document.getElementById("action-error");
  const text = document.getElementById("action-error-text");
  text.textContent = problems.action;
  action.hidden = !problems.action;
  banner.textContent = problems.refresh;
  banner.hidden = !problems.refresh;
}

async function api(method, path, body) {
  const headers = { "vmware-api-session-id": state.sid || "" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401) { logout(false); throw new Error("the session ended: log in again"); }
  const text = await r.text();
  const value = text ? JSON.parse(text) : null;
  if (!r.ok) {
    const messages = ((value && value.messages) || []).map((m) => m.default_message).join(" ");
    const error = new Error(messages || `${method} ${path}: HTTP ${r.status}`);
    error.status = r.status;
    throw error;
  }
  return value;
}

async function login(event) {
  event.preventDefault();
  const user = document.getElementById("user").value;
  const password = document.getElementById("password").value;
  const r = await fetch("/api/session", { method: "POST", headers: { authorization: "Basic " + btoa(user + ":" + password) } });
  if (r.status !== 201) {
    document.getElementById("login-error").textContent = "Login refused: check the user and password.";
    return;
  }
  state.sid = await r.json();
  state.user = user;
  sessionStorage.setItem("vlcmsim-session", state.sid);
  sessionStorage.setItem("vlcmsim-user", user);
  start();
}

function logout(callServer) {
  if (callServer && state.sid) fetch("/api/session", { method: "DELETE", headers: { "vmware-api-session-id": state.sid } });
  state.sid = null;
  sessionStorage.removeItem("vlcmsim-session");
  if (state.timer) clearInterval(state.timer);
  document.getElementById("app").hidden = true;
  document.getElementById("login").hidden = false;
  document.getElementById("who").textContent = "";
}

function start() {
  document.getElementById("login").hidden = true;
  document.getElementById("app").hidden = false;
  const who = document.getElementById("who");
  who.replaceChildren(state.user || "", el("button", { id: "logout", onclick: () => logout(true) }, "Log out"));
  refresh();
  renderDepots().catch((error) => { problems.refresh = error.message; showProblems(); });
  if (state.timer) clearInterval(state.timer);
  state.timer = setInterval(refresh, 1000);
}

async function refresh() {
  if (state.busy || !state.sid) return;
  state.busy = true;
  try {
    await Promise.all([renderInventory(), renderTasks()]);
    if (state.selected) await renderDetail();
    problems.refresh = "";
  } catch (error) {
    problems.refresh = error.message;
  } finally {
    showProblems();
    state.busy = false;
  }
}

async function act(method, path, body) {
  try {
    await api(method, path, body);
    problems.action = "";
  } catch (error) {
    problems.action = `${describe(method, path)} was refused: ${error.message}`;
  }
  showProblems();
  refresh();
}

function describe(method, path) {
  if (path.startsWith("/sim/")) return `Changing ${path.split("/")[3]}`;
  const action = (path.match(/action=(\w+)/) || [])[1];
  return action ? `${action[0].toUpperCase()}${action.slice(1)}` : `${method} ${path}`;
}

// -- the inventory tree ------------------------------------------------------------

const managed = {}; // "clusters/domain-c1" or "hosts/host-10" -> managed with a single image (never changes back)

async function compliance(kind, id) {
  const key = `${kind}/${id}`;
  if (managed[key] === undefined) {
    try {
      managed[key] = (await api("GET", `/api/esx/settings/${key}/enablement/software`)).enabled;
    } catch (error) {
      managed[key] = false;
    }
  }
  if (!managed[key]) return null; // baselines: no compliance to show
  try {
    return await api("GET", `/api/esx/settings/${key}/software/compliance`);
  } catch (error) {
    return null; // no desired document or no scan yet
  }
}

async function renderInventory() {
  const [datacenters, clusters, hosts, knobs] = await Promise.all([
    api("GET", "/api/vcenter/datacenter"), api("GET", "/api/vcenter/cluster"), api("GET", "/api/vcenter/host"),
    api("GET", "/sim/hosts")]);
  const members = await Promise.all(clusters.map((c) => api("GET", `/api/vcenter/host?clusters=${c.cluster}`)));
  const scans = await Promise.all(clusters.map((c) => compliance("clusters", c.cluster)));
  const inCluster = new Set(members.flat().map((h) => h.host));
  const standalone = hosts.filter((h) => !inCluster.has(h.host));
  const standaloneScans = await Promise.all(standalone.map((h) => compliance("hosts", h.host)));
  state.knobs = Object.fromEntries(knobs.map((k) => [k.host, k]));
  const root = document.getElementById("inventory");
  if (!root.firstElementChild) root.append(el("ul", { class: "tree" }));
  const dcItems = keyed(root.firstElementChild, datacenters.map((dc) => dc.datacenter), () =>
    el("li", {}, el("div", { class: "dc-row" }), el("ul", { class: "tree" })));
  datacenters.forEach((dc, d) => {
    const [head, list] = dcItems[d].children;
    render(head, dc.name, () => [el("span", { class: "name" }, dc.name), " ", el("span", { class: "muted" }, dc.datacenter)]);
    const keys = clusters.map((c) => c.cluster).concat(standalone.length ? ["standalone"] : []);
    const items = keyed(list, keys, () => el("li", {}, el("div", {}), el("ul", { class: "tree" })));
    clusters.forEach((c, i) => {
      const [row, hostList] = items[i].children;
      clusterRow(row, c, scans[i]);
      hostRows(hostList, members[i], (h) => scans[i] && scans[i].hosts ? scans[i].hosts[h.host] : null);
    });
    if (standalone.length) {
      const [row, hostList] = items[clusters.length].children;
      render(row, "standalone", () => [el("span", { class: "muted" }, "standalone hosts")]);
      const byHost = Object.fromEntries(standalone.map((h, i) => [h.host, standaloneScans[i]]));
      hostRows(hostList, standalone, (h) => byHost[h.host]);
    }
  });
}

function clusterRow(row, c, scan) {
  row.className = "cluster-row" + (state.selected && state.selected.id === c.cluster ? " selected" : "");
  row.id = `cluster-${c.cluster}`;
  const confirming = state.confirming === c.cluster;
  render(row, JSON.stringify([c.name, scan && scan.status, scan && scan.stage_status, confirming]), () => [
    el("span", { class: "name" }, c.name), el("span", { class: "muted" }, c.cluster),
    scan ? badge(scan.status) : el("span", { class: "muted" }, "baselines"),
    scan && scan.stage_status ? badge(scan.stage_status) : null,
    el("button", { id: `image-${c.cluster}`, onclick: () => select("cluster", c.cluster) }, "Image"),
    scan ? el("button", { class: "primary", id: `stage-${c.cluster}`, onclick: () => act("POST", `/api/esx/settings/clusters/${c.cluster}/software?action=stage&vmw-task=true`, {}) }, "Stage") : null,
    scan && !confirming ? el("button", { id: `apply-${c.cluster}`, onclick: () => { state.confirming = c.cluster; refreshSoon(); } }, "Remediate") : null,
    confirming ? el("span", { class: "confirm" }, `Remediate ${c.name}? Its hosts enter maintenance mode and may reboot. `,
      el("button", { class: "danger", id: `apply-confirm-${c.cluster}`, onclick: () => { state.confirming = null; act("POST", `/api/esx/settings/clusters/${c.cluster}/software?action=apply&vmw-task=true`, { accept_eula: true }); } }, "Remediate"),
      el("button", { id: `apply-cancel-${c.cluster}`, onclick: () => { state.confirming = null; refreshSoon(); } }, "Cancel")) : null]);
}

function refreshSoon() { setTimeout(refresh, 0); }

function knobState(k) {
  // what the simulation does to a host now, in a word or two each
  if (!k) return [];
  const out = [];
  if (k.bandwidth_bytes_per_s) out.push(`slow link ${bytes(k.bandwidth_bytes_per_s)}/s`);
  if (k.staging_capacity_bytes < 1048576) out.push(`full disk (${bytes(k.staging_capacity_bytes)} staging)`);
  if (k.corrupt_downloads) out.push(`next ${k.corrupt_downloads} download(s) corrupt`);
  if (k.rebooting) out.push("rebooting");
  if (k.fail_maintenance_mode) out.push("maintenance mode fails");
  if (k.fail_installs) out.push("installs fail");
  if (k.hang_on_reboot) out.push("hangs on reboot");
  return out;
}

function hostRows(list, hosts, scanOf) {
  const items = keyed(list, hosts.map((h) => h.host), () => el("li", {}, el("div", {})));
  hosts.forEach((h, i) => {
    const row = items[i].firstElementChild;
    const scan = scanOf(h);
    const faults = knobState(state.knobs[h.host]);
    row.className = "host-row" + (state.selected && state.selected.id === h.host ? " selected" : "");
    row.id = `host-${h.host}`;
    render(row, JSON.stringify([h.name, h.connection_state, scan && scan.status, scan && scan.stage_status, faults]), () => [
      el("button", { class: "link host-name", id: `open-${h.host}`, title: "the host's panel: its state and the simulation's knobs",
        onclick: () => select("host", h.host) }, h.name),
      el("span", { class: "muted" }, h.host), badge(h.connection_state),
      scan ? badge(scan.status) : null, scan && scan.stage_status ? badge(scan.stage_status) : null,
      ...faults.map((f) => el("span", { class: "badge fault" }, f))]);
  });
}

function select(kind, id) {
  state.selected = { kind, id };
  const panel = document.getElementById("detail");
  delete panel.dataset.signature;
  refreshSoon();
}

// -- the detail panel: a cluster's image, or a host and its knobs ------------------------

async function renderDetail() {
  if (state.selected.kind === "host") return renderHost(state.selected.id);
  return renderCluster(state.selected.id);
}

async function renderCluster(cluster) {
  const title = document.getElementById("detail-title");
  const detail = document.getElementById("detail");
  let software;
  try {
    software = await api("GET", `/api/esx/settings/clusters/${cluster}/software`);
  } catch (error) {
    title.textContent = cluster;
    render(detail, "error" + error.message, () => [el("p", { class: "muted" }, error.message)]);
    return;
  }
  const scan = await compliance("clusters", cluster);
  const config = await configurationCompliance(cluster);
  title.textContent = `${cluster}: desired image`;
  render(detail, JSON.stringify([software, scan && scan.hosts, scan && scan.notifications, config]), () => {
    const components = Object.entries(software.components || {}).map(([name, c]) => `${name} ${c.version}`).join(", ");
    const image = el("table", {},
      el("tr", {}, el("th", {}, "base image"), el("td", {}, software.base_image ? software.base_image.version : "-")),
      el("tr", {}, el("th", {}, "add-on"), el("td", {}, software.add_on ? `${software.add_on.name} ${software.add_on.version}` : "-")),
      el("tr", {}, el("th", {}, "components"), el("td", {}, components || "-")));
    const hosts = el("table", {}, el("tr", {}, ...["host", "compliance", "stage", "impact", "what changes (current → target)"].map((t) => el("th", {}, t))));
    const names = (scan && scan.host_info) || {};
    for (const [host, h] of Object.entries((scan && scan.hosts) || {})) {
      hosts.append(el("tr", { id: `detail-${host}` }, el("td", { class: "host-name" }, names[host] ? names[host].name : host),
        el("td", {}, badge(h.status)), el("td", {}, badge(h.stage_status)), el("td", {}, h.impact || ""),
        el("td", { class: "changes" }, ...changes(h).map((c) => el("div", {}, c)))));
    }
    const why = notes((scan && scan.notifications) || {});
    return [image, ...why, el("h2", {}, "Hosts against it"), hosts, ...configurationPanel(cluster, config)];
  });
}

// Configuration Profiles: whether the cluster is managed by one, and its last compliance check
async function configurationCompliance(cluster) {
  const enabled = (await api("GET", `/api/esx/settings/clusters/${cluster}/enablement/configuration`)).enabled;
  if (!enabled) return { enabled };
  try {
    return { enabled, last: await api("GET", `/api/esx/settings/clusters/${cluster}/configuration/reports/last-compliance-result`) };
  } catch (error) {
    return { enabled, last: null }; // never checked yet
  }
}

function configurationPanel(cluster, config) {
  if (!config || !config.enabled) return [];
  const check = el("button", { id: `config-check-${cluster}`, onclick: () => act("POST", `/api/esx/settings/clusters/${cluster}/configuration?action=checkCompliance&vmw-task=true`) }, "Check configuration");
  const head = el("h2", {}, "Host configuration ", check);
  if (!config.last) return [head, el("p", { class: "muted" }, "Not checked yet.")];
  const last = config.last;
  const table = el("table", { id: `config-compliance-${cluster}` }, el("tr", {}, ...["host", "configuration", "drift (current → desired)"].map((t) => el("th", {}, t))));
  for (const [host, r] of Object.entries(last.hosts || {})) {
    const c = r.host_compliance || {};
    const drift = ((c.compliance_info || {}).sets || []).map((d) => `${d.path}: ${d.current ?? "-"} → ${d.target ?? "-"}`);
    table.append(el("tr", { "data-host": host }, el("td", { class: "host-name" }, (last.host_info[host] || {}).name || host),
      el("td", {}, badge(c.status || r.host_status.status)), el("td", { class: "changes" }, ...drift.map((d) => el("div", {}, d)))));
  }
  return [head, el("p", {}, badge(last.cluster_status), " ", el("span", { class: "muted" }, `checked ${clock(last.end_time)}`)), table];
}

function version(side) {
  if (!side) return "none";
  const shown = (side.details && side.details.display_version) || side.version;
  return shown === side.version ? shown : `${shown} (${side.version})`;
}

function changes(h) {
  const parts = [];
  if (h.base_image) parts.push(["base image", h.base_image]);
  if (h.add_on) parts.push(["add-on", h.add_on]);
  for (const [name, c] of Object.entries(h.components || {})) parts.push([name, c]);
  return parts.filter(([, p]) => p.status && p.status !== "COMPLIANT").map(([name, p]) => {
    const details = (p.target && p.target.details) || (p.current && p.current.details) || {};
    const label = name === "base image" || name === "add-on" ? name : details.display_name || name;
    const why = ((p.notifications || {}).errors || []).map((n) => n.message.default_message).join(" ");
    return `${label}: ${version(p.current)} → ${version(p.target)}${why ? " — " + why : ""}`;
  });
}

function notes(notifications) {
  return ["errors", "warnings"].flatMap((level) => (notifications[level] || []).map((n) =>
    el("p", { class: level === "errors" ? "error" : "warning" }, n.message.default_message)));
}

const KNOBS = [
  ["Disconnect", "disconnect", { connection_state: "DISCONNECTED" }, (k, h) => h.connection_state === "CONNECTED"],
  ["Connect", "connect", { connection_state: "CONNECTED" }, (k, h) => h.connection_state !== "CONNECTED"],
  ["Slow link (64 KiB/s)", "slow", { bandwidth_bytes_per_s: 64 * 1024 }, (k) => !k.bandwidth_bytes_per_s],
  ["Fast link", "fast", { bandwidth_bytes_per_s: 0 }, (k) => !!k.bandwidth_bytes_per_s],
  ["Full disk (1 KiB staging)", "full", { staging_capacity_bytes: 1024 }, (k) => k.staging_capacity_bytes >= 1048576],
  ["Free disk (64 GiB)", "free", { staging_capacity_bytes: 64 * 1024 ** 3 }, (k) => k.staging_capacity_bytes < 1048576],
  ["Corrupt the next download", "corrupt", { corrupt_downloads: 1 }, () => true],
];

async function renderHost(host) {
  const title = document.getElementById("detail-title");
  const detail = document.getElementById("detail");
  const [found, k] = await Promise.all([api("GET", `/api/vcenter/host?hosts=${host}`), api("GET", `/sim/hosts/${host}`)]);
  const h = found[0] || { host, name: host, connection_state: "-" };
  title.textContent = `${h.name}`;
  render(detail, JSON.stringify([h, k]), () => {
    const facts = el("table", {},
      el("tr", {}, el("th", {}, "host"), el("td", {}, host)),
      el("tr", {}, el("th", {}, "connection"), el("td", {}, badge(h.connection_state))),
      el("tr", {}, el("th", {}, "power"), el("td", {}, h.power_state || "-")),
      el("tr", {}, el("th", {}, "link"), el("td", { id: "knob-link" }, k.bandwidth_bytes_per_s ? `${bytes(k.bandwidth_bytes_per_s)}/s` : "unlimited")),
      el("tr", {}, el("th", {}, "staging area"), el("td", { id: "knob-staging" }, `${bytes(k.staging_used_bytes)} used of ${bytes(k.staging_capacity_bytes)}`)),
      el("tr", {}, el("th", {}, "corrupt downloads to come"), el("td", {}, String(k.corrupt_downloads))),
      el("tr", {}, el("th", {}, "VMs"), el("td", {}, String(k.vm_count))));
    const knobs = el("div", { class: "knobs" }, ...KNOBS.filter(([, , , shown]) => shown(k, h)).map(([label, id, changes]) =>
      el("button", { id: `${id}-${host}`, onclick: () => act("PATCH", `/sim/hosts/${host}`, changes) }, label)));
    return [facts, el("h2", {}, "Simulation"), knobs];
  });
}

// -- tasks -------------------------------------------------------------------------

function bytes(n) {
  if (n >= 1073741824) return (n / 1073741824).toFixed(1) + " GiB";
  if (n >= 1048576) return (n / 1048576).toFixed(1) + " MiB";
  if (n >= 1024) return (n / 1024).toFixed(0) + " KiB";
  return n + " B";
}

function clock(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString();
}

async function renderTasks() {
  const tasks = await api("GET", "/api/cis/tasks");
  const recent = Object.entries(tasks).sort((a, b) => String(b[1].start_time || b[1].end_time || "").localeCompare(String(a[1].start_time || a[1].end_time || ""))).slice(0, 8);
  const container = document.getElementById("tasks");
  if (!recent.length) { render(container, "none", () => [el("p", { class: "muted" }, "No task yet.")]); return; }
  if (container.dataset.signature) { delete container.dataset.signature; container.replaceChildren(); }
  const boxes = keyed(container, recent.map(([id]) => id), () => el("div", { class: "task" }));
  recent.forEach(([id, t], i) => taskBox(boxes[i], id, t));
}

function taskBox(box, id, t) {
  box.dataset.task = id;
  box.dataset.status = t.status;
  const p = t.progress || { total: 0, completed: 0 };
  const inBytes = t.operation === "stage";
  render(box, JSON.stringify(t), () => {
    const head = el("div", {}, el("span", { class: "name" }, t.description ? t.description.default_message : t.operation), " ",
      el("span", { class: "muted" }, t.target ? t.target.id : ""), " ", badge(t.status), " ",
      el("span", { class: "muted times" }, [clock(t.start_time), t.end_time ? "→ " + clock(t.end_time) : ""].filter(Boolean).join(" ")), " ",
      t.status === "RUNNING" && t.cancelable ? el("button", { onclick: () => act("POST", `/api/cis/tasks/${id}?action=cancel`) }, "Cancel") : null);
    const parts = [head];
    if (p.total) parts.push(el("progress", { max: String(p.total), value: String(p.completed) }),
      el("span", { class: "muted" }, " " + ((p.message && p.message.default_message) || "")));
    const error = t.error ? (t.error.messages || []).map((m) => m.default_message).join(" ") : "";
    if (error) parts.push(el("p", { class: "error" }, error));
    const result = t.result && typeof t.result === "object" ? t.result : {};
    if (t.status === "SUCCEEDED" && (result.status === "ERROR" || ((result.notifications || {}).errors || []).length)) {
      parts.push(el("p", { class: "error" }, "The task succeeded, but its result reports errors:"));
    }
    parts.push(...notes(result.notifications || {}));
    for (const entity of result.entity_results || []) {
      for (const check of entity.check_statuses || []) {
        if (check.status === "OK") continue;
        const who = entity.cluster || ((result.host_info || {})[entity.host] || {}).name || entity.host;
        const issues = (check.issues || []).map((m) => m.default_message || "").join(" ");
        parts.push(el("p", { class: "error" }, `${who}: ${check.check.name.default_message} ${check.status}${issues ? " — " + issues : ""}`));
      }
    }
    const statuses = result.host_status || {};
    const names = result.host_info || {};
    if (Object.keys(statuses).length) {
      const table = el("table", {});
      for (const [host, s] of Object.entries(statuses)) {
        const hp = s.progress || { total: 0, completed: 0 };
        const hostError = ((s.notifications || {}).errors || []).map((n) => n.message.default_message).join(" ");
        const done = inBytes ? `${bytes(hp.completed)} / ${bytes(hp.total)}` : `${hp.completed}%`;
        table.append(el("tr", { class: "host-progress", "data-host": host, "data-status": s.status },
          el("td", { class: "host-name" }, names[host] ? names[host].name : host), el("td", {}, badge(s.status)),
          el("td", {}, el("progress", { max: String(Math.max(hp.total, 1)), value: String(hp.completed) })),
          el("td", {}, done), el("td", { class: "error" }, hostError || ((hp.message && !inBytes) ? hp.message.default_message : ""))));
      }
      parts.push(table);
    }
    return parts;
  });
}

// -- depots ------------------------------------------------------------------------

async function renderDepots() {
  const depots = await api("GET", "/api/esx/settings/depots/offline");
  const table = el("table", {}, el("tr", {}, el("th", {}, "depot"), el("th", {}, "description"), el("th", {}, "")));
  for (const [id, d] of Object.entries(depots)) {
    table.append(el("tr", {}, el("td", {}, id), el("td", {}, d.description || ""),
      el("td", {}, el("button", { id: `content-${id}`, onclick: () => renderDepotContent(id).catch((error) => { problems.action = error.message; showProblems(); }) }, "Content"))));
  }
  document.getElementById("depots").replaceChildren(table);
}

async function renderDepotContent(depot) {
  const content = await api("GET", `/api/esx/settings/depots/offline/${depot}/content`);
  const table = el("table", { id: "depot-content-table" }, el("tr", {}, ...["vendor", "kind", "name", "versions"].map((t) => el("th", {}, t))));
  for (const [vendor, bundles] of Object.entries(content.metadata_bundles || {})) {
    for (const bundle of bundles) {
      for (const b of bundle.base_images || []) {
        table.append(el("tr", {}, el("td", {}, vendor), el("td", {}, "base image"), el("td", {}, b.display_name), el("td", {}, `${b.display_version} (${b.version})`)));
      }
      for (const [kind, items] of [["add-on", bundle.addons || {}], ["component", bundle.independent_components || {}]]) {
        for (const [name, c] of Object.entries(items)) {
          table.append(el("tr", { class: kind }, el("td", {}, vendor), el("td", {}, kind), el("td", {}, `${c.display_name || name} (${name})`),
            el("td", {}, (c.versions || []).map((v) => v.display_version ? `${v.display_version} (${v.version})` : v.version).join(", "))));
        }
      }
    }
  }
  document.getElementById("depot-content").replaceChildren(el("h2", {}, `Content of ${depot}`), table);
}

document.getElementById("login-form").addEventListener("submit", login);
document.getElementById("action-error-dismiss").addEventListener("click", () => { problems.action = ""; showProblems(); });
if (state.sid) start();
else logout(false);
