/* Point picker: a small offline map above the latitude and longitude inputs (templates/_macros/places.html.jinja2).
   Leaflet (static/vendor/leaflet-1.9.4) is loaded only when a picker is on the page; the map draws the shipped
   country outline (static/geo), no tile server. A tap or click sets the point, the marker can be dragged, typed
   numbers move the marker. The inputs stay the source of truth: without JavaScript they are all there is. */
(function () {
  "use strict";
  var DIGITS = 6; // due-diligence statements use six decimals
  var outlines = {};

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

  function outline(url) {
    if (!outlines[url]) {
      outlines[url] = fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
    }
    return outlines[url];
  }

  function parse(value, limit) {
    var n = parseFloat(String(value || "").trim().replace(",", "."));
    return isFinite(n) && Math.abs(n) <= limit ? n : null;
  }

  function bounds(text) {
    var p = String(text || "").split(",").map(parseFloat);
    return p.length === 4 && p.every(isFinite) ? [[p[0], p[1]], [p[2], p[3]]] : null;
  }

  function init(box) {
    if (box.getAttribute("data-ready")) return;
    var lat = document.getElementById(box.getAttribute("data-lat-field"));
    var lon = document.getElementById(box.getAttribute("data-lon-field"));
    if (!lat || !lon) return;
    box.setAttribute("data-ready", "pending");
    var picker = box.closest(".point-picker");
    box.hidden = false;
    picker.querySelectorAll(".point-picker__js-hint, .point-picker__actions").forEach(function (el) { el.hidden = false; });
    var status = picker.querySelector(".point-picker__status");
    var map = L.map(box, { minZoom: 1, maxZoom: 13, worldCopyJump: true, zoomSnap: 0.5 });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Natural Earth");
    outline(box.getAttribute("data-outline")).then(function (data) {
      L.geoJSON(data, { style: { color: "#98a890", weight: 0.8, fillColor: "#e4eadf", fillOpacity: 1 }, interactive: false })
        .addTo(map).bringToBack();
      box.setAttribute("data-outline-loaded", "true");
    });
    var marker = null;

    function show(latlng) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, keyboard: true, title: box.getAttribute("aria-label") }).addTo(map);
        marker.on("dragend", function () { set(marker.getLatLng(), false); });
      } else {
        marker.setLatLng(latlng);
      }
    }

    function set(latlng, pan) {
      var wrapped = latlng.wrap();
      lat.value = wrapped.lat.toFixed(DIGITS);
      lon.value = wrapped.lng.toFixed(DIGITS);
      show(wrapped);
      if (pan) map.panTo(wrapped);
      // Inline validation and anything else listening hear about it as if the user had typed.
      [lat, lon].forEach(function (input) { input.dispatchEvent(new Event("change", { bubbles: true })); });
      box.setAttribute("data-point", lat.value + "," + lon.value);
    }

    function fromInputs() {
      var a = parse(lat.value, 90), b = parse(lon.value, 180);
      if (a === null || b === null) return null;
      return L.latLng(a, b);
    }

    // The form's region block (when it has one) says which country is chosen now; else the page's own frame.
    var form = box.closest("form") || document;
    function countryBounds() {
      var region = form.querySelector("[data-country-bounds]");
      return region ? region.getAttribute("data-country-bounds") : box.getAttribute("data-bounds");
    }
    var framedOn = countryBounds();

    function frame() {
      var point = fromInputs();
      if (point) { show(point); map.setView(point, 6); return; }
      var area = bounds(framedOn);
      if (area) map.fitBounds(area, { padding: [8, 8] });
      else map.setView([12, -80], 2);
    }

    map.on("click", function (event) { set(event.latlng, false); });
    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function (event) {
        if (!event.isTrusted) return; // our own change events
        var point = fromInputs();
        if (point) { show(point); map.panTo(point); }
      });
    });
    picker.querySelector(".point-picker__clear").addEventListener("click", function () {
      lat.value = ""; lon.value = "";
      if (marker) { map.removeLayer(marker); marker = null; }
      box.removeAttribute("data-point");
      [lat, lon].forEach(function (input) { input.dispatchEvent(new Event("change", { bubbles: true })); });
    });
    var locate = picker.querySelector(".point-picker__locate");
    if (!navigator.geolocation || !window.isSecureContext) {
      locate.hidden = true;
    } else {
      locate.addEventListener("click", function () {
        status.textContent = "";
        navigator.geolocation.getCurrentPosition(function (position) {
          var here = L.latLng(position.coords.latitude, position.coords.longitude);
          set(here, false);
          map.setView(here, 10);
          status.textContent = status.getAttribute("data-located");
        }, function () {
          status.textContent = status.getAttribute("data-failed");
        }, { enableHighAccuracy: true, timeout: 15000 });
      });
    }
    // A new country (its region list swapped in by htmx) frames the map on it while no point is set.
    document.body.addEventListener("htmx:afterSettle", function () {
      if (!document.body.contains(box)) return;
      var now = countryBounds();
      if (now === framedOn) return;
      framedOn = now;
      if (!marker && bounds(now)) map.fitBounds(bounds(now), { padding: [8, 8] });
    });
    frame();
    box.setAttribute("data-ready", "true");
  }

  function start() {
    var boxes = document.querySelectorAll(".point-picker__map:not([data-ready])");
    if (!boxes.length) return;
    loadLeaflet(boxes[0].getAttribute("data-leaflet"), function () { boxes.forEach(init); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // Boosted navigation runs this file again with the new page; a second listener is not needed.
  if (window.forestmatchPlacePicker) return;
  window.forestmatchPlacePicker = true;
  document.addEventListener("htmx:load", start);
})();
