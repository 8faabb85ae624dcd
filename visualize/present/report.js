// graphc's backprop report: a small hand-written script, no libraries. It reads the one
// JSON blob, answers clicks on the diagram with what a node or edge computes, walks the
// backward pass a step at a time, and links each line of code to its node.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("gc-data").textContent);
  var diagram = document.getElementById("gc-diagram");
  var title = document.getElementById("gc-panel-title");
  var body = document.getElementById("gc-panel-body");
  var slider = document.getElementById("gc-step");
  var stepText = document.getElementById("gc-step-text");
  var play = document.getElementById("gc-play");
  var timer = null;

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }
  function nodeGroup(id) { return diagram.querySelector('g.node[data-node="' + id + '"]'); }
  function edgeGroup(i) { return diagram.querySelector('g.edge[data-edge="' + i + '"]'); }
  function line(cls, text) {
    var p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    return p;
  }

  // A formula's MathML, never given to innerHTML: parsed as XML and built again element by
  // element, each one of the MathML elements and attributes the data allows, so no name in
  // it can become markup (graphc escapes them too). Anything else shows as a note.
  var MATHML = "http://www.w3.org/1998/Math/MathML";
  function rebuilt(source) {
    if (source.nodeType === 3) { return document.createTextNode(source.data); }
    var allowed = data.mathml;
    if (source.nodeType !== 1 || (source.namespaceURI && source.namespaceURI !== MATHML) ||
        allowed.elements.indexOf(source.localName) < 0) {
      throw new Error("not MathML: " + source.nodeName);
    }
    var element = document.createElementNS(MATHML, source.localName);
    Array.prototype.forEach.call(source.attributes, function (a) {
      if (a.namespaceURI || allowed.attributes.indexOf(a.name) < 0) {
        throw new Error("not a MathML attribute: " + a.name);
      }
      element.setAttribute(a.name, a.value);
    });
    Array.prototype.forEach.call(source.childNodes, function (child) {
      element.appendChild(rebuilt(child));
    });
    return element;
  }
  function mathNode(text) {
    var span = document.createElement("span");
    var xml = new DOMParser().parseFromString(text, "application/xml");
    try {
      if (xml.getElementsByTagName("parsererror").length) { throw new Error("not XML"); }
      span.appendChild(rebuilt(xml.documentElement));
    } catch (err) {
      span.className = "note";
      span.textContent = "(the formula cannot be shown)";
    }
    return span;
  }

  // One edge: upstream x local = what flows back, the local derivative as MathML.
  function edgeBlock(e) {
    var div = document.createElement("div");
    div.className = "edge";
    div.appendChild(line("head", "back along " + e.edge + ":  " + e.upstream_label + " x " +
                         e.local_label + " = " + e.label + (e.vjp ? "  (vjp)" : "")));
    if (e.mathml) {
      var p = line("local", (e.vjp ? e.label : e.local_label) + " = ");
      p.appendChild(mathNode(e.mathml));
      if (e.local_exact) { p.appendChild(document.createTextNode(" = " + e.local_exact)); }
      div.appendChild(p);
    }
    div.appendChild(line("numbers", e.upstream + " x " + (e.vjp ? e.local_label : e.local) +
                         " = " + e.value));
    if (e.exact) { div.appendChild(line("exact", "exact: " + e.label + " = " + e.exact)); }
    return div;
  }

  function nodeLines(n) {
    var out = [line("value", n.name + " = " + n.value + (n.exact ? " = " + n.exact : "") +
                    "   (" + n.op + ", shape " + n.shape + ")")];
    if (n.gradient) {
      out.push(line("gradient", n.gradient + (n.gradient_exact ? " = " + n.gradient_exact :
                                              "")));
    }
    return out;
  }

  function select(group) {
    all(".selected", diagram).forEach(function (g) { g.classList.remove("selected"); });
    if (group) { group.classList.add("selected"); }
  }

  function showNode(id) {
    var n = data.nodes[id];
    if (!n) { return; }
    title.textContent = "node " + n.name;
    body.textContent = "";
    nodeLines(n).forEach(function (p) { body.appendChild(p); });
    var mine = data.edges.filter(function (e) { return String(e.v) === String(id); });
    if (!mine.length) { body.appendChild(line("note", "a leaf: nothing flows back from it")); }
    mine.forEach(function (e) { body.appendChild(edgeBlock(e)); });
    select(nodeGroup(id));
  }

  function showEdge(i) {
    var e = data.edges[i];
    title.textContent = "edge " + e.edge;
    body.textContent = "";
    nodeLines(data.nodes[e.u]).forEach(function (p) { body.appendChild(p); });
    body.appendChild(edgeBlock(e));
    select(edgeGroup(i));
  }

  // Step k of the backward pass (0: the forward pass): the k-th node is processed.
  function setStep(k) {
    k = Math.max(0, Math.min(data.steps.length, k));
    slider.value = String(k);
    all(".current, .active, .todo", diagram).forEach(function (g) {
      g.classList.remove("current", "active", "todo");
    });
    if (k === 0) {
      stepText.textContent = "the forward pass: each node's value";
      return;
    }
    var v = data.steps[k - 1], done = data.steps.slice(0, k);
    var group = nodeGroup(v);
    if (group) { group.classList.add("current"); }
    data.edges.forEach(function (e, i) {
      var g = edgeGroup(i);
      if (!g) { return; }
      if (e.v === v) { g.classList.add("active"); }
      else if (done.indexOf(e.v) < 0) { g.classList.add("todo"); }
    });
    stepText.textContent = "step " + k + " of " + data.steps.length + ": at " +
      data.nodes[v].name + ", upstream x local = what flows back to each operand";
    showNode(v);
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "Play";
  }
  play.addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    if (Number(slider.value) >= data.steps.length) { setStep(0); }
    play.textContent = "Pause";
    timer = setInterval(function () {
      setStep(Number(slider.value) + 1);
      if (Number(slider.value) >= data.steps.length) { stop(); }
    }, 1200);
  });
  slider.addEventListener("input", function () { stop(); setStep(Number(slider.value)); });

  // Code and diagram light each other up.
  function light(id, on) {
    var g = nodeGroup(id);
    if (g) { g.classList.toggle("lit", on); }
    all('#gc-code .line[data-node="' + id + '"]').forEach(function (l) {
      l.classList.toggle("lit", on);
    });
  }
  all("#gc-code .line[data-node]").forEach(function (l) {
    var id = l.getAttribute("data-node");
    l.addEventListener("mouseenter", function () { light(id, true); });
    l.addEventListener("mouseleave", function () { light(id, false); });
    l.addEventListener("click", function () { showNode(id); });
  });
  all("g.node[data-node]", diagram).forEach(function (g) {
    var id = g.getAttribute("data-node");
    g.addEventListener("click", function () { showNode(id); });
    g.addEventListener("mouseenter", function () { light(id, true); });
    g.addEventListener("mouseleave", function () { light(id, false); });
  });
  all("g.edge[data-edge]", diagram).forEach(function (g) {
    g.addEventListener("click", function () { showEdge(Number(g.getAttribute("data-edge"))); });
  });
}());
