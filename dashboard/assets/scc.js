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

  // -- fitting: in fit mode a ".fit" box has the height the screen leaves it. Rows that fall below its
  //    bottom are never simply gone: at a desk the panel's ".fit-more" is a button ("+12 lainnya") that
  //    opens the box to scroll through them all; on a wall nobody clicks, so the box turns its own pages
  //    and the foot says which ("1–8 dari 50"). Both are kept per panel across the server's refreshes.
  var PAGE_MS = 8000; // long enough to read a page of rows from across the room
  var opened = {};
  var pageOf = {};

  function formatCount(n) {
    return n.toLocaleString(root.lang === "en" ? "en-GB" : "id-ID");
  }

  function keyOf(box) {
    var owner = box.closest("[id]");
    return owner ? owner.id : "";
  }

  function say(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? formatCount(values[name]) : all;
    });
  }

  // The foot of the panel: nothing, a pager's words, or a button; rebuilt only when it changes.
  function setFoot(more, text, key) {
    var state = (key === null ? "t:" : "b:" + key + ":") + text;
    if (more.getAttribute("data-state") === state) {
      return;
    }
    more.setAttribute("data-state", state);
    more.textContent = "";
    if (!text) {
      return;
    }
    if (key === null) {
      more.textContent = text;
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "fit-toggle";
    button.setAttribute("data-key", key);
    button.setAttribute("aria-expanded", opened[key] ? "true" : "false");
    button.textContent = text;
    more.appendChild(button);
  }

  function fitBox(box) {
    var items = box.querySelectorAll(".fit-item");
    var i;
    for (i = 0; i < items.length; i++) {
      if (items[i].hidden) {
        items[i].hidden = false;
      }
    }
    var key = keyOf(box);
    var more = box.parentElement && box.parentElement.querySelector(":scope > .fit-more");
    var fitting = root.classList.contains("fit-mode");
    var kiosk = root.classList.contains("kiosk");
    var open = fitting && !kiosk && !!opened[key];
    box.classList.toggle("fit-open", open);
    var cut = -1;
    if (fitting && !open && box.scrollHeight > box.clientHeight + 1) {
      // Leave room at the foot for the line that will stand over it.
      var bottom = box.getBoundingClientRect().bottom + 0.5 - (more ? MORE_ROOM : 0);
      for (i = 0; i < items.length; i++) {
        if (items[i].getBoundingClientRect().bottom > bottom) {
          cut = i;
          break;
        }
      }
    }
    var extra = more ? parseInt(more.getAttribute("data-extra") || "0", 10) || 0 : 0;
    if (cut === 0 && kiosk) {
      cut = 1; // a panel squeezed below one row still turns through its rows, one at a time
    }
    if (cut > 0 && kiosk) {
      var pages = Math.ceil(items.length / cut);
      var page = (pageOf[key] || 0) % pages;
      pageOf[key] = page;
      box.setAttribute("data-pages", String(pages));
      for (i = 0; i < items.length; i++) {
        items[i].hidden = i < page * cut || i >= (page + 1) * cut;
      }
      var last = Math.min(items.length, (page + 1) * cut);
      if (more) {
        setFoot(more, say(more.getAttribute("data-page"), { first: page * cut + 1, last: last, n: items.length + extra }), null);
      }
      return;
    }
    box.removeAttribute("data-pages");
    if (cut >= 0) {
      for (i = cut; i < items.length; i++) {
        items[i].hidden = true;
      }
    }
    if (!more) {
      return;
    }
    var hidden = cut >= 0 ? items.length - cut : 0;
    if (open) {
      setFoot(more, more.getAttribute("data-less") || "", key);
    } else if (hidden) {
      setFoot(more, say(more.getAttribute("data-more"), { n: hidden + extra }), key);
    } else {
      setFoot(more, fitting && extra ? say(more.getAttribute("data-more"), { n: extra }) : "", null);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".fit-toggle");
    if (!button) {
      return;
    }
    var key = button.getAttribute("data-key");
    opened[key] = !opened[key];
    refit();
  });

  window.setInterval(function () {
    if (!root.classList.contains("kiosk") || document.hidden) {
      return;
    }
    var boxes = document.querySelectorAll(".fit[data-pages]");
    for (var i = 0; i < boxes.length; i++) {
      var key = keyOf(boxes[i]);
      pageOf[key] = (pageOf[key] || 0) + 1;
    }
    if (boxes.length) {
      refit();
    }
  }, PAGE_MS);

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
