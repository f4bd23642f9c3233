/* The group's plots on the offline map (templates/traceability/plots/map.html.jinja2): points as markers, outlines
   as polygons, coloured by the worst check; a click opens the plot. The table under the map lists the same plots,
   so without JavaScript nothing is missing. Leaflet (static/vendor) and the shipped outline; no tile server. */
(function () {
  "use strict";
  var COLOURS = { error: "#b3261e", warning: "#9a6700", "": "#2e7d32" };

  function loadLeaflet(src, done) {
    if (window.L) { done(); return; }
    var script = document.querySelector("script[data-fm-leaflet]");
    if (!script) {
      script = document.createElement("script");
      script.src = src;
      script.setAttribute("data-fm-leaflet", "");
      document.head.appendChild(script);
    }
    script.addEventListener("load", done);
  }

  function init(box) {
    if (box.getAttribute("data-ready")) return;
    box.setAttribute("data-ready", "pending");
    var data = JSON.parse(box.getAttribute("data-features") || "{}");
    box.hidden = false;
    var legend = document.querySelector(".plots-map__legend");
    if (legend) legend.hidden = false;
    var map = L.map(box, { minZoom: 1, maxZoom: 16, worldCopyJump: true, zoomSnap: 0.5 });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Natural Earth");
    fetch(box.getAttribute("data-outline"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (outline) {
        L.geoJSON(outline, { style: { color: "#98a890", weight: 0.8, fillColor: "#e4eadf", fillOpacity: 1 }, interactive: false })
          .addTo(map).bringToBack();
      });
    var layer = L.geoJSON(data, {
      style: function (f) { var c = COLOURS[f.properties.worst] || COLOURS[""]; return { color: c, weight: 2, fillColor: c, fillOpacity: 0.25 }; },
      pointToLayer: function (f, latlng) {
        var c = COLOURS[f.properties.worst] || COLOURS[""];
        return L.circleMarker(latlng, { radius: 8, color: c, weight: 2, fillColor: c, fillOpacity: 0.7 });
      },
      onEachFeature: function (f, item) {
        item.bindTooltip(f.properties.ref + " · " + f.properties.member);
        item.on("click", function () { window.location.href = f.properties.url; });
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds.pad(0.2), { maxZoom: 14 }); } else { map.setView([0, 0], 1); }
    box.setAttribute("data-ready", "true");
  }

  function start() {
    var boxes = document.querySelectorAll(".plots-map[data-features]");
    if (!boxes.length) return;
    loadLeaflet(boxes[0].getAttribute("data-leaflet"), function () { boxes.forEach(init); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
  document.addEventListener("htmx:load", start);
})();
