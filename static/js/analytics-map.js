/* The dashboard map with Leaflet (vendored, static/vendor/leaflet-1.9.4) over the shipped country outline:
   no tile server, no network beyond our own origin. Without JavaScript the SVG fallback stays. */
(function () {
  "use strict";
  var map = null;

  function draw() {
    var box = document.getElementById("analytics-map");
    var dataNode = document.getElementById("analytics-map-data");
    if (!box || !dataNode || typeof L === "undefined") return;
    if (map) { map.remove(); map = null; }
    var data = JSON.parse(dataNode.textContent || "{}");
    var fallback = document.getElementById("analytics-map-fallback");
    box.hidden = false;
    if (fallback) fallback.setAttribute("hidden", "");
    map = L.map(box, { attributionControl: true, worldCopyJump: false, minZoom: 1, maxZoom: 8 });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Natural Earth");
    var points = [];
    function addPoints(items, colour, label) {
      (items || []).forEach(function (p) {
        points.push([p.lat, p.lon]);
        L.circleMarker([p.lat, p.lon], {
          radius: 4 + Math.log2(Math.max(p.count, 1)) * 2, color: "#fff", weight: 1, fillColor: colour, fillOpacity: 0.8,
          className: "map-point"
        }).bindTooltip(label + ": " + p.count).addTo(map);
      });
    }
    fetch(box.getAttribute("data-outline"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (outline) {
        L.geoJSON(outline, {
          style: { color: "#98a890", weight: 0.8, fillColor: "#e4eadf", fillOpacity: 1 }, interactive: false
        }).addTo(map).bringToBack();
        box.setAttribute("data-outline-loaded", "true");
      });
    addPoints(data.producers, "#1f5d36", box.getAttribute("data-label-producers"));
    addPoints(data.unmet_demand, "#b3261e", box.getAttribute("data-label-unmet"));
    if (points.length) map.fitBounds(points, { padding: [20, 20], maxZoom: 6 });
    else map.setView([10, -75], 2);
    box.setAttribute("data-ready", "true");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
  // Loaded once per page even when htmx navigation brings the script again; filter swaps redraw the map.
  if (window.forestmatchAnalyticsMap) return;
  window.forestmatchAnalyticsMap = true;
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && (event.target.id === "analytics-results" || document.getElementById("analytics-map"))) draw();
  });
})();
