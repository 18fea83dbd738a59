/*
 * Live camera tiles: WebRTC (WHEP) through the command center's own relay, a snapshot when that cannot play.
 *
 * Any element <div class="live-tile" data-camera="ID" data-stream="sub|main"> holding a
 * <video muted playsinline autoplay> and an <img> plays itself, whenever it appears in the page
 * (a MutationObserver watches for tiles), and hangs up when it leaves. The tile says how it is doing:
 *   data-state   connecting | live | reconnecting | snapshot
 *   data-fps     frames shown per second, over the last two seconds
 *   data-age-ms  time since the last new frame
 * The browser only ever names a camera by its id: the server signs the relay's grant.
 */
(function () {
  "use strict";

  var FROZEN_MS = 3000; // no new frame for this long: reconnect with a new offer
  var GATHER_MS = 3000; // wait at most this long for our ICE candidates
  var CANDIDATE_GRACE_MS = 40; // after our first candidate, this long for the others
  var CONNECT_MS = 10000; // an answer that never plays counts as a failure
  var FAILS_FOR_SNAPSHOT = 3; // consecutive failures before the snapshot replaces the video
  var SNAPSHOT_EVERY_MS = 2000;
  var RETRY_FROM_SNAPSHOT_MS = 15000;
  var TICK_MS = 500;
  var PERMANENT = { 401: true, 403: true, 404: true, 415: true }; // asking again will not help

  function h264Only(transceiver) {
    if (!window.RTCRtpReceiver || !RTCRtpReceiver.getCapabilities || !transceiver.setCodecPreferences) {
      return;
    }
    // The relay passes the camera's H.264 through; left to itself the browser would choose VP8
    // first, and the relay would have to refuse.
    var codecs = RTCRtpReceiver.getCapabilities("video").codecs.filter(function (c) {
      return c.mimeType.toLowerCase() === "video/h264";
    });
    if (codecs.length) {
      transceiver.setCodecPreferences(codecs);
    }
  }

  function gathered(pc) {
    // The offer carries our candidates (no trickle). On a LAN every host candidate comes within a few
    // ms of the first, while "complete" comes ~120 ms later: a short grace after the first is enough.
    if (pc.iceGatheringState === "complete") {
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      var timer = setTimeout(resolve, GATHER_MS);
      var done = function () {
        clearTimeout(timer);
        resolve();
      };
      pc.addEventListener("icecandidate", function (event) {
        if (event.candidate) {
          clearTimeout(timer);
          timer = setTimeout(resolve, CANDIDATE_GRACE_MS);
        }
      });
      pc.addEventListener("icegatheringstatechange", function () {
        if (pc.iceGatheringState === "complete") {
          done();
        }
      });
    });
  }

  function Player(tile) {
    this.tile = tile;
    this.video = tile.querySelector("video");
    this.img = tile.querySelector("img");
    this.pc = null;
    this.session = null;
    this.fails = 0;
    this.generation = 0;
    this.frames = [];
    this.lastFrameAt = 0;
    this.startedAt = 0;
    this.snapshotTimer = null;
    this.retryTimer = null;
    this.stopped = false;
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.autoplay = true;
    this.watchFrames();
    this.ticker = setInterval(this.tick.bind(this), TICK_MS);
    this.connect("connecting");
  }

  Player.prototype.setState = function (state) {
    if (this.tile.getAttribute("data-state") !== state) {
      this.tile.setAttribute("data-state", state);
    }
  };

  Player.prototype.watchFrames = function () {
    var self = this;
    if (!this.video.requestVideoFrameCallback) {
      return; // tick() falls back on the decoder's frame count
    }
    var onFrame = function () {
      if (self.stopped) {
        return;
      }
      self.frame();
      self.video.requestVideoFrameCallback(onFrame);
    };
    this.video.requestVideoFrameCallback(onFrame);
  };

  Player.prototype.frame = function () {
    var now = performance.now();
    this.lastFrameAt = now;
    this.frames.push(now);
    if (this.pc && this.tile.getAttribute("data-state") !== "snapshot") {
      this.fails = 0;
      this.setState("live");
    }
  };

  Player.prototype.tick = function () {
    var self = this;
    var now = performance.now();
    if (!this.video.requestVideoFrameCallback && this.pc) {
      this.pc.getStats().then(function (stats) {
        stats.forEach(function (s) {
          if (s.type === "inbound-rtp" && s.kind === "video") {
            if (s.framesDecoded > (self.decoded || 0)) {
              self.decoded = s.framesDecoded;
              self.frame();
            }
          }
        });
      });
    }
    this.frames = this.frames.filter(function (t) {
      return now - t <= 2000;
    });
    this.tile.setAttribute("data-fps", (this.frames.length / 2).toFixed(1));
    if (this.lastFrameAt) {
      this.tile.setAttribute("data-age-ms", String(Math.round(now - this.lastFrameAt)));
    }
    if (!this.pc || this.tile.getAttribute("data-state") === "snapshot") {
      return;
    }
    var since = this.lastFrameAt > this.startedAt ? this.lastFrameAt : this.startedAt;
    var limit = this.lastFrameAt > this.startedAt ? FROZEN_MS : CONNECT_MS;
    if (now - since > limit) {
      this.failed(null); // frozen, or never started: a new offer
    }
  };

  Player.prototype.connect = function (state) {
    var self = this;
    var generation = ++this.generation;
    this.hangUp();
    this.setState(state);
    this.startedAt = performance.now();
    var camera = this.tile.getAttribute("data-camera");
    var stream = this.tile.getAttribute("data-stream") === "main" ? "main" : "sub";
    var pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    h264Only(pc.addTransceiver("video", { direction: "recvonly" }));
    pc.addEventListener("track", function (event) {
      if ("jitterBufferTarget" in event.receiver) {
        // A control room wants the picture now: play each frame as soon as it is complete rather
        // than holding it for smoothness (the LAN's jitter is a few ms).
        event.receiver.jitterBufferTarget = 0;
      }
      if (generation === self.generation) {
        self.video.srcObject = event.streams[0] || new MediaStream([event.track]);
        self.video.play().catch(function () {});
      }
    });
    pc.addEventListener("connectionstatechange", function () {
      if (generation === self.generation && pc.connectionState === "failed") {
        self.failed(null);
      }
    });
    pc.createOffer()
      .then(function (offer) {
        return pc.setLocalDescription(offer);
      })
      .then(function () {
        return gathered(pc);
      })
      .then(function () {
        return fetch("/cameras/" + encodeURIComponent(camera) + "/whep?stream=" + stream, {
          method: "POST",
          headers: { "Content-Type": "application/sdp" },
          body: pc.localDescription.sdp,
          credentials: "same-origin",
        });
      })
      .then(function (response) {
        if (generation !== self.generation) {
          return null;
        }
        if (response.status !== 201) {
          var error = new Error("relay answered " + response.status);
          error.status = response.status;
          throw error;
        }
        self.session = response.headers.get("Location");
        return response.text().then(function (answer) {
          if (generation === self.generation) {
            return pc.setRemoteDescription({ type: "answer", sdp: answer });
          }
          return null;
        });
      })
      .catch(function (error) {
        if (generation === self.generation) {
          self.failed(error && error.status);
        }
      });
  };

  Player.prototype.failed = function (status) {
    if (this.stopped) {
      return;
    }
    this.fails += 1;
    this.hangUp();
    if (PERMANENT[status] || this.fails >= FAILS_FOR_SNAPSHOT) {
      this.showSnapshot(!PERMANENT[status]);
      return;
    }
    var self = this;
    this.setState("reconnecting");
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(function () {
      self.connect("reconnecting");
    }, 500 * this.fails);
  };

  Player.prototype.showSnapshot = function (retry) {
    var self = this;
    this.setState("snapshot");
    var camera = this.tile.getAttribute("data-camera");
    var refresh = function () {
      self.img.src = "/cameras/" + encodeURIComponent(camera) + "/snapshot.jpg?t=" + Date.now();
    };
    refresh();
    clearInterval(this.snapshotTimer);
    this.snapshotTimer = setInterval(refresh, SNAPSHOT_EVERY_MS);
    clearTimeout(this.retryTimer);
    if (retry) {
      this.retryTimer = setTimeout(function () {
        self.leaveSnapshot();
        self.fails = FAILS_FOR_SNAPSHOT - 1; // one more failure and back to the snapshot
        self.connect("reconnecting");
      }, RETRY_FROM_SNAPSHOT_MS);
    }
  };

  Player.prototype.leaveSnapshot = function () {
    clearInterval(this.snapshotTimer);
    this.snapshotTimer = null;
  };

  Player.prototype.hangUp = function () {
    if (this.session) {
      // keepalive: the request still leaves when the page is being closed.
      fetch(this.session, { method: "DELETE", credentials: "same-origin", keepalive: true }).catch(function () {});
      this.session = null;
    }
    if (this.pc) {
      this.pc.close();
      this.pc = null;
    }
  };

  Player.prototype.restart = function () {
    this.leaveSnapshot();
    clearTimeout(this.retryTimer);
    this.fails = 0;
    this.connect("connecting");
  };

  Player.prototype.stop = function () {
    this.stopped = true;
    this.generation += 1;
    clearInterval(this.ticker);
    clearTimeout(this.retryTimer);
    this.leaveSnapshot();
    this.hangUp();
    this.video.srcObject = null;
  };

  var players = new Map();

  function attach(tile) {
    if (players.has(tile) || !tile.getAttribute("data-camera")) {
      return;
    }
    if (!tile.querySelector("video") || !tile.querySelector("img")) {
      return;
    }
    players.set(tile, new Player(tile));
  }

  function scan() {
    document.querySelectorAll("div.live-tile[data-camera]").forEach(attach);
    players.forEach(function (player, tile) {
      if (!document.contains(tile)) {
        player.stop();
        players.delete(tile);
      }
    });
  }

  function start() {
    new MutationObserver(function (mutations) {
      var changed = false;
      mutations.forEach(function (m) {
        if (m.type === "attributes") {
          var player = players.get(m.target);
          if (player && m.attributeName !== "data-state" && m.oldValue !== m.target.getAttribute(m.attributeName)) {
            player.restart(); // another camera or stream in the same tile (enlarged: main)
          }
        } else {
          changed = true;
        }
      });
      if (changed) {
        scan();
      }
    }).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeOldValue: true,
      attributeFilter: ["data-camera", "data-stream"],
    });
    scan();
    window.addEventListener("pagehide", function () {
      players.forEach(function (player) {
        player.stop();
      });
      players.clear();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
