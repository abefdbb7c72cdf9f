// Workbench decision-table editor: dmn-js Modeler on one .dmn file of the draft. Saving sends the file with
// the draft's optimistic version and "strict": an error the checks find in it refuses the save (422, the
// problems listed, nothing written); 409 = someone else saved the draft first.
(function () {
  "use strict";
  var root = document.getElementById("dmn-editor");
  if (!root || typeof window.DmnJS === "undefined") { return; }
  var modeler = new window.DmnJS({ container: "#dmn-canvas" });
  var state = { lock: 0 };
  var $ = function (id) { return document.getElementById(id); };

  function status(text, bad) {
    var el = $("save-status");
    el.textContent = text;
    el.className = bad ? "late" : "ok";
  }

  // A problem names the cell (input or output entry) or rule it is about; dmn-js renders both with
  // data-element-id, so the cell (or the rule's number) is outlined where the owner edits it.
  function cells(id) {
    var escaped = window.CSS && CSS.escape ? CSS.escape(id) : id;
    return document.querySelectorAll('#dmn-canvas [data-element-id="' + escaped + '"]');
  }

  function mark(problems) {
    document.querySelectorAll("#dmn-canvas .has-problem").forEach(function (el) { el.classList.remove("has-problem"); });
    var marked = 0;
    problems.forEach(function (p) {
      if (!p.element) { return; }
      cells(p.element).forEach(function (el) {
        el.classList.add("has-problem");
        el.title = p.message;
        marked += 1;
      });
    });
    root.dataset.marked = String(marked);
  }

  function showProblems(problems) {
    var list = $("problems");
    list.innerHTML = "";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.className = p.severity;
      li.textContent = (p.file || "-") + ":" + (p.line || "-") + ": " + (p.element || "-") + ": " + p.message;
      li.dataset.element = p.element || "";
      list.appendChild(li);
    });
    mark(problems);
    if (!problems.length) {
      var ok = document.createElement("li");
      ok.className = "ok";
      ok.textContent = root.dataset.msgClean;
      list.appendChild(ok);
    }
  }

  function openTable() {
    var table = modeler.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
    return table ? modeler.open(table) : Promise.resolve();
  }

  function load() {
    return fetch(root.dataset.load, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        state.lock = data.lock_version;
        $("lock-version").textContent = state.lock;
        return modeler.importXML(data.files[root.dataset.file]).then(openTable).then(function () {
          showProblems(data.problems.filter(function (p) { return p.file === root.dataset.file; }));
          root.dataset.loaded = root.dataset.file;
        });
      });
  }

  function save() {
    delete root.dataset.saved;
    return modeler.saveXML({ format: true }).then(function (out) {
      var files = {};
      files[root.dataset.file] = out.xml;
      return fetch(root.dataset.save, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": root.dataset.csrf },
        body: JSON.stringify({ lock_version: state.lock, files: files, strict: true })
      });
    }).then(function (r) {
      if (r.status === 409) { status(root.dataset.msgConflict, true); root.dataset.saved = "conflict"; return null; }
      if (r.status !== 422 && !r.ok) { status(root.dataset.msgFailed + " (" + r.status + ")", true); return null; }
      return r.json().then(function (data) {
        var mine = data.problems.filter(function (p) { return p.file === root.dataset.file; });
        showProblems(mine);
        if (r.status === 422) { status(root.dataset.msgRefused, true); root.dataset.saved = "refused"; return; }
        state.lock = data.lock_version;
        $("lock-version").textContent = state.lock;
        status(root.dataset.msgSaved, false);
        root.dataset.saved = "ok";
      });
    });
  }

  $("problems").addEventListener("click", function (event) {
    var id = event.target.dataset && event.target.dataset.element;
    var found = id && cells(id)[0];
    if (found) { found.scrollIntoView({ block: "center" }); }
  });
  $("save").addEventListener("click", function () { save().catch(function () { status(root.dataset.msgFailed, true); }); });
  window.workbenchDmn = modeler;  // for browser tests and the console
  load().catch(function () { status(root.dataset.msgFailed, true); });
})();
