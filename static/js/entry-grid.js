/* Keyboard entry grid for a class (screening/campaigns/grid.html).
 *
 * Students are rows, items (or subscale scores) are columns. Typing a valid digit in an item cell
 * moves on (to the next student at the end of a row); arrows and Enter move; Backspace clears.
 * Each row is validated as it is typed (range, missing items) and saved as soon as it is complete
 * through POST /api/v1/screening/results/, which answers with total, band and flags.
 *
 * Nothing typed is lost: every unsaved row is written to localStorage (under a key naming the
 * user, campaign, class and instrument) before it is sent, removed once the server has stored it,
 * and retried with back-off while the network fails, on "online", and on the next page load.
 * A half-filled row is kept too, but it is never sent and is shown as incomplete, not as retrying.
 *
 * A saved row is locked (read-only): the cursor skips it while typing, and typing into it only
 * says how to change it. It changes only on an explicit edit: the row's Edit button (or F2)
 * unlocks it, "Save change" asks for confirmation and sends it with replace: true (the server
 * refuses a differing entry without that flag with 409, and audits a replacement). Esc cancels.
 */
(function () {
  "use strict";

  var table = document.getElementById("entry-grid");
  if (!table) return;
  var config = JSON.parse(document.getElementById("grid-config").textContent);
  var text = JSON.parse(document.getElementById("grid-messages").textContent);
  var dateInput = document.getElementById("grid-date");
  var statusBox = document.getElementById("grid-status");
  var columns = config.columns;
  var isItem = config.kind === "item";
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var grid = rows.map(function (tr) {
    return Array.prototype.slice.call(tr.querySelectorAll("input.cell"));
  });
  var saving = {}; // student id -> true while a request is in flight
  var retryDelay = {}; // student id -> ms
  var retryTimer = {};
  var saveTimer = {};
  var queued = {}; // student id -> true while its save waits for the typing to pause
  var original = {}; // row index -> the saved values while the row is being edited

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] !== undefined ? values[key] : "";
    });
  }

  // Full-width digits (０-９), the full-width full stop and minus come from Chinese input methods.
  function normalise(value) {
    return value
      .replace(/[\uFF10-\uFF19]/g, function (c) {
        return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
      })
      .replace(/[\uFF0E\u3002]/g, ".")
      .replace(/\uFF58|\uFF38/g, "x")
      .trim();
  }

  // --- pending rows, kept in this browser until the server has them ------------------------
  function loadPending() {
    try {
      return JSON.parse(window.localStorage.getItem(config.storageKey) || "{}");
    } catch (e) {
      return {};
    }
  }
  function storePending(pending) {
    try {
      if (Object.keys(pending).length) {
        window.localStorage.setItem(config.storageKey, JSON.stringify(pending));
      } else {
        window.localStorage.removeItem(config.storageKey);
      }
    } catch (e) {
      /* storage full or disabled: the row stays on screen and is retried from memory */
    }
  }
  var pending = loadPending();

  // --- validation ----------------------------------------------------------------------------
  function cellProblem(col, raw) {
    var spec = columns[col];
    if (raw === "") return null;
    if (isItem) {
      if (raw.toLowerCase() === "x" && spec.refusable) return null;
      if (/^\d$/.test(raw) && spec.values.indexOf(parseInt(raw, 10)) !== -1) return null;
      var allowed = spec.values.join("/") + (spec.refusable ? "/x" : "");
      return fmt(text.range, { item: spec.label, values: allowed });
    }
    var number = Number(raw);
    var step = Number(spec.step || 1);
    var ok = raw !== "" && !isNaN(number) && /^-?\d+(\.\d+)?$/.test(raw);
    if (ok && spec.min !== null && spec.min !== undefined && number < spec.min) ok = false;
    if (ok && spec.max !== null && spec.max !== undefined && number > spec.max) ok = false;
    if (ok && Math.abs(Math.round(number / step) * step - number) > 1e-9) ok = false;
    return ok ? null : fmt(text.scoreRange, { item: spec.label, min: spec.min, max: spec.max });
  }

  function rowValues(r) {
    return grid[r].map(function (input) {
      return normalise(input.value);
    });
  }

  function rowCells(r, name) {
    return rows[r].querySelector("td." + name);
  }

  function setState(r, html, kind) {
    var cell = rowCells(r, "state");
    cell.className = "state" + (kind ? " state-" + kind : "");
    cell.textContent = html;
  }

  // Validate a row as it is typed; true when it is complete and valid.
  function checkRow(r) {
    var values = rowValues(r);
    var problems = [];
    var missing = [];
    values.forEach(function (value, c) {
      var problem = cellProblem(c, value);
      grid[r][c].classList.toggle("cell-error", !!problem);
      grid[r][c].setAttribute("aria-invalid", problem ? "true" : "false");
      if (problem) problems.push(problem);
      if (value === "") missing.push(columns[c].label);
    });
    var filled = values.length - missing.length;
    if (problems.length) {
      setState(r, problems.join("; "), "error");
      return false;
    }
    if (filled === 0) {
      setState(r, "", "");
      return false;
    }
    if (missing.length) {
      setState(
        r,
        text.incomplete +
          " · " +
          fmt(text.answered, { n: filled, total: values.length }) +
          " · " +
          fmt(text.missing, { items: missing.join(", ") }),
        "partial"
      );
      return false;
    }
    return true;
  }

  // --- saving ----------------------------------------------------------------------------------
  function payload(studentId, values, day, replace) {
    var body = {
      campaign: config.campaign,
      student: parseInt(studentId, 10),
      instrument: config.instrument,
      administered_on: day,
      replace: !!replace,
    };
    if (isItem) {
      body.answers = values.map(function (v) {
        return v.toLowerCase() === "x" ? null : parseInt(v, 10);
      });
    } else {
      body.scores = {};
      values.forEach(function (v, c) {
        body.scores[columns[c].key] = v;
      });
    }
    return body;
  }

  function rowIndexOf(studentId) {
    for (var r = 0; r < rows.length; r++) {
      if (rows[r].getAttribute("data-student") === String(studentId)) return r;
    }
    return -1;
  }

  function showResult(r, result) {
    rowCells(r, "total").textContent = result.total;
    rowCells(r, "band").textContent = result.band_label;
    var flags = [];
    if (result.critical) flags.push(text.critical);
    if (result.proposed_level) flags.push(fmt(text.proposed, { level: result.proposed_level }));
    var flagCell = rowCells(r, "flag");
    flagCell.textContent = flags.join(" · ");
    flagCell.classList.toggle("flag-critical", !!result.critical);
    setState(r, text.saved, "saved");
  }

  function updateStatus() {
    var waiting = 0;
    var incomplete = 0;
    var unconfirmed = 0;
    Object.keys(pending).forEach(function (studentId) {
      var entry = pending[studentId];
      if (entry.incomplete) incomplete++;
      else if (entry.edit) unconfirmed++;
      else waiting++;
    });
    var inFlight = Object.keys(saving).length + Object.keys(queued).length;
    var parts = [];
    if (waiting) parts.push(fmt(text.pending, { n: waiting }));
    if (incomplete) parts.push(fmt(text.incompleteRows, { n: incomplete }));
    if (unconfirmed) parts.push(fmt(text.unconfirmedRows, { n: unconfirmed }));
    if (inFlight) {
      statusBox.textContent = text.saving;
      statusBox.className = "grid-status saving";
    } else if (parts.length) {
      statusBox.textContent = parts.join(" · ");
      statusBox.className = "grid-status pending";
    } else {
      statusBox.textContent = text.allSaved;
      statusBox.className = "grid-status saved";
    }
  }

  function scheduleRetry(studentId) {
    var delay = Math.min((retryDelay[studentId] || 1000) * 2, 30000);
    retryDelay[studentId] = delay;
    clearTimeout(retryTimer[studentId]);
    retryTimer[studentId] = setTimeout(function () {
      send(studentId);
    }, delay);
  }

  function send(studentId) {
    var entry = pending[studentId];
    var r = rowIndexOf(studentId);
    if (!entry || r === -1) return;
    if (saving[studentId]) {
      entry.again = true;
      return;
    }
    saving[studentId] = true;
    updateStatus();
    var sent = JSON.stringify(payload(studentId, entry.values, entry.day, entry.replace));
    fetch(config.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": config.csrfToken,
        "X-Entry-Grid": "1",
      },
      body: sent,
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            return { status: response.status, data: data };
          });
      })
      .then(function (answer) {
        delete saving[studentId];
        var current = pending[studentId];
        var changedMeanwhile =
          current &&
          JSON.stringify(payload(studentId, current.values, current.day, current.replace)) !== sent;
        if (answer.status === 200 || answer.status === 201) {
          retryDelay[studentId] = 0;
          if (!changedMeanwhile) {
            delete pending[studentId];
            storePending(pending);
            showResult(r, answer.data);
            lockRow(r);
          }
        } else if (answer.status === 409) {
          // A different result is saved already (another tab, another person, a stale draft):
          // nothing was changed. Say so, and leave replacing it to an explicit edit.
          delete pending[studentId];
          storePending(pending);
          lockRow(r);
          setState(r, text.conflict, "error");
        } else if (answer.status === 400) {
          // The server's reasons are final for these values: keep them on screen (and in the
          // browser) until the teacher corrects the row.
          var reasons = (answer.data.errors || []).map(function (e) {
            var c = columns.findIndex(function (col) {
              return col.key === String(e.field);
            });
            if (c !== -1) grid[r][c].classList.add("cell-error");
            return e.message;
          });
          setState(r, fmt(text.notSaved, { reason: reasons.join("; ") || answer.data.detail }), "error");
        } else if (answer.status === 403 || answer.status === 404) {
          delete pending[studentId];
          storePending(pending);
          setState(r, text.forbidden, "error");
        } else {
          // 5xx, 429, an expired session…: keep it and try again later.
          setState(r, text.offline, "pending");
          scheduleRetry(studentId);
        }
        if (changedMeanwhile || (current && current.again)) {
          if (current) current.again = false;
          send(studentId);
        }
        updateStatus();
      })
      .catch(function () {
        delete saving[studentId];
        setState(r, text.offline, "pending");
        scheduleRetry(studentId);
        updateStatus();
      });
  }

  // --- saved rows: locked until an explicit, confirmed edit ------------------------------------
  function isLocked(r) {
    return rows[r].dataset.saved === "1" && !rows[r].dataset.editing;
  }

  function editButton(r) {
    return rows[r].querySelector("button.row-edit");
  }

  function lockRow(r) {
    rows[r].dataset.saved = "1";
    delete rows[r].dataset.editing;
    delete rows[r].dataset.dirty;
    delete original[r];
    rows[r].classList.remove("row-editing");
    grid[r].forEach(function (input) {
      input.readOnly = true;
    });
    var button = editButton(r);
    button.hidden = false;
    button.textContent = text.edit;
    var cancel = rows[r].querySelector("button.row-cancel");
    if (cancel) cancel.hidden = true;
  }

  function startEdit(r, c) {
    if (!isLocked(r)) return;
    original[r] = grid[r].map(function (input) {
      return input.value;
    });
    rows[r].dataset.editing = "1";
    rows[r].classList.add("row-editing");
    grid[r].forEach(function (input) {
      input.readOnly = false;
    });
    editButton(r).textContent = text.saveChange;
    rows[r].querySelector("button.row-cancel").hidden = false;
    setState(r, text.editing, "partial");
    focusCell(r, c || 0);
  }

  function cancelEdit(r) {
    if (!rows[r].dataset.editing) return;
    var studentId = rows[r].getAttribute("data-student");
    var before = original[r] || [];
    grid[r].forEach(function (input, c) {
      input.value = before[c] !== undefined ? before[c] : input.value;
      input.classList.remove("cell-error");
    });
    delete pending[studentId];
    storePending(pending);
    lockRow(r);
    setState(r, text.saved, "saved");
    updateStatus();
  }

  function confirmEdit(r) {
    var studentId = rows[r].getAttribute("data-student");
    if (!checkRow(r)) return;
    if (dateInput.value < config.windowStart || dateInput.value > config.windowEnd) {
      setState(r, text.badDate, "error");
      return;
    }
    var name = rows[r].querySelector("th").textContent.trim();
    if (!window.confirm(fmt(text.confirmReplace, { name: name }))) return;
    pending[studentId] = { values: rowValues(r), day: dateInput.value, replace: true };
    storePending(pending);
    setState(r, text.saving, "saving");
    send(studentId);
    updateStatus();
  }

  table.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !table.contains(button)) return;
    var r = rows.indexOf(button.closest("tr"));
    if (r === -1) return;
    if (button.classList.contains("row-cancel")) cancelEdit(r);
    else if (rows[r].dataset.editing) confirmEdit(r);
    else startEdit(r, 0);
  });

  function queueRow(r) {
    var studentId = rows[r].getAttribute("data-student");
    if (rows[r].dataset.editing) {
      // An edit of a saved row is kept in this browser but sent only once it is confirmed.
      var edited = rowValues(r);
      pending[studentId] = { values: edited, day: dateInput.value, edit: true };
      storePending(pending);
      if (checkRow(r)) setState(r, text.editReady, "partial");
      updateStatus();
      return;
    }
    if (!checkRow(r)) {
      // An incomplete row is still kept, so that nothing typed is lost on reload.
      var values = rowValues(r);
      if (values.some(function (v) { return v !== ""; }) && rows[r].dataset.dirty) {
        pending[studentId] = { values: values, day: dateInput.value, incomplete: true };
      } else {
        delete pending[studentId];
      }
      storePending(pending);
      updateStatus();
      return;
    }
    if (dateInput.value < config.windowStart || dateInput.value > config.windowEnd) {
      setState(r, text.badDate, "error");
      return;
    }
    pending[studentId] = { values: rowValues(r), day: dateInput.value };
    storePending(pending);
    setState(r, text.saving, "saving");
    clearTimeout(saveTimer[studentId]);
    queued[studentId] = true;
    saveTimer[studentId] = setTimeout(function () {
      delete queued[studentId];
      send(studentId);
    }, 250);
    updateStatus();
  }

  // --- keyboard --------------------------------------------------------------------------------
  function focusCell(r, c) {
    if (r < 0 || r >= grid.length) return false;
    c = Math.max(0, Math.min(c, grid[r].length - 1));
    grid[r][c].focus();
    grid[r][c].select();
    return true;
  }

  function next(r, c) {
    if (c + 1 < grid[r].length) return focusCell(r, c + 1);
    if (rows[r].dataset.editing) {
      // The end of an edited row: the next key (Enter) is the explicit "Save change".
      editButton(r).focus();
      return true;
    }
    // Typing on past the end of a row never runs into a saved row: go to the next open one.
    for (var n = r + 1; n < grid.length; n++) {
      if (!isLocked(n)) return focusCell(n, 0);
    }
    return focusCell(r + 1, 0);
  }

  function position(input) {
    var r = rows.indexOf(input.closest("tr"));
    return [r, parseInt(input.getAttribute("data-col"), 10)];
  }

  table.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.classList.contains("cell")) return;
    var pos = position(input);
    var value = normalise(input.value);
    if (isItem && value.length > 1) value = value.slice(-1); // typing over a filled cell
    input.value = value;
    rows[pos[0]].dataset.dirty = "1";
    var problem = cellProblem(pos[1], value);
    queueRow(pos[0]);
    if (isItem && value !== "" && !problem) next(pos[0], pos[1]);
  });

  table.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.classList.contains("cell")) return;
    var pos = position(input);
    var r = pos[0];
    var c = pos[1];
    var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    var atEnd = input.selectionStart === input.value.length;
    if (event.key === "F2") {
      event.preventDefault();
      startEdit(r, c);
      return;
    }
    if (event.key === "Escape" && rows[r].dataset.editing) {
      event.preventDefault();
      cancelEdit(r);
      return;
    }
    if (
      isLocked(r) &&
      !event.ctrlKey &&
      !event.metaKey &&
      (event.key.length === 1 || event.key === "Delete" || (event.key === "Backspace" && input.value !== ""))
    ) {
      // Typing into a saved row changes nothing: say how to change it.
      event.preventDefault();
      setState(r, text.locked, "locked");
      return;
    }
    switch (event.key) {
      case "ArrowRight":
        if (isItem || atEnd) {
          event.preventDefault();
          next(r, c);
        }
        break;
      case "ArrowLeft":
        if (isItem || atStart) {
          event.preventDefault();
          if (c > 0) focusCell(r, c - 1);
          else if (r > 0) focusCell(r - 1, grid[r - 1].length - 1);
        }
        break;
      case "ArrowDown":
      case "Enter":
        event.preventDefault();
        if (!focusCell(r + 1, c) && event.key === "Enter") input.blur();
        break;
      case "ArrowUp":
        event.preventDefault();
        focusCell(r - 1, c);
        break;
      case "Backspace":
        if (input.value === "" && (c > 0 || r > 0)) {
          event.preventDefault();
          if (c > 0) focusCell(r, c - 1);
          else focusCell(r - 1, grid[r - 1].length - 1);
        }
        break;
      default:
        break;
    }
  });

  table.addEventListener("focusin", function (event) {
    if (event.target.classList.contains("cell")) event.target.select();
  });

  window.addEventListener("online", function () {
    Object.keys(pending).forEach(function (studentId) {
      if (!pending[studentId].incomplete && !pending[studentId].edit) send(studentId);
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (Object.keys(pending).length || Object.keys(saving).length) {
      event.preventDefault();
      event.returnValue = text.leave;
      return text.leave;
    }
    return undefined;
  });

  // --- start: put back what this browser still holds, and send it ------------------------------
  Object.keys(pending).forEach(function (studentId) {
    var r = rowIndexOf(studentId);
    var entry = pending[studentId];
    if (r === -1 || !entry || !Array.isArray(entry.values)) {
      delete pending[studentId];
      return;
    }
    if (entry.edit || entry.replace) startEdit(r, 0);
    entry.values.forEach(function (v, c) {
      if (grid[r][c]) grid[r][c].value = v;
    });
    rows[r].dataset.dirty = "1";
    if (entry.day) dateInput.value = entry.day;
    if (entry.edit) {
      if (checkRow(r)) setState(r, text.editReady, "partial");
    } else if (checkRow(r)) {
      setState(r, text.offline, "pending");
      send(studentId);
    }
  });
  storePending(pending);
  updateStatus();
  var firstEmpty = null;
  grid.some(function (cells, r) {
    if (isLocked(r)) return false;
    return cells.some(function (input) {
      if (input.value === "") {
        firstEmpty = input;
        return true;
      }
      return false;
    });
  });
  (firstEmpty || (grid[0] && grid[0][0]) || dateInput).focus();
})();
