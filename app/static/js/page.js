/* Behaviour the templates ask for with data attributes, since the Content-Security-Policy
   runs no inline handler (onchange=…, onclick=…):
   data-autosubmit  submit the element's form when its value changes (language, day);
   data-print       print the page when clicked (the route sheet).                  */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof Element && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
}());
