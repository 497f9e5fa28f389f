// The template picker (templates/admin/whatsapp/template_picker.html): shows the chosen template's
// fields and a live preview of what the person reads. The server cut each template's text into
// parts at its placeholders (whatsapp.catalogue.components.preview_parts); this only joins them with
// what is typed, as the server's render() does for the message it stores. Served locally, no CDN.
(function () {
  "use strict";

  function joined(parts, values) {
    return parts.map((part) => (part.slot ? values[part.slot] || part.text : part.text)).join("");
  }

  function previewText(parts, values) {
    const lines = [];
    if (parts.media) lines.push("[" + parts.media + "]");
    if (parts.header.length) lines.push(joined(parts.header, values));
    lines.push(joined(parts.body, values));
    if (parts.footer) lines.push(parts.footer);
    if (parts.buttons.length) lines.push(parts.buttons.map((title) => "[" + title + "]").join(" "));
    return lines.filter((line) => line).join("\n");
  }

  function setUp(picker) {
    if (picker.dataset.ready) return;
    picker.dataset.ready = "1";
    const allParts = JSON.parse(picker.querySelector('script[type="application/json"]').textContent);
    const choice = picker.querySelector("[data-template-choice]");
    const fieldsets = picker.querySelectorAll("fieldset[data-template]");

    function update(fieldset) {
      const values = {};
      for (const input of fieldset.querySelectorAll("input[data-slot]")) values[input.dataset.slot] = input.value.trim();
      fieldset.querySelector("[data-preview]").textContent = previewText(allParts[fieldset.dataset.template], values);
    }

    function show() {
      for (const fieldset of fieldsets) {
        const chosen = fieldset.dataset.template === choice.value;
        fieldset.hidden = !chosen;
        fieldset.disabled = !chosen; // only the chosen template's fields are sent, and required
        for (const input of fieldset.querySelectorAll("input[data-slot]")) input.required = chosen;
        if (chosen) update(fieldset);
      }
    }

    for (const fieldset of fieldsets) fieldset.addEventListener("input", () => update(fieldset));
    choice.addEventListener("change", show);
    show();
  }

  function setUpAll() {
    for (const picker of document.querySelectorAll("[data-template-picker]")) setUp(picker);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpAll);
  else setUpAll();
})();
