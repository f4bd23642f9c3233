// Deliveries at the scale, also without a connection (ForestMatch, no library).
// The form works without this file. With it: the member's plots fill the plot select, the dry kg shows while typing,
// a delivery is sent to POST /api/v1/deliveries; when offline (or the network fails) it is kept in localStorage with
// its client ref and sent when the connection returns. The server is idempotent on the ref, so a delivery sent twice
// is stored once; a waiting delivery leaves storage only after the server answered 201 or 200.
(function () {
  "use strict";
  var KEY = "forestmatch.deliveries.waiting";
  var form = document.getElementById("delivery-form");
  if (!form || form.getAttribute("data-offline-ready")) return;
  form.setAttribute("data-offline-ready", "1");
  var el = form.elements;
  var statusBox = document.getElementById("delivery-status");
  var waitingBox = document.getElementById("waiting");
  var waitingList = document.getElementById("waiting-list");
  var preview = document.getElementById("dry-preview");
  var drcWarning = document.getElementById("drc-warning");
  var plots = {};
  try { plots = JSON.parse(document.getElementById("member-plots").textContent || "{}"); } catch (e) { plots = {}; }
  var lang = document.documentElement.lang || undefined;
  var flushing = false;

  function msg(name, values) {
    var text = form.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { text = text.split("%(" + k + ")s").join(values[k]); });
    return text.split("%%").join("%");
  }

  function newRef() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function num(value) {
    var text = String(value || "").trim().replace(",", ".");
    if (!text) return null;
    var n = Number(text);
    return isFinite(n) ? n : NaN;
  }

  function fmt(n) { return n.toLocaleString(lang, { maximumFractionDigits: 2 }); }

  function dryOf(item) {
    var dry = num(item.dry_kg), wet = num(item.wet_kg), drc = num(item.drc_percent);
    if (dry !== null) return dry;
    if (wet !== null && drc !== null) return wet * drc / 100;
    return null;
  }

  // --- the member's plots ---------------------------------------------------------------------------------------
  function memberRef(typed) {
    var text = String(typed || "").trim().toLowerCase();
    if (!text) return null;
    var options = document.querySelectorAll("#member-list option");
    for (var i = 0; i < options.length; i++) {
      var o = options[i];
      if ([o.value, o.getAttribute("data-code"), o.getAttribute("data-ref")].some(function (v) {
        return String(v || "").toLowerCase() === text;
      })) return o.getAttribute("data-ref");
    }
    return null;
  }

  function fillPlots() {
    var ref = memberRef(el.member.value);
    if (!ref) return;  // a member outside the list: the server resolves it (and its plots) on a second step
    var list = plots[ref] || [];
    var keep = el.plot.value;
    el.plot.textContent = "";
    var first = new Option(list.length ? msg("choose-plot") : msg("no-plot"), "");
    el.plot.appendChild(first);
    list.forEach(function (p) { el.plot.appendChild(new Option(p[1], p[0], false, p[0] === keep)); });
    if (list.length === 1) el.plot.value = list[0][0];
  }

  // --- dry kg and DRC while typing --------------------------------------------------------------------------------
  function update() {
    var dry = dryOf({ dry_kg: el.dry_kg.value, wet_kg: el.wet_kg.value, drc_percent: el.drc_percent.value });
    preview.textContent = dry === null || isNaN(dry) ? "-" : fmt(dry);
    var drc = num(el.drc_percent.value), range = form.getAttribute("data-drc-" + el.form.value);
    var warn = "";
    if (drc !== null && !isNaN(drc) && range) {
      var lowHigh = range.split("-").map(Number);
      if (drc < lowHigh[0] || drc > lowHigh[1]) warn = msg("drc", { low: lowHigh[0], high: lowHigh[1] });
    }
    drcWarning.textContent = warn;
    drcWarning.hidden = !warn;
  }

  // --- waiting deliveries ---------------------------------------------------------------------------------------
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(items) { localStorage.setItem(KEY, JSON.stringify(items)); }

  function render() {
    var items = load();
    waitingList.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.setAttribute("data-testid", "waiting-item");
      li.setAttribute("data-ref", item.ref);
      var dry = dryOf(item);
      li.textContent = [item.date, item.member, dry === null || isNaN(dry) ? "" : fmt(dry) + " kg"].join(" · ");
      if (item.problem) {
        var p = document.createElement("p");
        p.className = "field-error";
        p.textContent = item.problem;
        li.appendChild(p);
      }
      waitingList.appendChild(li);
    });
    waitingBox.hidden = items.length === 0;
  }

  function keep(item) {
    var items = load().filter(function (x) { return x.ref !== item.ref; });
    items.push(item);
    save(items);
    render();
  }

  function drop(ref) {
    save(load().filter(function (x) { return x.ref !== ref; }));
    render();
  }

  function send(item) {
    var body = {};
    ["ref", "member", "plot", "date", "form", "wet_kg", "drc_percent", "dry_kg"].forEach(function (k) {
      if (item[k] !== "" && item[k] !== undefined && item[k] !== null) body[k] = item[k];
    });
    return fetch(form.getAttribute("data-api"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "x-csrftoken": el._csrf_token.value },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, body: json };
      });
    });
  }

  function flush() {
    if (flushing || !navigator.onLine) return Promise.resolve();
    flushing = true;
    var items = load();
    var chain = Promise.resolve(true);
    items.forEach(function (item) {
      chain = chain.then(function (goOn) {
        if (!goOn) return false;
        return send(item).then(function (answer) {
          if (answer.status === 201 || answer.status === 200) {
            drop(item.ref);
            say(msg("sent", { kg: fmt(answer.body.dry_kg), ref: item.ref }));
          } else if (answer.status === 409 || answer.status === 422) {
            // Kept (only a 201 or 200 removes it), with the server's reason on screen so it can be typed again.
            item.problem = [answer.body.detail || ""].concat((answer.body.errors || []).map(function (e) {
              return e.message;
            })).join(" ");
            keep(item);
          }
          return true;
        }, function () { return false; });  // still no network: try again at the next "online"
      });
    });
    return chain.then(function () { flushing = false; }, function () { flushing = false; });
  }

  // --- the form -----------------------------------------------------------------------------------------------------
  function say(text, isError) {
    statusBox.textContent = text;
    statusBox.hidden = !text;
    statusBox.classList.toggle("notice--success", !isError);
    statusBox.classList.toggle("notice--error", !!isError);
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (p) { p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
  }

  function showErrors(errors) {
    (errors || []).forEach(function (e) {
      var p = document.getElementById("f-" + e.field + "-error");
      var control = document.getElementById("f-" + e.field);
      if (p) p.textContent = e.message;
      if (control) control.setAttribute("aria-invalid", "true");
    });
  }

  function nextDelivery() {
    ["member", "wet_kg", "drc_percent", "dry_kg"].forEach(function (k) { el[k].value = ""; });
    el.plot.value = "";
    el.ref.value = newRef();
    update();
    el.member.focus();
  }

  function current() {
    var item = {};
    ["ref", "member", "plot", "date", "form", "wet_kg", "drc_percent", "dry_kg"].forEach(function (k) {
      item[k] = el[k].value;
    });
    return item;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var item = current();
    if (!navigator.onLine) {
      keep(item);
      say(msg("waiting"));
      nextDelivery();
      return;
    }
    send(item).then(function (answer) {
      if (answer.status === 201 || answer.status === 200) {
        say(msg("sent", { kg: fmt(answer.body.dry_kg), ref: item.ref }));
        nextDelivery();
      } else if (answer.status === 422) {
        showErrors(answer.body.errors);
        say(msg("invalid"), true);
      } else if (answer.status === 409) {
        say(msg("conflict"), true);
        el.ref.value = newRef();
      } else if (answer.status >= 500) {
        keep(item);
        say(msg("waiting"));
        nextDelivery();
      } else {
        form.submit();  // signed out or not allowed: the server's own page says why
      }
    }, function () {  // a network error: keep it for later
      keep(item);
      say(msg("waiting"));
      nextDelivery();
    });
  });

  // A page served from the service worker's cache carries an old ref: every delivery gets its own.
  el.ref.value = newRef();
  el.member.addEventListener("change", fillPlots);
  el.member.addEventListener("input", fillPlots);
  ["wet_kg", "drc_percent", "dry_kg", "form"].forEach(function (k) {
    el[k].addEventListener("input", update);
    el[k].addEventListener("change", update);
  });
  window.addEventListener("online", flush);
  update();
  render();
  flush();

  if ("serviceWorker" in navigator) {
    var assets = [];
    document.querySelectorAll("link[rel=stylesheet][href^='/static/'], script[src^='/static/']").forEach(function (n) {
      assets.push(n.getAttribute("href") || n.getAttribute("src"));
    });
    navigator.serviceWorker.register("/traceability/sw-deliveries.js?assets=" + encodeURIComponent(assets.join(",")),
      { scope: "/traceability/deliveries" }).catch(function () { /* the form works without it, online */ });
  }
})();
