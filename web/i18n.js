// The console's words: ONE message table, Chinese (zh-CN, the default) and English, and the formatting of times and
// durations. app.js shows nothing to people but through `t`, `term` and the formatters here; index.html marks its
// fixed texts with data-i18n (text), data-i18n-placeholder, data-i18n-title and data-i18n-aria-label.
// Category names come from the routing rules' labels (`GET /api/v1/categories`, "垃圾清运 Garbage"), not from here.
"use strict";

const LANG_KEY = "gridwork.lang";
const LANGUAGES = ["zh-CN", "en"];
/// The county's time zone: every time on the page is shown in it, whatever the browser's.
const TIME_ZONE = "Asia/Shanghai";

const MESSAGES = {
  "zh-CN": {
    "page.title": "网格化管理 调度台",
    "bar.loading": "加载中…",
    "bar.details": "详情",
    "bar.logout": "退出",
    "bar.logout.title": "在本设备上忘记令牌",
    "bar.lang": "English",
    "bar.lang.title": "Switch to English",
    "bar.summary": "{grids} 个网格 · {gaps} 处空隙 · {overlaps} 处重叠 · {open} 件待办 · {overdue} 件超期",
    "bar.sign-in": "请用 API 令牌登录",
    "bar.stats": "统计", "stats.title": "统计（全部时间）", "stats.level": "按", "stats.csv": "下载 CSV",
    "stats.by.town": "按镇街", "stats.by.village": "按村社区", "stats.by.grid": "按网格",
    "stats.col.id": "编号", "stats.col.received": "受理", "stats.col.closed": "结案", "stats.col.on_time_rate": "按时办结率",
    "stats.col.satisfaction_rate": "满意率", "stats.col.overdue": "超期", "stats.col.open": "待办",
    "stats.note": "共 {total} 件；按时：首个期限前办结；满意：评价 4–5 分；超期：待办且过期或已升级。点击表头排序。",
    "stats.none": "（未落入网格）", "stats.failed": "统计无法加载：{message}",
    "filter.title": "筛选与搜索", "filter.text": "编号或文字（描述、地址）", "filter.category.all": "全部类别",
    "filter.state.all": "全部状态", "filter.town": "镇街", "filter.town.all": "全部镇街", "filter.village": "村社区",
    "filter.village.all": "全部村社区", "filter.grid.all": "全部网格", "filter.overdue": "只看超期", "filter.clear": "清除",
    "filter.count": "显示 {shown} / {total} 件待办", "filter.failed": "搜索失败：{message}",
    "bar.sound.on": "提示音：开", "bar.sound.off": "提示音：关", "bar.sound.title": "新事件到达时响一声",
    "live.connecting": "连接中…", "live.open": "● 实时", "live.down": "服务器无法连接",
    "live.connecting.title": "正在连接实时推送", "live.open.title": "新事件和变化会自动显示",
    "live.down.title": "与服务器的连接已断开，正在自动重试；重新连接后刷新事件",
    "live.revoked": "令牌已被吊销，请重新登录。",
    "server.unreachable": "服务器无法连接",
    "alert.new": "新事件 #{id} {category} · 网格 {grid}", "alert.label": "新事件提醒",
    "map.label": "网格、覆盖问题和事件地图",
    "panel.label": "详情",
    "overdue.title": "超期事件",
    "col.id": "编号", "col.category": "类别", "col.grid": "网格", "col.assignee": "承办", "col.late": "超期",
    "col.level": "级别", "col.state": "状态",
    "none": "无",
    "legend.title": "图例",
    "legend.workload": "工作量指数",
    "legend.gap": "网格之间的空隙",
    "legend.overlap": "网格重叠",
    "legend.crossing": "跨村界或无效的网格",
    "legend.overdue": "超期或已升级（红圈）；越大越久",
    "legend.cluster": "聚合的事件（数字为件数；红圈：其中有超期）",
    "layer.grids": "网格（工作量）", "layer.gaps": "空隙", "layer.overlaps": "重叠",
    "layer.buildings": "建筑（放大后）", "layer.incidents": "待办事件", "layer.heat": "事件热力图", "layer.base": "底图",
    "login.title": "API 令牌",
    "login.text": "粘贴分配给您的令牌（gridwork token create）。令牌只保存在本设备上，像其他 API 客户端一样以 Authorization: Bearer 发送。",
    "login.submit": "打开调度台",
    "close": "关闭",
    "loading": "加载中…",
    "cap": "只显示最新的 {cap} 件待办事件：实际更多。",
    "gap.title": "空隙 {id}", "overlap.title": "重叠 {id}", "overlap.grids": "网格 {a} 与 {b}",
    "village": "村 {id}", "town": "镇 {id}",
    "building.title": "建筑 {id}", "building.floors": "{kind}，{floors} 层", "building.households": "{n} 户",
    "building.grid": "网格 {id}", "building.no-head": "无在岗楼长",
    "buildings.truncated": "显示 {shown} / {total} 栋建筑：放大查看全部",
    "buildings.failed": "建筑无法加载：{message}",
    "grid.title": "网格 {id}",
    "grid.no-worker": "无在岗专职网格员",
    "grid.crosses": "跨越所属村界",
    "grid.invalid": "几何无效：{reason}",
    "grid.overlaps": "与 {grids} 重叠",
    "grid.workload": "工作量指数", "grid.households": "户数", "grid.residents": "人口", "grid.buildings": "建筑",
    "grid.area": "面积", "grid.incidents-window": "事件（统计期）", "grid.open-now": "当前待办（地图）",
    "grid.staff": "人员", "grid.nobody": "未配备人员", "grid.open": "待办事件（{n}）",
    "staff.on-duty": "在岗", "staff.off-duty": "不在岗",
    "incident.title": "事件 {id}",
    "incident.overdue": "超期 {time}",
    "incident.escalated": "已升级至{level}",
    "incident.line": "{category} · 网格 {grid} · {level}",
    "incident.assignee": "承办", "incident.reported": "上报", "incident.due": "期限", "incident.routing": "派单依据",
    "incident.history": "处理记录（{n}）",
    "dispatch.title": "派单",
    "dispatch.to": "派给",
    "dispatch.other": "其他人员编号…",
    "dispatch.button": "派单",
    "dispatch.owns": "（主管{category}）",
    "dispatch.village": "村委会 {id}",
    "dispatch.department": "部门 {id} {name}",
    "dispatch.staff": "{id} {name}（{role}{duty}）",
    "dispatch.full-time": "专职", "dispatch.part-time": "兼职", "dispatch.off-duty": "，不在岗",
    "escalate.to": "升级到",
    "escalate.button": "升级",
    "escalate.level": "{level}",
    "note": "备注（可选）",
    "note.return": "备注（退单时必填）",
    "handle.title": "处理",
    "act.done": "事件 {id}：已{action}；现为{state}，承办 {assignee}。",
    "act.refused": "事件 {id}：{action}被拒绝：{message}",
    "act.note.dispatch": "调度台派单", "act.note.escalate": "调度台升级", "act.note.link": "通过调度台链接{action}",
    "load.failed": "调度台无法加载：{message}",
    "late.minutes": "超期 {n} 分钟", "late.hours": "超期 {n} 小时", "late.days": "超期 {n} 天",
    "duration.minutes": "{n} 分钟", "duration.hours": "{n} 小时", "duration.days": "{n} 天",
    "left.minutes": "剩余 {n} 分钟", "left.hours": "剩余 {n} 小时", "left.days": "剩余 {n} 天",
    "legend.countdown": "期限：绿 充足 · 黄 将到期（剩余不足四分之一或 2 小时）· 红 超期",
    "who": "{role} {id}",
  },
  en: {
    "page.title": "gridwork console",
    "bar.loading": "loading…",
    "bar.details": "Details",
    "bar.logout": "Sign out",
    "bar.logout.title": "Forget the token on this device",
    "bar.lang": "中文",
    "bar.lang.title": "切换到中文",
    "bar.summary": "{grids} grids · {gaps} gaps · {overlaps} overlaps · {open} open incidents · {overdue} overdue",
    "bar.sign-in": "sign in with an API token",
    "bar.stats": "Statistics", "stats.title": "Statistics (all time)", "stats.level": "by", "stats.csv": "Download CSV",
    "stats.by.town": "by town", "stats.by.village": "by village", "stats.by.grid": "by grid",
    "stats.col.id": "id", "stats.col.received": "received", "stats.col.closed": "closed", "stats.col.on_time_rate": "on-time rate",
    "stats.col.satisfaction_rate": "satisfaction", "stats.col.overdue": "overdue", "stats.col.open": "open",
    "stats.note": "{total} incidents; on time: resolved before the first deadline; satisfied: rated 4–5; overdue: open and past the deadline or escalated. Click a heading to sort.",
    "stats.none": "(outside every grid)", "stats.failed": "Statistics could not be loaded: {message}",
    "filter.title": "Filter and search", "filter.text": "id or text (description, address)", "filter.category.all": "all categories",
    "filter.state.all": "all states", "filter.town": "town", "filter.town.all": "all towns", "filter.village": "village",
    "filter.village.all": "all villages", "filter.grid.all": "all grids", "filter.overdue": "overdue only", "filter.clear": "Clear",
    "filter.count": "{shown} of {total} open incidents shown", "filter.failed": "Search failed: {message}",
    "bar.sound.on": "Sound: on", "bar.sound.off": "Sound: off", "bar.sound.title": "A tone when a new incident arrives",
    "live.connecting": "connecting…", "live.open": "● live", "live.down": "server unreachable",
    "live.connecting.title": "Connecting to the live feed", "live.open.title": "New and changed incidents appear by themselves",
    "live.down.title": "The connection to the server is lost; retrying by itself, incidents are reloaded once back",
    "live.revoked": "The token was revoked: sign in again.",
    "server.unreachable": "the server cannot be reached",
    "alert.new": "New incident #{id} {category} · grid {grid}", "alert.label": "New incident alerts",
    "map.label": "Map of grids, coverage problems and incidents",
    "panel.label": "Details",
    "overdue.title": "Overdue incidents",
    "col.id": "#", "col.category": "category", "col.grid": "grid", "col.assignee": "assignee", "col.late": "late",
    "col.level": "level", "col.state": "state",
    "none": "none",
    "legend.title": "Legend",
    "legend.workload": "workload index",
    "legend.gap": "gap between grids",
    "legend.overlap": "overlap of grids",
    "legend.crossing": "grid crossing its village or invalid",
    "legend.overdue": "overdue or escalated (red ring); larger = older",
    "legend.cluster": "clustered incidents (the number of them; red ring: some overdue)",
    "layer.grids": "Grids (workload)", "layer.gaps": "Gaps", "layer.overlaps": "Overlaps",
    "layer.buildings": "Buildings (zoom in)", "layer.incidents": "Open incidents", "layer.heat": "Incident heat map", "layer.base": "Base map",
    "login.title": "API token",
    "login.text": "Paste the token you were given (gridwork token create). It is kept on this device only and sent as Authorization: Bearer, like any API client.",
    "login.submit": "Open the console",
    "close": "Close",
    "loading": "loading…",
    "cap": "Only the newest {cap} open incidents are shown: there are more.",
    "gap.title": "Gap {id}", "overlap.title": "Overlap {id}", "overlap.grids": "grids {a} and {b}",
    "village": "village {id}", "town": "town {id}",
    "building.title": "Building {id}", "building.floors": "{kind}, {floors} floors", "building.households": "{n} households",
    "building.grid": "grid {id}", "building.no-head": "no building head on duty",
    "buildings.truncated": "{shown} of {total} buildings shown: zoom in for all",
    "buildings.failed": "Buildings could not be loaded: {message}",
    "grid.title": "Grid {id}",
    "grid.no-worker": "no full-time worker on duty",
    "grid.crosses": "crosses its village boundary",
    "grid.invalid": "invalid geometry: {reason}",
    "grid.overlaps": "overlaps {grids}",
    "grid.workload": "workload index", "grid.households": "households", "grid.residents": "residents",
    "grid.buildings": "buildings", "grid.area": "area", "grid.incidents-window": "incidents (window)",
    "grid.open-now": "open now (map)", "grid.staff": "Staff", "grid.nobody": "nobody assigned",
    "grid.open": "Open incidents ({n})",
    "staff.on-duty": "on duty", "staff.off-duty": "off duty",
    "incident.title": "Incident {id}",
    "incident.overdue": "overdue {time}",
    "incident.escalated": "escalated to {level}",
    "incident.line": "{category} · grid {grid} · {level}",
    "incident.assignee": "assignee", "incident.reported": "reported", "incident.due": "due", "incident.routing": "routing",
    "incident.history": "History ({n})",
    "dispatch.title": "Dispatch",
    "dispatch.to": "Dispatch to",
    "dispatch.other": "another staff id…",
    "dispatch.button": "Dispatch",
    "dispatch.owns": " (owns {category})",
    "dispatch.village": "village committee {id}",
    "dispatch.department": "department {id} {name}",
    "dispatch.staff": "{id} {name} ({role}{duty})",
    "dispatch.full-time": "full-time", "dispatch.part-time": "part-time", "dispatch.off-duty": ", off duty",
    "escalate.to": "Escalate to level",
    "escalate.button": "Escalate",
    "escalate.level": "{level}",
    "note": "note (optional)",
    "note.return": "note (needed to return)",
    "handle.title": "Handle",
    "act.done": "Incident {id}: {action} done; now {state}, assigned to {assignee}.",
    "act.refused": "Incident {id}: {action} refused: {message}",
    "act.note.dispatch": "dispatched from the console", "act.note.escalate": "escalated from the console",
    "act.note.link": "{action} from a console link",
    "load.failed": "The console could not load: {message}",
    "late.minutes": "{n} min overdue", "late.hours": "{n} h overdue", "late.days": "{n} d overdue",
    "duration.minutes": "{n} min", "duration.hours": "{n} h", "duration.days": "{n} d",
    "left.minutes": "{n} min left", "left.hours": "{n} h left", "left.days": "{n} d left",
    "legend.countdown": "deadline: green ample · amber due soon (under a quarter or 2 h left) · red overdue",
    "who": "{role} {id}",
  },
};

/// Names of the API's codes (states, roles, levels, actions, assignee kinds, staff roles), per language.
const TERMS = {
  "zh-CN": {
    state: { reported: "已上报", dispatched: "已派单", accepted: "已受理", in_progress: "处置中", resolved: "已办结",
             rated: "已评价", closed: "已结案" },
    role: { reporter: "上报端", grid_worker: "网格员", department: "职能部门", dispatcher: "调度员", planner: "规划人员",
            admin: "管理员" },
    level: { grid: "网格级", village: "村级", town: "镇级", county: "县级" },
    action: { dispatch: "派单", accept: "受理", start: "开始处置", resolve: "办结", rate: "评价", close: "结案",
              return: "退单", reopen: "重新打开", escalate: "升级", report: "上报" },
    assignee: { staff: "网格员", department: "部门", village: "村委会" },
    staffRole: { grid_worker: "专职网格员", part_time: "兼职网格员", building_head: "楼长" },
    actor: { system: "系统" },
  },
  en: {
    state: { reported: "reported", dispatched: "dispatched", accepted: "accepted", in_progress: "in progress",
             resolved: "resolved", rated: "rated", closed: "closed" },
    role: { reporter: "reporter", grid_worker: "grid worker", department: "department", dispatcher: "dispatcher",
            planner: "planner", admin: "admin" },
    level: { grid: "grid level", village: "village level", town: "town level", county: "county level" },
    action: { dispatch: "dispatch", accept: "accept", start: "start", resolve: "resolve", rate: "rate", close: "close",
              return: "return", reopen: "reopen", escalate: "escalate", report: "report" },
    assignee: { staff: "staff", department: "department", village: "village committee" },
    staffRole: { grid_worker: "grid worker", part_time: "part-time worker", building_head: "building head" },
    actor: { system: "system" },
  },
};

const I18N = {
  lang: LANGUAGES.includes(localStorage.getItem(LANG_KEY)) ? localStorage.getItem(LANG_KEY) : "zh-CN",
};

/// The message `key` in the current language with `{name}` replaced by `params.name`; English when the current
/// table lacks it, the key itself when both do (a missing message shows, it does not break the page).
function t(key, params = {}) {
  const text = MESSAGES[I18N.lang][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

/// The name of an API code: `term("state", "in_progress")` is 处置中; an unknown code shows as itself.
function term(kind, code) {
  return (TERMS[I18N.lang][kind] || {})[code] ?? String(code ?? "").replace(/_/g, " ");
}

/// A routing rule's label in the current language: "垃圾清运 Garbage" is 垃圾清运 in Chinese and Garbage in English
/// (a label with no Chinese part, or no space, is shown whole).
function labelIn(label) {
  const text = String(label ?? "");
  const space = text.indexOf(" ");
  if (space < 0 || !/[\u3400-\u9fff]/.test(text.slice(0, space))) return text;
  return I18N.lang === "zh-CN" ? text.slice(0, space) : text.slice(space + 1);
}

/// A time in the county's zone: "2026-12-02 22:28" (24-hour), in both languages.
function formatTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "–";
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/// A duration in whole minutes, hours or days: `prefix` "late" gives "超期 3 小时", "duration" gives "3 小时".
function formatDuration(ms, prefix = "duration") {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return t(`${prefix}.minutes`, { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t(`${prefix}.hours`, { n: hours });
  return t(`${prefix}.days`, { n: Math.floor(hours / 24) });
}

/// Numbers with the language's grouping.
function formatNumber(v, digits = 0) {
  return v === null || v === undefined ? "–"
    : Number(v).toLocaleString(I18N.lang, { maximumFractionDigits: digits });
}

/// Fills index.html's marked texts in the current language.
function translatePage(root = document) {
  document.documentElement.lang = I18N.lang;
  document.title = t("page.title");
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const [attr, data] of [["placeholder", "i18nPlaceholder"], ["title", "i18nTitle"], ["aria-label", "i18nAriaLabel"]]) {
    for (const el of root.querySelectorAll(`[data-${attr === "aria-label" ? "i18n-aria-label" : "i18n-" + attr}]`)) {
      el.setAttribute(attr, t(el.dataset[data]));
    }
  }
  document.body.dataset.lang = I18N.lang;
}

/// Switches the language and remembers it on this device.
function setLanguage(lang) {
  I18N.lang = LANGUAGES.includes(lang) ? lang : "zh-CN";
  localStorage.setItem(LANG_KEY, I18N.lang);
  translatePage();
}
