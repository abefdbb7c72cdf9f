// Workbench editor: bpmn-js Modeler on a draft, a small side panel for what the engine reads, save with
// an optimistic version (409 = someone else saved first), lint problems listed and marked on the diagram.
(function () {
  "use strict";
  var root = document.getElementById("editor");
  if (!root || typeof window.BpmnJS === "undefined") { return; }
  var modeler = new window.BpmnJS({ container: "#canvas" });
  var state = { lock: 0, files: {}, current: null, selected: null, marked: [], dirty: {} };
  var $ = function (id) { return document.getElementById(id); };
  var featureBox = $("feature");

  function status(text, bad) {
    var el = $("save-status");
    el.textContent = text;
    el.className = bad ? "late" : "ok";
  }

  function showProblems(problems) {
    var canvas = modeler.get("canvas");
    var registry = modeler.get("elementRegistry");
    state.marked.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, "has-problem"); } });
    state.marked = [];
    var list = $("problems");
    list.innerHTML = "";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.className = p.severity;
      li.textContent = (p.file || "-") + ":" + (p.line || "-") + ": " + (p.element || "-") + ": " + p.message;
      li.dataset.element = p.element || "";
      list.appendChild(li);
      if (p.element && p.file === state.current && registry.get(p.element)) {
        canvas.addMarker(p.element, "has-problem");
        state.marked.push(p.element);
      }
    });
    if (!problems.length) {
      var ok = document.createElement("li");
      ok.className = "ok";
      ok.textContent = root.dataset.msgClean;
      list.appendChild(ok);
    }
  }

  function open(name) {
    state.current = name;
    return modeler.importXML(state.files[name]).then(function () {
      modeler.get("canvas").zoom("fit-viewport");
      root.dataset.loaded = name;
    });
  }

  function load() {
    return fetch(root.dataset.load, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        state.lock = data.lock_version;
        state.files = data.files;
        $("lock-version").textContent = state.lock;
        var select = $("file-select");
        select.innerHTML = "";
        Object.keys(data.files).sort().forEach(function (name) {
          if (!/\.bpmn$/i.test(name)) { return; }
          var option = document.createElement("option");
          option.value = option.textContent = name;
          option.selected = name === data.main;
          select.appendChild(option);
        });
        featureBox.value = data.files[featureBox.dataset.name] || "";
        var forms = $("form-select");
        forms.innerHTML = "";
        Object.keys(data.files).sort().forEach(function (name) {
          if (!/\.schema\.json$/i.test(name)) { return; }
          var option = document.createElement("option");
          option.value = option.textContent = name;
          forms.appendChild(option);
        });
        showForm();
        return open(data.main).then(function () { showProblems(data.problems); });
      });
  }

  function save() {
    return modeler.saveXML({ format: true }).then(function (out) {
      state.files[state.current] = out.xml;
      var files = {};
      Object.keys(state.files).forEach(function (name) {
        if (/\.bpmn$/i.test(name) || state.dirty[name]) { files[name] = state.files[name]; }
      });
      files[featureBox.dataset.name] = featureBox.value;
      return fetch(root.dataset.save, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": root.dataset.csrf },
        body: JSON.stringify({ lock_version: state.lock, files: files })
      });
    }).then(function (r) {
      if (r.status === 409) { status(root.dataset.msgConflict, true); root.dataset.saved = "conflict"; return null; }
      if (!r.ok) { status(root.dataset.msgFailed + " (" + r.status + ")", true); return null; }
      return r.json().then(function (data) {
        state.lock = data.lock_version;
        $("lock-version").textContent = state.lock;
        var errors = data.problems.filter(function (p) { return p.severity === "error"; });
        status(errors.length ? root.dataset.msgProblems : root.dataset.msgSaved, errors.length > 0);
        showProblems(data.problems);
        root.dataset.saved = errors.length ? "problems" : "ok";
      });
    });
  }

  // -- forms: JSON text and a live preview rendered by the server with the task page's own macro ---------
  var formsBox = $("forms");
  var previewTimer = null;

  function uiName(name) { return name.replace(/\.schema\.json$/i, ".uischema.json"); }

  function preview() {
    fetch(formsBox.dataset.preview, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify({ schema: $("form-schema").value, ui: $("form-ui").value })
    }).then(function (r) { return r.text(); }).then(function (html) {
      $("form-preview").innerHTML = html;
      formsBox.dataset.previewed = String(Date.now());
    });
  }

  function showForm() {
    var name = $("form-select").value;
    $("form-schema").value = name ? state.files[name] || "" : "";
    $("form-ui").value = name ? state.files[uiName(name)] || "" : "";
    if (name) { preview(); }
  }

  function formEdited() {
    var name = $("form-select").value;
    if (!name) { return; }
    state.files[name] = $("form-schema").value;
    state.dirty[name] = true;
    if ($("form-ui").value || state.files[uiName(name)] !== undefined) {
      state.files[uiName(name)] = $("form-ui").value;
      state.dirty[uiName(name)] = true;
    }
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 300);
  }

  $("form-select").addEventListener("change", showForm);
  $("form-schema").addEventListener("input", formEdited);
  $("form-ui").addEventListener("input", formEdited);

  // -- side panel: the selected element's business object ---------------------------------------------
  function expressionOf(definition) {
    var kinds = ["timeDuration", "timeDate", "timeCycle"];
    for (var i = 0; i < kinds.length; i++) {
      if (definition[kinds[i]]) { return [kinds[i], definition[kinds[i]].body || ""]; }
    }
    return ["timeDuration", ""];
  }

  function spiffProperty(bo, key) {
    var ext = bo.extensionElements && bo.extensionElements.values || [];
    for (var i = 0; i < ext.length; i++) {
      var children = ext[i].$children || [];
      for (var j = 0; j < children.length; j++) {
        if (children[j].name === key) { return children[j].value; }
      }
    }
    return null;
  }

  var SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";

  function isLocal(el, local) { return new RegExp("(^|:)" + local + "$").test(el.$type || ""); }

  // Set (or, with an empty value, remove) <spiffworkflow:property name=key value=...> on an element.
  // bpmn-js keeps unknown extension elements as generic ones, so they are edited as such and every
  // other extension the engine reads (scripts, forms, messages) is written back untouched.
  function setSpiffProperty(bo, key, value) {
    var moddle = modeler.get("moddle");
    var ext = bo.extensionElements;
    if (!ext) {
      if (!value) { return; }
      ext = moddle.create("bpmn:ExtensionElements", { values: [] });
      ext.$parent = bo;
      bo.extensionElements = ext;
    }
    ext.values = ext.values || [];
    var props = ext.values.filter(function (v) { return isLocal(v, "properties"); })[0];
    if (!props) {
      if (!value) { return; }
      props = moddle.createAny("spiffworkflow:properties", SPIFF, {});
      props.$children = [];
      props.$parent = ext;
      ext.values.push(props);
    }
    var children = props.$children || (props.$children = []);
    var found = children.filter(function (c) { return c.name === key; })[0];
    if (found && value) { found.value = value; }
    else if (found) { children.splice(children.indexOf(found), 1); }
    else if (value) { children.push(moddle.createAny("spiffworkflow:property", SPIFF, { name: key, value: value })); }
  }

  function spiffChild(bo, local) {
    var ext = bo.extensionElements && bo.extensionElements.values || [];
    for (var i = 0; i < ext.length; i++) { if (isLocal(ext[i], local)) { return ext[i]; } }
    return null;
  }

  // Set (empty: remove) the element's <spiffworkflow:preScript> or <spiffworkflow:postScript>.
  function setSpiffScript(bo, local, text) {
    var found = spiffChild(bo, local);
    if (found) {
      if (text) { found.$body = text; }
      else { bo.extensionElements.values.splice(bo.extensionElements.values.indexOf(found), 1); }
      return;
    }
    if (!text) { return; }
    var moddle = modeler.get("moddle");
    if (!bo.extensionElements) {
      bo.extensionElements = moddle.create("bpmn:ExtensionElements", { values: [] });
      bo.extensionElements.$parent = bo;
    }
    bo.extensionElements.values = bo.extensionElements.values || [];
    var el = moddle.createAny("spiffworkflow:" + local, SPIFF, {});
    el.$body = text;
    el.$parent = bo.extensionElements;
    bo.extensionElements.values.push(el);
  }

  // Only activities run pre/post scripts (the engine's lint refuses them on events and gateways).
  function runsScripts(bo) {
    return /^bpmn:(Task|UserTask|ManualTask|ScriptTask|ServiceTask|SendTask|ReceiveTask|BusinessRuleTask|CallActivity|SubProcess)$/
      .test(bo.$type);
  }

  // A timer written as due_in_workdays(n) / due_in_days(n) is shown in the deadline helper.
  var DUE = /^\s*due_in_(workdays|days)\((\d+)\)\s*$/;

  function makeDue() {
    var n = parseInt($("p-due-n").value, 10);
    if (!(n > 0)) { $("p-due-n").focus(); return; }
    $("p-timer-kind").value = "timeDate";
    $("p-timer").value = "due_in_" + $("p-due-unit").value + "(" + n + ")";
  }

  function openCalled() {
    var id = $("p-called").value.trim();
    var names = Object.keys(state.files).filter(function (name) {
      return /\.bpmn$/i.test(name) && state.files[name].indexOf('id="' + id + '"') >= 0;
    });
    if (!names.length) { status(root.dataset.msgNoCalled + " " + id, true); return; }
    modeler.saveXML({ format: true }).then(function (out) {
      state.files[state.current] = out.xml;
      $("file-select").value = names[0];
      return open(names[0]);
    });
  }

  // What a message carries and how it finds its case: the payload sent or the variable it lands in, and
  // the correlation properties whose retrieval expressions read this message (none: by case or business key).
  function messageDetail(definition) {
    var parts = [];
    var payload = spiffChild(definition, "messagePayload");
    var variable = spiffChild(definition, "messageVariable");
    if (payload && payload.$body) { parts.push(root.dataset.msgPayload + " " + payload.$body.trim()); }
    if (variable && variable.$body) { parts.push(root.dataset.msgVariable + " " + variable.$body.trim()); }
    var ref = definition.messageRef;
    var keys = [];
    (modeler.getDefinitions().rootElements || []).forEach(function (el) {
      if (el.$type !== "bpmn:CorrelationProperty") { return; }
      (el.correlationPropertyRetrievalExpression || []).forEach(function (r) {
        if (ref && r.messageRef === ref) { keys.push((el.name || el.id) + " = " + (r.messagePath && r.messagePath.body || "")); }
      });
    });
    parts.push(keys.length ? root.dataset.msgCorrelation + " " + keys.join("；") : root.dataset.msgNoCorrelation);
    return parts.join(" · ");
  }

  function row(id, show) { $(id).hidden = !show; }

  function fill(element) {
    state.selected = element;
    $("panel-empty").hidden = !!element;
    $("panel-fields").hidden = !element;
    if (!element) { return; }
    var bo = element.businessObject;
    var timer = (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
    var message = (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:MessageEventDefinition"; })[0]
      || (/^bpmn:(SendTask|ReceiveTask)$/.test(bo.$type) && bo.messageRef ? bo : null);
    $("p-id").textContent = bo.id;
    $("p-type").textContent = bo.$type;
    $("p-name").value = bo.name || "";
    $("p-doc").value = (bo.documentation && bo.documentation[0] && bo.documentation[0].text) || "";
    $("p-dev").value = spiffProperty(bo, "devNotes") || "";
    var lane = bo.lanes && bo.lanes[0];
    row("p-lane-row", !!lane); $("p-lane").textContent = lane ? lane.name : "";
    var human = bo.$type === "bpmn:UserTask" || bo.$type === "bpmn:ManualTask";
    row("p-role-row", human); $("p-role").value = human ? spiffProperty(bo, "role") || "" : "";
    var form = spiffProperty(bo, "formJsonSchemaFilename");
    row("p-form-row", !!form); $("p-form").textContent = form || "";
    var decision = bo.$type === "bpmn:BusinessRuleTask" ? spiffChild(bo, "calledDecisionId") : null;
    row("p-decision-row", !!decision); $("p-decision").textContent = decision ? decision.$body || "" : "";
    row("p-timer-row", !!timer);
    row("p-due-row", !!timer);
    if (timer) {
      var expr = expressionOf(timer);
      $("p-timer-kind").value = expr[0];
      $("p-timer").value = expr[1];
      var due = DUE.exec(expr[1]);
      $("p-due-n").value = due ? due[2] : "";
      $("p-due-unit").value = due ? due[1] : "workdays";
    }
    var isFlow = bo.$type === "bpmn:SequenceFlow";
    row("p-condition-row", isFlow); $("p-condition").value = isFlow && bo.conditionExpression ? bo.conditionExpression.body : "";
    var scripted = runsScripts(bo);
    var pre = scripted ? spiffChild(bo, "preScript") : null;
    var post = scripted ? spiffChild(bo, "postScript") : null;
    row("p-pre-row", scripted); $("p-pre").value = pre ? pre.$body || "" : "";
    row("p-post-row", scripted); $("p-post").value = post ? post.$body || "" : "";
    var isScript = bo.$type === "bpmn:ScriptTask";
    row("p-script-row", isScript); $("p-script").value = isScript ? bo.script || "" : "";
    var isCall = bo.$type === "bpmn:CallActivity";
    row("p-called-row", isCall); $("p-called").value = isCall ? bo.calledElement || "" : "";
    row("p-open-called", isCall);
    row("p-message-row", !!message);
    $("p-message").textContent = message && message.messageRef ? message.messageRef.name || message.messageRef.id : "";
    $("p-message-detail").textContent = message ? messageDetail(message) : "";
  }

  function apply() {
    var element = state.selected;
    if (!element) { return; }
    var modeling = modeler.get("modeling");
    var moddle = modeler.get("moddle");
    var bo = element.businessObject;
    var props = { name: $("p-name").value || undefined };
    var doc = $("p-doc").value;
    props.documentation = doc ? [moddle.create("bpmn:Documentation", { text: doc })] : [];
    if (bo.$type === "bpmn:SequenceFlow") {
      var cond = $("p-condition").value.trim();
      props.conditionExpression = cond ? moddle.create("bpmn:FormalExpression", { body: cond }) : undefined;
    }
    if (bo.$type === "bpmn:ScriptTask") { props.script = $("p-script").value; }
    if (bo.$type === "bpmn:CallActivity") { props.calledElement = $("p-called").value.trim() || undefined; }
    modeling.updateProperties(element, props);
    setSpiffProperty(bo, "devNotes", $("p-dev").value.trim());
    if (runsScripts(bo)) {
      setSpiffScript(bo, "preScript", $("p-pre").value.trim());
      setSpiffScript(bo, "postScript", $("p-post").value.trim());
    }
    if (bo.$type === "bpmn:UserTask" || bo.$type === "bpmn:ManualTask") {
      setSpiffProperty(bo, "role", $("p-role").value.trim());
    }
    var timer = (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
    if (timer) {
      var kind = $("p-timer-kind").value;
      var update = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      update[kind] = moddle.create("bpmn:FormalExpression", { body: $("p-timer").value.trim() });
      modeling.updateModdleProperties(element, timer, update);
    }
    status("", false);
  }

  modeler.get("eventBus").on("selection.changed", function (event) { fill(event.newSelection[0] || null); });
  $("p-apply").addEventListener("click", apply);
  $("p-due-make").addEventListener("click", makeDue);
  $("p-open-called").addEventListener("click", openCalled);
  $("save").addEventListener("click", function () { save().catch(function () { status(root.dataset.msgFailed, true); }); });
  $("file-select").addEventListener("change", function (event) {
    modeler.saveXML({ format: true }).then(function (out) {
      state.files[state.current] = out.xml;
      return open(event.target.value);
    });
  });
  $("problems").addEventListener("click", function (event) {
    var id = event.target.dataset && event.target.dataset.element;
    var element = id && modeler.get("elementRegistry").get(id);
    if (element) { modeler.get("selection").select(element); modeler.get("canvas").scrollToElement(element); }
  });
  window.workbenchModeler = modeler;  // for browser tests and the console
  load().catch(function () { status(root.dataset.msgFailed, true); });
})();
