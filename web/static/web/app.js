// Modelgate web app: small progressive enhancements. Every page works without this file;
// with it, the menu folds on phones, code copies with one click, the risk questionnaire
// shows its tier while you answer and export progress updates in place.
"use strict";

function onReady(callback) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", callback);
  else callback();
}

function setupNavToggle() {
  const toggle = document.querySelector("[data-nav-toggle]");
  const nav = document.getElementById("site-nav");
  if (!toggle || !nav) return;
  toggle.addEventListener("click", () => {
    const open = nav.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
}

function setupCopyButtons() {
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copyTarget);
      if (!source) return;
      const text = source.innerText;
      try {
        await navigator.clipboard.writeText(text);
      } catch (error) {
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        document.execCommand("copy");
      }
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  });
}

function setupLivePreview() {
  const form = document.querySelector("form[data-preview-url]");
  if (!form) return;
  const target = document.getElementById(form.dataset.previewTarget);
  let pending = null;
  let sequence = 0;
  const refresh = async () => {
    const mine = ++sequence;
    const body = new FormData(form);
    const response = await fetch(form.dataset.previewUrl, {
      method: "POST",
      body,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
    if (mine !== sequence) return; // a newer answer is on its way
    if (response.ok) {
      target.innerHTML = await response.text();
      target.setAttribute("data-updated", String(mine));
    }
  };
  form.addEventListener("change", () => {
    clearTimeout(pending);
    pending = setTimeout(refresh, 120);
  });
}

function setupProgress() {
  document.querySelectorAll("[data-progress-url]").forEach((row) => {
    const bar = row.querySelector("progress");
    const note = row.querySelector("[data-progress-note]");
    const poll = async () => {
      const response = await fetch(row.dataset.progressUrl, { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      if (bar) bar.value = data.progress;
      if (note) note.textContent = data.progress_note || data.status;
      if (data.status === "done" || data.status === "failed") {
        row.outerHTML = data.row_html;
      } else {
        setTimeout(poll, 800);
      }
    };
    setTimeout(poll, 500);
  });
}

onReady(() => {
  setupNavToggle();
  setupCopyButtons();
  setupLivePreview();
  setupProgress();
});
