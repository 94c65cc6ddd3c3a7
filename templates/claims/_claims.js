{% raw %}
/* Filters (and paging, where a list asks for it) over server-rendered claims: items are only shown or hidden. */
(function () {
  "use strict";
  var PRINT_MAX = 5000;
  function fmt(n) { return Number(n).toLocaleString("en-US"); }
  function button(label) { var b = document.createElement("button"); b.type = "button"; b.className = "btn btn-small"; b.textContent = label; return b; }
  function wire(box) {
    var list = document.getElementById(box.getAttribute("data-filter-for"));
    if (!list) return;
    var items = Array.prototype.slice.call(list.querySelectorAll("[data-item]"));
    var pageSize = Number(box.getAttribute("data-page-size")) || 0;
    var text = box.querySelector("input[type=search]");
    var selects = Array.prototype.slice.call(box.querySelectorAll("select[data-key]"));
    var status = box.querySelector("[data-filter-status]"), pager = box.querySelector("[data-pager]");
    var section = box.closest("section"), empty = section ? section.querySelector("[data-filter-empty]") : null;
    var hay = null, timer = null, page = 0, printing = false, matched = [];
    function filter() {
      var words = text.value.toLowerCase().split(/\s+/).filter(Boolean), want = [];
      selects.forEach(function (s) { if (s.value) want.push(["data-" + s.getAttribute("data-key"), "|" + s.value + "|"]); });
      if (words.length && !hay) hay = items.map(function (el) { return el.textContent.toLowerCase(); });
      matched = [];
      for (var i = 0; i < items.length; i++) {
        var ok = true;
        for (var k = 0; ok && k < want.length; k++) ok = (items[i].getAttribute(want[k][0]) || "").indexOf(want[k][1]) >= 0;
        for (var w = 0; ok && w < words.length; w++) ok = hay[i].indexOf(words[w]) >= 0;
        if (ok) matched.push(i);
      }
    }
    function show() {
      var pages = pageSize ? Math.max(1, Math.ceil(matched.length / pageSize)) : 1;
      if (page >= pages) page = pages - 1;
      var start = pageSize && !printing ? page * pageSize : 0;
      var end = !pageSize ? matched.length : printing ? Math.min(matched.length, PRINT_MAX) : Math.min(matched.length, start + pageSize);
      var on = new Uint8Array(items.length);
      for (var j = start; j < end; j++) on[matched[j]] = 1;
      for (var i = 0; i < items.length; i++) if (items[i].hidden === !!on[i]) items[i].hidden = !on[i];
      var all = matched.length === items.length, paged = end - start < matched.length, msg;
      if (!paged) msg = all ? fmt(items.length) + " claims" : fmt(matched.length) + " of " + fmt(items.length) + " claims match";
      else msg = "Showing " + fmt(start + 1) + "\u2013" + fmt(end) + " of " + fmt(matched.length) +
        (all ? " claims" : " matching claims (" + fmt(items.length) + " in all)");
      status.textContent = msg;
      if (empty) empty.hidden = matched.length > 0;
      if (!pager) return;
      pager.textContent = "";
      if (pages < 2 || printing) return;
      var prev = button("\u2039 Prev"), next = button("Next \u203a"), label = document.createElement("span");
      prev.disabled = page === 0; next.disabled = page >= pages - 1;
      label.textContent = "Page " + fmt(page + 1) + " of " + fmt(pages);
      prev.addEventListener("click", function () { page--; show(); });
      next.addEventListener("click", function () { page++; show(); });
      pager.appendChild(prev); pager.appendChild(label); pager.appendChild(next);
    }
    function apply() { page = 0; filter(); show(); }
    text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, items.length > 5000 ? 200 : 60); });
    selects.forEach(function (s) { s.addEventListener("change", apply); });
    var reset = box.querySelector("[data-reset]");
    if (reset) reset.addEventListener("click", function () { text.value = ""; selects.forEach(function (s) { s.value = ""; }); apply(); });
    window.addEventListener("beforeprint", function () { printing = true; show(); });
    window.addEventListener("afterprint", function () { printing = false; show(); });
    apply();
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-for]"), wire);
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details.other-findings"), function (d) { d.open = true; });
  });
  document.documentElement.setAttribute("data-report-ready", "1");
})();
{% endraw %}
