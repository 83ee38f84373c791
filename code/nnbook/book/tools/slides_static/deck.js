// A deck of the book's slides (nnbook.book.tools.slides): reveal.js with its speaker notes, the
// site's light or dark theme (T toggles it; the reader's system setting is the default), and
// plotly figures sized to the slide they are on. No network: everything is in _static/.
(function () {
  "use strict";
  var me = document.currentScript;
  var root = document.documentElement;
  var sheet = document.getElementById("deck-theme");

  function setTheme(theme) {
    root.dataset.theme = theme;  // nnbook.js and the widgets follow this attribute
    sheet.setAttribute("href", "_static/reveal/theme/" + (theme === "dark" ? "black" : "white") +
                       ".css");
  }

  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var query = new URLSearchParams(window.location.search);
  setTheme(query.get("theme") || (dark ? "dark" : "light"));
  // ?answers=no: the students' PDF, whose questions keep their answers to themselves
  if (query.get("answers") === "no") root.classList.add("deck-no-answers");

  // Figures drawn while their slide was hidden have the wrong width: fit those on the slide.
  function fitFigures(slide) {
    if (!slide || !window.Plotly) return;
    slide.querySelectorAll(".nnbook-plotly[data-drawn]").forEach(function (target) {
      window.Plotly.Plots.resize(target);
    });
  }

  Reveal.initialize({
    hash: true,
    slideNumber: "c/t",
    width: Number(me.dataset.width),
    height: Number(me.dataset.height),
    margin: 0.03,
    center: false,
    transition: "none",
    pdfSeparateFragments: false,  // the PDF: one page per slide, the answers shown
    plugins: [RevealNotes],
    // Keys pressed in a live widget (the digit pad draws with the arrows, Escape clears the
    // latent explorer) stay in the widget: reveal.js does not turn the slide for them.
    keyboardCondition: function (event) {
      return !(event.target && event.target.closest && event.target.closest(".nnbook-widget"));
    },
    keyboard: {
      84: function () { setTheme(root.dataset.theme === "dark" ? "light" : "dark"); }  // T
    }
  }).then(function () {
    fitFigures(Reveal.getCurrentSlide());
  });
  Reveal.on("slidechanged", function (event) { fitFigures(event.currentSlide); });
  window.addEventListener("load", function () { fitFigures(Reveal.getCurrentSlide()); });
})();
