// gridwork web console: grids by workload, coverage gaps and overlaps, buildings, live incidents, overdue table,
// and the dispatcher's dispatch / escalate actions. Reads the same API a GIS user or app does, with a token.
// Every word it shows comes from the message table in i18n.js (Chinese by default, English by the bar's switch).
//
// The page records its state on <body> for people and for the headless-browser test:
//   data-state (loading | login | ready | error), data-grids-drawn, data-gaps-drawn, data-overlaps-drawn,
//   data-incidents-drawn, data-overdue-rows, data-load-ms (navigation start to everything drawn),
//   data-action-result (after an action: "ok:<state>:<assignee kind>:<assignee id>" or "error:<status>:<message>"),
//   data-selected-grid (the grid whose panel is open), data-incidents-capped ("true" when the API's limit was hit),
//   data-console-errors, data-failed-requests, data-lang (zh-CN | en), data-fragment-done ("true" once the fragment's
//   request below is carried out), data-live (connecting | open | down: the live feed), data-live-received (incident
//   events applied), data-live-last (the id of the last one), data-alerts (new-incident alerts shown).
//
// URL fragment (never sent to the server): #token=…  signs in (then removed from the address bar);
// #incident=ID opens an incident; #incident=ID&action=dispatch&assignee=staff:S00012[&note=…] (or
// action=escalate[&level=county]) performs an action
// once the map is ready — only when the same fragment carries the token, so a link cannot act with a stored token.
// #click=LON,LAT clicks the map there (after #layers=no-incidents switches the incident layer off, if given);
// #press=lang-switch presses the language switch (no other button can be pressed by a link).
"use strict";

const TOKEN_KEY = "gridwork.token";
const BUILDING_ZOOM = 16;
const STATE_COLOURS = { reported: "#6b7280", dispatched: "#f59e0b", accepted: "#3b82f6", in_progress: "#8b5cf6",
                        resolved: "#10b981", rated: "#10b981", closed: "#9ca3af" };
const OPEN_STATES = new Set(["reported", "dispatched", "accepted", "in_progress"]);
const LEVELS = ["grid", "village", "town", "county"];
/// The most open incidents the page asks for (the API's largest `limit`).
const INCIDENT_CAP = 10000;

const body = document.body;
const $ = (id) => document.getElementById(id);

// What a person would find in the browser's console, on <body> for the headless-browser test: data-console-errors
// (uncaught errors and rejected promises) and data-failed-requests (the paths answered with 400 or more).
body.dataset.consoleErrors = "0";
body.dataset.failedRequests = "";
const countError = () => { body.dataset.consoleErrors = String(Number(body.dataset.consoleErrors) + 1); };
window.addEventListener("error", countError);
window.addEventListener("unhandledrejection", countError);
new PerformanceObserver((list) => {
  const failed = list.getEntries().filter((e) => e.responseStatus >= 400)
    .map((e) => `${e.responseStatus} ${new URL(e.name).pathname}`);
  if (failed.length) body.dataset.failedRequests = [body.dataset.failedRequests, ...failed].filter(Boolean).join(" ");
}).observe({ type: "resource", buffered: true });
const fragment = new URLSearchParams(location.hash.slice(1));
const fragmentToken = fragment.get("token");
let token = fragmentToken || localStorage.getItem(TOKEN_KEY);
if (fragmentToken) {
  localStorage.setItem(TOKEN_KEY, fragmentToken);
  const rest = new URLSearchParams(fragment);
  rest.delete("token");
  history.replaceState(null, "", location.pathname + location.search + (rest.toString() ? "#" + rest : ""));
}

const state = {
  me: null, departments: [], categories: new Map(), incidents: new Map(), markers: new Map(),
  gridLayers: new Map(), selectedIncident: null, selectedGrid: null, counts: null, capped: false,
};

// ---------------------------------------------------------------------------------------------------------------
// API

class APIError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/// Status 0: the server could not be reached (the message says so in the page's language, not "Failed to fetch").
async function api(path, options = {}) {
  const headers = { Authorization: "Bearer " + token };
  if (options.json !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method: options.method || "GET", headers,
      body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
    });
  } catch (_) {
    throw new APIError(0, t("server.unreachable"));
  }
  const text = await response.text();
  let value = null;
  try { value = text ? JSON.parse(text) : null; } catch (_) { value = null; }
  if (!response.ok) {
    const message = (value && value.error && value.error.message) || text || response.statusText;
    throw new APIError(response.status, message);
  }
  return { value, headers: response.headers };
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

const num = formatNumber;

/// A category in the current language, from the routing rules' label.
function categoryName(code) {
  const c = state.categories.get(code);
  return labelIn(c ? c.label : code);
}

/// "staff S00012", "村委会 V03": an assignee by its kind's name.
function assigneeName(kind, id) { return `${term("assignee", kind)} ${id}`; }

/// A history actor ("dispatcher:token3", "grid_worker:S00012", "system") with its role's name.
function actorName(actor) {
  const at = String(actor).indexOf(":");
  if (at < 0) return term("actor", actor);
  return `${term("role", actor.slice(0, at))} ${actor.slice(at + 1)}`;
}

/// The workload ramp of the README map (Sources/Gridwork/Reports/WorkloadMap.swift): 50 pale, 100 orange, 200 dark red.
function workloadColour(index) {
  const stops = [[50, [255, 255, 204]], [100, [253, 141, 60]], [150, [227, 26, 28]], [200, [128, 0, 38]]];
  if (index === null || index === undefined || Number.isNaN(index)) return "#d1d5db";
  const v = Math.min(Math.max(index, stops[0][0]), stops[stops.length - 1][0]);
  let k = 0;
  while (k < stops.length - 2 && v > stops[k + 1][0]) k++;
  const [a, ca] = stops[k], [b, cb] = stops[k + 1];
  const f = (v - a) / (b - a);
  const c = ca.map((x, i) => Math.round(x + (cb[i] - x) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Map

// One canvas for every layer: a canvas covers the whole map and takes every click on it, so a second one (the
// incidents' own pane, as before) swallowed the clicks meant for the grids beneath, even with incidents switched
// off. On one canvas Leaflet hands a click to the topmost shape under it; `restack` keeps the drawing order
// grids < gaps, overlaps < buildings < incidents whenever a layer is redrawn.
// maxZoom: the clustering plugin needs one, and without tiles Leaflet has none of its own.
const map = L.map("map", { preferCanvas: true, zoomSnap: 0.25, attributionControl: false, maxZoom: 19 });
const renderer = L.canvas({ padding: 0.3 });

/// Clusters of incidents (Leaflet.markercluster, Debian's libjs-leaflet.markercluster): thousands of incidents at
/// county zoom become a few labelled circles, so the grids' workload colours stay visible between them. A cluster
/// shows how many incidents it holds, ringed red when any is overdue; from street zoom (16) every incident is drawn.
function clusterIcon(cluster) {
  const children = cluster.getAllChildMarkers();
  const n = children.length;
  const overdue = children.some((m) => { const p = state.incidents.get(m.incidentID); return p && isOverdue(p); });
  const size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 42 : 48;
  return L.divIcon({
    html: `<span>${num(n)}</span>`, className: `incident-cluster${overdue ? " overdue" : ""}`, iconSize: [size, size],
  });
}

/// The heat view: incidents counted in 24-pixel cells of the current view and painted from pale yellow to dark red
/// (square root of the count against the busiest cell). Its canvas takes no clicks, so the grids beneath stay clickable.
const HeatLayer = L.Layer.extend({
  onAdd(m) {
    this._canvas = L.DomUtil.create("canvas", "heat-layer");
    m.getPanes().overlayPane.appendChild(this._canvas);
    m.on("moveend zoomend resize", this.redraw, this);
    this.redraw();
  },
  onRemove(m) {
    this._canvas.remove();
    m.off("moveend zoomend resize", this.redraw, this);
    body.dataset.heatCells = "0";
  },
  redraw() {
    if (!this._map) return;
    const m = this._map, size = m.getSize(), canvas = this._canvas, cell = 24;
    L.DomUtil.setPosition(canvas, m.containerPointToLayerPoint([0, 0]));
    canvas.width = size.x;
    canvas.height = size.y;
    const cols = Math.ceil(size.x / cell), rows = Math.ceil(size.y / cell);
    const counts = new Uint32Array(cols * rows);
    let max = 0;
    for (const p of state.incidents.values()) {
      if (!matches(p)) continue;
      const pt = m.latLngToContainerPoint(onMap(p.lat, p.lon));
      const c = Math.floor(pt.x / cell), r = Math.floor(pt.y / cell);
      if (c < 0 || r < 0 || c >= cols || r >= rows) continue;
      const k = r * cols + c;
      max = Math.max(max, ++counts[k]);
    }
    const ctx = canvas.getContext("2d");
    let cells = 0;
    for (let k = 0; k < counts.length; k++) {
      if (!counts[k]) continue;
      cells++;
      const f = Math.sqrt(counts[k] / max);
      ctx.fillStyle = `hsla(${Math.round(55 - 55 * f)}, 95%, ${Math.round(60 - 25 * f)}%, ${(0.35 + 0.45 * f).toFixed(2)})`;
      ctx.fillRect((k % cols) * cell, Math.floor(k / cols) * cell, cell, cell);
    }
    body.dataset.heatCells = String(cells);
  },
});

const layers = {
  grids: L.geoJSON(null, { renderer }),
  gaps: L.geoJSON(null, { renderer }),
  overlaps: L.geoJSON(null, { renderer }),
  buildings: L.geoJSON(null, { renderer }),
  incidents: L.markerClusterGroup({
    iconCreateFunction: clusterIcon, showCoverageOnHover: false, disableClusteringAtZoom: BUILDING_ZOOM,
    maxClusterRadius: 56, spiderfyOnMaxZoom: false, removeOutsideVisibleBounds: true,
  }),
  heat: new HeatLayer(),
};

function restack() {
  for (const name of ["gaps", "overlaps", "buildings"]) if (map.hasLayer(layers[name])) layers[name].bringToFront();
  if (map.hasLayer(layers.incidents)) {
    for (const marker of state.markers.values()) if (map.hasLayer(marker)) marker.bringToFront();
  }
}
for (const name of ["grids", "gaps", "overlaps", "buildings", "incidents"]) layers[name].addTo(map);
// Markers drawn anew when clusters split or merge go on top of the grids again.
layers.incidents.on("animationend", restack);
map.on("zoomend", restack);
/// Where a WGS84 point (the API's coordinates) is drawn: where it is, or, on GCJ-02 tiles, shifted into GCJ-02
/// (gcj02.js, the port of GridProjection's ChineseOffset) so grids and incidents sit on the tiles' streets. `offMap`
/// is the inverse, for what the page sends back (the buildings' bounding box).
let onMap = (lat, lon) => L.latLng(lat, lon);
let offMap = (latlng) => latlng;
let baseDatum = "wgs84";

/// The optional base map (`gridwork serve --tiles URL [--tiles-datum wgs84|cgcs2000|gcj02]`): under every layer,
/// with the grids' fill lightened so streets and rivers show through. Called before any layer has data.
function addBaseMap(baseMap) {
  baseDatum = baseMap.datum;
  if (baseDatum === "gcj02") {
    onMap = (lat, lon) => { const [x, y] = GCJ02.fromWGS84(lon, lat); return L.latLng(y, x); };
    offMap = (latlng) => { const [x, y] = GCJ02.toWGS84(latlng.lng, latlng.lat); return L.latLng(y, x); };
    for (const name of ["grids", "gaps", "overlaps", "buildings"]) {
      layers[name].options.coordsToLatLng = (c) => onMap(c[1], c[0]);
    }
  }
  layers.base = L.tileLayer(baseMap.url, { maxZoom: 19, className: "base-tiles" }).addTo(map);
  layers.base.bringToBack();
  layers.grids.setStyle(gridStyle);
  body.dataset.baseMap = baseMap.url;
  drawLayerControl();
}

let layerControl = null;
function drawLayerControl() {
  if (layerControl) layerControl.remove();
  layerControl = L.control.layers(layers.base ? { [t("layer.base")]: layers.base } : null, {
    [t("layer.grids")]: layers.grids, [t("layer.gaps")]: layers.gaps, [t("layer.overlaps")]: layers.overlaps,
    [t("layer.buildings")]: layers.buildings, [t("layer.incidents")]: layers.incidents, [t("layer.heat")]: layers.heat,
  }, { collapsed: true }).addTo(map);
}
L.control.scale({ imperial: false }).addTo(map);
const notice = L.DomUtil.create("div", "notice", $("map"));

function gridStyle(feature) {
  const p = feature.properties;
  const fillOpacity = layers.base ? 0.45 : 0.75;
  const mine = state.me && state.me.grid_ids.includes(p.grid_id);
  const problem = p.crosses_village_boundary || p.invalid_reason;
  return {
    fillColor: workloadColour(p.workload_index), fillOpacity,
    color: mine ? "#1d4ed8" : problem ? "#b91c1c" : "#4b5563",
    weight: mine ? 3 : problem ? 2 : 0.6, dashArray: problem && !mine ? "4 3" : null,
  };
}

function drawGrids(collection) {
  layers.grids.clearLayers();
  layers.grids.options.style = gridStyle;
  layers.grids.options.onEachFeature = (feature, layer) => {
    state.gridLayers.set(feature.properties.grid_id, layer);
    layer.on("click", () => selectGrid(feature.properties.grid_id));
  };
  layers.grids.addData(collection);
  body.dataset.gridsDrawn = String(collection.features.length);
}

function drawProblems(gaps, overlaps) {
  const problemStyle = (colour) => ({ color: colour, weight: 2.5, fillColor: colour, fillOpacity: 0.8 });
  layers.gaps.options.style = () => problemStyle("#e11d48");
  layers.overlaps.options.style = () => problemStyle("#7c3aed");
  // Popups are made when opened, so they follow the language switch.
  layers.gaps.options.onEachFeature = (f, layer) => layer.bindPopup(() =>
    `<b>${esc(t("gap.title", { id: f.properties.gap_id }))}</b><br>${esc(t("village", { id: f.properties.village_id }))}` +
    `<br>${num(f.properties.area_m2, 1)} m²`);
  layers.overlaps.options.onEachFeature = (f, layer) => layer.bindPopup(() =>
    `<b>${esc(t("overlap.title", { id: f.properties.overlap_id }))}</b>` +
    `<br>${esc(t("overlap.grids", { a: f.properties.grid_a, b: f.properties.grid_b }))}<br>${num(f.properties.area_m2, 1)} m²`);
  layers.gaps.clearLayers().addData(gaps);
  layers.overlaps.clearLayers().addData(overlaps);
  body.dataset.gapsDrawn = String(gaps.features.length);
  body.dataset.overlapsDrawn = String(overlaps.features.length);
}

/// Overdue: open and past its deadline, or already escalated (each escalation sets the next level's deadline, so
/// an escalated incident missed at least one).
function isOverdue(p, now = Date.now()) {
  return OPEN_STATES.has(p.state) && (Date.parse(p.due_at) < now || p.escalation_level !== "grid");
}

/// How late an incident is ("超期 3 小时"), counted from its first deadline (`deadline_at`, which never moves: each
/// escalation step sets a new `due_at`, so an escalated incident is as late as the first deadline it missed), or "–".
function lateness(p, now) {
  const first = Date.parse(p.deadline_at || p.due_at);
  return first < now ? formatDuration(now - first, "late") : "–";
}

/// The deadline countdown (超期预警) of an open incident: "red" when overdue (past its deadline, or escalated),
/// "amber" when less than a quarter of its time (reported to deadline) or two hours is left, else "green".
function deadlineColour(p, now = Date.now()) {
  if (isOverdue(p, now)) return "red";
  const due = Date.parse(p.due_at), left = due - now;
  return left < Math.max(2 * 3_600_000, (due - Date.parse(p.reported_at)) / 4) ? "amber" : "green";
}

/// "超期 3 小时" when red, "剩余 5 小时" otherwise: the countdown's words.
function countdownText(p, now = Date.now()) {
  return deadlineColour(p, now) === "red" ? lateness(p, now) : formatDuration(Date.parse(p.due_at) - now, "left");
}

const RING = { red: "#dc2626", amber: "#f59e0b", green: "#ffffff" };

function incidentStyle(p) {
  const ageHours = Math.max(0, (Date.now() - Date.parse(p.reported_at)) / 3_600_000);
  const colour = deadlineColour(p);
  return {
    radius: 5 + Math.min(6, Math.log2(1 + ageHours / 6)), fillColor: STATE_COLOURS[p.state] || "#111827",
    fillOpacity: 0.95, color: RING[colour], weight: colour === "green" ? 1.2 : 3,
  };
}

/// A marker for an open incident; its tooltip reads the incident as it is when shown (live changes included).
function makeMarker(p) {
  const marker = L.circleMarker(onMap(p.lat, p.lon), { ...incidentStyle(p), renderer });
  marker.incidentID = p.id;
  marker.on("click", () => selectIncident(p.id));
  marker.bindTooltip(() => {
    const q = state.incidents.get(p.id) || p;
    return `#${q.id} ${esc(categoryName(q.category))} · ${esc(term("state", q.state))}`;
  });
  return marker;
}

/// Puts one incident (map feature properties with lon and lat) on the map, replacing its old marker; an incident no
/// longer open leaves the map (the page shows open incidents).
function putIncident(p) {
  const old = state.markers.get(p.id);
  if (old) layers.incidents.removeLayer(old);
  state.markers.delete(p.id);
  state.incidents.delete(p.id);
  if (!OPEN_STATES.has(p.state)) return;
  state.incidents.set(p.id, p);
  const marker = makeMarker(p);
  if (matches(p)) layers.incidents.addLayer(marker);
  state.markers.set(p.id, marker);
}

function featureIncident(f) {
  const [lon, lat] = f.geometry.coordinates;
  return { ...f.properties, lon, lat };
}

function drawIncidents(collection) {
  layers.incidents.clearLayers();
  state.incidents.clear();
  state.markers.clear();
  for (const f of collection.features) {
    const p = featureIncident(f);
    state.incidents.set(p.id, p);
    state.markers.set(p.id, makeMarker(p));
  }
  body.dataset.incidentsDrawn = String(collection.features.length);
  applyFilter();
  // The API gives at most INCIDENT_CAP; when that many came, there are probably more than the map shows.
  state.capped = collection.features.length >= INCIDENT_CAP;
  body.dataset.incidentsCapped = String(state.capped);
  drawCapNotice();
}

// ---------------------------------------------------------------------------------------------------------------
// Filters and search: the map, the heat view and the overdue table show only the open incidents that pass them.
// A number (or #number) finds that incident; other text asks the API (`q=`, description and address).

const filter = { category: "", state: "", town: "", village: "", grid: "", overdue: false, id: null, textIDs: null };

function filterActive() {
  return Boolean(filter.category || filter.state || filter.town || filter.village || filter.grid || filter.overdue ||
    filter.id !== null || filter.textIDs);
}

function matches(p) {
  return (!filter.category || p.category === filter.category) && (!filter.state || p.state === filter.state) &&
    (!filter.town || p.town_id === filter.town) && (!filter.village || p.village_id === filter.village) &&
    (!filter.grid || p.grid_id === filter.grid) && (!filter.overdue || isOverdue(p)) &&
    (filter.id === null || p.id === filter.id) && (!filter.textIDs || filter.textIDs.has(p.id));
}

/// Puts the markers of the incidents that pass the filters on the map, and redraws what follows them.
function applyFilter() {
  const shown = [];
  for (const [id, marker] of state.markers) if (matches(state.incidents.get(id))) shown.push(marker);
  layers.incidents.clearLayers();
  layers.incidents.addLayers(shown);
  drawFilterCount(shown.length);
  layers.heat.redraw();
  drawOverdue();
  restack();
}

function drawFilterCount(shown) {
  if (shown === undefined) shown = [...state.incidents.values()].filter(matches).length;
  body.dataset.incidentsShown = String(shown);
  $("filter-count").textContent = filterActive() ? t("filter.count", { shown: num(shown), total: num(state.incidents.size) }) : "";
}

/// The selects' options in the current language, from the categories and the grids' towns and villages.
function drawFilters() {
  const fill = (select, all, values, label = (v) => v) => {
    const keep = select.value;
    select.innerHTML = `<option value="">${esc(t(all))}</option>` +
      values.map((v) => `<option value="${esc(v)}">${esc(label(v))}</option>`).join("");
    select.value = values.includes(keep) ? keep : "";
  };
  const grids = state.gridRows || [];
  fill($("f-category"), "filter.category.all", [...state.categories.keys()], categoryName);
  fill($("f-state"), "filter.state.all", [...OPEN_STATES], (s) => term("state", s));
  fill($("f-town"), "filter.town.all", [...new Set(grids.map((g) => g.town_id).filter(Boolean))].sort());
  const town = $("f-town").value;
  fill($("f-village"), "filter.village.all",
       [...new Set(grids.filter((g) => !town || g.town_id === town).map((g) => g.village_id).filter(Boolean))].sort());
  const village = $("f-village").value;
  fill($("f-grid"), "filter.grid.all", grids.filter((g) => (!town || g.town_id === town) &&
       (!village || g.village_id === village)).map((g) => g.grid_id).sort());
}

function readFilters() {
  filter.category = $("f-category").value;
  filter.state = $("f-state").value;
  filter.town = $("f-town").value;
  filter.village = $("f-village").value;
  filter.grid = $("f-grid").value;
  filter.overdue = $("f-overdue").checked;
}

for (const id of ["f-category", "f-state", "f-town", "f-village", "f-grid", "f-overdue"]) {
  $(id).addEventListener("change", () => {
    if (id === "f-town" || id === "f-village") drawFilters();
    readFilters();
    applyFilter();
  });
}

let textSearch = 0, textTimer = null;
$("f-text").addEventListener("input", () => {
  clearTimeout(textTimer);
  textTimer = setTimeout(searchText, 300);
});

async function searchText() {
  const text = $("f-text").value.trim();
  const request = ++textSearch;
  const number = /^#?(\d+)$/.exec(text);
  filter.id = number ? Number(number[1]) : null;
  filter.textIDs = null;
  if (text && !number) {
    try {
      const { value } = await api(`/api/v1/incidents.geojson?state=open&limit=${INCIDENT_CAP}&q=${encodeURIComponent(text)}`);
      if (request !== textSearch) return;
      filter.textIDs = new Set(value.features.map((f) => f.properties.id));
    } catch (error) {
      showMessage(t("filter.failed", { message: error.message }), true);
      return;
    }
  }
  if (request === textSearch) applyFilter();
}

$("f-clear").addEventListener("click", () => {
  for (const id of ["f-category", "f-state", "f-town", "f-village", "f-grid"]) $(id).value = "";
  $("f-overdue").checked = false;
  $("f-text").value = "";
  textSearch++;
  Object.assign(filter, { id: null, textIDs: null });
  drawFilters();
  readFilters();
  applyFilter();
});

function drawCapNotice() {
  $("cap-notice").hidden = !state.capped;
  $("cap-notice").textContent = state.capped ? t("cap", { cap: num(INCIDENT_CAP) }) : "";
}

function drawOverdue() {
  const now = Date.now();
  const rows = [...state.incidents.values()].filter((p) => isOverdue(p, now) && matches(p))
    .sort((a, b) => LEVELS.indexOf(b.escalation_level) - LEVELS.indexOf(a.escalation_level) ||
      Date.parse(a.reported_at) - Date.parse(b.reported_at));
  $("overdue-rows").innerHTML = rows.map((p) =>
    `<tr data-id="${p.id}" tabindex="0"><td>${p.id}</td><td>${esc(categoryName(p.category))}</td><td>${esc(p.grid_id || "–")}</td>` +
    `<td title="${esc(term("assignee", p.assignee_kind))}">${esc(p.assignee_id)}</td><td>${esc(lateness(p, now))}</td>` +
    `<td>${p.escalation_level === "grid" ? "" : esc(term("level", p.escalation_level))}</td></tr>`).join("") ||
    `<tr><td colspan="6">${esc(t("none"))}</td></tr>`;
  $("overdue-count").textContent = `(${rows.length})`;
  body.dataset.overdueRows = String(rows.length);
  drawBar();
}

/// Table rows that open something take Enter and Space like a click (they are in the Tab order: tabindex="0").
function keyboardRows(element) {
  element.addEventListener("keydown", (event) => {
    if ((event.key === "Enter" || event.key === " ") && event.target.matches("tr[data-id]")) {
      event.preventDefault();
      event.target.click();
    }
  });
}
keyboardRows($("overdue-rows"));

$("overdue-rows").addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-id]");
  if (!row) return;
  const id = Number(row.dataset.id);
  const p = state.incidents.get(id);
  if (p) map.setView(onMap(p.lat, p.lon), Math.max(map.getZoom(), 16));
  selectIncident(id);
});

// Buildings: only at street zoom, only the visible box, at most 2,000 per request (the API's limit).
let buildingRequest = 0;
async function refreshBuildings() {
  if (map.getZoom() < BUILDING_ZOOM || !map.hasLayer(layers.buildings)) {
    layers.buildings.clearLayers();
    notice.textContent = map.getZoom() < BUILDING_ZOOM ? "" : notice.textContent;
    return;
  }
  // The view in WGS84 (on GCJ-02 tiles the map's own coordinates are shifted), with a margin of ~50 m.
  const view = map.getBounds(), sw = offMap(view.getSouthWest()), ne = offMap(view.getNorthEast());
  const margin = layers.base && baseDatum === "gcj02" ? 0.0005 : 0;
  const bbox = [sw.lng - margin, sw.lat - margin, ne.lng + margin, ne.lat + margin].map((v) => v.toFixed(6)).join(",");
  const request = ++buildingRequest;
  try {
    const { value, headers } = await api(`/api/v1/buildings.geojson?bbox=${bbox}`);
    if (request !== buildingRequest) return;
    layers.buildings.options.style = (f) => ({
      color: f.properties.placement_problem ? "#b91c1c" : !f.properties.has_building_head ? "#c2410c" : "#374151",
      weight: 1, fillColor: "#9ca3af", fillOpacity: 0.5,
    });
    layers.buildings.options.onEachFeature = (f, layer) => layer.bindPopup(() =>
      `<b>${esc(t("building.title", { id: f.properties.building_id }))}</b>` +
      `<br>${esc(t("building.floors", { kind: f.properties.kind, floors: num(f.properties.floors) }))}` +
      `<br>${esc(t("building.households", { n: num(f.properties.households) }))}` +
      `<br>${esc(t("building.grid", { id: f.properties.grid_id }))}` +
      (f.properties.placement_problem ? `<br><span class="error">${esc(f.properties.placement_problem)}</span>` : "") +
      (f.properties.has_building_head ? "" : `<br><span class="error">${esc(t("building.no-head"))}</span>`));
    layers.buildings.clearLayers().addData(value);
    restack();
    const total = Number(headers.get("X-Total-Count") || value.features.length);
    notice.textContent = headers.get("X-Truncated") === "true"
      ? t("buildings.truncated", { shown: num(value.features.length), total: num(total) }) : "";
  } catch (error) {
    showMessage(t("buildings.failed", { message: error.message }), true);
  }
}
map.on("moveend overlayadd", refreshBuildings);

// Grid labels from zoom 14: the name (and id) of each grid in view, at its centre; they take no clicks.
const LABEL_ZOOM = 14;
const gridLabels = L.layerGroup().addTo(map);
function drawGridLabels() {
  gridLabels.clearLayers();
  if (map.getZoom() < LABEL_ZOOM || !map.hasLayer(layers.grids)) { body.dataset.gridLabels = "0"; return; }
  const view = map.getBounds();
  let n = 0;
  for (const [id, layer] of state.gridLayers) {
    const bounds = layer.getBounds();
    if (!view.intersects(bounds)) continue;
    const name = layer.feature.properties.name;
    const text = esc(name && name !== id ? `${name} ${id}` : id);
    L.marker(bounds.getCenter(), { interactive: false, keyboard: false,
      icon: L.divIcon({ className: "grid-label", html: `<span>${text}</span>`, iconSize: null }) }).addTo(gridLabels);
    n++;
  }
  body.dataset.gridLabels = String(n);
}
map.on("zoomend moveend overlayadd overlayremove", drawGridLabels);
map.on("overlayadd", restack);

// ---------------------------------------------------------------------------------------------------------------
// Side panel

function openPanel(open) {
  body.classList.toggle("panel-open", open);
  $("panel-toggle").setAttribute("aria-expanded", String(open));
}
$("panel-toggle").addEventListener("click", () => openPanel(!body.classList.contains("panel-open")));

/// `kind` names a message that something else may clear (`unreachable`: cleared when the server is back).
function showMessage(text, isError = false, kind = "") {
  const m = $("message");
  m.hidden = !text;
  m.className = isError ? "error" : "ok";
  m.textContent = text || "";
  m.dataset.kind = text ? kind : "";
}

async function selectGrid(gridID) {
  state.selectedGrid = gridID;
  const section = $("grid-detail");
  section.hidden = false;
  section.innerHTML = `<h2>${esc(t("grid.title", { id: gridID }))}</h2><p>${esc(t("loading"))}</p>`;
  openPanel(true);
  try {
    const { value: g } = await api(`/api/v1/grids/${encodeURIComponent(gridID)}`);
    if (state.selectedGrid !== gridID) return;
    const w = g.workload || {};
    const flags = [
      g.has_full_time_worker ? "" : t("grid.no-worker"),
      g.crosses_village_boundary ? t("grid.crosses") : "",
      g.invalid_reason ? t("grid.invalid", { reason: g.invalid_reason }) : "",
      g.overlaps_with.length ? t("grid.overlaps", { grids: g.overlaps_with.join(", ") }) : "",
    ].filter(Boolean);
    const open = [...state.incidents.values()].filter((p) => p.grid_id === gridID);
    section.innerHTML = `<button class="close" data-close aria-label="${esc(t("close"))}">×</button>
      <h2>${esc(t("grid.title", { id: g.grid_id }))} ${esc(g.name)}</h2>
      <p>${esc(t("village", { id: g.village_id || "–" }))} · ${esc(t("town", { id: g.town_id || "–" }))}</p>
      ${flags.map((f) => `<p class="error">${esc(f)}</p>`).join("")}
      <dl class="figures">
        <dt>${esc(t("grid.workload"))}</dt><dd>${num(w.workload_index)}</dd>
        <dt>${esc(t("grid.households"))}</dt><dd>${num(w.households)}</dd>
        <dt>${esc(t("grid.residents"))}</dt><dd>${num(w.residents)}</dd>
        <dt>${esc(t("grid.buildings"))}</dt><dd>${num(w.buildings)}</dd>
        <dt>${esc(t("grid.area"))}</dt><dd>${num((w.area_m2 || 0) / 10000, 1)} ha</dd>
        <dt>${esc(t("grid.incidents-window"))}</dt><dd>${num(w.incidents)}</dd>
        <dt>${esc(t("grid.open-now"))}</dt><dd>${open.length}</dd>
      </dl>
      <h3>${esc(t("grid.staff"))}</h3>
      <table><tbody>${g.staff.map((s) => `<tr><td>${esc(s.staff_id)}</td><td>${esc(s.name)}</td>
        <td>${esc(term("staffRole", s.role))}${s.building_id ? " " + esc(s.building_id) : ""}</td>
        <td>${esc(t(s.on_duty ? "staff.on-duty" : "staff.off-duty"))}</td>${s.phone ? `<td>${esc(s.phone)}</td>` : ""}</tr>`).join("")
        || `<tr><td>${esc(t("grid.nobody"))}</td></tr>`}</tbody></table>
      <h3>${esc(t("grid.open", { n: open.length }))}</h3>
      <table class="grid-incidents"><tbody>${open.map((p) => `<tr data-id="${p.id}" tabindex="0"><td>${p.id}</td>
        <td>${esc(categoryName(p.category))}</td><td>${esc(term("state", p.state))}</td>
        <td>${esc(p.assignee_id)}</td><td><span class="badge countdown ${deadlineColour(p)}">${esc(countdownText(p))}</span></td></tr>`).join("") || `<tr><td>${esc(t("none"))}</td></tr>`}</tbody></table>`;
    section.querySelector("[data-close]").addEventListener("click", () => { section.hidden = true; state.selectedGrid = null; });
    keyboardRows(section.querySelector(".grid-incidents"));
    section.querySelector(".grid-incidents").addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-id]");
      if (row) selectIncident(Number(row.dataset.id));
    });
    body.dataset.selectedGrid = gridID;
  } catch (error) {
    section.innerHTML = `<h2>${esc(t("grid.title", { id: gridID }))}</h2><p class="error">${esc(error.message)}</p>`;
  }
}

function canDispatch() { return state.me && ["dispatcher", "admin"].includes(state.me.role); }

function isAssignee(p) {
  const me = state.me;
  return (p.assignee_kind === "staff" && me.role === "grid_worker" && p.assignee_id === me.staff_id) ||
    (p.assignee_kind === "department" && me.role === "department" && p.assignee_id === me.department_id);
}

/// The handler's next steps of the closed loop from each state.
const HANDLER_ACTIONS = { dispatched: ["accept", "return"], accepted: ["start", "resolve", "return"], in_progress: ["resolve", "return"] };

function highlight(id) {
  for (const [markerID, marker] of state.markers) {
    const p = state.incidents.get(markerID);
    marker.setStyle(markerID === id ? { ...incidentStyle(p), color: "#111827", weight: 4 } : incidentStyle(p));
    if (markerID === id) marker.bringToFront();
  }
}

async function selectIncident(id) {
  state.selectedIncident = id;
  highlight(id);
  const section = $("incident-detail");
  section.hidden = false;
  openPanel(true);
  let p = state.incidents.get(id);
  let detail = null;
  try {
    detail = (await api(`/api/v1/incidents/${id}`)).value;
  } catch (error) {
    section.innerHTML = `<h2>${esc(t("incident.title", { id }))}</h2><p class="error">${esc(error.message)}</p>`;
    return;
  }
  if (state.selectedIncident !== id) return;
  // The API and the GeoJSON layers write the same snake_case names, so the incident view stands in for the map
  // feature's properties when the incident is not on the map.
  p = p || detail;
  const due = Date.parse(detail.due_at);
  const open = OPEN_STATES.has(detail.state);
  const colour = open ? deadlineColour(detail) : null;
  const escalated = OPEN_STATES.has(detail.state) && detail.escalation_level !== "grid";
  let actions = "";
  if (canDispatch() && OPEN_STATES.has(detail.state)) {
    let staff = [];
    if (detail.grid_id) {
      try { staff = (await api(`/api/v1/grids/${encodeURIComponent(detail.grid_id)}`)).value.staff; } catch (_) { staff = []; }
    }
    const owner = state.categories.get(detail.category);
    const ownerDept = owner && owner.department;
    // Dispatching hands the incident to someone (it keeps its escalation level); escalating raises the level and
    // keeps the handler. Two actions of the API, never one for the other.
    const current = `${detail.assignee.kind}:${detail.assignee.id}`;
    const targets = [
      ...staff.filter((s) => s.role !== "building_head").map((s) => [`staff:${s.staff_id}`, t("dispatch.staff", {
        id: s.staff_id, name: s.name, role: t(s.role === "grid_worker" ? "dispatch.full-time" : "dispatch.part-time"),
        duty: s.on_duty ? "" : t("dispatch.off-duty") })]),
      ...state.departments.map((d) => [`department:${d.id}`, t("dispatch.department", { id: d.id, name: d.name }) +
        (d.id === ownerDept ? t("dispatch.owns", { category: categoryName(detail.category) }) : "")]),
      ...(detail.village_id ? [[`village:${detail.village_id}`, t("dispatch.village", { id: detail.village_id })]] : []),
    ];
    if (!targets.some(([value]) => value === current)) {
      targets.unshift([current, assigneeName(detail.assignee.kind, detail.assignee.id)]);
    }
    const higher = LEVELS.slice(LEVELS.indexOf(detail.escalation_level) + 1);
    actions = `<h3>${esc(t("dispatch.title"))}</h3>
      <div class="actions">
        <select id="reassign-to" aria-label="${esc(t("dispatch.to"))}">
          ${targets.map(([value, label]) => `<option value="${esc(value)}" ${value === current ? "selected" : ""}>${esc(label)}</option>`).join("")}
          <option value="other">${esc(t("dispatch.other"))}</option>
        </select>
        <input id="reassign-other" placeholder="S00012" size="8" hidden>
        <button class="primary" data-act="reassign">${esc(t("dispatch.button"))}</button>
      </div>
      ${higher.length ? `<div class="actions">
        <select id="escalate-to" aria-label="${esc(t("escalate.to"))}">
          ${higher.map((l) => `<option value="${l}">${esc(term("level", l))}</option>`).join("")}
        </select>
        <button class="warn" data-act="escalate">${esc(t("escalate.button"))}</button>
      </div>` : ""}
      <input id="act-note" placeholder="${esc(t("note"))}" style="width:100%">`;
  } else if (isAssignee({ assignee_kind: detail.assignee.kind, assignee_id: detail.assignee.id }) && HANDLER_ACTIONS[detail.state]) {
    actions = `<h3>${esc(t("handle.title"))}</h3><div class="actions">${HANDLER_ACTIONS[detail.state].map((a) =>
      `<button class="primary" data-act="${a}">${esc(term("action", a))}</button>`).join("")}</div>
      <input id="act-note" placeholder="${esc(t("note.return"))}" style="width:100%">`;
  }
  section.innerHTML = `<button class="close" data-close aria-label="${esc(t("close"))}">×</button>
    <h2>${esc(t("incident.title", { id: detail.id }))} <span class="badge">${esc(term("state", detail.state))}</span>
      ${open ? `<span class="badge countdown ${colour}" id="countdown">${esc(countdownText(detail))}</span>` : ""}
      ${escalated ? `<span class="badge overdue">${esc(t("incident.escalated", { level: term("level", detail.escalation_level) }))}</span>` : ""}</h2>
    <p>${esc(t("incident.line", { category: categoryName(detail.category), grid: detail.grid_id || "–",
                                  level: term("level", detail.escalation_level) }))}</p>
    <p>${esc(detail.description)}</p>
    <dl class="figures">
      <dt>${esc(t("incident.assignee"))}</dt><dd id="incident-assignee">${esc(assigneeName(detail.assignee.kind, detail.assignee.id))}</dd>
      <dt>${esc(t("incident.reported"))}</dt><dd>${esc(formatTime(detail.reported_at))}</dd>
      <dt>${esc(t("incident.due"))}</dt><dd>${esc(formatTime(detail.due_at))}</dd>
      <dt>${esc(t("incident.routing"))}</dt><dd>${esc(detail.routing_reason)}</dd>
    </dl>
    ${actions}
    <p id="act-result"></p>
    <details><summary>${esc(t("incident.history", { n: (detail.history || []).length }))}</summary><ul>${(detail.history || []).map((e) =>
      `<li>${esc(formatTime(e.at))} ${esc(actorName(e.actor))} ${esc(term("action", e.action))} → ${esc(term("state", e.to))}
       ${esc(e.note)}</li>`).join("")}</ul></details>`;
  section.querySelector("[data-close]").addEventListener("click", () => {
    section.hidden = true;
    state.selectedIncident = null;
    highlight(null);
  });
  const other = $("reassign-other"), to = $("reassign-to");
  if (to) to.addEventListener("change", () => { other.hidden = to.value !== "other"; });
  section.querySelectorAll("button[data-act]").forEach((button) => button.addEventListener("click", () => {
    const note = ($("act-note") && $("act-note").value) || "";
    const kind = button.dataset.act;
    if (kind === "reassign") {
      const target = to.value === "other" ? "staff:" + other.value.trim() : to.value;
      act(id, "dispatch", target, note || t("act.note.dispatch"));
    } else if (kind === "escalate") {
      act(id, "escalate", null, note || t("act.note.escalate"), $("escalate-to").value);
    } else {
      act(id, kind, null, note);
    }
  }));
}

/// Sends one action of the closed loop; `assignee` is "kind:id" for dispatch, `level` the target of escalate.
/// Records the outcome in the DOM.
async function act(id, action, assignee, note, level) {
  const payload = {};
  if (note) payload.note = note;
  if (level) payload.level = level;
  if (assignee) {
    const at = assignee.indexOf(":");
    payload.assignee = { kind: assignee.slice(0, at), id: assignee.slice(at + 1) };
  }
  const out = $("act-result");
  try {
    const { value } = await api(`/api/v1/incidents/${id}/${action}`, { method: "POST", json: payload });
    body.dataset.actionResult = `ok:${value.state}:${value.assignee.kind}:${value.assignee.id}`;
    showMessage(t("act.done", { id, action: term("action", action), state: term("state", value.state),
                                assignee: assigneeName(value.assignee.kind, value.assignee.id) }));
    await reloadIncidents();
    await selectIncident(id);
  } catch (error) {
    body.dataset.actionResult = `error:${error.status || 0}:${error.message}`;
    if (out) { out.className = "error"; out.textContent = error.message; }
    showMessage(t("act.refused", { id, action: term("action", action), message: error.message }), true);
  }
}

/// Reads the open incidents again; live events that arrive meanwhile wait and are applied after, newest wins.
async function reloadIncidents() {
  live.holding++;
  try {
    const { value } = await api(`/api/v1/incidents.geojson?state=open&limit=${INCIDENT_CAP}`);
    drawIncidents(value);
  } finally {
    live.holding--;
    flushLive();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Live updates: the server's event stream (GET /api/v1/events, docs/api.md) pushes every new or changed incident
// this token may see. EventSource cannot send the token, so each connection first asks for a single-use ticket
// (POST /api/v1/events/tickets, with the token). When the stream breaks, the page says the server cannot be reached,
// tries again (1, 2, 4, 8, then every 15 s) with a new ticket and, once back, reads the open incidents again, since
// what happened meanwhile is not replayed.

const live = { source: null, attempt: 0, timer: null, everOpen: false, holding: 0, pending: [], sound: false };
const RETRY_SECONDS = [1, 2, 4, 8, 15];

function setLive(status) {
  body.dataset.live = status;
  const el = $("live-status");
  el.dataset.status = status;
  el.textContent = t(`live.${status}`);
  el.title = t(`live.${status}.title`);
}

function scheduleLive() {
  clearTimeout(live.timer);
  const delay = RETRY_SECONDS[Math.min(live.attempt, RETRY_SECONDS.length - 1)];
  live.attempt++;
  live.timer = setTimeout(connectLive, delay * 1000);
}

async function connectLive() {
  clearTimeout(live.timer);
  if (live.source) { live.source.close(); live.source = null; }
  if (body.dataset.live !== "down") setLive("connecting");
  let ticket;
  try {
    ticket = (await api("/api/v1/events/tickets", { method: "POST" })).value;
  } catch (error) {
    if (error.status === 401) { signOut(error.message); return; }
    setLive("down");
    scheduleLive();
    return;
  }
  const source = new EventSource(ticket.url);
  live.source = source;
  source.addEventListener("hello", () => {
    const again = live.everOpen;
    live.everOpen = true;
    live.attempt = 0;
    setLive("open");
    if ($("message").dataset.kind === "unreachable") showMessage("");
    // Back after a break: what changed meanwhile was not sent, so read it.
    if (again && state.me) reloadIncidents().catch(() => {});
  });
  source.addEventListener("incident", (event) => receiveLive({ kind: "incident", ...JSON.parse(event.data) }));
  source.addEventListener("gone", (event) => receiveLive({ kind: "gone", ...JSON.parse(event.data) }));
  source.addEventListener("revoked", () => { source.close(); live.source = null; signOut(t("live.revoked")); });
  source.addEventListener("error", () => {
    // The stream ended or never opened (server stopped, restarted, or this client fell behind): start again
    // ourselves with a new ticket (EventSource would retry with the spent one).
    if (live.source !== source) return;
    source.close();
    live.source = null;
    setLive("down");
    scheduleLive();
  });
}

function receiveLive(message) {
  live.pending.push(message);
  flushLive();
}

/// Applies the live events that waited (for the first drawing or a reload).
function flushLive() {
  if (live.holding > 0 || !state.me) return;
  const messages = live.pending.splice(0);
  if (!messages.length) return;
  const touchedGrids = new Set();
  const touched = new Set();
  for (const m of messages) {
    if (m.kind === "gone") {
      const old = state.incidents.get(m.id);
      if (old) touchedGrids.add(old.grid_id);
      putIncident({ id: m.id, state: "gone" });
      touched.add(m.id);
      continue;
    }
    const p = featureIncident(m.feature);
    const old = state.incidents.get(p.id);
    // Newest wins: an event older than what a reload drew is dropped.
    if (old && Date.parse(p.updated_at) < Date.parse(old.updated_at)) continue;
    putIncident(p);
    touched.add(p.id);
    touchedGrids.add(p.grid_id);
    if (old) touchedGrids.add(old.grid_id);
    body.dataset.liveReceived = String(Number(body.dataset.liveReceived || 0) + 1);
    body.dataset.liveLast = String(p.id);
    if (m.change === "created" && OPEN_STATES.has(p.state)) alertNew(p);
  }
  restack();
  layers.heat.redraw();
  body.dataset.incidentsDrawn = String(state.incidents.size);
  drawFilterCount();
  drawOverdue();
  if (state.selectedGrid && !$("grid-detail").hidden && touchedGrids.has(state.selectedGrid)) selectGrid(state.selectedGrid);
  // The open incident's panel is redrawn unless someone is typing a note in it.
  const note = $("act-note");
  if (state.selectedIncident && touched.has(state.selectedIncident) && !$("incident-detail").hidden &&
      !(note && (note.value || document.activeElement === note))) {
    selectIncident(state.selectedIncident);
  }
}

/// A new incident in what this user sees (the dispatcher's county, the worker's grids): a notice that opens it,
/// gone after 30 s, and a short tone when the bar's sound switch is on.
function alertNew(p) {
  const list = $("alerts");
  const item = document.createElement("button");
  item.type = "button";
  item.className = "alert";
  item.dataset.id = String(p.id);
  item.textContent = t("alert.new", { id: p.id, category: categoryName(p.category), grid: p.grid_id || "–" });
  item.addEventListener("click", () => {
    item.remove();
    if (state.incidents.has(p.id)) map.setView(onMap(p.lat, p.lon), Math.max(map.getZoom(), 15));
    selectIncident(p.id);
  });
  list.prepend(item);
  while (list.children.length > 5) list.lastElementChild.remove();
  setTimeout(() => item.remove(), 30_000);
  body.dataset.alerts = String(Number(body.dataset.alerts || 0) + 1);
  if (live.sound) beep();
}

let audio = null;
function beep() {
  try {
    audio = audio || new AudioContext();
    const osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
  } catch (_) { /* no audio on this device */ }
}

const SOUND_KEY = "gridwork.sound";
live.sound = localStorage.getItem(SOUND_KEY) === "on";
function drawSoundSwitch() {
  const b = $("sound-toggle");
  b.setAttribute("aria-pressed", String(live.sound));
  b.textContent = t(live.sound ? "bar.sound.on" : "bar.sound.off");
}
$("sound-toggle").addEventListener("click", () => {
  live.sound = !live.sound;
  localStorage.setItem(SOUND_KEY, live.sound ? "on" : "off");
  drawSoundSwitch();
  if (live.sound) beep();  // a tone now, so the switch is heard (and the browser allows sound after this click)
});

// ---------------------------------------------------------------------------------------------------------------
// Statistics: the summary report's figures per town, village or grid (GET /api/v1/reports/summary, planners,
// dispatchers and admins), sortable by any column, and downloadable as CSV (UTF-8 with a byte-order mark, so
// spreadsheet programs read the Chinese headings).

const STATS_COLUMNS = ["id", "received", "closed", "on_time_rate", "satisfaction_rate", "overdue", "open"];
const stats = { report: null, level: "grid", sort: "id", descending: false };

function statsRows() {
  if (!stats.report) return [];
  const rows = [...stats.report[`by_${stats.level}`]];
  const key = stats.sort;
  const value = (r) => key === "id" ? (r.id ?? "") : (r[key] ?? -1);
  rows.sort((a, b) => {
    const x = value(a), y = value(b);
    const order = typeof x === "string" ? x.localeCompare(y) : x - y;
    return stats.descending ? -order : order;
  });
  return rows;
}

const percent = (v) => v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`;

function statsCell(r, key) {
  if (key === "id") return r.id ?? t("stats.none");
  if (key.endsWith("_rate")) return percent(r[key]);
  return num(r[key]);
}

function drawStats() {
  const select = $("stats-level");
  select.innerHTML = ["town", "village", "grid"].map((l) =>
    `<option value="${l}" ${l === stats.level ? "selected" : ""}>${esc(t(`stats.by.${l}`))}</option>`).join("");
  const table = $("stats-table");
  table.tHead.innerHTML = `<tr>${STATS_COLUMNS.map((k) => `<th class="${k === "id" ? "" : "n"}" aria-sort="${
    stats.sort === k ? (stats.descending ? "descending" : "ascending") : "none"}"><button type="button" data-sort="${k}">${
    esc(t(`stats.col.${k}`))}${stats.sort === k ? (stats.descending ? " ▼" : " ▲") : ""}</button></th>`).join("")}</tr>`;
  const rows = statsRows();
  table.tBodies[0].innerHTML = rows.map((r) => `<tr data-area="${esc(r.id ?? "")}">${STATS_COLUMNS.map((k) =>
    `<td class="${k === "id" ? "" : "n"}">${esc(statsCell(r, k))}</td>`).join("")}</tr>`).join("") ||
    `<tr><td colspan="${STATS_COLUMNS.length}">${esc(t("none"))}</td></tr>`;
  $("stats-note").textContent = stats.report ? t("stats.note", { total: num(stats.report.total) }) : "";
  body.dataset.statsRows = String(rows.length);
}

/// The table as shown (level, order, language) in CSV: RFC 4180 quoting, rates as percentages.
function statsCSV() {
  const quote = (v) => /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  const lines = [STATS_COLUMNS.map((k) => quote(t(`stats.col.${k}`)))];
  for (const r of statsRows()) {
    lines.push(STATS_COLUMNS.map((k) => quote(k === "id" ? (r.id ?? "") : k.endsWith("_rate")
      ? (r[k] === null ? "" : (r[k] * 100).toFixed(1)) : String(r[k]))));
  }
  return lines.map((l) => l.join(",")).join("\r\n") + "\r\n";
}

async function openStats() {
  const dialog = $("stats");
  if (!dialog.open) dialog.showModal();
  try {
    stats.report = (await api("/api/v1/reports/summary")).value;
  } catch (error) {
    $("stats-note").textContent = t("stats.failed", { message: error.message });
    return;
  }
  drawStats();
}

$("stats-toggle").addEventListener("click", openStats);
$("stats-close").addEventListener("click", () => $("stats").close());
$("stats-level").addEventListener("change", () => { stats.level = $("stats-level").value; drawStats(); });
$("stats-table").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-sort]");
  if (!button) return;
  const key = button.dataset.sort;
  stats.descending = stats.sort === key ? !stats.descending : key !== "id";
  stats.sort = key;
  drawStats();
  $("stats-table").querySelector(`button[data-sort="${key}"]`).focus();
});
$("stats-csv").addEventListener("click", () => {
  const url = URL.createObjectURL(new Blob(["\ufeff" + statsCSV()], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `gridwork-statistics-${stats.level}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
});

// ---------------------------------------------------------------------------------------------------------------
// Language

/// The bar's counts and who is signed in.
function drawBar() {
  if (!state.counts || !state.me) return;
  $("summary").textContent = t("bar.summary", { grids: num(state.counts.grids), gaps: num(state.counts.gaps),
    overlaps: num(state.counts.overlaps), open: num(state.incidents.size), overdue: num(Number(body.dataset.overdueRows)) });
  $("who").textContent = [term("role", state.me.role), state.me.staff_id, state.me.department_id].filter(Boolean).join(" ");
}

function drawLegendStates() {
  $("legend-states").innerHTML = [...OPEN_STATES].map((s) =>
    `<i class="dot" style="background:${STATE_COLOURS[s]}"></i>${esc(term("state", s))}`).join(" ");
}

/// Everything the page shows, again in the current language.
function redrawInLanguage() {
  translatePage();
  drawLayerControl();
  drawLegendStates();
  drawSoundSwitch();
  setLive(body.dataset.live || "connecting");
  if (state.me) { drawCapNotice(); drawFilters(); drawFilterCount(); drawOverdue(); }
  if ($("stats").open) drawStats();
  drawBar();
  if (state.selectedGrid && !$("grid-detail").hidden) selectGrid(state.selectedGrid);
  if (state.selectedIncident && !$("incident-detail").hidden) selectIncident(state.selectedIncident);
}

$("lang-switch").addEventListener("click", () => {
  setLanguage(I18N.lang === "zh-CN" ? "en" : "zh-CN");
  redrawInLanguage();
});
redrawInLanguage();

// ---------------------------------------------------------------------------------------------------------------
// Start

function askToken(message) {
  body.dataset.state = "login";
  $("summary").textContent = t("bar.sign-in");
  $("login-error").hidden = !message;
  $("login-error").textContent = message || "";
  const dialog = $("login");
  if (!dialog.open) dialog.showModal();
}

$("login-form").addEventListener("submit", () => {
  token = $("login-token").value.trim();
  localStorage.setItem(TOKEN_KEY, token);
  start();
});

$("logout").addEventListener("click", () => {
  localStorage.removeItem(TOKEN_KEY);
  location.hash = "";
  location.reload();
});

/// The token stopped working (revoked): forget it and ask for another.
function signOut(message) {
  if (live.source) { live.source.close(); live.source = null; }
  clearTimeout(live.timer);
  localStorage.removeItem(TOKEN_KEY);
  askToken(message);
}

async function start() {
  if (!token) { askToken(); return; }
  body.dataset.state = "loading";
  // The live feed opens at once; its events wait until the first drawing is done (live.holding).
  live.holding++;
  let held = true;
  if (!live.source) connectLive();
  try {
    const [settings, me, workload, gaps, overlaps, incidents, departments, categories] = await Promise.all([
      fetch("/console-settings.json").then((r) => r.json()).catch(() => ({ base_map: null })),
      api("/api/v1/me"), api("/api/v1/workload.geojson"), api("/api/v1/coverage/gaps.geojson"),
      api("/api/v1/coverage/overlaps.geojson"), api(`/api/v1/incidents.geojson?state=open&limit=${INCIDENT_CAP}`),
      api("/api/v1/departments"), api("/api/v1/categories"),
    ]);
    if (settings.base_map && !layers.base) addBaseMap(settings.base_map);
    state.me = me.value;
    state.departments = departments.value.departments;
    state.categories = new Map(categories.value.categories.map((c) => [c.code, c]));
    drawGrids(workload.value);
    state.gridRows = workload.value.features.map((f) => f.properties);
    drawFilters();
    drawProblems(gaps.value, overlaps.value);
    drawIncidents(incidents.value);
    live.holding--;
    held = false;
    flushLive();
    const mine = state.me.grid_ids.map((g) => state.gridLayers.get(g)).filter(Boolean);
    const bounds = mine.length ? L.featureGroup(mine).getBounds() : layers.grids.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    state.counts = { grids: workload.value.features.length, gaps: gaps.value.features.length,
                     overlaps: overlaps.value.features.length };
    drawBar();
    body.dataset.role = state.me.role;
    $("stats-toggle").hidden = !["planner", "dispatcher", "admin"].includes(state.me.role);
    // Load time: navigation start to the first frame painted after everything was drawn (Leaflet's canvas draws
    // in an animation frame). Headless Chromium under a virtual time budget may produce no frames: 1 s at most.
    await Promise.race([new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
                        new Promise((resolve) => setTimeout(resolve, 1000))]);
    body.dataset.loadMs = String(Math.round(performance.now()));
    body.dataset.state = "ready";
    await fragmentRequest();
  } catch (error) {
    if (held) live.holding--;
    if (error.status === 401) {
      signOut(error.message);
      return;
    }
    body.dataset.state = "error";
    if (error.status === 0) {
      // The server cannot be reached: say so and try again by itself.
      showMessage(t("load.failed", { message: error.message }), true, "unreachable");
      setTimeout(start, 3000);
      return;
    }
    showMessage(t("load.failed", { message: error.message || String(error) }), true);
  }
}

/// `#click=LON,LAT` clicks the map there as a person would: a click event on the topmost element at that pixel
/// (the headless-browser test uses it to prove the grids take clicks through the incident layer).
function clickAt(lonLat) {
  const [lon, lat] = lonLat.split(",").map(Number);
  const point = map.latLngToContainerPoint(onMap(lat, lon));
  const box = $("map").getBoundingClientRect();
  const x = box.left + point.x, y = box.top + point.y;
  const target = document.elementFromPoint(x, y);
  target.dispatchEvent(new MouseEvent("click", { clientX: x, clientY: y, bubbles: true, cancelable: true, view: window }));
}

/// `#incident=ID` opens an incident; with `action` (and the token in the same fragment) it also acts on it.
async function fragmentRequest() {
  try {
    await carryOutFragment();
  } finally {
    body.dataset.fragmentDone = "true";
  }
}

async function carryOutFragment() {
  for (const name of (fragment.get("layers") || "").split(",")) {
    if (name === "no-incidents") map.removeLayer(layers.incidents);
    if (name === "heat") map.addLayer(layers.heat);
  }
  if (fragment.get("click")) clickAt(fragment.get("click"));
  // Only the language switch: a link must not press buttons that act or sign out.
  if (fragment.get("press") === "lang-switch") $("lang-switch").click();
  const id = Number(fragment.get("incident"));
  if (!id) return;
  const p = state.incidents.get(id);
  if (p && !map.getBounds().contains(onMap(p.lat, p.lon))) map.setView(onMap(p.lat, p.lon), Math.max(map.getZoom(), 15));
  const action = fragment.get("action");
  if (action && fragmentToken) {
    await act(id, action, fragment.get("assignee"), fragment.get("note") || t("act.note.link", { action: term("action", action) }),
              fragment.get("level"));
  } else {
    await selectIncident(id);
  }
}

start();
