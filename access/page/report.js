(function () {
  "use strict";
  // The data: see access/html.go. Strings are interned in S (S[0] is
  // ""); each grant is W numbers in G; a user's grants are those from
  // ustart[u] to ustart[u+1].
  var T0 = performance.now();
  var D = JSON.parse(document.getElementById("access-data").textContent);
  var timings = { parse: performance.now() - T0 };
  var S = D.s, G = D.g, W = D.w, U = D.users;
  var NU = U.id.length, N = G.length / W;
  var VIA = ["direct", "group", "department", "dynamic", "workspace role", "role", "data permission", "everyone", "other"];
  var STATUS = ["", "same on the server", "differs on the server", "files only", "server only", "not shown by the server"];
  var STATUS_CLASS = ["", "st-same", "st-differs", "st-filesOnly", "st-serverOnly", "st-unshown"];
  var ROW = 28;
  // Browsers lay out no element taller than some 17.9 (Firefox) to 33.5
  // (Chromium) million pixels: past MAXH the table's scroll height stays
  // MAXH and a scroll position stands for its share of all the rows.
  var MAXH = 8000000;
  var F = { SPACE: 0, KIND: 1, WHAT: 2, PATH: 3, EXPIRES: 4, RULE: 5, STATUS: 6, NOTE: 7, FLAGS: 8 };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // The user of every grant, and the lower-case ids and names.
  var guser = new Int32Array(N);
  for (var u = 0; u < NU; u++) {
    for (var i = U.start[u]; i < U.start[u + 1]; i++) guser[i] = u;
  }
  var lowID = new Array(NU), lowName = new Array(NU), byID = new Map();
  for (u = 0; u < NU; u++) {
    lowID[u] = S[U.id[u]].toLowerCase();
    lowName[u] = S[U.name[u]].toLowerCase();
    byID.set(lowID[u], true);
  }
  var lowS = null;
  function lower(i) {
    if (lowS === null) lowS = S.map(function (s) { return s.toLowerCase(); });
    return lowS[i];
  }

  // Header: what the report is, its notes, cards.
  var m = D.meta;
  $("meta").textContent = m.provider + " · " + m.sourceText + (m.generated ? " · generated " + m.generated : "") + (m.zone ? " · times in UTC" + m.zone : "");
  (m.notes || []).forEach(function (n) { $("notes").appendChild(el("li", "", n)); });
  var counts = { via: [0, 0, 0, 0, 0, 0, 0, 0, 0], expired: 0, soon: 0, status: [0, 0, 0, 0, 0, 0] };
  for (i = 0; i < N; i++) {
    var fl = G[i * W + F.FLAGS];
    counts.via[(fl >> 4) & 15]++;
    if (fl & 1) counts.expired++;
    if (fl & 2) counts.soon++;
    counts.status[G[i * W + F.STATUS]]++;
  }
  function card(n, label, cls) {
    var c = el("div", "card " + (cls || ""));
    c.appendChild(el("b", "", n.toLocaleString("en-US")));
    c.appendChild(el("span", "", label));
    $("cards").appendChild(c);
  }
  card(NU, "users");
  card(N, "grants");
  card(D.spaces.length, m.spaceLabel + (D.spaces.length === 1 ? "" : "s"));
  card(counts.via[0], "direct");
  card(counts.via[1], "via a group");
  // A provider without departments (Quick BI) shows neither their card
  // nor their filter.
  if (D.depts.length) card(counts.via[2], "via a department");
  else $("f-dept").hidden = true;
  if (counts.via[3]) card(counts.via[3], "dynamic rules");
  if (counts.via[4]) card(counts.via[4], "via a workspace role");
  // The legend and the path filter name the paths of this report only: a
  // Quick BI report has no departments or dynamic rules, a Youdata one no
  // workspace roles.
  var paths = [];
  for (i = 0; i < 8; i++) {
    if (counts.via[i]) {
      paths.push(i);
      $("legend-paths").appendChild(el("span", "badge v" + i, VIA[i]));
    }
  }
  card(counts.soon, "expire within 30 days", counts.soon ? "soon" : "");
  card(counts.expired, "expired", counts.expired ? "expired" : "");
  if (m.compared) {
    for (i = 2; i < STATUS.length; i++) card(counts.status[i], STATUS[i], STATUS_CLASS[i]);
  }

  // Filters.
  function fill(id, list, label) {
    var s = $(id);
    list.forEach(function (v) {
      var o = el("option", "", label ? label(v) : S[v]);
      o.value = String(v);
      s.appendChild(o);
    });
  }
  $("f-space-all").textContent = "All " + m.spaceLabel + "s";
  $("f-space").setAttribute("aria-label", cap(m.spaceLabel));
  $("h-space").textContent = cap(m.spaceLabel);
  fill("f-space", D.spaces);
  fill("f-group", D.groups);
  fill("f-dept", D.depts, function (v) {
    var n = D.deptNames[D.depts.indexOf(v)];
    return n ? S[v] + " " + S[n] : S[v];
  });
  fill("f-rule", D.rules);
  fill("f-kind", D.kinds);
  fill("f-via", paths, function (v) { return VIA[v]; });
  if (m.compared) {
    fill("f-status", [1, 2, 3, 4, 5], function (v) { return STATUS[v]; });
  } else {
    $("f-status").hidden = true;
  }

  timings.index = performance.now() - T0;
  var sel = new Int32Array(N), nsel = 0;
  function num(id) { var v = $(id).value; return v === "" ? -1 : +v; }
  function apply() {
    var t0 = performance.now();
    var qu = $("q-user").value.trim().toLowerCase();
    var qw = $("q-what").value.trim().toLowerCase();
    var fs = num("f-space"), fg = num("f-group"), fd = num("f-dept"), fr = num("f-rule");
    var fk = num("f-kind"), fv = num("f-via"), fst = num("f-status");
    var umask = null;
    if (qu !== "" || fg >= 0 || fd >= 0) {
      umask = new Uint8Array(NU);
      // An id given whole shows that user (those, when ids differ in case
      // only), not every id it is part of.
      var exact = qu !== "" && byID.has(qu);
      for (var u = 0; u < NU; u++) {
        var ok = exact ? lowID[u] === qu : qu === "" || lowID[u].indexOf(qu) >= 0 || lowName[u].indexOf(qu) >= 0;
        if (ok && fg >= 0) ok = U.groups[u].indexOf(fg) >= 0;
        if (ok && fd >= 0) ok = U.depts[u].indexOf(fd) >= 0;
        umask[u] = ok ? 1 : 0;
      }
    }
    var wcache = qw === "" ? null : new Map();
    function wmatch(s) {
      var r = wcache.get(s);
      if (r === undefined) { r = lower(s).indexOf(qw) >= 0; wcache.set(s, r); }
      return r;
    }
    var n = 0, users = 0, last = -1;
    for (var i = 0; i < N; i++) {
      var b = i * W;
      if (umask !== null && !umask[guser[i]]) continue;
      if (fs >= 0 && G[b + F.SPACE] !== fs) continue;
      if (fk >= 0 && G[b + F.KIND] !== fk) continue;
      if (fr >= 0 && G[b + F.RULE] !== fr) continue;
      if (fv >= 0 && ((G[b + F.FLAGS] >> 4) & 15) !== fv) continue;
      if (fst >= 0 && G[b + F.STATUS] !== fst) continue;
      if (wcache !== null && !wmatch(G[b + F.WHAT]) && !wmatch(G[b + F.PATH])) continue;
      sel[n++] = i;
      if (guser[i] !== last) { users++; last = guser[i]; }
    }
    nsel = n;
    // The user's view describes a user of the table: once the filters
    // leave that user no row, it closes.
    if (viewUser >= 0) {
      var still = false;
      for (var k = 0; k < n && !still; k++) still = guser[sel[k]] === viewUser;
      if (!still) closeUser();
    }
    var c = $("count");
    c.textContent = n.toLocaleString("en-US") + " of " + N.toLocaleString("en-US") + " grants, " + users.toLocaleString("en-US") + " users";
    c.setAttribute("data-rows", String(n));
    c.setAttribute("data-users", String(users));
    $("spacer").style.height = Math.min(n * ROW, MAXH) + "px";
    $("empty").hidden = n > 0;
    $("viewport").scrollTop = 0;
    render();
    timings.filter = performance.now() - t0;
  }

  // The table renders only the rows in view.
  var pool = [];
  function render() {
    var vp = $("viewport"), rows = $("rows");
    // top: where the view starts in the whole list of rows, in pixels.
    var st = vp.scrollTop, vh = vp.clientHeight, full = nsel * ROW, top = st;
    if (full > MAXH && MAXH > vh) top = st * (full - vh) / (MAXH - vh);
    var first = Math.max(0, Math.floor(top / ROW) - 5);
    var count = Math.ceil(vh / ROW) + 10;
    var end = Math.min(nsel, first + count);
    rows.style.top = (st - (top - first * ROW)) + "px";
    while (pool.length < end - first) {
      var r = el("div", "row");
      for (var k = 0; k < 8; k++) r.appendChild(el("div"));
      r.children[0].className = "u";
      r.children[0].addEventListener("click", onUser);
      pool.push(r);
      rows.appendChild(r);
    }
    for (var j = 0; j < pool.length; j++) {
      var row = pool[j];
      if (first + j >= end) { row.hidden = true; continue; }
      row.hidden = false;
      var i = sel[first + j], b = i * W, u = guser[i], c = row.children;
      row.setAttribute("data-user", S[U.id[u]]);
      row.setAttribute("data-space", S[G[b + F.SPACE]]);
      c[0].textContent = S[U.id[u]];
      c[0].setAttribute("data-u", String(u));
      c[1].textContent = S[U.name[u]];
      c[2].textContent = S[G[b + F.SPACE]];
      c[3].textContent = S[G[b + F.KIND]];
      c[4].textContent = S[G[b + F.WHAT]];
      c[4].title = S[G[b + F.WHAT]];
      c[5].textContent = "";
      var fl = G[b + F.FLAGS], via = (fl >> 4) & 15;
      c[5].appendChild(el("span", "badge v" + via, VIA[via]));
      c[5].appendChild(document.createTextNode(" " + S[G[b + F.PATH]]));
      c[5].title = S[G[b + F.PATH]];
      c[6].textContent = S[G[b + F.EXPIRES]];
      c[6].className = fl & 1 ? "expired" : fl & 2 ? "soon" : "";
      var st = G[b + F.STATUS];
      c[7].textContent = STATUS[st];
      c[7].className = STATUS_CLASS[st];
      c[7].title = S[G[b + F.NOTE]];
    }
  }

  // The per-user view reads like permsync explain.
  var viewUser = -1;
  function onUser(ev) { showUser(+ev.currentTarget.getAttribute("data-u")); }
  function closeUser() {
    viewUser = -1;
    $("user-view").hidden = true;
    $("user-view").removeAttribute("data-user");
  }
  function showUser(u) {
    viewUser = u;
    var v = $("user-body");
    v.textContent = "";
    v.appendChild(el("h2", "", S[U.id[u]] + (U.name[u] && S[U.name[u]] !== S[U.id[u]] ? " (" + S[U.name[u]] + ")" : "")));
    var who = [];
    if (U.depts[u].length) {
      who.push("Departments: " + U.depts[u].map(function (d) {
        var n = D.deptNames[D.depts.indexOf(d)];
        return n ? S[d] + " (" + S[n] + ")" : S[d];
      }).join(", "));
    }
    if (U.groups[u].length) who.push("Groups: " + U.groups[u].map(function (g) { return S[g]; }).join(", "));
    if (U.left[u]) who.push("The user has left (cannot log in).");
    who.forEach(function (t) { v.appendChild(el("div", "who", t)); });
    var space = -1, n = 0;
    for (var i = U.start[u]; i < U.start[u + 1]; i++) {
      var b = i * W;
      if (G[b + F.SPACE] !== space) {
        space = G[b + F.SPACE];
        v.appendChild(el("h3", "", space === 0 ? (m.domainLabel ? cap(m.domainLabel) : "Domain") : cap(m.spaceLabel) + " " + S[space]));
      }
      var line = el("div", "line");
      line.appendChild(el("span", "kind", S[G[b + F.KIND]]));
      var body = el("span");
      body.appendChild(el("span", "what", S[G[b + F.WHAT]]));
      body.appendChild(document.createTextNode(" — "));
      var fl = G[b + F.FLAGS], via = (fl >> 4) & 15;
      body.appendChild(el("span", "badge v" + via, VIA[via]));
      body.appendChild(el("span", "path", " " + S[G[b + F.PATH]]));
      if (fl & 1) body.appendChild(el("span", "expired", "  expired"));
      var st = G[b + F.STATUS];
      if (st > 1) {
        var note = S[G[b + F.NOTE]];
        body.appendChild(el("span", STATUS_CLASS[st], "  [" + STATUS[st] + (note ? ": " + note : "") + "]"));
      }
      line.appendChild(body);
      v.appendChild(line);
      n++;
    }
    v.appendChild(el("p", "who", n === 0 ? "Nothing reaches this user." : n + (n === 1 ? " grant." : " grants.")));
    $("user-view").hidden = false;
    $("user-view").setAttribute("data-user", S[U.id[u]]);
    // A new user's view starts at its top, not where the last one was left.
    $("user-view").scrollTop = 0;
  }
  function cap(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }

  var timer = 0;
  function later() { clearTimeout(timer); timer = setTimeout(apply, 150); }
  $("q-user").addEventListener("input", later);
  $("q-what").addEventListener("input", later);
  ["f-space", "f-group", "f-dept", "f-rule", "f-kind", "f-via", "f-status"].forEach(function (id) {
    $(id).addEventListener("change", apply);
  });
  $("clear").addEventListener("click", function () {
    $("q-user").value = ""; $("q-what").value = "";
    ["f-space", "f-group", "f-dept", "f-rule", "f-kind", "f-via", "f-status"].forEach(function (id) { $(id).value = ""; });
    apply();
  });
  $("close-user").addEventListener("click", closeUser);
  // The header row sits outside the scrolled viewport: it follows its
  // horizontal scroll, so that columns stay under their names.
  var thead = document.querySelector("#table .thead");
  $("viewport").addEventListener("scroll", function () {
    thead.style.transform = "translateX(" + (-$("viewport").scrollLeft) + "px)";
    window.requestAnimationFrame(render);
  });
  window.addEventListener("resize", function () { window.requestAnimationFrame(render); });
  apply();
  timings.ready = performance.now() - T0;
  // For tests and for whoever wonders how long the page took.
  window.permsyncAccess = { timings: timings, shown: function () { return nsel; } };
  document.body.setAttribute("data-ready", "1");
})();
