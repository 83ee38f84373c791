// The book's small behaviours on the static site: plotly figures, self-check questions, dark mode.
// Loaded with `defer`, after plotly.min.js and widgets/nnlib.js (whose NNLib.isDark it reads);
// no network access, no inline scripts needed.
(function () {
  "use strict";

  // Figures have transparent backgrounds; text, grid and axis lines follow the site's theme.
  var THEMES = {
    light: { font: "#2a3f5f", grid: "#e5ecf6", line: "#8a99ad" },
    dark: { font: "#ced6dd", grid: "rgba(255,255,255,0.14)", line: "#8a99ad" }
  };

  function siteTheme() {
    return window.NNLib.isDark() ? "dark" : "light";
  }

  function themeUpdate(target, theme) {
    var colours = THEMES[theme];
    var update = { "font.color": colours.font };
    var full = target._fullLayout || target.layout || {};
    // Buttons are light chips in either theme: their labels stay dark.
    (full.updatemenus || []).forEach(function (_, i) {
      update["updatemenus[" + i + "].font.color"] = THEMES.light.font;
    });
    Object.keys(full).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        update[key + ".gridcolor"] = colours.grid;
        update[key + ".zerolinecolor"] = colours.grid;
        update[key + ".linecolor"] = colours.line;
      }
    });
    return update;
  }

  // The relative luminance of a CSS colour (WCAG), read through a canvas, which understands
  // every way of writing one; null for what is not a single colour.
  var canvas = null;  // made on first use
  function luminance(colour) {
    if (typeof colour !== "string") return null;
    canvas = canvas || document.createElement("canvas").getContext("2d");
    canvas.fillStyle = "#010203";
    canvas.fillStyle = colour;
    var value = canvas.fillStyle;
    var rgb = /^#/.test(value)
      ? [1, 3, 5].map(function (i) { return parseInt(value.slice(i, i + 2), 16); })
      : (value.match(/[\d.]+/g) || []).slice(0, 3).map(Number);
    if (rgb.length < 3 || (value === "#010203" && colour.toLowerCase() !== "#010203")) return null;
    var linear = rgb.map(function (c) {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  }

  function contrast(a, b) {
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }

  // In the dark theme a line or marker drawn in a colour too close to the page's background (the
  // black dotted target of a fit) is drawn in the theme's text colour instead: every trace keeps
  // a contrast of 3:1 at least. The light theme gives each trace back its own colour.
  var MIN_CONTRAST = 3;
  function recolourTraces(target, theme) {
    var background = luminance(getComputedStyle(document.body).backgroundColor);
    if (background === null) return;
    if (!target._nnbookOwnColours) {  // the colours the figure was made with
      target._nnbookOwnColours = (target.data || []).map(function (trace) {
        return { line: trace.line && trace.line.color, marker: trace.marker && trace.marker.color };
      });
    }
    target._nnbookOwnColours.forEach(function (own, i) {
      ["line", "marker"].forEach(function (part) {
        var l = luminance(own[part]);
        if (l === null) return;
        var wanted = theme === "dark" && contrast(l, background) < MIN_CONTRAST
          ? THEMES.dark.font : own[part];
        var trace = target.data[i];
        if ((trace[part] && trace[part].color) === wanted) return;
        var update = {};
        update[part + ".color"] = [wanted];
        window.Plotly.restyle(target, update, [i]);
      });
    });
  }

  function applyTheme(target) {
    var theme = siteTheme();
    var previous = target.dataset.theme;
    target.dataset.theme = theme;
    // A figure is drawn in the light theme it was made for; only a change needs a relayout.
    if (previous === theme || (!previous && theme === "light")) return;
    window.Plotly.relayout(target, themeUpdate(target, theme));
    recolourTraces(target, theme);
  }

  function followTheme() {
    document.querySelectorAll(".nnbook-plotly[data-drawn]").forEach(applyTheme);
  }

  function unquote(family) {
    return family.trim().replace(/^["']|["']$/g, "");
  }

  // The family a figure names first (nnbook.plotting.FONT_FAMILY).
  function firstFamily(fig) {
    var font = (fig.layout && fig.layout.font) || {};
    return unquote((font.family || "").split(",")[0]);
  }

  // plotly measures each label as it draws it and keeps that width: a figure drawn before its
  // font has loaded is laid out in the machine's fallback font, and on a phone its labels can
  // run into each other. So every face of the fonts the figures name first (the site serves
  // them, _static/fonts) is loaded before any figure is drawn: all of a font's subsets, since
  // hover labels and a replay's titles show text that is not on the page yet. A font that
  // fails to load, or takes over FONT_WAIT ms, leaves the figures in the fallback.
  var FONT_WAIT = 10000;

  function loadFonts(families) {
    var faces = [];
    if (document.fonts) {
      document.fonts.forEach(function (face) {
        if (families.indexOf(unquote(face.family)) >= 0) faces.push(face.load());
      });
    }
    var loaded = Promise.all(faces).catch(function (error) {
      console.error("nnbook: the figures' font did not load (" + families.join(", ") + "): " +
                    error);
    });
    return Promise.race([loaded, new Promise(function (resolve) {
      setTimeout(resolve, FONT_WAIT);
    })]);
  }

  function drawFigure(target, fig) {
    target.dataset.drawn = "1";
    // Without script the figure is a named picture (role img); drawn, it holds controls
    // (zoom, pan, legend toggles), and a picture may not contain controls: it becomes a figure.
    target.setAttribute("role", "figure");
    // frames: a replay's snapshots, which its slider animates to (nnbook.plotting)
    window.Plotly.newPlot(target, { data: fig.data, layout: fig.layout, config: fig.config,
                                    frames: fig.frames || [] }).then(function () {
      applyTheme(target);
    });
  }

  function drawFigures() {
    if (typeof window.Plotly === "undefined") {
      console.error("nnbook: plotly.min.js did not load; figures cannot be drawn");
      return;
    }
    var figures = [];
    document.querySelectorAll("script.nnbook-plotly-data").forEach(function (node) {
      var target = document.getElementById(node.dataset.target);
      if (!target || target.dataset.drawn || target.dataset.queued) return;
      target.dataset.queued = "1";
      figures.push({ target: target, fig: JSON.parse(node.textContent) });
    });
    if (!figures.length) return;
    var families = figures.map(function (f) { return firstFamily(f.fig); })
      .filter(function (family, i, all) { return family && all.indexOf(family) === i; });
    loadFonts(families).then(function () {
      figures.forEach(function (f) { drawFigure(f.target, f.fig); });
    });
  }

  // A section whose heading starts with "Going deeper" is a study beside the page's core path:
  // it folds into a <details> whose summary is its own heading (anchors and the page's contents
  // still point at it). The PDF is built from the same pages without this script, so there every
  // such section stays open.
  function foldDeeperSections() {
    document.querySelectorAll("article.bd-article section").forEach(function (section) {
      var heading = section.querySelector(":scope > h2, :scope > h3, :scope > h4");
      if (!heading || !/^Going deeper\b/.test(heading.textContent.trim())) return;
      var details = document.createElement("details");
      details.className = "nnbook-deeper";
      var summary = document.createElement("summary");
      while (section.firstChild) details.appendChild(section.firstChild);
      summary.appendChild(heading);
      details.insertBefore(summary, details.firstChild);
      section.appendChild(details);
      details.addEventListener("toggle", function () {
        // Figures drawn while folded away had no width to fill: fit them now.
        if (!details.open || typeof window.Plotly === "undefined") return;
        details.querySelectorAll(".nnbook-plotly[data-drawn]").forEach(function (gd) {
          window.Plotly.Plots.resize(gd);
        });
      });
    });
    openTargetedSection();
  }

  // A link to something inside a folded section (#its-id) opens the section.
  function openTargetedSection() {
    if (!location.hash) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var details = target && target.closest("details.nnbook-deeper");
    if (details && !details.open) {
      details.open = true;
      target.scrollIntoView();
    }
  }

  function onQuizClick(event) {
    var button = event.target.closest(".nnbook-quiz-option");
    if (!button) return;
    var quiz = button.closest(".nnbook-quiz");
    var correct = button.dataset.correct === "true";
    quiz.querySelectorAll(".nnbook-quiz-option").forEach(function (b) {
      b.classList.remove("is-correct", "is-wrong");
      b.setAttribute("aria-pressed", "false");
    });
    button.classList.add(correct ? "is-correct" : "is-wrong");
    button.setAttribute("aria-pressed", "true");
    var feedback = quiz.querySelector(".nnbook-quiz-feedback");
    feedback.textContent = (correct ? "Correct. " : "") + button.dataset.feedback;
    feedback.classList.toggle("is-correct", correct);
    feedback.classList.toggle("is-wrong", !correct);
    // The feedback may hold math, \( ... \), written in only now: typeset it in place.
    if (window.MathJax && MathJax.typesetPromise) {
      if (MathJax.typesetClear) MathJax.typesetClear([feedback]);
      MathJax.typesetPromise([feedback]);
    }
  }

  // Inline math wider than what is left of its line (a derivation's conclusion on a phone) would
  // be cut off at the column's edge: such a formula gets a line of its own, where it scrolls
  // sideways if it is still too wide (nnbook.css). Measured again when the width changes and
  // when a folded section opens (math in a closed one has no width to measure).
  function fitInlineMath() {
    document.querySelectorAll("article.bd-article mjx-container:not([display='true'])")
      .forEach(function (math) { math.classList.remove("nnbook-wide-math"); });
    document.querySelectorAll("article.bd-article mjx-container:not([display='true'])")
      .forEach(function (math) {
        var line = math.parentElement.closest("p, li, dd, dt, td, th, div, figcaption");
        var box = math.getBoundingClientRect();
        if (line && box.width > 0 && box.right > line.getBoundingClientRect().right + 1) {
          math.classList.add("nnbook-wide-math");
        }
      });
    document.documentElement.dataset.nnbookMath = "fitted";
  }

  function fitInlineMathWhenTypeset() {
    var waiting = true;
    function typeset() {  // once MathJax has typeset the page, or at the page's load without it
      if (!waiting) return;
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        waiting = false;
        MathJax.startup.promise.then(fitInlineMath);
      }
    }
    typeset();
    Array.prototype.forEach.call(document.querySelectorAll("script[src]"), function (script) {
      if (/mathjax/i.test(script.getAttribute("src"))) script.addEventListener("load", typeset);
    });
    window.addEventListener("load", function () {
      typeset();
      if (waiting) {
        waiting = false;
        document.documentElement.dataset.nnbookMath = "none";  // a page without math
      }
    });
    var pending;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(fitInlineMath, 150);
    });
    document.addEventListener("toggle", fitInlineMath, true);
  }

  document.addEventListener("click", onQuizClick);
  new MutationObserver(followTheme).observe(document.documentElement,
    { attributes: true, attributeFilter: ["data-theme"] });
  window.addEventListener("hashchange", openTargetedSection);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", foldDeeperSections);
    document.addEventListener("DOMContentLoaded", drawFigures);
    document.addEventListener("DOMContentLoaded", fitInlineMathWhenTypeset);
  } else {
    foldDeeperSections();
    drawFigures();
    fitInlineMathWhenTypeset();
  }
})();
