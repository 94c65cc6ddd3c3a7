{% raw %}
/* Findings table: filter, sort and page the embedded findings (kept in fix-first order); open the edit
   explanation a link points at. Text only ever goes in via textContent. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("audit-data").textContent);
  var X = {}; D.fields.forEach(function (k, i) { X[k] = i; });
  var S = D.strings, ROWS = D.findings, EDITS = D.edits, PAGE = D.page_size || 100;
  var SEV = {}; D.severities.forEach(function (s, i) { SEV[s] = i; });
  var QRANK = {}, QTITLE = {}; D.queues.forEach(function (q, i) { QRANK[q[0]] = i; QTITLE[q[0]] = q[1]; });
  var files = {}, MAIN_FILE = null; ROWS.forEach(function (r) { var f = str(r[X.file]); files[f] = (files[f] || 0) + 1; });
  Object.keys(files).forEach(function (k) { if (MAIN_FILE === null || files[k] > files[MAIN_FILE]) MAIN_FILE = k; });
  // One sheet in the whole audit: a location is just its row number (the table heading names the sheet).
  var sheets = {}; ROWS.forEach(function (r) { sheets[str(r[X.file]) + "\u0001" + str(r[X.sheet])] = 1; });
  var ONE_SHEET = Object.keys(sheets).length === 1 ? Object.keys(sheets)[0] : null;
  var $ = function (id) { return document.getElementById(id); };
  function fresh() {
    return { queue: "", category: "", severity: "", family: "", edit: "", text: "", waived: "all", problem: null,
             sort: "default", desc: false, page: 0 };
  }
  var state = fresh();
  var hay = null, shown = [], printing = false;

  function str(i) { return i === null || i === undefined ? "" : S[i]; }
  function human(k) { k = String(k || "").replace(/[_-]+/g, " ").trim(); return k.charAt(0).toUpperCase() + k.slice(1); }
  function fmt(n) { return Number(n).toLocaleString("en-US"); }
  function meta(r) { return EDITS[r[X.edit]] || { name: "", family: "", category: "", queue: "other" }; }
  function base(p) { p = String(p || ""); var i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\")); return p.slice(i + 1); }
  function node(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function haystack() {
    if (!hay) hay = ROWS.map(function (r) {
      var m = meta(r);
      return [r[X.edit], m.name, str(r[X.sheet]), r[X.row], r[X.charge_code], r[X.code], r[X.revenue_code],
              r[X.description], r[X.message], str(r[X.expected]), r[X.waiver_reason]].join("\u0001").toLowerCase();
    });
    return hay;
  }

  function matches(r, i, skip) {
    var m = meta(r);
    if (skip !== "queue" && state.queue && m.queue !== state.queue) return false;
    if (state.category && m.category !== state.category) return false;
    if (state.severity && r[X.severity] !== state.severity) return false;
    if (state.family && m.family !== state.family) return false;
    if (state.edit && r[X.edit] !== state.edit) return false;
    if (state.waived === "hide" && r[X.waived]) return false;
    if (state.waived === "only" && !r[X.waived]) return false;
    if (state.problem !== null && r[X.problem] !== state.problem) return false;
    if (state.text) {
      var h = haystack()[i], words = state.text.toLowerCase().split(/\s+/);
      for (var w = 0; w < words.length; w++) if (words[w] && h.indexOf(words[w]) < 0) return false;
    }
    return true;
  }

  var KEYS = {
    queue: function (r) { return [QRANK[meta(r).queue] === undefined ? 99 : QRANK[meta(r).queue], SEV[r[X.severity]], str(r[X.file]), str(r[X.sheet]), r[X.row] || 0]; },
    row: function (r) { return [str(r[X.file]), str(r[X.sheet]), r[X.row] || 0]; },
    severity: function (r) { return [SEV[r[X.severity]]]; },
    edit: function (r) { return [r[X.edit]]; },
    charge_code: function (r) { return [r[X.charge_code] || "\uffff"]; },
    code: function (r) { return [r[X.code] || "\uffff"]; },
    revenue_code: function (r) { return [r[X.revenue_code] || "\uffff"]; }
  };
  function cmp(a, b) {
    for (var i = 0; i < a.length; i++) { if (a[i] < b[i]) return -1; if (a[i] > b[i]) return 1; }
    return 0;
  }

  function compute() {
    var out = [], counts = {}, total = 0;
    for (var i = 0; i < ROWS.length; i++) {
      var r = ROWS[i];
      if (!matches(r, i, "queue")) continue;
      var q = meta(r).queue;
      counts[q] = (counts[q] || 0) + 1; total++;
      if (!state.queue || q === state.queue) out.push(i);
    }
    if (state.sort !== "default" && KEYS[state.sort]) {
      var key = KEYS[state.sort], dir = state.desc ? -1 : 1;
      var keyed = out.map(function (i) { return [key(ROWS[i]), i]; });
      keyed.sort(function (a, b) { return cmp(a[0], b[0]) * dir || a[1] - b[1]; });
      out = keyed.map(function (k) { return k[1]; });
    } else if (state.desc) { out.reverse(); }
    shown = out;
    document.querySelectorAll("[data-tab-count]").forEach(function (el) {
      var q = el.getAttribute("data-tab-count");
      el.textContent = fmt(q ? (counts[q] || 0) : total);
    });
  }

  function loc(file, sheet, row) {
    var f = str(file), sh = str(sheet), at = sh && sh !== base(f) && f + "\u0001" + sh !== ONE_SHEET ? sh + "!" + (row === null ? "" : row) : "row " + (row === null ? "" : row);
    return f !== MAIN_FILE ? base(f) + " " + at : at;
  }

  function relatedBlock(r) {
    var rel = r[X.related], n = r[X.related_total];
    if (!n) return null;
    var box = node("div", "related");
    box.appendChild(node("div", "related-title", "Related rows (" + fmt(n) + ")"));
    var cols = [3, 4, 5, 6].filter(function (k) { return rel.some(function (x) { return x[k]; }); });
    function table(items) {
      var t = node("table", "related-table"), tb = node("tbody");
      items.forEach(function (x) {
        var tr = node("tr"); tr.appendChild(node("td", "mono", loc(x[0], x[1], x[2])));
        cols.forEach(function (k) { tr.appendChild(node("td", k === 6 ? "" : "mono", x[k] || "\u2013")); });
        tb.appendChild(tr);
      });
      t.appendChild(tb); return t;
    }
    var first = printing ? rel.length : 4;
    box.appendChild(table(rel.slice(0, first)));
    if (rel.length > first) {
      var det = node("details"); det.appendChild(node("summary", "", "show " + (rel.length - first) + " more"));
      det.appendChild(table(rel.slice(first))); box.appendChild(det);
    }
    if (n > rel.length) box.appendChild(node("div", "muted", "+" + fmt(n - rel.length) + " more in the Excel or JSON report"));
    return box;
  }

  function rowEl(r) {
    var m = meta(r), tr = node("tr", "sev-row-" + r[X.severity] + (r[X.waived] ? " waived" : ""));
    tr.setAttribute("data-edit", r[X.edit]); tr.setAttribute("data-category", m.category);
    tr.setAttribute("data-severity", r[X.severity]); tr.setAttribute("data-family", m.family);
    var td = node("td"); td.appendChild(node("span", "sev sev-" + r[X.severity], r[X.severity]));
    if (r[X.waived]) { td.appendChild(document.createElement("br")); td.appendChild(node("span", "chip chip-waived", "Waived")); }
    tr.appendChild(td);
    td = node("td"); var a = node("a", "edit-link", r[X.edit]); a.setAttribute("href", "#edit-" + encodeURIComponent(r[X.edit]));
    a.title = "What " + r[X.edit] + " checks, why, and how to fix it";
    td.appendChild(a); td.appendChild(node("span", "edit-name", m.name));
    if (r[X.problem] !== null && r[X.problem] !== undefined) td.appendChild(node("span", "edit-name", "problem " + fmt(r[X.problem])));
    tr.appendChild(td);
    td = node("td", "mono", loc(r[X.file], r[X.sheet], r[X.row])); td.title = str(r[X.file]);
    tr.appendChild(td);
    tr.appendChild(node("td", "mono", r[X.charge_code] || "–"));
    tr.appendChild(node("td", "mono", r[X.code] || "–"));
    tr.appendChild(node("td", "mono", r[X.revenue_code] || "–"));
    tr.appendChild(node("td", "", r[X.description] || ""));
    td = node("td"); td.appendChild(node("div", "msg", r[X.message]));
    if (r[X.expected] !== null) td.appendChild(node("div", "expected", str(r[X.expected])));
    if (r[X.waived]) td.appendChild(node("div", "waiver", "Waived: " + (r[X.waiver_reason] || "no reason recorded")));
    var rb = relatedBlock(r); if (rb) td.appendChild(rb);
    tr.appendChild(td);
    return tr;
  }

  function pager(el, pages) {
    el.textContent = "";
    if (pages <= 1 || printing) return;
    var prev = node("button", "btn btn-small", "\u2039 Prev"), next = node("button", "btn btn-small", "Next \u203a");
    prev.type = next.type = "button";
    prev.disabled = state.page === 0; next.disabled = state.page >= pages - 1;
    prev.addEventListener("click", function () { go(state.page - 1); });
    next.addEventListener("click", function () { go(state.page + 1); });
    el.appendChild(prev); el.appendChild(node("span", "", "Page " + fmt(state.page + 1) + " of " + fmt(pages))); el.appendChild(next);
  }
  function go(p) { state.page = p; render(); var t = $("findings"); if (t.getBoundingClientRect().top < 0) t.scrollIntoView(); }

  function render() {
    var body = $("findings-body"), pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    // Printing keeps the page on screen: the whole list is the Excel report's job, and a print stays tens of pages.
    var start = state.page * PAGE, end = Math.min(shown.length, start + PAGE);
    var frag = document.createDocumentFragment(), lastQ = null;
    for (var k = start; k < end; k++) {
      var r = ROWS[shown[k]];
      if (state.sort === "queue" && !state.queue) {
        var q = meta(r).queue;
        if (q !== lastQ) {
          var g = node("tr", "group"), th = node("th", "", QTITLE[q] || human(q)); th.colSpan = 8; g.appendChild(th); frag.appendChild(g); lastQ = q;
        }
      }
      frag.appendChild(rowEl(r));
    }
    body.textContent = ""; body.appendChild(frag);
    $("findings-empty").hidden = shown.length > 0;
    var chip = $("f-problem");  // a facility's own findings partial may not have it
    if (chip) { chip.hidden = state.problem === null; chip.textContent = state.problem === null ? "" : "problem " + fmt(state.problem) + " only"; }
    var status = shown.length ? "Showing " + fmt(start + 1) + "\u2013" + fmt(end) + " of " + fmt(shown.length) + " findings" : "No findings";
    if (shown.length !== ROWS.length) status += " (filtered from " + fmt(ROWS.length) + ")";
    if (printing && pages > 1) status += "; printed: this page (the Excel report holds every finding)";
    if (D.total > ROWS.length) status += "; this page holds " + fmt(ROWS.length) + " of " + fmt(D.total);
    $("f-status").textContent = status;
    pager($("pager-top"), pages); pager($("pager-bottom"), pages);
    document.querySelectorAll(".tab").forEach(function (t) { t.setAttribute("aria-selected", String(t.getAttribute("data-queue") === state.queue)); });
    document.querySelectorAll("th[data-sort]").forEach(function (th) {
      var on = th.getAttribute("data-sort") === state.sort;
      th.classList.toggle("sorted", on); th.classList.toggle("desc", on && state.desc);
    });
  }
  function update() { state.page = 0; compute(); render(); }

  function fill(id, key, label) {
    var counts = {};
    ROWS.forEach(function (r) { var v = key(r); counts[v] = (counts[v] || 0) + 1; });
    var sel = $(id);
    Object.keys(counts).sort(function (a, b) { return key === sevKey ? SEV[a] - SEV[b] : (a < b ? -1 : a > b ? 1 : 0); }).forEach(function (v) {
      var o = node("option", "", label(v) + " (" + fmt(counts[v]) + ")"); o.value = v; sel.appendChild(o);
    });
  }
  var sevKey = function (r) { return r[X.severity]; };
  fill("f-category", function (r) { return meta(r).category; }, human);
  fill("f-severity", sevKey, human);
  fill("f-family", function (r) { return meta(r).family; }, human);
  fill("f-edit", function (r) { return r[X.edit]; }, function (c) { return c + " " + ((EDITS[c] || {}).name || ""); });

  function setQueue(q) { state.queue = q; update(); }
  document.querySelectorAll(".tab").forEach(function (t) { t.addEventListener("click", function () { setQueue(t.getAttribute("data-queue")); }); });
  document.querySelectorAll(".queue-card").forEach(function (c) { c.addEventListener("click", function () { setQueue(c.getAttribute("data-queue")); }); });
  [["f-category", "category"], ["f-severity", "severity"], ["f-family", "family"], ["f-edit", "edit"], ["f-waived", "waived"]].forEach(function (p) {
    $(p[0]).addEventListener("change", function (e) { state[p[1]] = e.target.value; update(); });
  });
  $("f-sort").addEventListener("change", function (e) { state.sort = e.target.value; state.desc = false; update(); });
  document.querySelectorAll("th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () {
      var s = th.getAttribute("data-sort");
      if (state.sort === s) state.desc = !state.desc; else { state.sort = s; state.desc = false; }
      $("f-sort").value = s; update();
    });
  });
  var timer = null;
  $("f-text").addEventListener("input", function (e) {
    clearTimeout(timer);
    timer = setTimeout(function () { state.text = e.target.value.trim(); update(); }, ROWS.length > 20000 ? 250 : 80);
  });
  $("f-reset").addEventListener("click", function () {
    state = fresh();
    ["f-category", "f-severity", "f-family", "f-edit", "f-text"].forEach(function (id) { $(id).value = ""; });
    $("f-waived").value = "all"; $("f-sort").value = "default"; update();
  });
  document.querySelectorAll("[data-show-edit]").forEach(function (b) {
    b.addEventListener("click", function (e) {
      e.preventDefault();  // inside an explanation's <summary>: filter, do not fold
      state.queue = ""; state.edit = b.getAttribute("data-show-edit"); $("f-edit").value = state.edit; update();
      $("findings").scrollIntoView();
    });
  });
  function showProblem(rank) {
    var keep = fresh(); keep.problem = rank; state = keep;
    ["f-category", "f-severity", "f-family", "f-edit", "f-text"].forEach(function (id) { $(id).value = ""; });
    $("f-waived").value = "all"; $("f-sort").value = "default"; update();
    $("findings").scrollIntoView();
  }
  document.querySelectorAll("[data-show-problem]").forEach(function (a) {
    a.addEventListener("click", function (e) { e.preventDefault(); showProblem(Number(a.getAttribute("data-show-problem"))); });
  });
  // All problems: a group's rows are built when it is first opened, PROBLEM_PAGE at a time.
  var P = {}, PROBLEM_PAGE = 200; (D.problem_fields || []).forEach(function (k, i) { P[k] = i; });
  var PROBLEMS = D.problems || [];
  function problemRow(p) {
    var tr = node("tr"), a = node("a", "", fmt(p[P.rank])), td = node("td");
    tr.setAttribute("data-rank", p[P.rank]); a.setAttribute("href", "#findings"); td.appendChild(a); tr.appendChild(td);
    tr.appendChild(node("td", "", p[P.edit])); tr.appendChild(node("td", "", p[P.subject]));
    tr.appendChild(node("td", "", fmt(p[P.lines])));
    td = node("td", "", p[P.amount]); td.title = str(p[P.basis]); tr.appendChild(td);
    var f = p[P.finding];
    tr.appendChild(node("td", "", f !== null && f !== undefined ? ROWS[f][X.message] : p[P.message]));
    return tr;
  }
  function fillGroup(box) {
    var key = box.getAttribute("data-problem-group"), body = box.querySelector("tbody"), more = box.querySelector("[data-more-problems]");
    var mine = PROBLEMS.filter(function (p) { return p[P.group] === key; });
    var start = body.children.length, end = Math.min(mine.length, start + PROBLEM_PAGE), frag = document.createDocumentFragment();
    for (var i = start; i < end; i++) frag.appendChild(problemRow(mine[i]));
    body.appendChild(frag);
    more.hidden = end >= mine.length;
    more.textContent = "Show " + fmt(Math.min(PROBLEM_PAGE, mine.length - end)) + " more of " + fmt(mine.length - end);
  }
  document.querySelectorAll("[data-problem-group]").forEach(function (box) {
    box.addEventListener("toggle", function () { if (box.open && !box.querySelector("tbody").children.length) fillGroup(box); });
    box.querySelector("[data-more-problems]").addEventListener("click", function () { fillGroup(box); });
  });
  // One listener for every problem row: a rank link shows that problem's lines.
  if ($("problems")) $("problems").addEventListener("click", function (e) {
    var a = e.target.closest("tr[data-rank] a");
    if (a) { e.preventDefault(); showProblem(Number(a.closest("tr").getAttribute("data-rank"))); }
  });
  // A link to an edit's explanation (or a URL ending in #edit-…) unfolds it.
  function openTarget() {
    var t = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var d = t && t.querySelector("details"); if (d) d.open = true;
  }
  window.addEventListener("hashchange", openTarget); openTarget();
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && document.activeElement.tagName !== "INPUT") { e.preventDefault(); $("f-text").focus(); }
  });
  function measure() { document.documentElement.style.setProperty("--filters-h", $("filters").offsetHeight + "px"); }
  window.addEventListener("resize", measure);
  window.addEventListener("beforeprint", function () { printing = true; render(); document.querySelectorAll("#findings-body details, #edits details").forEach(function (d) { d.open = true; }); });
  window.addEventListener("afterprint", function () { printing = false; render(); });
  update(); measure();
  document.documentElement.setAttribute("data-report-ready", "1");
})();
{% endraw %}
