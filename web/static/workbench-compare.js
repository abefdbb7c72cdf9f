// Compare page: both versions drawn with bpmn-js; removed/changed marked on the old, added/changed on the new.
// A process split into levels is compared level by level: each mark names the process it lies in, a call
// activity whose called process changed is marked changed, and a click on one opens that level on both sides.
(function () {
  "use strict";
  if (typeof window.BpmnJS === "undefined") { return; }
  var marks = JSON.parse(document.getElementById("diff-marks").textContent || "[]");
  var pair = document.getElementById("diagram-pair");
  var up = document.getElementById("diagram-up");
  var path = [pair.dataset.process];
  var sides = [
    { box: document.getElementById("diagram-old"), kinds: ["removed", "changed"] },
    { box: document.getElementById("diagram-new"), kinds: ["added", "changed"] }
  ];
  sides.forEach(function (side) {
    side.viewer = new window.BpmnJS({ container: side.box });
    side.viewer.get("eventBus").on("element.click", function (event) {
      var bo = event.element.businessObject;
      if (bo && bo.$type === "bpmn:CallActivity" && bo.calledElement) { path.push(bo.calledElement); show(); }
    });
  });

  function draw(side, process) {
    var box = side.box;
    delete box.dataset.marked;
    var url = box.dataset.url + "&process=" + encodeURIComponent(process);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) { return side.viewer.importXML(data.xml); })
      .then(function () {
        var canvas = side.viewer.get("canvas");
        var registry = side.viewer.get("elementRegistry");
        canvas.zoom("fit-viewport");
        var count = 0;
        marks.forEach(function (m) {
          if (m.process_id === process && side.kinds.indexOf(m.kind) >= 0 && registry.get(m.element_id)) {
            canvas.addMarker(m.element_id, "diff-" + m.kind);
            count += 1;
          }
        });
        box.dataset.marked = String(count);
        box.dataset.process = process;
      })
      .catch(function () {
        side.viewer.clear();
        box.dataset.marked = "0";
        box.dataset.process = process;
        box.setAttribute("title", pair.dataset.missing);
      });
  }

  function show() {
    var process = path[path.length - 1];
    document.getElementById("diagram-process").textContent = path.join(" › ");
    up.hidden = path.length < 2;
    sides.forEach(function (side) { draw(side, process); });
  }

  up.addEventListener("click", function () { if (path.length > 1) { path.pop(); show(); } });
  show();
})();
