// The new-lot form's running total (ForestMatch, no library): the dry kg of the ticked deliveries plus the parts of
// other lots typed, and how far the output dry kg typed is from it. The form works without this file: it posts as
// before and the server answers with its own checks; the total's box stays hidden then.
(function () {
  "use strict";
  var form = document.querySelector('[data-testid="lot-form"]');
  var box = form && form.querySelector('[data-testid="lot-total"]');
  if (!box || form.getAttribute("data-total-ready")) return;
  form.setAttribute("data-total-ready", "1");
  var lang = document.documentElement.lang || undefined;
  var plain = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  var signed = new Intl.NumberFormat(lang, { maximumFractionDigits: 2, signDisplay: "exceptZero" });
  var inputsText = box.querySelector('[data-testid="lot-total-inputs"]');
  var differenceText = box.querySelector('[data-testid="lot-total-difference"]');

  // As the server reads a typed number: a comma is a decimal point; empty is nothing, anything else not a number.
  function typed(value) {
    var text = String(value || "").trim().replace(",", ".");
    if (text === "") return null;
    var n = Number(text);
    return isFinite(n) ? n : NaN;
  }

  function round(n) {
    return Math.round(n * 100) / 100;
  }

  function update() {
    var total = 0;
    form.querySelectorAll('input[name="delivery"]:checked').forEach(function (tick) {
      total += Number(tick.getAttribute("data-dry-kg")) || 0;
    });
    form.querySelectorAll('input[name^="source_kg_"]').forEach(function (input) {
      var kg = typed(input.value);
      if (kg > 0) total += kg;
    });
    total = round(total);
    inputsText.textContent = box.getAttribute("data-text-inputs").replace("%(kg)s", plain.format(total));
    var output = typed(form.elements.output_dry_kg && form.elements.output_dry_kg.value);
    if (output === null || isNaN(output)) {
      differenceText.textContent = "";
    } else {
      var difference = round(output - total);
      differenceText.textContent = box.getAttribute("data-text-difference").replace("%(kg)s", signed.format(difference));
    }
    box.setAttribute("data-total-kg", String(total));
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  box.hidden = false;
  update();
})();
