// Tocsin's few lines of JavaScript: copy buttons, and the checks table kept live from the
// server's event stream. Every page works without them.
"use strict";

function copyText(button) {
  const source = document.getElementById(button.dataset.copy);
  const text = source ? source.textContent.trim() : "";
  const done = () => { button.textContent = "Copied"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => selectText(source));
  } else {
    selectText(source);
  }
}

function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function refreshRows(table) {
  const response = await fetch(table.dataset.rows + window.location.search, {
    headers: { Accept: "text/html" },
    credentials: "same-origin",
  });
  if (response.redirected || !response.ok) {
    window.location.reload();  // signed out, or the project is gone
    return;
  }
  table.querySelector("tbody").innerHTML = await response.text();
}

function followChecks(table) {
  const events = new EventSource(table.dataset.live);
  events.addEventListener("checks", () => { refreshRows(table).catch(() => {}); });
  window.addEventListener("pagehide", () => events.close());
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    button.addEventListener("click", () => copyText(button));
  });
  document.querySelectorAll("table[data-live]").forEach(followChecks);
});
