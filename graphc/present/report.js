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

  // One edge: upstream x local = what flows back, the local derivative as MathML.
  function edgeBlock(e) {
    var div = document.createElement("div");
    div.className = "edge";
    div.appendChild(line("head", "back along " + e.edge + ":  " + e.upstream_label + " x " +
                         e.local_label + " = " + e.label + (e.vjp ? "  (vjp)" : "")));
    if (e.mathml) {
      var p = line("local", (e.vjp ? e.label : e.local_label) + " = ");
      var span = document.createElement("span");
      span.innerHTML = e.mathml;  // SymPy's MathML printer escapes every name
      p.appendChild(span);
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
