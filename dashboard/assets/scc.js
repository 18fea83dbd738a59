// The browser's share of the wall: the WITA clock, kiosk mode, and fitting panels to the screen.
// Everything here runs in the browser so it costs the server nothing.
(function () {
  "use strict";

  var KIOSK_KEY = "scc-kiosk";
  var MORE_ROOM = 40; // px kept free at the foot of a cut list for its "+N more"
  var root = document.documentElement;

  // -- kiosk mode: ?kiosk=1 on any page (kept for this browser session), ?kiosk=0 to leave;
  //    or always, for a wall account (the server marks the shell "kiosk-user").
  function kioskAsked() {
    var asked = new URLSearchParams(window.location.search).get("kiosk");
    try {
      if (asked === "1" || asked === "true") {
        window.sessionStorage.setItem(KIOSK_KEY, "1");
      } else if (asked === "0" || asked === "false") {
        window.sessionStorage.removeItem(KIOSK_KEY);
      }
      return window.sessionStorage.getItem(KIOSK_KEY) === "1";
    } catch (e) {
      return asked === "1" || asked === "true";
    }
  }

  function largeScreen() {
    return window.innerWidth >= 1600 && window.innerHeight >= 880; // a wall, or a full-HD screen with its browser
  }

  function applyModes() {
    var kiosk = kioskAsked() || !!document.querySelector(".shell.kiosk-user");
    root.classList.toggle("kiosk", kiosk);
    // Fit mode: the page is exactly one screen; panels cut their lists to what fits.
    root.classList.toggle("fit-mode", kiosk || (largeScreen() && !!document.querySelector(".fit-screen")));
  }

  // -- fitting: in fit mode a ".fit" box has the height the screen leaves it; hide the ".fit-item"s
  //    that fall below its bottom and say how many in the panel's ".fit-more" ("+12 more").
  function formatCount(n) {
    return n.toLocaleString(root.lang === "en" ? "en-GB" : "id-ID");
  }

  function fitBox(box) {
    var items = box.querySelectorAll(".fit-item");
    var i;
    for (i = 0; i < items.length; i++) {
      if (items[i].hidden) {
        items[i].hidden = false;
      }
    }
    var hidden = 0;
    var more = box.parentElement && box.parentElement.querySelector(":scope > .fit-more");
    if (root.classList.contains("fit-mode") && box.scrollHeight > box.clientHeight + 1) {
      // Leave room at the foot for the "+N more" line that will stand over it.
      var bottom = box.getBoundingClientRect().bottom + 0.5 - (more ? MORE_ROOM : 0);
      var cut = -1;
      for (i = 0; i < items.length; i++) {
        if (items[i].getBoundingClientRect().bottom > bottom) {
          cut = i;
          break;
        }
      }
      if (cut >= 0) {
        for (i = cut; i < items.length; i++) {
          items[i].hidden = true;
        }
        hidden = items.length - cut;
      }
    }
    if (more) {
      var extra = parseInt(more.getAttribute("data-extra") || "0", 10) || 0;
      var total = root.classList.contains("fit-mode") ? hidden + extra : 0;
      var text = total ? (more.getAttribute("data-more") || "+{n}").replace("{n}", formatCount(total)) : "";
      if (more.textContent !== text) {
        more.textContent = text;
      }
    }
  }

  var scheduled = false;
  function refit() {
    if (scheduled) {
      return;
    }
    scheduled = true;
    window.requestAnimationFrame(function () {
      scheduled = false;
      applyModes();
      var boxes = document.querySelectorAll(".fit");
      for (var i = 0; i < boxes.length; i++) {
        fitBox(boxes[i]);
      }
      // Dash's dropdown keeps a hidden (aria-hidden) input in the tab order: keyboard users would land
      // on nothing. The dropdown's own button takes the focus; the input stays reachable by script only.
      var traps = document.querySelectorAll(".dash-dropdown-focus-target:not([tabindex='-1'])");
      for (var j = 0; j < traps.length; j++) {
        traps[j].tabIndex = -1;
      }
      // dcc.Upload's file input has no label of its own: it takes the words of its drop zone.
      var uploads = document.querySelectorAll(".upload-zone input[type='file']:not([aria-label])");
      for (var k = 0; k < uploads.length; k++) {
        var zone = uploads[k].closest(".upload-zone");
        uploads[k].setAttribute("aria-label", ((zone && zone.innerText) || "").replace(/\s+/g, " ").trim());
      }
      observer.takeRecords(); // our own changes need no second pass
    });
  }

  var clock = null;
  function onlyClock(records) {
    clock = clock && clock.isConnected ? clock : document.getElementById("wita-clock");
    for (var i = 0; i < records.length; i++) {
      var target = records[i].target;
      if (!clock || !(target === clock || clock.contains(target))) {
        return false;
      }
    }
    return true;
  }

  var observer = new MutationObserver(function (records) {
    if (!onlyClock(records)) {
      refit();
    }
  });
  observer.observe(root, { childList: true, subtree: true, characterData: true });
  window.addEventListener("resize", refit);
  window.addEventListener("popstate", refit);
  applyModes();

  // -- the clock: date and time in WITA, in the page's language.
  function span(className, children) {
    return { namespace: "dash_html_components", type: "Span", props: { className: className, children: children } };
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    scc: {
      witaClock: function () {
        var locale = root.lang === "en" ? "en-GB" : "id-ID";
        var now = new Date();
        var date = now.toLocaleDateString(locale, {
          weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "Asia/Makassar",
        });
        var time = now.toLocaleTimeString(locale, {
          hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: "Asia/Makassar",
        });
        return [span("clock-time", [time, span("clock-zone", " WITA")]), span("clock-date", date)];
      },
    },
  });
})();
