/* pepflow's one script: where it runs, a school or person field offers matches as the name is
   typed (GOV.UK's accessible-autocomplete).  Without it the page works the same way, a step
   longer: the typed name is searched and the matches offered to choose from.  The value sent is
   the name with the reference in brackets, which the server reads as that reference. */
(function () {
  "use strict";
  if (!window.accessibleAutocomplete || !window.fetch || !document.querySelectorAll) { return; }
  function escaped(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }
  var inputs = document.querySelectorAll("input[data-pepflow-lookup]");
  Array.prototype.forEach.call(inputs, function (input) {
    var url = input.getAttribute("data-pepflow-lookup");
    var prefix = input.getAttribute("data-pepflow-ref-prefix") || "";
    var container = document.createElement("div");
    container.className = "pepflow-autocomplete";
    input.parentNode.insertBefore(container, input);
    var described = input.getAttribute("aria-describedby");
    input.parentNode.removeChild(input);
    window.accessibleAutocomplete({
      element: container,
      id: input.id,
      name: input.name,
      defaultValue: input.value,
      minLength: 2,
      showNoOptionsFound: true,
      confirmOnBlur: false,  // leaving the box never chooses a school for the person
      tNoResults: function () { return "No match: send the form to search the whole list"; },
      source: function (query, populate) {
        window.fetch(url + encodeURIComponent(query), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(populate, function () { populate([]); });
      },
      templates: {
        inputValue: function (m) { return m && m.name ? m.name + " (" + prefix + m.ref + ")" : ""; },
        suggestion: function (m) {
          return m && m.name ? escaped(m.name) + '<br><span class="pepflow-autocomplete__detail">' + escaped(m.detail) + "</span>" : escaped(m);
        }
      }
    });
    if (described) {
      var made = document.getElementById(input.id);
      if (made) { made.setAttribute("aria-describedby", (made.getAttribute("aria-describedby") || "") + " " + described); }
    }
  });
}());
