// Compare page: both versions drawn with bpmn-js; removed/changed marked on the old, added/changed on the new.
(function () {
  "use strict";
  if (typeof window.BpmnJS === "undefined") { return; }
  var marks = JSON.parse(document.getElementById("diff-marks").textContent || "[]");
  function draw(id, kinds) {
    var box = document.getElementById(id);
    var viewer = new window.BpmnJS({ container: box });
    return fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { return viewer.importXML(data.xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport");
        var count = 0;
        marks.forEach(function (m) {
          if (kinds.indexOf(m.kind) >= 0 && registry.get(m.element_id)) {
            canvas.addMarker(m.element_id, "diff-" + m.kind);
            count += 1;
          }
        });
        box.dataset.marked = String(count);
      });
  }
  draw("diagram-old", ["removed", "changed"]);
  draw("diagram-new", ["added", "changed"]);
})();
