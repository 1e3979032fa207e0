/* Loaded before the ipywidgets HTML manager (embed-amd.js) on every page with widgets. */
(function () {
  "use strict";
  // Each AMD module of the bundle (@jupyter-widgets/base, .../controls, ...,
  // .../html-manager/dist/libembed-amd) loads the icon fonts relative to the URL RequireJS
  // gives it, by default under the page's folder: map them all to _static/widgets/, where
  // the fonts are.
  var widgets = new URL("widgets", document.currentScript.src).href;
  window.require.config({
    paths: { "@jupyter-widgets": widgets, "@jupyter-widgets/html-manager/dist": widgets },
  });

  // The manager typesets widget labels with MathJax 2's API (MathJax.Hub.Queue); the site
  // loads MathJax 3, which has no Hub. Once MathJax 3 is there (it is loaded with `defer`, so
  // before DOMContentLoaded), forward those calls to MathJax 3.
  document.addEventListener("DOMContentLoaded", function () {
    var mathjax = window.MathJax;
    if (!mathjax || mathjax.Hub) {
      return;
    }
    mathjax.Hub = {
      Queue: function () {
        Array.prototype.forEach.call(arguments, function (job) {
          if (!Array.isArray(job) || job[0] !== "Typeset") {
            return;
          }
          var element = job[2];
          var ready = mathjax.startup && mathjax.startup.promise ? mathjax.startup.promise : Promise.resolve();
          ready
            .then(function () {
              return mathjax.typesetPromise(element ? [element] : undefined);
            })
            .catch(function (err) {
              console.warn("MathJax could not typeset a widget label:", err);
            });
        });
      },
    };
  });
})();
