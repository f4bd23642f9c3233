/* The lot page's origin map with Leaflet (vendored) over the shipped country outline, no tile server.
   Detail readers see plots (polygons and points); everyone else sees 0.1° squares with plot counts.
   Without JavaScript the tables below the map are the view. */
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("lot-map");
    var dataNode = document.getElementById("lot-map-data");
    if (!box || !dataNode || typeof L === "undefined" || box.getAttribute("data-ready")) return;
    var data = JSON.parse(dataNode.textContent || "{}");
    box.hidden = false;
    var map = L.map(box, { attributionControl: true, minZoom: 1, maxZoom: 9 });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Natural Earth");
    var layer = L.featureGroup().addTo(map);
    (data.cells || []).forEach(function (c) {
      L.rectangle(c.bounds, { color: "#1f5d36", weight: 1, fillOpacity: 0.35, className: "lot-cell" })
        .bindTooltip(box.getAttribute("data-label-plots") + ": " + c.plots).addTo(layer);
    });
    (data.plots || []).forEach(function (p) {
      var g = p.geometry || {};
      if (g.type === "Point") {
        L.circleMarker([g.coordinates[1], g.coordinates[0]], { radius: 5, color: "#1f5d36" })
          .bindTooltip(p.ref + " " + p.member).addTo(layer);
      } else if (g.type === "Polygon") {
        L.geoJSON(g, { style: { color: "#1f5d36", weight: 1 } }).bindTooltip(p.ref + " " + p.member).addTo(layer);
      }
    });
    fetch(box.getAttribute("data-outline"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (outline) {
        L.geoJSON(outline, { style: { color: "#98a890", weight: 0.8, fillColor: "#e4eadf", fillOpacity: 1 },
          interactive: false }).addTo(map).bringToBack();
      });
    var bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 8 });
    else map.setView([0, -60], 2);
    box.setAttribute("data-ready", "true");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
