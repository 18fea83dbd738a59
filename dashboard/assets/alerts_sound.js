// The tone for critical alerts, made here with WebAudio (no sound file, nothing fetched).
//
// The server decides what this screen should hear: the feed beside the alert bar (#alerts-sound,
// dashboard/components/alerts_bar.py) carries data-on ("1": this screen sounds) and data-due, each critical
// alert firing and unacknowledged as "id:generation". The generation goes up when the alerts process tells
// the alert again (its rule's `renotify`), so a tone plays for an id or a generation this screen has not
// played yet; an acknowledged alert leaves the feed and is never played again.
//
// Per display: `?sound=1` or `?sound=0` in a wall browser's address overrides its account's setting for that
// browser, kept in localStorage (`?sound=account` forgets it) and handed to the server in a session cookie
// that is written again from localStorage on every load.
//
// Browsers hold sound back until someone clicks on the page: the bar then shows a button that unlocks it.
// For tests: every tone played adds one to window.sccAlertTones and to <html data-alert-tones>.
(function () {
  "use strict";

  var CHOICE_KEY = "scc-alert-sound";
  var COOKIE = "scc_alert_sound"; // alerts_bar.DISPLAY_COOKIE
  var PLAYED_KEY = "scc-alert-tones-played"; // per tab: {alert id: generation played}
  var root = document.documentElement;
  var audio = null;
  var resuming = false;
  var sounding = [];

  function displayChoice() {
    var asked = new URLSearchParams(window.location.search).get("sound");
    try {
      if (asked === "1" || asked === "0") {
        window.localStorage.setItem(CHOICE_KEY, asked);
      } else if (asked === "account") {
        window.localStorage.removeItem(CHOICE_KEY);
      }
      return window.localStorage.getItem(CHOICE_KEY);
    } catch (e) {
      return asked === "1" || asked === "0" ? asked : null;
    }
  }

  function handToServer(choice) {
    var tail = "; path=/; SameSite=Lax" + (window.location.protocol === "https:" ? "; Secure" : "");
    document.cookie = COOKIE + "=" + (choice || "") + tail + (choice ? "" : "; max-age=0");
  }

  function load() {
    try {
      return JSON.parse(window.sessionStorage.getItem(PLAYED_KEY) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function save(played) {
    try {
      window.sessionStorage.setItem(PLAYED_KEY, JSON.stringify(played));
    } catch (e) {
      // private mode: remembered for this page only
    }
  }

  function parse(text) {
    var due = {};
    (text || "").split(" ").forEach(function (item) {
      var parts = item.split(":");
      if (parts.length === 2) {
        due[parts[0]] = parseInt(parts[1], 10);
      }
    });
    return due;
  }

  function context() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) {
      audio = new Ctx();
    }
    return audio;
  }

  function showUnlock(show) {
    var button = document.getElementById("alerts-sound-unlock");
    if (button && button.hidden === show) {
      button.hidden = !show;
    }
  }

  // Two short beeps, falling: about 0.6 s, loud enough across the room, gone before the next read.
  function tone(ctx) {
    var start = ctx.currentTime + 0.02;
    sounding = [
      [880, 0],
      [660, 0.3],
    ].map(function (beep) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      var at = start + beep[1];
      osc.type = "triangle";
      osc.frequency.value = beep[0];
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.6, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.26);
      return osc;
    });
  }

  function silence() {
    sounding.forEach(function (osc) {
      try {
        osc.stop();
      } catch (e) {
        // already ended
      }
    });
    sounding = [];
  }

  function played(ids) {
    window.sccAlertTones = (window.sccAlertTones || 0) + 1;
    root.setAttribute("data-alert-tones", String(window.sccAlertTones));
    root.setAttribute("data-alert-tone-for", ids.join(" "));
  }

  function check() {
    var feed = document.getElementById("alerts-sound");
    if (!feed || feed.getAttribute("data-on") !== "1") {
      showUnlock(false);
      silence();
      return;
    }
    var due = parse(feed.getAttribute("data-due"));
    var heard = load();
    var kept = {};
    var fresh = [];
    Object.keys(due).forEach(function (id) {
      if (!(heard[id] >= due[id])) {
        fresh.push(id);
      }
      kept[id] = heard[id];
    });
    if (!Object.keys(due).length) {
      silence(); // acknowledged while it sounded
    }
    var ctx = context();
    if (!ctx) {
      return;
    }
    if (ctx.state !== "running") {
      showUnlock(true);
      if (!resuming) {
        resuming = true;
        ctx.resume().then(function () {
          resuming = false;
          check();
        });
      }
      save(kept); // what is fresh stays fresh until it can be heard
      return;
    }
    showUnlock(false);
    if (fresh.length) {
      tone(ctx);
      played(fresh);
      fresh.forEach(function (id) {
        kept[id] = due[id];
      });
    }
    save(kept);
  }

  handToServer(displayChoice());

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#alerts-sound-unlock")) {
      var ctx = context();
      if (ctx) {
        ctx.resume().then(check);
      }
    }
  });

  new MutationObserver(function (changes) {
    for (var i = 0; i < changes.length; i++) {
      if (changes[i].target.id === "alerts-sound") {
        check();
        return;
      }
    }
  }).observe(root, { subtree: true, attributes: true, attributeFilter: ["data-on", "data-due"] });
})();
