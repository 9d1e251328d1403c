// The inbox as a work queue: select rows, then one bulk action (assign to a person or a team, change status,
// merge as duplicate, add a tag) through POST /api/v1/feedback/bulk. Without JS the inbox still lists and sorts.
(function () {
  "use strict";
  const bar = document.querySelector('[data-testid="bulk-bar"]');
  if (!bar) return;
  const csrf = bar.dataset.csrf;
  const en = document.documentElement.lang === "en";
  const q = (k) => bar.querySelector('[data-bulk="' + k + '"]');
  const boxes = () => [...document.querySelectorAll('input[data-bulk="item"]')];
  const chosen = () => boxes().filter((b) => b.checked).map((b) => b.value);
  const FIELDS = { assign: "owner_id", assign_team: "team_id", status: "to", merge: "merged_into", tag: "tag" };

  function update() {
    const n = chosen().length;
    bar.hidden = n === 0;
    q("count").textContent = en ? n + " selected" : "已选 " + n + " 条";
    const field = FIELDS[q("action").value];
    for (const f of Object.values(FIELDS)) q(f).hidden = f !== field;
  }

  document.addEventListener("change", (ev) => {
    if (ev.target.matches('input[data-bulk="all"]')) boxes().forEach((b) => { b.checked = ev.target.checked; });
    if (ev.target.closest("[data-bulk]")) update();
  });

  q("apply").addEventListener("click", async () => {
    const action = q("action").value;
    const field = FIELDS[action];
    const raw = q(field).value.trim();
    const body = { ids: chosen(), action };
    body[field] = field.endsWith("_id") ? Number(raw) : raw;
    const err = q("error");
    err.hidden = true;
    try {
      const res = await fetch("/api/v1/feedback/bulk", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
      window.location.reload();
    } catch (e) {
      err.textContent = window.FeedbackLoop.pickLanguage(e.message || e);
      err.hidden = false;
    }
  });
  update();
})();
