/* The family-contact fast list (templates/crisis/families/class.html).
 *
 * Each row is its own form: its URL, a hidden student id and a one-time token name the row's
 * student, so what is typed in a row is logged for that student only, and the same form sent
 * twice stores one contact (the server keeps one contact per token).
 *
 * Enter saves the row. While the row is being sent it is read-only and the focus is already on
 * the next student's row: a note typed right after Enter goes to the next student, never back
 * into the row being saved (one student once got three contacts that way). A second Enter on a
 * row being sent is dropped (hx-sync="this:drop").
 */
(function () {
  "use strict";
  var table = document.getElementById("family-list");
  if (!table) return;
  var movedTo = null; // the field the focus moved to when a row was sent
  var movedValue = null;

  function firstField(row) {
    return row && row.querySelector("select, input[type=text]");
  }

  function recount() {
    var rows = table.querySelectorAll("tr.family-row");
    var covered = table.querySelectorAll('tr.family-row[data-covered="1"]').length;
    var c = document.getElementById("coverage-covered");
    if (c) c.textContent = covered;
    if (rows.length && document.getElementById("coverage-percent")) {
      var percent = Math.round((1000 * covered) / rows.length) / 10;
      document.getElementById("coverage-percent").textContent = percent.toFixed(1) + "%";
      document.getElementById("coverage-meter").style.width = Math.round(percent) + "%";
    }
    var missing = 0;
    rows.forEach(function (row) {
      var item = document.querySelector(
        '[data-testid=missing] li[data-student="' + row.dataset.student + '"]'
      );
      if (item) {
        item.hidden = row.dataset.covered === "1";
        if (!item.hidden) missing += 1;
      }
    });
    var m = document.getElementById("missing-count");
    if (m) m.textContent = missing;
  }

  // Enter on a select saves the row too (inputs submit by themselves).
  table.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.tagName === "SELECT") {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.classList || !form.classList.contains("row-form")) return;
    var row = form.closest("tr");
    row.dataset.state = "sending";
    form.querySelectorAll("input, select, button").forEach(function (field) {
      if (field.type === "hidden") return;
      if (field.tagName === "SELECT" || field.tagName === "BUTTON") field.disabled = true;
      else field.readOnly = true;
    });
    var next = firstField(row.nextElementSibling);
    if (next && row.contains(document.activeElement)) {
      next.focus();
      movedTo = next;
      movedValue = next.value;
    }
  });

  // htmx collects the values before beforeRequest, so disabled selects are still sent.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var id = source && source.dataset ? source.dataset.row : null;
    var row = id ? document.getElementById(id) : null;
    if (!row) return;
    recount();
    var untouched = !movedTo || (document.activeElement === movedTo && movedTo.value === movedValue);
    if (row.dataset.state === "error" && untouched) {
      // Nothing typed elsewhere yet: back to the field that needs fixing.
      var bad = row.querySelector(".field-error input, .field-error select") || firstField(row);
      if (bad) bad.focus();
    } else if (row.dataset.state === "saved" && document.activeElement === document.body) {
      var field = firstField(row.nextElementSibling) || firstField(row);
      if (field) field.focus();
    }
    movedTo = null;
  });

  var initial =
    firstField(table.querySelector("tr.family-row[data-covered='0']")) ||
    firstField(table.querySelector("tr.family-row"));
  if (initial && !window.location.hash) initial.focus();
})();
