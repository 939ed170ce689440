// xlkpi serve: the board's filter, sort and live update, and the upload's drag and drop.
// No inline script anywhere (the Content-Security-Policy allows only this file); every text shown comes
// escaped from the server's templates.
"use strict";

(function () {
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }

  // -- drag and drop onto the upload form: the files go in the form's input, then the form is sent
  var upload = document.getElementById("upload");
  if (upload) {
    var input = document.getElementById("files");
    ["dragenter", "dragover"].forEach(function (name) {
      upload.addEventListener(name, function (event) { event.preventDefault(); upload.classList.add("over"); });
    });
    upload.addEventListener("dragleave", function () { upload.classList.remove("over"); });
    upload.addEventListener("drop", function (event) {
      event.preventDefault();
      upload.classList.remove("over");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        send();
      }
    });
    input.addEventListener("change", function () { if (input.files.length) { send(); } });
    upload.addEventListener("submit", function () { mark(); });
    function mark() {
      upload.classList.add("busy");
      document.getElementById("upload-note").textContent = "Đang tải lên và thu nhận " + input.files.length + " tệp…";
    }
    function send() { mark(); upload.submit(); }
  }

  // -- the board: every unit's line arrives as JSON (UnitStatus.to_dict(), compacted); the rows matching the
  // filter are drawn PAGE at a time with textContent (a unit's text is never parsed as HTML)
  var table = document.getElementById("board");
  var source = document.getElementById("board-data");
  if (!table || !source) { return; }
  var body = table.querySelector("tbody");
  var search = document.getElementById("search");
  var filter = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var live = document.getElementById("live");
  var more = document.getElementById("more");
  var all = document.getElementById("all");
  var summary = document.getElementById("summary");
  var PAGE = 400;
  var REVIEW = { waiting: "Chờ duyệt", approved: "Đã duyệt", returned: "Bị trả lại" };
  var data, units = [], limit = PAGE, sortKey = null, sortDir = 1;

  function load(payload) {
    data = payload;
    var c = {};
    payload.columns.forEach(function (name, i) { c[name] = i; });
    units = payload.rows.map(function (row) {
      return {
        code: row[c.unit], name: row[c.name], level: payload.levels[row[c.level]], state: row[c.state],
        label: payload.labels[row[c.state_vi]], received: row[c.received_at], late: row[c.late] === 1,
        review: row[c.review], errors: row[c.errors], warnings: row[c.warnings], afterLock: row[c.after_lock] === 1,
        file: row[c.file], search: fold(row[c.unit] + " " + row[c.name] + " " + (payload.parents[row[c.parent]] || ""))
      };
    });
  }

  function wanted(unit, words, kind) {
    if (words && unit.search.indexOf(words) < 0) { return false; }
    switch (kind) {
      case "": return true;
      case "problem": return unit.state === "resubmit" || unit.state === "missing" || unit.review === "waiting";
      case "after_lock": return unit.afterLock;
      case "waiting": case "approved": case "returned": return unit.review === kind;
      default: return unit.state === kind;
    }
  }

  var KEYS = {
    code: function (u) { return u.code; }, name: function (u) { return u.name; },
    level: function (u) { return u.level; }, state: function (u) { return u.label; },
    received: function (u) { return u.received; }, review: function (u) { return REVIEW[u.review] || ""; },
    problems: function (u) { return u.errors * 100000 + u.warnings; }
  };

  function shownTime(iso) {  // "2025-12-15 09:00:00" -> "15/12/2025 09:00"
    return iso ? iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4) + " " + iso.slice(11, 16) : "";
  }

  function cell(row, text, className) {
    var td = row.insertCell();
    if (className) {
      var tag = document.createElement("span");
      tag.className = "tag " + className;
      tag.textContent = text;
      td.appendChild(tag);
    } else {
      td.textContent = text;
    }
    return td;
  }

  var matching = [], drawn = 0;

  function row(u) {
    var tr = document.createElement("tr");
    tr.dataset.code = u.code;
    tr.dataset.state = u.state;
    tr.dataset.review = u.review;
    var link = document.createElement("a");
    link.href = "/unit/" + encodeURIComponent(u.code);
    link.textContent = u.code;
    tr.insertCell().appendChild(link);
    cell(tr, u.name);
    cell(tr, u.level);
    var state = cell(tr, u.label, u.state);
    if (u.afterLock) {
      state.appendChild(document.createTextNode(" "));
      state.appendChild(tag("gửi sau khi chốt", "after"));
    }
    cell(tr, shownTime(u.received));
    if (u.review) { cell(tr, REVIEW[u.review], "r-" + u.review); } else { cell(tr, ""); }
    var problems = cell(tr, "");
    if (u.errors) { problems.appendChild(tag(u.errors + " lỗi", "resubmit")); }
    if (u.warnings) { problems.appendChild(tag(u.warnings + " cảnh báo", "late")); }
    cell(tr, u.file).className = "file";
    return tr;
  }

  // the units matching the filter, sorted
  function select() {
    var words = fold(search.value), kind = filter.value;
    matching = units.filter(function (u) { return wanted(u, words, kind); });
    if (sortKey) {
      var key = KEYS[sortKey];
      matching.sort(function (a, b) {
        var x = key(a), y = key(b);
        return (typeof x === "number" ? x - y : String(x).localeCompare(String(y), "vi")) * sortDir;
      });
    }
  }

  // the first `limit` of them drawn afresh
  function draw() {
    select();
    drawn = 0;
    body.replaceChildren();
    extend();
    table.querySelectorAll("th button").forEach(function (button) {
      if (button.dataset.key === sortKey) { button.dataset.dir = sortDir > 0 ? "asc" : "desc"; }
      else { delete button.dataset.dir; }
    });
  }

  // more rows at the end of those drawn (the ones above stay as they are)
  function extend() {
    var rows = document.createDocumentFragment();
    var end = Math.min(limit, matching.length);
    for (var i = drawn; i < end; i += 1) { rows.appendChild(row(matching[i])); }
    body.appendChild(rows);
    drawn = end;
    shown.textContent = "Đang hiện " + drawn + "/" + matching.length + " đơn vị" +
      (matching.length !== units.length ? " (trong " + units.length + ")" : "");
    var left = matching.length - drawn;
    more.hidden = all.hidden = left <= 0;
    more.textContent = "Hiện thêm " + Math.min(PAGE, left) + " đơn vị";
    all.textContent = "Hiện tất cả " + matching.length + " đơn vị";
  }

  function signature(u) {
    return [u.name, u.level, u.state, u.label, u.received, u.review, u.errors, u.warnings, u.afterLock, u.file]
      .join("\u0001");
  }

  // a change from elsewhere: when the rows drawn stay the same units in the same order, only the rows that
  // changed are drawn again (a board showing every unit is not laid out anew for one approval)
  function refresh(payload) {
    var before = {};
    units.forEach(function (u) { before[u.code] = signature(u); });
    var order = matching.slice(0, drawn).map(function (u) { return u.code; }).join("\n");
    var count = matching.length;
    load(payload);
    select();
    var end = Math.min(limit, matching.length);
    if (matching.length !== count || end !== drawn ||
        matching.slice(0, end).map(function (u) { return u.code; }).join("\n") !== order) {
      drawn = 0;
      body.replaceChildren();
      extend();
      return;
    }
    var current = body.rows;
    for (var i = 0; i < end; i += 1) {
      if (before[matching[i].code] !== signature(matching[i])) { current[i].replaceWith(row(matching[i])); }
    }
  }

  function tag(text, className) {
    var span = document.createElement("span");
    span.className = "tag " + className;
    span.textContent = text;
    return span;
  }

  table.querySelector("thead").addEventListener("click", function (event) {
    var button = event.target.closest("th button");
    if (!button) { return; }
    if (sortKey === button.dataset.key) { sortDir = -sortDir; } else { sortKey = button.dataset.key; sortDir = 1; }
    draw();
  });
  search.addEventListener("input", function () { limit = PAGE; draw(); });
  filter.addEventListener("change", function () { limit = PAGE; draw(); });
  more.addEventListener("click", function () { limit += PAGE; extend(); });
  all.addEventListener("click", function () { limit = Infinity; extend(); });
  load(JSON.parse(source.textContent));
  draw();

  // -- live: another user's change (or a collect from the command line) reaches this board without a reload
  var busy = false;
  function stamp(text) { live.textContent = text + " " + new Date().toLocaleTimeString("vi-VN"); }
  function poll() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch("/api/version", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { window.location.href = "/login?next=/"; throw new Error("login"); }
        return response.json();
      })
      .then(function (answer) {
        if (answer.version === data.version) { stamp("Đã cập nhật lúc"); return null; }
        return fetch("/api/board", { credentials: "same-origin", cache: "no-store" })
          .then(function (response) { return response.json(); })
          .then(function (payload) {
            summary.innerHTML = payload.summary;  // rendered and escaped by the server's template
            refresh(payload);
            stamp("Có thay đổi mới, cập nhật lúc");
          });
      })
      .catch(function () { stamp("Mất kết nối, thử lại lúc"); })
      .then(function () { busy = false; });
  }
  window.setInterval(poll, 2000);
  document.addEventListener("visibilitychange", poll);
})();
