/* A public board on a lobby TV (templates/boards.html, dashboard/boards_routes.py). Plain ES5, for the
   cheapest TV browser. It draws the figures it was given, asks <this page>/data every refresh_s seconds,
   and counts each figure's age on by itself: while the server does not answer (a restart) the last figures
   stay with their growing age, and the board carries on when it answers again. A link that is revoked (410)
   or unknown (404) clears the figures and says "Tautan tidak berlaku"; it never asks again. */
(function () {
  "use strict";
  var DAYS = ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"];
  var MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember"];
  var WITA_MS = 8 * 3600 * 1000;
  var doc = null, fetchedAt = 0, offset = 0, awaySince = 0, dead = false, refreshS = 10, timer = null;

  function el(id) { return document.getElementById(id); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function wita(ms) { return new Date(ms + WITA_MS); }  /* read with getUTC*: WITA is UTC+8, no summer time */
  function hhmm(ms, seconds) {
    var d = wita(ms);
    return pad(d.getUTCHours()) + "." + pad(d.getUTCMinutes()) + (seconds ? "." + pad(d.getUTCSeconds()) : "");
  }
  function ageWords(s) {
    if (s < 60) { return "baru saja"; }
    if (s < 3600) { return Math.floor(s / 60) + " menit lalu"; }
    if (s < 86400) { return Math.floor(s / 3600) + " jam lalu"; }
    return Math.floor(s / 86400) + " hari lalu";
  }
  function text(node, value) { node.textContent = value; return node; }
  function make(tag, cls, value) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (value !== undefined) { text(node, value); }
    return node;
  }

  function draw() {
    if (!doc || dead) { return; }
    text(el("board-title"), doc.title);
    text(el("board-unit"), doc.unit);
    document.title = doc.title;
    var hours = el("board-hours");
    hours.innerHTML = "";
    hours.appendChild(make("span", "state" + (doc.hours.open ? " open" : ""), doc.hours.today));
    hours.appendChild(make("span", "week", "Jam layanan: " + doc.hours.week));
    var figures = el("board-figures");
    figures.innerHTML = "";
    figures.className = "board-figures n" + doc.figures.length;
    for (var i = 0; i < doc.figures.length; i++) {
      var f = doc.figures[i];
      var card = make("div", "fig");
      card.setAttribute("data-role", f.role);
      card.appendChild(make("div", "fig-label", f.label));
      card.appendChild(make("div", "fig-value", f.value === null ? "–" : f.value));
      card.appendChild(make("div", "fig-age"));
      figures.appendChild(card);
    }
    var notice = doc.announcement;
    el("board-notice").hidden = !notice;
    if (notice) { fit(text(el("board-notice-text"), notice.text)); }
    ages();
  }

  function fit(node) {  /* a long announcement shrinks until it fits its box, never below half size */
    node.style.fontSize = "";
    var box = el("board-notice"), size = 4.2;
    while (box.scrollHeight > box.clientHeight + 1 && size > 2.2) {
      size -= 0.2;
      node.style.fontSize = size + "vh";
    }
  }

  function ages() {
    var since = (Date.now() - fetchedAt) / 1000;
    var cards = el("board-figures").children;
    for (var i = 0; i < cards.length && i < doc.figures.length; i++) {
      var f = doc.figures[i], card = cards[i], line = card.lastChild;
      line.innerHTML = "";
      if (f.value === null) {
        card.className = "fig none";
        line.appendChild(make("span", "fig-flag", "BELUM ADA"));
        line.appendChild(document.createTextNode(f.age));
        continue;
      }
      var age = f.age_s + since;
      var stale = age > f.stale_after_s;
      card.className = "fig" + (stale ? " stale" : "");
      if (stale) { line.appendChild(make("span", "fig-flag", "DATA LAMA")); }
      line.appendChild(document.createTextNode("diperbarui " + ageWords(age)));
    }
    var status = el("board-status");
    if (awaySince) {
      status.className = "board-status away";
      text(status, "Server tidak menjawab sejak pukul " + hhmm(awaySince + offset, false) +
        " WITA · angka terakhir tetap tampil dengan umurnya");
    } else {
      status.className = "board-status";
      text(status, "Diperbarui pukul " + hhmm(fetchedAt + offset, true) + " WITA · setiap " + refreshS + " detik");
    }
  }

  function clock() {
    var now = Date.now() + offset, d = wita(now);
    text(el("board-time"), hhmm(now, false));
    text(el("board-date"), DAYS[d.getUTCDay()] + ", " + d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " +
      d.getUTCFullYear());
    if (doc && !dead) { ages(); }
  }

  function take(fresh) {
    doc = fresh;
    fetchedAt = Date.now();
    offset = fresh.now_ms - fetchedAt;  /* the TV's own clock may be wrong: the server's is the regency's */
    refreshS = fresh.refresh_s || refreshS;
    awaySince = 0;
    draw();
  }

  function die() {
    dead = true;
    doc = null;
    var live = el("board-live");
    if (live) { live.parentNode.removeChild(live); }  /* the figures go, not just out of sight */
    el("board-gone").hidden = false;
    text(el("board-status"), "");
    if (timer) { clearTimeout(timer); }
  }

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", window.location.pathname + "/data", true);
    xhr.timeout = 8000;
    xhr.onload = function () {
      if (xhr.status === 200) {
        try { take(JSON.parse(xhr.responseText)); } catch (e) { away(); }
      } else if (xhr.status === 404 || xhr.status === 410) {
        die();
      } else if (xhr.status !== 429) {
        away();  /* 5xx, a proxy's page: keep what we have */
      }  /* 429: asked too often (a second TV on this link); the footer's time says how old the figures are */
      next();
    };
    xhr.onerror = xhr.ontimeout = function () { away(); next(); };
    xhr.send();
  }
  function away() { if (!awaySince) { awaySince = Date.now(); } }
  function next() { if (!dead) { timer = setTimeout(poll, refreshS * 1000); } }

  function start() {
    var board = el("board");
    refreshS = parseInt(board.getAttribute("data-refresh"), 10) || 10;
    if (board.getAttribute("data-status") !== "200") { die(); clock(); setInterval(clock, 1000); return; }
    var first = null;
    try { first = JSON.parse(el("board-doc").textContent); } catch (e) { first = null; }
    if (first) { take(first); }
    clock();
    setInterval(clock, 1000);
    next();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
