// Navigation for the side-by-side view; the page reads the same without it.
// The list of differences and the keys n (next) and p (previous) bring a
// difference's row into view: both sides of a row move together.
(function () {
  "use strict";
  function init() {
    var items = Array.prototype.slice.call(document.querySelectorAll("#differences li.item"));
    if (!items.length) return;
    var current = -1;
    function go(i) {
      if (i < 0 || i >= items.length) return;
      var id = items[i].getAttribute("data-anchor");
      var el = document.getElementById(id);
      if (!el) return;
      var row = el.classList.contains("row") ? el : el.closest(".row");
      for (var d = row.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
      document.querySelectorAll(".row.current, #differences li.current").forEach(function (x) { x.classList.remove("current"); });
      row.classList.add("current");
      items[i].classList.add("current");
      row.scrollIntoView({ block: "center" });
      current = i;
      if (history.replaceState) history.replaceState(null, "", "#" + id);
    }
    items.forEach(function (li, i) {
      var a = li.querySelector("a.jump");
      if (a) a.addEventListener("click", function (e) { e.preventDefault(); go(i); });
    });
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target && e.target.tagName;
      if (t === "INPUT" || t === "TEXTAREA" || t === "SELECT") return;
      if (e.key === "n") { go(Math.min(current + 1, items.length - 1)); e.preventDefault(); }
      if (e.key === "p") { go(Math.max(current - 1, 0)); e.preventDefault(); }
    });
    if (location.hash) {
      var k = items.findIndex(function (li) { return "#" + li.getAttribute("data-anchor") === location.hash; });
      if (k >= 0) go(k);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
