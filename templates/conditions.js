// formwork: shows a field only while its `shown_when` condition holds, as people fill in the
// form. Without this script every field is shown, and its hint says when it applies; the server
// ignores the value of a field whose condition does not hold either way.
//
// A field's wrapper carries `data-fw-shown-when` (the condition as JSON: {"empty": ID},
// {"not_empty": ID}, {"equals": [ID, VALUE]}, {"one_of": [ID, [VALUES]]}, {"all": [...]},
// {"any": [...]}, {"cel": EXPR}) and `data-fw-name` (its input name, e.g. `actions.0.schema`);
// the fields a condition names sit beside it (`actions.0.type`). A CEL condition is left to the
// server: the field stays shown.
(function () {
  "use strict";

  function sibling(own, id) {
    var dot = own.lastIndexOf(".");
    return dot < 0 ? id : own.slice(0, dot + 1) + id;
  }

  // The current value of the inputs named `name`: a text, a boolean (a single checkbox), the
  // checked values (several checkboxes), or null.
  function valueOf(form, name) {
    var inputs = Array.prototype.filter.call(form.elements, function (el) {
      return el.name === name && el.type !== "hidden" && el.type !== "file";
    });
    if (inputs.length === 0) return null;
    if (inputs[0].type === "checkbox") {
      if (inputs.length === 1 && inputs[0].value === "true") return inputs[0].checked;
      return inputs.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
    }
    if (inputs[0].type === "radio") {
      var checked = inputs.filter(function (el) { return el.checked; })[0];
      return checked ? checked.value : null;
    }
    return inputs[0].value;
  }

  function isEmpty(v) {
    return v === null || v === false || (typeof v === "string" && v.trim() === "") ||
      (Array.isArray(v) && v.length === 0);
  }

  function same(v, x) {
    return v !== null && !Array.isArray(v) && String(v) === String(x);
  }

  function holds(c, form, own) {
    var value = function (id) { return valueOf(form, sibling(own, id)); };
    if ("empty" in c) return isEmpty(value(c.empty));
    if ("not_empty" in c) return !isEmpty(value(c.not_empty));
    if ("equals" in c) return same(value(c.equals[0]), c.equals[1]);
    if ("one_of" in c) {
      var v = value(c.one_of[0]);
      return c.one_of[1].some(function (x) { return same(v, x); });
    }
    if ("all" in c) return c.all.every(function (x) { return holds(x, form, own); });
    if ("any" in c) return c.any.some(function (x) { return holds(x, form, own); });
    return true;
  }

  function update(form) {
    var wrappers = form.querySelectorAll("[data-fw-shown-when]");
    Array.prototype.forEach.call(wrappers, function (w) {
      var shown;
      try {
        shown = holds(JSON.parse(w.getAttribute("data-fw-shown-when")), form, w.getAttribute("data-fw-name") || "");
      } catch (e) {
        shown = true;
      }
      w.hidden = !shown;
      // A hidden field is not sent: the server would only ignore it.
      Array.prototype.forEach.call(w.querySelectorAll("input, select, textarea"), function (el) {
        el.disabled = !shown;
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form.fw-form"), function (form) {
      update(form);
      form.addEventListener("input", function () { update(form); });
      form.addEventListener("change", function () { update(form); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
