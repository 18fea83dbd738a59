// The call center's share of the browser: clocks that keep running between refreshes, and the incident
// page's keyboard (its keys, and the focus placed where the operator works next). Nothing here writes:
// every key presses one of the page's own buttons, whose callbacks check roles and versions as ever.
(function () {
  "use strict";

  // -- clocks: a ".timer[data-elapsed]" counts on from the seconds the server saw when it drew it (the
  //    browser's own clock may be wrong), and turns warning / alarm at data-warn / data-alarm seconds.
  var TONES = ["ok", "warning", "alarm"];

  function clockText(s) {
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + two(m) + ":" + two(sec) : m + ":" + two(sec);
  }

  function tick() {
    var now = Date.now();
    var timers = document.querySelectorAll(".timer[data-elapsed]");
    for (var i = 0; i < timers.length; i++) {
      var el = timers[i];
      var base = el.getAttribute("data-elapsed");
      if (el._sccBase !== base) { // drawn anew (or its attributes changed): count from here
        el._sccBase = base;
        el._sccSeen = now;
      }
      var s = parseInt(base, 10) + Math.floor((now - el._sccSeen) / 1000);
      if (s >= 86400) {
        continue; // a day and more is said in words by the server
      }
      var text = el.querySelector(".timer-text");
      var shown = clockText(s);
      if (text && text.textContent !== shown) {
        text.textContent = shown;
      }
      if (el.hasAttribute("data-alarm")) {
        var tone = s >= parseInt(el.getAttribute("data-alarm"), 10) ? "alarm"
          : s >= parseInt(el.getAttribute("data-warn"), 10) ? "warning" : "ok";
        if (el.getAttribute("data-tone") !== tone) {
          el.setAttribute("data-tone", tone);
          for (var t = 0; t < TONES.length; t++) {
            el.classList.toggle("tone-" + TONES[t], TONES[t] === tone);
          }
          var icon = el.querySelector(".icon");
          if (icon) {
            icon.className = "icon icon-" + tone;
          }
        }
      }
    }
  }
  window.setInterval(tick, 1000);

  // -- the incident page's focus: the server marks its actions panel with the element the operator
  //    works on next (data-focus) and a new token each time it draws it; focus goes there once per token.
  var lastToken = null;

  function usable(el) {
    return !!el && !el.disabled && el.offsetParent !== null && !el.closest("[hidden]");
  }

  function placeFocus() {
    var wrap = document.getElementById("incident-actions-wrap");
    if (!wrap) {
      lastToken = null;
      return;
    }
    var token = wrap.getAttribute("data-focus-token");
    if (token === lastToken) {
      return;
    }
    lastToken = token;
    var target = document.getElementById(wrap.getAttribute("data-focus") || "");
    if (usable(target)) {
      target.focus({ preventScroll: false });
    }
  }
  new MutationObserver(placeFocus).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["data-focus-token"],
  });

  // -- the incident page's keys (listed on the page, in its actions panel).
  var KEYS = {
    "1": "incident-dispatch", "2": "incident-to-on_scene", "3": "incident-to-resolved",
    "4": "incident-to-closed", "8": "incident-to-cancelled", "9": "incident-to-prank",
  };

  function press(id) {
    var button = document.getElementById(id);
    if (usable(button)) {
      button.click();
      return true;
    }
    return false;
  }

  // -- the board's key: N takes a new call (the board's own "take a call" link, for those who may).
  document.addEventListener("keydown", function (e) {
    var take = document.getElementById("board-take-call");
    if (!take || e.defaultPrevented || e.altKey || e.metaKey || e.ctrlKey || e.isComposing) {
      return;
    }
    var el = e.target;
    var tag = (el.tagName || "").toLowerCase();
    if (tag === "textarea" || tag === "input" || tag === "select" || el.isContentEditable) {
      return;
    }
    if (e.key === "n" || e.key === "N") {
      e.preventDefault();
      take.click();
    }
  });

  document.addEventListener("keydown", function (e) {
    var wrap = document.getElementById("incident-actions-wrap");
    if (!wrap || e.defaultPrevented || e.altKey || e.metaKey || e.isComposing) {
      return;
    }
    var el = e.target;
    var tag = (el.tagName || "").toLowerCase();
    if (e.key === "Escape") {
      var open = wrap.querySelector(".incident-confirm:not([hidden]) .confirm-keep");
      if (open) {
        e.preventDefault();
        open.click();
      }
      return;
    }
    if (e.key === "Enter" && !e.ctrlKey && !e.shiftKey && el.id === "incident-unit") {
      e.preventDefault(); // a native list would only open; here Enter sends the unit it shows
      press("incident-dispatch");
      return;
    }
    if (e.key === "Enter" && e.ctrlKey && el.id === "incident-note") {
      e.preventDefault();
      press("incident-add-note");
      return;
    }
    var typing = tag === "textarea" || tag === "input" || el.isContentEditable;
    if (typing || e.ctrlKey || e.shiftKey) {
      return;
    }
    if (KEYS[e.key]) {
      if (press(KEYS[e.key])) {
        e.preventDefault();
      }
    } else if (e.key === "n" || e.key === "N") {
      var note = document.getElementById("incident-note");
      if (usable(note)) {
        e.preventDefault();
        note.focus();
      }
    }
  });
})();
