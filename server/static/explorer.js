// The explorer: send the query, show the answer. No framework, no CDN.
(function () {
  var q = document.getElementById("query"), v = document.getElementById("variables");
  var tok = document.getElementById("token"), out = document.querySelector("#result pre");
  function run() {
    var vars;
    try { vars = v.value.trim() ? JSON.parse(v.value) : {}; } catch (e) { out.textContent = "Variables are not valid JSON: " + e.message; return; }
    var headers = { "Content-Type": "application/json" };
    if (tok.value) headers.Authorization = "Bearer " + tok.value;
    out.textContent = "Running…";
    var t0 = performance.now();
    fetch("/graphql", { method: "POST", headers: headers, body: JSON.stringify({ query: q.value, variables: vars }) })
      .then(function (r) { return r.text().then(function (t) { return [r, t]; }); })
      .then(function (rt) {
        var text = rt[1];
        try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
        out.textContent = "HTTP " + rt[0].status + " · " + Math.round(performance.now() - t0) + " ms\n\n" + text;
      })
      .catch(function (e) { out.textContent = "Request failed: " + e.message; });
  }
  document.getElementById("run").addEventListener("click", run);
  document.addEventListener("keydown", function (e) { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
})();
