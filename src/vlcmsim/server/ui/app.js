// The vlcmsim dashboard: the public Automation API and /sim, polled, nothing else.
// Data goes into the page as text (textContent), never as markup.
"use strict";

const state = { sid: sessionStorage.getItem("vlcmsim-session"), user: sessionStorage.getItem("vlcmsim-user"),
                cluster: null, timer: null, busy: false };

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

function showError(text) {
  const banner = document.getElementById("banner");
  banner.textContent = text;
  banner.hidden = !text;
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
  renderDepots().catch((error) => showError(error.message));
  if (state.timer) clearInterval(state.timer);
  state.timer = setInterval(refresh, 1000);
}

async function refresh() {
  if (state.busy || !state.sid) return;
  state.busy = true;
  try {
    await Promise.all([renderInventory(), renderTasks()]);
    if (state.cluster) await renderDetail(state.cluster);
    showError("");
  } catch (error) {
    showError(error.message);
  } finally {
    state.busy = false;
  }
}

const managed = {}; // cluster -> managed with a single image (it does not change back)

async function compliance(cluster) {
  if (managed[cluster.cluster] === undefined) {
    const enablement = await api("GET", `/api/esx/settings/clusters/${cluster.cluster}/enablement/software`);
    managed[cluster.cluster] = enablement.enabled;
  }
  if (!managed[cluster.cluster]) return null; // baselines: no compliance to show
  try {
    return await api("GET", `/api/esx/settings/clusters/${cluster.cluster}/software/compliance`);
  } catch (error) {
    return null; // no desired document or no scan yet
  }
}

async function renderInventory() {
  const [datacenters, clusters, hosts] = await Promise.all([
    api("GET", "/api/vcenter/datacenter"), api("GET", "/api/vcenter/cluster"), api("GET", "/api/vcenter/host")]);
  const members = await Promise.all(clusters.map((c) => api("GET", `/api/vcenter/host?clusters=${c.cluster}`)));
  const scans = await Promise.all(clusters.map(compliance));
  const inCluster = new Set(members.flat().map((h) => h.host));
  const tree = el("ul", { class: "tree" });
  for (const dc of datacenters) {
    const dcItem = el("li", {}, el("span", { class: "name" }, dc.name), " ", el("span", { class: "muted" }, dc.datacenter));
    const list = el("ul", { class: "tree" });
    clusters.forEach((c, i) => {
      const scan = scans[i];
      const row = el("div", { class: "cluster-row", id: `cluster-${c.cluster}` },
        el("span", { class: "name" }, c.name), el("span", { class: "muted" }, c.cluster),
        scan ? badge(scan.status) : el("span", { class: "muted" }, "baselines"),
        scan && scan.stage_status ? badge(scan.stage_status) : null,
        el("button", { id: `image-${c.cluster}`, onclick: () => { state.cluster = c.cluster; renderDetail(c.cluster); } }, "Image"),
        scan ? el("button", { class: "primary", id: `stage-${c.cluster}`, onclick: () => act("POST", `/api/esx/settings/clusters/${c.cluster}/software?action=stage&vmw-task=true`, {}) }, "Stage") : null,
        scan ? el("button", { id: `apply-${c.cluster}`, onclick: () => act("POST", `/api/esx/settings/clusters/${c.cluster}/software?action=apply&vmw-task=true`, { accept_eula: true }) }, "Remediate") : null);
      const hostList = el("ul", { class: "tree" });
      for (const h of members[i]) hostList.append(el("li", {}, hostRow(h, scan && scan.hosts ? scan.hosts[h.host] : null)));
      list.append(el("li", {}, row, hostList));
    });
    const standalone = hosts.filter((h) => !inCluster.has(h.host));
    if (standalone.length) {
      const hostList = el("ul", { class: "tree" });
      for (const h of standalone) hostList.append(el("li", {}, hostRow(h, null)));
      list.append(el("li", {}, el("span", { class: "muted" }, "standalone hosts"), hostList));
    }
    dcItem.append(list);
    tree.append(dcItem);
  }
  document.getElementById("inventory").replaceChildren(tree);
}

function hostRow(h, hostScan) {
  const connected = h.connection_state === "CONNECTED";
  const knob = (label, id, changes) => el("button", { id: `${id}-${h.host}`, onclick: () => act("PATCH", `/sim/hosts/${h.host}`, changes) }, label);
  return el("div", { class: "host-row", id: `host-${h.host}` },
    el("span", {}, h.name), el("span", { class: "muted" }, h.host), badge(h.connection_state),
    hostScan ? badge(hostScan.status) : null, hostScan && hostScan.stage_status ? badge(hostScan.stage_status) : null,
    el("span", { class: "knobs" },
      connected ? knob("Disconnect", "disconnect", { connection_state: "DISCONNECTED" })
                : knob("Connect", "connect", { connection_state: "CONNECTED" }),
      knob("Slow link", "slow", { bandwidth_bytes_per_s: 64 * 1024 }),
      knob("Fast link", "fast", { bandwidth_bytes_per_s: 0 }),
      knob("Full disk", "full", { staging_capacity_bytes: 1024 }),
      knob("Free disk", "free", { staging_capacity_bytes: 64 * 1024 ** 3 }),
      knob("Corrupt next", "corrupt", { corrupt_downloads: 1 })));
}

async function act(method, path, body) {
  try {
    await api(method, path, body);
    showError("");
  } catch (error) {
    showError(error.message);
  }
  refresh();
}

async function renderDetail(cluster) {
  const title = document.getElementById("detail-title");
  const detail = document.getElementById("detail");
  let software;
  try {
    software = await api("GET", `/api/esx/settings/clusters/${cluster}/software`);
  } catch (error) {
    title.textContent = cluster;
    detail.replaceChildren(el("p", { class: "muted" }, error.message));
    return;
  }
  const scan = await compliance({ cluster });
  title.textContent = `${cluster}: desired image`;
  const components = Object.entries(software.components || {}).map(([name, c]) => `${name} ${c.version}`).join(", ");
  const image = el("table", {},
    el("tr", {}, el("th", {}, "base image"), el("td", {}, software.base_image ? software.base_image.version : "-")),
    el("tr", {}, el("th", {}, "add-on"), el("td", {}, software.add_on ? `${software.add_on.name} ${software.add_on.version}` : "-")),
    el("tr", {}, el("th", {}, "components"), el("td", {}, components || "-")));
  const hosts = el("table", {}, el("tr", {}, ...["host", "compliance", "stage", "impact", "runs"].map((t) => el("th", {}, t))));
  for (const [host, h] of Object.entries((scan && scan.hosts) || {})) {
    const runs = h.base_image && h.base_image.current ? h.base_image.current.version : "";
    hosts.append(el("tr", { id: `detail-${host}` }, el("td", {}, host), el("td", {}, badge(h.status)),
      el("td", {}, badge(h.stage_status)), el("td", {}, h.impact || ""), el("td", {}, runs)));
  }
  detail.replaceChildren(image, el("h2", {}, "Hosts against it"), hosts);
}

function bytes(n) {
  if (n >= 1048576) return (n / 1048576).toFixed(1) + " MiB";
  if (n >= 1024) return (n / 1024).toFixed(0) + " KiB";
  return n + " B";
}

async function renderTasks() {
  const tasks = await api("GET", "/api/cis/tasks");
  const recent = Object.entries(tasks).sort((a, b) => String(b[1].start_time || "").localeCompare(String(a[1].start_time || ""))).slice(0, 8);
  const list = el("div", {});
  for (const [id, t] of recent) {
    const p = t.progress || { total: 0, completed: 0 };
    const box = el("div", { class: "task", "data-task": id, "data-status": t.status },
      el("div", {}, el("span", { class: "name" }, t.description ? t.description.default_message : t.operation), " ",
        el("span", { class: "muted" }, t.target ? t.target.id : ""), " ", badge(t.status), " ",
        t.status === "RUNNING" && t.cancelable ? el("button", { onclick: () => act("POST", `/api/cis/tasks/${id}?action=cancel`) }, "Cancel") : null));
    if (p.total) box.append(el("progress", { max: String(p.total), value: String(p.completed) }));
    const statuses = (t.result && t.result.host_status) || {};
    const names = (t.result && t.result.host_info) || {};
    if (Object.keys(statuses).length) {
      const table = el("table", {});
      for (const [host, s] of Object.entries(statuses)) {
        const hp = s.progress || { total: 0, completed: 0 };
        const error = ((s.notifications || {}).errors || []).map((n) => n.message.default_message).join(" ");
        table.append(el("tr", { class: "host-progress", "data-host": host, "data-status": s.status },
          el("td", {}, names[host] ? names[host].name : host), el("td", {}, badge(s.status)),
          el("td", {}, el("progress", { max: String(Math.max(hp.total, 1)), value: String(hp.completed) })),
          el("td", {}, `${bytes(hp.completed)} / ${bytes(hp.total)}`), el("td", { class: "error" }, error)));
      }
      box.append(table);
    }
    list.append(box);
  }
  document.getElementById("tasks").replaceChildren(list.childElementCount ? list : el("p", { class: "muted" }, "No task yet."));
}

async function renderDepots() {
  const depots = await api("GET", "/api/esx/settings/depots/offline");
  const table = el("table", {}, el("tr", {}, el("th", {}, "depot"), el("th", {}, "description"), el("th", {}, "")));
  for (const [id, d] of Object.entries(depots)) {
    table.append(el("tr", {}, el("td", {}, id), el("td", {}, d.description || ""),
      el("td", {}, el("button", { onclick: () => renderDepotContent(id) }, "Content"))));
  }
  document.getElementById("depots").replaceChildren(table);
}

async function renderDepotContent(depot) {
  const content = await api("GET", `/api/esx/settings/depots/offline/${depot}/content`);
  const table = el("table", {}, el("tr", {}, el("th", {}, "component"), el("th", {}, "versions")));
  for (const c of content.components || []) {
    table.append(el("tr", {}, el("td", {}, c.display_name || c.name), el("td", {}, (c.versions || []).map((v) => v.version).join(", "))));
  }
  document.getElementById("depot-content").replaceChildren(el("h2", {}, `Content of ${depot}`), table);
}

document.getElementById("login-form").addEventListener("submit", login);
if (state.sid) start();
else logout(false);
