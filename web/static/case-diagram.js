// Draw the case's process with bpmn-js and mark where the case stands; a called process opens as its own diagram.
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box || typeof window.BpmnJS === "undefined") { return; }
  var viewer = new window.BpmnJS({ container: box });
  var back = document.getElementById("diagram-back");
  var label = document.getElementById("diagram-process");

  function mark(data) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    [["completed", "done"], ["active", "active"], ["errors", "failed"]].forEach(function (pair) {
      (data[pair[0]] || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, pair[1]); }
      });
    });
  }

  function load(process) {
    var url = box.dataset.url + (process ? "?process=" + encodeURIComponent(process) : "");
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        return viewer.importXML(data.xml).then(function () {
          viewer.get("canvas").zoom("fit-viewport");
          mark(data);
          label.textContent = data.process;
          back.hidden = !process;
          box.dataset.loaded = data.process;
        });
      })
      .catch(function () { box.textContent = box.dataset.error; });
  }

  viewer.get("eventBus").on("element.click", function (event) {
    var bo = event.element.businessObject;
    if (bo && bo.$type === "bpmn:CallActivity" && bo.calledElement) { load(bo.calledElement); }
  });
  back.addEventListener("click", function () { load(null); });
  load(null);
})();
