// The wall clock in WITA, drawn in the browser so it costs the server nothing.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  scc: {
    witaClock: function () {
      var lang = document.documentElement.lang === "en" ? "en-GB" : "id-ID";
      return new Date().toLocaleTimeString(lang, { timeZone: "Asia/Makassar", hour12: false }) + " WITA";
    },
  },
});
