// Tocsin's few lines of JavaScript: copy buttons, the checks table and the incident
// lists kept live from the server's event stream, a cron expression explained while it is
// typed, and the kind of schedule chosen by typing one. Every page works without them.
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

async function refresh(part) {
  const response = await fetch(part.dataset.rows + window.location.search, {
    headers: { Accept: "text/html" },
    credentials: "same-origin",
  });
  if (response.redirected || !response.ok) {
    window.location.reload();  // signed out, or the project is gone
    return;
  }
  part.innerHTML = await response.text();
}

// `part` shows what `part.dataset.rows` renders; `part.dataset.live` says when it changed.
function followChanges(part) {
  const events = new EventSource(part.dataset.live);
  events.addEventListener("changed", () => { refresh(part).catch(() => {}); });
  window.addEventListener("pagehide", () => events.close());
}

async function showPreview(box, cron, oncalendar, tz) {
  const kind = oncalendar && oncalendar.form.querySelector("input[name=kind][value=oncalendar]:checked")
    ? "oncalendar" : "cron";
  const query = new URLSearchParams({ kind, cron: cron.value, tz: tz.value });
  if (kind === "oncalendar") query.set("oncalendar", oncalendar.value);
  const response = await fetch(`${box.dataset.preview}?${query}`, { credentials: "same-origin" });
  const answer = await response.json();
  box.replaceChildren();
  box.hidden = false;
  if (answer.error) {
    box.append(Object.assign(document.createElement("p"), { className: "error", textContent: answer.error }));
    return;
  }
  box.append(Object.assign(document.createElement("p"), { className: "words", textContent: answer.words }));
  const list = Object.assign(document.createElement("ol"), { className: "times" });
  for (const time of answer.times) {
    const item = document.createElement("li");
    item.append(Object.assign(document.createElement("time"), { dateTime: time.at, textContent: time.local }));
    item.append(` (${time.relative})`);
    list.append(item);
  }
  box.append(Object.assign(document.createElement("p"), { textContent: "Next expected:" }), list);
}

function previewCron(box) {
  const cron = document.getElementById("cron");
  const oncalendar = document.getElementById("oncalendar");
  const tz = document.getElementById("tz");
  let timer = null;
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { showPreview(box, cron, oncalendar, tz).catch(() => { box.hidden = true; }); }, 250);
  };
  cron.addEventListener("input", later);
  if (oncalendar) oncalendar.addEventListener("input", later);
  tz.addEventListener("input", later);
  if (document.querySelector("input[name=kind][value=cron]:checked, input[name=kind][value=oncalendar]:checked")) later();
  document.querySelectorAll("input[name=kind]").forEach((radio) => radio.addEventListener("change", later));
}

// The rules under "More rules" in words, again after each change to their fields.
function previewRules(box) {
  const fields = box.closest("fieldset").querySelectorAll("input, select");
  let timer = null;
  const show = async () => {
    const query = new URLSearchParams();
    for (const input of fields) {
      if (input.type !== "checkbox") query.set(input.name, input.value);
      else if (input.checked) query.set(input.name, "yes");
    }
    const response = await fetch(`${box.dataset.rulesPreview}?${query}`, { credentials: "same-origin" });
    const answer = await response.json();
    const words = answer.error ? { className: "error", textContent: answer.error } : { className: "words", textContent: answer.words };
    box.replaceChildren(Object.assign(document.createElement("p"), words));
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { show().catch(() => {}); }, 250);
  };
  fields.forEach((input) => input.addEventListener(input.type === "checkbox" ? "change" : "input", later));
}

// Typing a period, a cron expression or OnCalendar expressions chooses that kind of
// schedule; typing a zone chooses cron unless OnCalendar is chosen.
function chooseKindWhileTyping() {
  const kinds = { period: "period", cron: "cron", oncalendar: "oncalendar" };
  const zone = document.getElementById("tz");
  if (zone) {
    zone.addEventListener("input", () => {
      const chosen = document.querySelector("input[name=kind]:checked");
      if (chosen && chosen.value === "period") document.querySelector("input[name=kind][value=cron]").click();
    });
  }
  for (const [id, kind] of Object.entries(kinds)) {
    const input = document.getElementById(id);
    const radio = document.querySelector(`input[name=kind][value=${kind}]`);
    if (!input || !radio) continue;
    input.addEventListener("input", () => {
      if (!radio.checked) radio.click();  // a click, so the preview hears the change
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    button.addEventListener("click", () => copyText(button));
  });
  document.querySelectorAll("[data-live]").forEach(followChanges);
  document.querySelectorAll("[data-preview]").forEach(previewCron);
  document.querySelectorAll("[data-rules-preview]").forEach(previewRules);
  chooseKindWhileTyping();
});
