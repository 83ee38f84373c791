// The book's small behaviours on the static site: plotly figures, self-check questions.
// Loaded with `defer`, after plotly.min.js; no network access, no inline scripts needed.
(function () {
  "use strict";

  function drawFigures() {
    if (typeof window.Plotly === "undefined") {
      console.error("nnbook: plotly.min.js did not load; figures cannot be drawn");
      return;
    }
    document.querySelectorAll("script.nnbook-plotly-data").forEach(function (node) {
      var target = document.getElementById(node.dataset.target);
      if (!target || target.dataset.drawn) return;
      var fig = JSON.parse(node.textContent);
      target.dataset.drawn = "1";
      window.Plotly.newPlot(target, fig.data, fig.layout, fig.config);
    });
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
  }

  document.addEventListener("click", onQuizClick);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawFigures);
  } else {
    drawFigures();
  }
})();
