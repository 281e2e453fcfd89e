/* Autocomplete for the search box: an ARIA 1.2 combobox over GET /api/suggest.
 *
 * The page works without this file (the box is a plain GET form); this only adds a list under
 * the box, usable with the mouse or the keyboard (arrows, Enter, Escape): first the query
 * completions (choosing one runs that search), then article titles (choosing one opens the
 * article; titles derived from the first sentence are marked).
 * Suggestion HTML from the server holds escaped text and <mark> tags; it is rebuilt here as
 * DOM nodes (never assigned to innerHTML) so no markup from an article can run.
 */
(function () {
  "use strict";

  var MIN_CHARS = 2;
  var DELAY_MS = 120;

  var input = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  var status = document.getElementById("q-status");
  if (!input || !list || !window.fetch) {
    return;
  }
  var endpoint = input.getAttribute("data-suggest-url");
  var form = input.form;
  var timer = null;
  var controller = null;
  var items = [];
  var active = -1;
  var typed = input.value;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");

  /* Turn "text <mark>word</mark> &amp; more" into text nodes and <mark> elements. */
  function appendMarked(parent, html) {
    var parts = String(html).split(/(<mark>|<\/mark>)/);
    var marked = false;
    parts.forEach(function (part) {
      if (part === "<mark>") { marked = true; return; }
      if (part === "</mark>") { marked = false; return; }
      if (!part) { return; }
      var text = document.createTextNode(decodeEntities(part));
      if (marked) {
        var mark = document.createElement("mark");
        mark.appendChild(text);
        parent.appendChild(mark);
      } else {
        parent.appendChild(text);
      }
    });
  }

  function decodeEntities(text) {
    return text.replace(/&(lt|gt|quot|#x27|#39|amp);/g, function (_, name) {
      return { lt: "<", gt: ">", quot: "\"", "#x27": "'", "#39": "'", amp: "&" }[name];
    });
  }

  function announce(message) {
    if (status) { status.textContent = message; }
  }

  function open() {
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function setActive(index) {
    var options = list.children;
    if (active >= 0 && options[active]) {
      options[active].setAttribute("aria-selected", "false");
    }
    active = index;
    if (active >= 0 && options[active]) {
      options[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
      // A completion is a query: show it in the box; a title keeps what was typed.
      input.value = items[active].url ? typed : items[active].text;
    } else {
      input.removeAttribute("aria-activedescendant");
      input.value = typed;
    }
  }

  function render(suggestions, value) {
    list.textContent = "";
    // Which text the list completes (tests and styles can tell a stale list from a fresh one).
    list.setAttribute("data-query", value);
    items = suggestions;
    active = -1;
    suggestions.forEach(function (suggestion, index) {
      var option = document.createElement("li");
      option.id = "q-option-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.className = suggestion.url ? "suggestion-title" : "suggestion-query";
      if (!suggestion.url) {
        var label = document.createElement("span");
        label.className = "suggestion-kind";
        label.textContent = "Tìm: ";
        option.appendChild(label);
      }
      appendMarked(option, suggestion.html);
      if (suggestion.derived) {
        var derived = document.createElement("span");
        derived.className = "suggestion-derived";
        derived.textContent = " (câu đầu bài)";
        option.appendChild(derived);
      }
      option.addEventListener("click", function () { choose(index); });
      list.appendChild(option);
    });
    if (suggestions.length) {
      open();
      announce(suggestions.length + " gợi ý. Dùng phím mũi tên lên, xuống để chọn.");
    } else {
      close();
      announce("");
    }
  }

  /* A title opens its article; a query completion runs the search. */
  function choose(index) {
    var item = items[index];
    close();
    if (item.url) {
      input.value = typed;
      window.location.assign(item.url);
      return;
    }
    input.value = item.text;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function fetchSuggestions() {
    var value = input.value;
    if (value.trim().length < MIN_CHARS) {
      render([], value);
      return;
    }
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    fetch(endpoint + "?q=" + encodeURIComponent(value), {
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.ok ? response.json() : { suggestions: [] };
    }).then(function (data) {
      // Ignore answers to text that has changed since the request was sent.
      if (input.value === value) { render((data.completions || []).concat(data.suggestions || []), value); }
    }).catch(function () { /* aborted or offline: the plain search still works */ });
  }

  input.addEventListener("input", function () {
    typed = input.value;
    window.clearTimeout(timer);
    timer = window.setTimeout(fetchSuggestions, DELAY_MS);
  });

  input.addEventListener("keydown", function (event) {
    var count = items.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!count) { return; }
      event.preventDefault();
      if (list.hidden) { open(); }
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = active + step;
      if (next >= count) { next = -1; }
      if (next < -1) { next = count - 1; }
      setActive(next);
    } else if (event.key === "Enter") {
      if (!list.hidden && active >= 0) {
        event.preventDefault();
        choose(active);
      }
    } else if (event.key === "Escape") {
      if (!list.hidden) {
        event.preventDefault();
        input.value = typed;
        close();
      }
    } else if (event.key === "Tab") {
      close();
    }
  });

  // Keep the focus in the box when an option is pressed, so the click can choose it.
  list.addEventListener("mousedown", function (event) { event.preventDefault(); });

  input.addEventListener("blur", function () { close(); });

  document.addEventListener("click", function (event) {
    if (event.target !== input && !list.contains(event.target)) { close(); }
  });
})();
