// Workflow pages: the item action panel and the API-driven admin tables/forms. No framework, same-origin API.
(function () {
  "use strict";
  const csrfHolder = document.querySelector("[data-csrf]");
  const csrf = csrfHolder ? csrfHolder.dataset.csrf : "";
  // Times as the server pages show them (web/pages/common.local_time): China time, 2024-03-01 09:30.
  const TIME = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  const localTime = (iso) => (iso ? TIME.format(new Date(iso)) : "");
  // The page's language (base.html sets <html lang>): zh-CN text first, English when the UI is in English.
  const t = (zh, en) => (document.documentElement.lang === "en" ? en : zh);
  // Product messages (errors, history reasons, delivery results) are stored as "中文 / English": show one side.
  const pick = window.FeedbackLoop.pickLanguage;

  async function api(method, url, body) {
    const opts = { method, headers: { "X-CSRF-Token": csrf, Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const res = await fetch(url, opts);
    if (res.status === 204) return null;
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
    return data;
  }

  function showError(root, err) {
    const box = root.querySelector('[data-wf="error"]') || document.querySelector('[data-wf="error"]');
    if (!box) return;
    box.hidden = !err;
    box.textContent = err ? pick(err.message || err) : "";
  }

  function cell(v) {
    if (v === null || v === undefined) return "";
    if (Array.isArray(v)) return v.map((x) => (typeof x === "object" ? x.display_name || x.username || x.id : x)).join(t("、", ", "));
    if (typeof v === "boolean") return v ? "✓" : "";
    return String(v);
  }

  // --- Generic lists and forms (admin, knowledge pages) ------------------------------------------------------
  // English names of the codes and labels these tables show (the API answers in zh-CN).
  const EN_LABELS = { "一线客服": "First line", "专家团队": "Experts", "部门经理": "Department managers", "高管": "Executives",
    "产品团队": "Product team", "轮询": "Round robin", "最少负载": "Least loaded", "公共池（认领）": "Shared pool (claim)" };

  async function loadList(tbody, url) {
    const rows = await api("GET", url || tbody.dataset.list);
    const cols = tbody.dataset.cols.split(",");
    const translate = (tbody.dataset.translate || "").split(",");
    // data-lookup-<col>="/api/…": show the name of the row the id refers to (team 3 → 物流组), not the id
    const lookups = {};
    for (const c of cols) {
      const src = tbody.dataset["lookup-" + c] || tbody.getAttribute("data-lookup-" + c);
      if (src) lookups[c] = new Map((await api("GET", src)).map((r) => [r.id, r.name]));
    }
    tbody.replaceChildren();
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const c of cols) {
        const td = document.createElement("td");
        let v = lookups[c] && lookups[c].has(row[c]) ? lookups[c].get(row[c]) : row[c];
        if (translate.includes(c) && typeof v === "string") v = t(v, EN_LABELS[v] || v);
        td.textContent = cell(v); tr.appendChild(td);
      }
      if (tbody.dataset.edit) {
        const td = document.createElement("td");
        const b = document.createElement("button");
        b.type = "button"; b.className = "btn btn-ghost btn-sm"; b.textContent = t("编辑", "Edit");
        b.addEventListener("click", () => startEdit(tbody, row));
        td.appendChild(b); tr.appendChild(td);
      }
      if (tbody.dataset.delete) {
        const td = document.createElement("td");
        const b = document.createElement("button");
        b.type = "button"; b.className = "btn btn-ghost btn-sm"; b.textContent = t("删除", "Delete");
        b.addEventListener("click", async () => {
          try { await api("DELETE", tbody.dataset.delete + row.id); await loadList(tbody); } catch (e) { showError(document, e); }
        });
        td.appendChild(b); tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
  }

  // Edit a listed row in its create form: the form switches to PUT on the row's URL until it is saved.
  function startEdit(tbody, row) {
    const form = document.querySelector('[data-testid="' + tbody.dataset.editForm + '"]');
    if (!form) return;
    form.querySelectorAll("[name]").forEach((el) => {
      const v = row[el.name];
      if (el.type === "checkbox") el.checked = Boolean(v);
      else el.value = v === null || v === undefined ? "" : (Array.isArray(v) ? v.join(", ") : String(v));
    });
    form.dataset.createApi = form.dataset.createApi || form.dataset.api;
    form.dataset.api = tbody.dataset.edit + row.id;
    form.dataset.method = "PUT";
    const button = form.querySelector("button[type=submit]");
    if (button && button.dataset.editLabel) button.textContent = button.dataset.editLabel;
    form.scrollIntoView({ block: "center" });
  }

  function endEdit(form) {
    if (!form.dataset.createApi) return;
    form.dataset.api = form.dataset.createApi;
    form.dataset.method = "POST";
    form.reset();
    const button = form.querySelector("button[type=submit]");
    if (button && button.dataset.createLabel) button.textContent = button.dataset.createLabel;
  }

  function formValue(el) {
    const t = el.dataset.type;
    if (t === "bool") return el.checked;
    if (el.multiple) { const v = [...el.selectedOptions].map((o) => o.value); return t === "list-int" ? v.map(Number) : v; }
    const raw = el.value.trim();
    if (t === "int") return raw === "" ? null : parseInt(raw, 10);
    if (t === "float") return raw === "" ? null : parseFloat(raw);
    if (t === "list-int") return raw === "" ? [] : raw.split(/[,，\s]+/).filter(Boolean).map(Number);
    if (t === "list") return raw === "" ? [] : raw.split(/[,，]+/).map((s) => s.trim()).filter(Boolean);
    if (t === "lines") return raw === "" ? [] : raw.split(/\s+/).filter(Boolean);
    return raw === "" ? null : raw;
  }

  async function fillOptions(sel) {
    const rows = await api("GET", sel.dataset.options);
    sel.replaceChildren(...rows.map((r) => { const o = document.createElement("option"); o.value = r.id; o.textContent = r.name; return o; }));
  }

  function initPage(page) {
    page.querySelectorAll("tbody[data-list]").forEach((tb) => loadList(tb).catch((e) => showError(page, e)));
    page.querySelectorAll("select[data-options]").forEach((s) => fillOptions(s).catch((e) => showError(page, e)));
    page.querySelectorAll("form[data-api]").forEach((form) => form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = {};
      form.querySelectorAll("[name]").forEach((el) => { const v = formValue(el); if (v !== null) body[el.name] = v; });
      try {
        await api(form.dataset.method || "POST", form.dataset.api, body);
        showError(page, null);
        if (form.dataset.method === "POST") form.reset();
        else endEdit(form);
        page.querySelectorAll("tbody[data-list]").forEach((tb) => loadList(tb));
        page.querySelectorAll("select[data-options]").forEach((s) => fillOptions(s));
        form.classList.add("saved"); setTimeout(() => form.classList.remove("saved"), 1500);
      } catch (e) { showError(page, e); }
    }));
    page.querySelectorAll("form[data-search]").forEach((form) => form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const params = new URLSearchParams(new FormData(form));
      for (const [k, v] of [...params]) if (!v) params.delete(k);
      loadList(document.getElementById(form.dataset.target), form.dataset.search + "?" + params).catch((e) => showError(page, e));
    }));
  }

  // --- Item action panel ---------------------------------------------------------------------------------
  const LABELS = { triaged: t("分诊", "Triage"), assigned: t("分配", "Assign"), in_progress: t("开始处理", "Start"),
    waiting_customer: t("等待客户", "Wait for customer"), resolved: t("解决", "Resolve"), closed: t("关闭", "Close"),
    reopened: t("重开", "Reopen"), merged: t("合并为重复", "Merge as duplicate"), spam: t("标为垃圾", "Mark as spam") };

  const KINDS = { email: t("邮件", "E-mail"), sms: t("短信", "SMS"), wechat: t("微信", "WeChat"), phone: t("电话", "Phone"),
    note: t("内部备注", "Internal note"), public_draft: t("公开回复草稿", "Public reply draft"), notice: t("系统通知", "Notice") };
  const STATES = { queued: t("排队中", "queued"), sent: t("已发送", "sent"), failed: t("发送失败", "failed"),
    received: t("已收到", "received"), draft: t("草稿", "draft"), manual: t("待人工外呼", "call the customer") };
  const EVENTS = { status: t("状态", "Status"), assign: t("分配", "Assignment"), claim: t("认领", "Claim"),
    escalation: t("升级", "Escalation"), reply: t("回复", "Reply"), priority: t("优先级", "Priority"),
    delivery: t("送达", "Delivery"), tag: t("标签", "Tag"), satisfaction: t("满意度", "Satisfaction") };
  const STATUS = { new: t("新建", "new"), triaged: t("已分诊", "triaged"), assigned: t("已分配", "assigned"),
    in_progress: t("处理中", "in progress"), waiting_customer: t("等待客户", "waiting on customer"),
    resolved: t("已解决", "resolved"), closed: t("已关闭", "closed"), reopened: t("已重开", "reopened"),
    merged: t("已合并", "merged"), spam: t("垃圾信息", "spam") };

  const PRIORITY_EN = { urgent: "Urgent", high: "High", normal: "Normal", low: "Low" };
  const LEVEL_EN = { 1: "First line", 2: "Experts", 3: "Department managers", 4: "Executives" };

  function initItem(panel) {
    const id = panel.dataset.feedbackId;
    const base = "/api/v1/feedback/" + encodeURIComponent(id);
    const q = (k) => panel.querySelector('[data-wf="' + k + '"]');
    const reason = () => q("reason").value.trim() || null;

    async function refresh() {
      const st = await api("GET", base + "/workflow");
      for (const k of ["status_label", "owner", "team", "priority_label", "escalation_label"]) q(k).textContent = st[k] || "—";
      q("status_label").textContent = t(st.status_label, st.status_label_en || st.status_label);
      if (st.priority) q("priority_label").textContent = t(st.priority_label, PRIORITY_EN[st.priority] || st.priority);
      q("escalation_label").textContent = t(st.escalation_label, LEVEL_EN[st.escalation_level] || st.escalation_label);
      // The page header's status badge follows too (it was rendered with the page: 已分配 stayed after 解决).
      document.querySelectorAll("[data-status-badge]").forEach((el) => {
        el.className = "status status-" + st.status;
        el.textContent = t(st.status_label, st.status_label_en || st.status_label);
      });
      q("sla").textContent = t(st.sla.label, st.sla.label_en || st.sla.label);
      q("sla").dataset.state = st.sla.state;
      q("reasons").replaceChildren(...st.priority_reasons.map((r) => { const li = document.createElement("li"); li.textContent = t(r.label, r.label_en || r.label) + (r.points ? t("（+", " (+") + r.points + t("）", ")") : ""); return li; }));
      q("buttons").replaceChildren(...st.allowed_next.map((to) => {
        const b = document.createElement("button");
        b.type = "button"; b.className = "btn btn-sm"; b.textContent = LABELS[to] || to; b.dataset.to = to;
        b.addEventListener("click", () => act(() => api("POST", base + "/transition", { to, reason: reason() })));
        return b;
      }));
      q("hint").textContent = st.status_link ? t("客户进度链接：", "Customer status link: ") + st.status_link : "";
      const replies = await api("GET", base + "/replies");
      q("replies").replaceChildren(...replies.map((r) => {
        const li = document.createElement("li");
        li.dataset.replyState = r.state;
        li.textContent = localTime(r.created_at) + " " + (r.direction === "in" ? "← " : "→ ") + (KINDS[r.kind] || r.kind) + " · " + (STATES[r.state] || r.state) + (r.error && r.state !== "sent" ? t("（", " (") + pick(r.error) + t("）", ")") : "") + " · " + (r.subject || "") + " — " + r.body.slice(0, 120);
        return li;
      }));
      const hist = await api("GET", base + "/history");
      q("history").replaceChildren(...hist.map((h) => { const li = document.createElement("li"); li.textContent = localTime(h.at) + " · " + (h.actor === "system" ? t("系统", "System") : h.actor) + " · " + (EVENTS[h.kind] || h.kind) + (h.to_status ? " → " + (STATUS[h.to_status] || h.to_status) : "") + (h.reason ? " · " + pick(h.reason) : ""); return li; }));
    }

    async function act(fn) {
      try { await fn(); showError(panel, null); await refresh(); } catch (e) { showError(panel, e); }
    }

    // Assign to a colleague or to a team (the team's routing strategy then picks the owner).
    Promise.all([api("GET", "/api/v1/workflow/teams"), api("GET", "/api/v1/workflow/assignees")]).then(([teams, people]) => {
      const sel = q("assignee");
      for (const team of teams) {
        const o = document.createElement("option");
        o.value = "team:" + team.id; o.textContent = t("团队：", "Team: ") + team.name;
        sel.appendChild(o);
      }
      for (const person of people) {  // every agent, supervisor and admin, in a team or not
        const o = document.createElement("option"); o.value = "user:" + person.id; o.textContent = person.display_name; sel.appendChild(o);
      }
    }).catch((e) => showError(panel, e));
    panel.querySelector('[data-wf-action="assign"]').addEventListener("click", () => act(() => {
      const [kind, value] = q("assignee").value.split(":");
      if (!value) throw new Error(t("请选择负责人或团队", "Pick a person or a team"));
      const body = kind === "team" ? { team_id: Number(value) } : { owner_id: Number(value) };
      body.reason = reason();
      return api("POST", base + "/assign", body);
    }));
    panel.querySelector('[data-wf-action="claim"]').addEventListener("click", () => act(() => api("POST", base + "/claim")));
    panel.querySelector('[data-wf-action="escalate"]').addEventListener("click", () => act(() => api("POST", base + "/escalate", { reason: reason() || "" })));
    // Placeholders the item could not fill stay as {name} in the text: list them, so the agent replaces them.
    const NAMES = { customer_name: t("客户称呼", "customer name"), feedback_id: t("反馈编号", "feedback id"),
      product: t("产品/服务", "product"), module: t("模块", "module"), next_step: t("下一步", "next step"),
      deadline: t("预计完成时间", "deadline"), owner: t("负责人", "owner"), status_link: t("进度查询链接", "status link") };
    function markMissing() {
      const found = [...new Set([...q("body").value.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).filter((n) => n in NAMES))];
      q("missing").hidden = found.length === 0;
      q("missing").textContent = found.length ? t("尚未填写：", "Still to fill in: ") + found.map((n) => "{" + n + "} " + NAMES[n]).join(t("、", ", ")) : "";
      q("body").classList.toggle("has-missing", found.length > 0);
    }
    q("body").addEventListener("input", markMissing);
    panel.querySelector('[data-wf-action="suggest"]').addEventListener("click", () => act(async () => {
      const s = await api("GET", base + "/suggested-reply");
      q("subject").value = s.subject; q("body").value = s.body; markMissing();
      const notes = [];
      if (s.knowledge) notes.push(t("知识库：", "Knowledge base: ") + s.knowledge.title);
      for (const c of s.similar_cases) notes.push(t("相似案例 ", "Similar case ") + c.id + t("（", " (") + c.score + t("）", ")"));
      q("hint").textContent = notes.join(" · ");
    }));
    panel.querySelector('[data-wf-action="reply"]').addEventListener("click", () => act(async () => {
      await api("POST", base + "/replies", { body: q("body").value, subject: q("subject").value || null, kind: q("kind").value });
      q("body").value = ""; markMissing();
    }));
    q("template").addEventListener("change", () => act(async () => {
      if (!q("template").value) return;
      const filled = await api("POST", base + "/render-template", { template_id: Number(q("template").value) });
      q("subject").value = filled.subject; q("body").value = filled.body; markMissing();
    }));
    api("GET", "/api/v1/templates").then((ts) => {
      for (const t of ts) { const o = document.createElement("option"); o.value = t.id; o.textContent = t.name; q("template").appendChild(o); }
    });
    refresh().catch((e) => showError(panel, e));
  }

  document.querySelectorAll(".wf-page").forEach(initPage);
  document.querySelectorAll("#wf-actions").forEach(initItem);
})();
