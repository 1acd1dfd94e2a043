/* Date and month pickers: flatpickr (served from /vendor) on input[data-picker=date|month].

   Without JavaScript the inputs stay what the template made them: a date input, or a text
   box taking YYYY-MM with its placeholder. With it, a calendar (or a month grid) in the
   page's language, the chosen value written out in words, an empty box showing its
   placeholder (never a row of dashes), a × that empties an optional box, and typing
   accepted both in ISO form (2024-03, 2024-03-15) and as shown. The form still submits
   the ISO value the server reads. data-min and data-max bound the choice. */
(function () {
  "use strict";
  var D = window.GridPatrolDom;
  var ISO = /^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$/;

  function zh() { return document.documentElement.lang === "zh-CN"; }

  function parser(fallback) {
    return function (text, format) {
      var m = ISO.exec(String(text));
      if (m) { return new Date(Number(m[1]), Number(m[2]) - 1, m[3] ? Number(m[3]) : 1); }
      return fallback(text, format);
    };
  }

  function setUp(input) {
    var month = input.getAttribute("data-picker") === "month";
    var chinese = zh() && window.flatpickr.l10ns && window.flatpickr.l10ns.zh;
    var shown = month ? (chinese ? "Y年n月" : "F Y") : (chinese ? "Y年n月j日 D" : "D j M Y");
    var options = {
      allowInput: true, altInput: true, disableMobile: true,
      altFormat: shown, dateFormat: month ? "Y-m" : "Y-m-d",
      locale: chinese ? "zh" : "default",
      minDate: input.getAttribute("data-min") || null,
      maxDate: input.getAttribute("data-max") || null,
      parseDate: parser(function (text, format) {
        return window.flatpickr.parseDate(text, format);
      })
    };
    if (month) {
      options.plugins = [window.monthSelectPlugin({ shorthand: true, dateFormat: "Y-m",
                                                    altFormat: shown })];
    }
    var picker = window.flatpickr(input, options);
    var wrap = D.el("span", { class: "picker" });
    picker.altInput.parentNode.insertBefore(wrap, picker.altInput);
    wrap.appendChild(picker.altInput);
    picker.altInput.setAttribute("aria-label", input.getAttribute("aria-label") ||
                                 (input.labels && input.labels[0] ?
                                  input.labels[0].textContent.trim() : ""));
    picker.altInput.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && picker.isOpen) { picker.close(); }
    });
    if (input.id) {  /* a <label for=…> now names the box one sees */
      var id = input.id;
      input.id = id + "-value";
      picker.altInput.id = id;
    }
    if (!input.required) {
      var clear = D.el("button", { type: "button", class: "picker-clear",
                                   title: input.getAttribute("data-clear") || "×",
                                   "aria-label": input.getAttribute("data-clear") || "×" },
                       "×");
      clear.addEventListener("click", function () {
        picker.clear();
        /* closing rebuilds the month grid and its year arrows for the year now shown
           (monthSelect leaves them as they were for the cleared date) */
        picker.close();
      });
      wrap.appendChild(clear);
    }
    return picker;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.flatpickr) { return; }
    document.querySelectorAll("input[data-picker]").forEach(setUp);
  });
}());
