// Agent console: queue, transcript with the bot's annotations, claim, reply, resolve. All text via textContent.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("faqbot.agentToken");
  let me = null;
  let selected = null;     // handoff id
  let handoffs = [];
  const shown = new Set();

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: Object.assign({ "Content-Type": "application/json" }, token ? { Authorization: "Bearer " + token } : {}),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || ("HTTP " + res.status));
    return data;
  }

  function ago(iso) {
    const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    return s < 60 ? s + "s" : Math.floor(s / 60) + "m " + (s % 60) + "s";
  }

  function renderQueue() {
    const box = $("queue");
    box.replaceChildren();
    if (!handoffs.length) {
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = "No one is waiting.";
      box.appendChild(empty);
      return;
    }
    for (const h of handoffs) {
      const item = document.createElement("div");
      item.className = "item" + (h.id === selected ? " active" : "");
      item.dataset.handoffId = h.id;
      const line1 = document.createElement("div");
      line1.className = "line1";
      const tags = document.createElement("span");
      const tagList = [[h.status, h.status], [h.reason.replace("_", " "), ""], [h.language || "?", ""]];
      if (h.priority === "high") tagList.unshift(["high priority", "high"]);
      for (const [text, cls] of tagList) {
        const t = document.createElement("span");
        t.className = "tag " + cls;
        t.textContent = text;
        tags.appendChild(t);
      }
      const wait = document.createElement("span");
      wait.textContent = h.agent_name ? h.agent_name : "waiting " + ago(h.created_at);
      line1.append(tags, wait);
      const summary = document.createElement("div");
      summary.className = "summary";
      summary.textContent = h.summary || "(no message)";
      item.append(line1, summary);
      item.addEventListener("click", () => open(h.id));
      box.appendChild(item);
    }
  }

  async function refreshQueue() {
    handoffs = (await api("GET", "/api/agent/handoffs")).handoffs;
    renderQueue();
    if (selected) updateToolbar(handoffs.find((h) => h.id === selected));
  }

  function annotate(m) {
    const d = m.data || {};
    const parts = [];
    if (m.sender === "customer" && d.intent) parts.push("intent " + d.intent + (d.confidence != null ? " (" + Number(d.confidence).toFixed(2) + ")" : ""));
    if (m.sender === "bot" && d.outcome) parts.push(d.outcome);
    if (m.sender === "bot" && d.article_id) parts.push("article " + d.article_id + (d.score != null ? " · score " + Number(d.score).toFixed(2) : " (chosen)"));
    if (m.sender === "bot" && d.outcome !== "answer" && d.score != null) parts.push("best score " + Number(d.score).toFixed(2));
    if (m.sender === "bot" && d.confidence != null) parts.push("confidence " + Number(d.confidence).toFixed(2));
    if (m.sender === "bot" && d.helpful != null) parts.push(d.helpful ? "👍 helpful" : "👎 not helpful");
    const f = d.frustration;
    if (m.sender === "customer" && f && f.level !== "low") {
      parts.push("frustration " + f.level + " " + Number(f.score).toFixed(2) + (f.reasons.length ? " (" + f.reasons.join(", ").replaceAll("_", " ") + ")" : ""));
    }
    parts.push(new Date(m.created_at).toLocaleTimeString());
    return parts.join(" · ");
  }

  function renderMessage(m) {
    if (shown.has(m.seq)) return;
    shown.add(m.seq);
    const el = document.createElement("div");
    el.className = "msg " + m.sender;
    el.dataset.seq = String(m.seq);
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = m.sender === "agent" ? ((m.data && m.data.agent) || "agent") : m.sender;
    const text = document.createElement("span");
    text.className = "text";
    if (m.sender === "customer") text.textContent = m.text;
    else window.faqbot.renderInline(text, m.text);
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = annotate(m);
    el.append(who, text, meta);
    const log = $("transcript");
    const next = Array.from(log.children).find((c) => Number(c.dataset.seq) > m.seq);
    log.insertBefore(el, next || null);
    log.scrollTop = log.scrollHeight;
  }

  function updateToolbar(h) {
    const mine = h && h.status === "assigned" && h.agent_id === me.id;
    $("title").textContent = h ? (h.status + " · " + h.reason.replace("_", " ")) : "Select a conversation";
    $("claim").disabled = !(h && h.status === "queued");
    $("resolve").disabled = !mine;
    $("reply").disabled = !mine;
    $("send").disabled = !mine;
  }

  async function open(id) {
    selected = id;
    shown.clear();
    $("transcript").replaceChildren();
    $("error").textContent = "";
    const detail = await api("GET", "/api/agent/handoffs/" + encodeURIComponent(id));
    detail.transcript.forEach(renderMessage);
    updateToolbar(detail.handoff);
    renderQueue();
  }

  async function act(fn) {
    $("error").textContent = "";
    try { await fn(); } catch (err) { $("error").textContent = err.message; }
  }

  $("claim").addEventListener("click", () => act(async () => {
    await api("POST", "/api/agent/handoffs/" + encodeURIComponent(selected) + "/claim");
    await refreshQueue();
    await open(selected);
  }));

  $("resolve").addEventListener("click", () => act(async () => {
    const result = await api("POST", "/api/agent/handoffs/" + encodeURIComponent(selected) + "/resolve");
    result.messages.forEach(renderMessage);
    updateToolbar(result.handoff);
    await refreshQueue();
  }));

  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("reply");
    const text = input.value.trim();
    if (!text) return;
    act(async () => {
      input.value = "";
      try {
        const result = await api("POST", "/api/agent/handoffs/" + encodeURIComponent(selected) + "/messages", { text });
        renderMessage(result.message);
      } catch (err) { input.value = text; throw err; }
    });
  });

  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(proto + location.host + "/api/agent/events?token=" + encodeURIComponent(token));
    ws.onmessage = (ev) => {
      const event = JSON.parse(ev.data);
      if (event.type === "handoff") refreshQueue().catch(() => {});
      if (event.type === "message") {
        const h = handoffs.find((x) => x.conversation_id === event.message.conversation_id);
        if (selected && h && h.id === selected) renderMessage(event.message);
        if (!h) refreshQueue().catch(() => {});
      }
    };
    ws.onclose = (ev) => { if (ev.code !== 4401) setTimeout(connect, 1000); };
  }

  async function enter() {
    me = (await api("GET", "/api/agent/me")).agent;
    $("who").textContent = me.display_name;
    $("login").classList.add("hidden");
    $("console").classList.remove("hidden");
    await refreshQueue();
    connect();
    setInterval(() => refreshQueue().catch(() => {}), 15000);
  }

  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    api("POST", "/api/agent/login", { username: $("username").value, password: $("password").value })
      .then((r) => { token = r.token; sessionStorage.setItem("faqbot.agentToken", token); return enter(); })
      .catch((err) => { $("login-error").textContent = err.message; });
  });

  if (token) enter().catch(() => { token = null; sessionStorage.removeItem("faqbot.agentToken"); });
})();
