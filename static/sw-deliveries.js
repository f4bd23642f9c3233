// Service worker of the delivery pages (served at /traceability/sw-deliveries.js, scope /traceability/deliveries):
// the delivery form, its CSS and JS are cached on install so the form opens without a connection; everything else
// is network first, falling back to the cache. Writes (POST) are never touched: the page keeps them itself.
"use strict";
var CACHE = "forestmatch-deliveries-v1";
var FORM = "/traceability/deliveries/new";
var ASSETS = (new URL(self.location.href).searchParams.get("assets") || "").split(",").filter(function (a) {
  return a.indexOf("/static/") === 0;
});

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll([FORM].concat(ASSETS)); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  var isForm = url.pathname === FORM;
  event.respondWith(
    fetch(request).then(function (response) {
      // Keep the blank form (not a "saved" confirmation) and our static files fresh for the next offline visit.
      if (response.ok && ((isForm && !url.search) || url.pathname.indexOf("/static/") === 0)) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { return cache.put(isForm ? FORM : request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(isForm ? FORM : request).then(function (cached) {
        return cached || Response.error();
      });
    })
  );
});
