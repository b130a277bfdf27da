// Agent console: presence, live queue, annotated transcript, real-time replies with typing indicators,
// suggested articles, canned replies, claim / transfer / put back / resolve. All text goes in via textContent.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  };
  let token = sessionStorage.getItem("faqbot.agentToken");
  let me = null;
  let selected = null;       // handoff id
  let handoffs = [];
  let target = 120;          // first-reply target, seconds
  let team = [];
  let canned = [];
  let convSocket = null;     // the open conversation's live stream
  let lastSeq = 0;
  let typingTimer = null;
  let lastTypingSent = 0;
  const shown = new Set();

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: Object.assign({ "Content-Type": "application/json" }, token ? { Authorization: "Bearer " + token } : {}),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 204) return {};
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || ("HTTP " + res.status));
    return data;
  }

  function duration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    return s < 60 ? s + "s" : Math.floor(s / 60) + "m " + (s % 60) + "s";
  }

  function waited(h) {
    const end = h.first_reply_at ? new Date(h.first_reply_at) : new Date();
    return (end.getTime() - new Date(h.created_at).getTime()) / 1000;
  }

  function waitText(h) {
    return h.agent_name && h.status === "assigned" ? h.agent_name + " · " + duration(waited(h)) : "waiting " + duration(waited(h));
  }

  function tick() {
    for (const item of document.querySelectorAll(".queue .item")) {
      const h = handoffs.find((x) => x.id === item.dataset.handoffId);
      if (!h) continue;
      item.querySelector(".wait").textContent = waitText(h);
      if (!h.first_reply_at && waited(h) > target && !item.querySelector(".tag.breach")) {
        item.querySelector(".line1 > span").prepend(el("span", "tag breach", "SLA breached"));
      }
    }
  }

  function queueItem(h) {
    const item = el("div", "item" + (h.id === selected ? " active" : "") + (h.offered ? " offered" : ""));
    item.dataset.handoffId = h.id;
    const line1 = el("div", "line1");
    const tags = el("span");
    const breached = !h.first_reply_at && waited(h) > target;
    const list = [];
    if (h.priority === "high") list.push(["high priority", "high"]);
    if (breached || h.breached) list.push(["SLA breached", "breach"]);
    list.push([h.status, h.status], [h.reason.replaceAll("_", " "), ""], [h.language || "?", ""]);
    if (h.category) list.push([h.category, ""]);
    for (const [text, cls] of list) tags.appendChild(el("span", "tag " + cls, text));
    const right = el("span", "wait", waitText(h));
    line1.append(tags, right);
    item.append(line1, el("div", "summary", h.summary || "(no message)"));
    item.addEventListener("click", () => open(h.id));
    return item;
  }

  function renderQueue() {
    const groups = {
      "queue-waiting": handoffs.filter((h) => h.status === "queued"),
      "queue-mine": handoffs.filter((h) => h.status === "assigned" && h.agent_id === me.id),
      "queue-tickets": handoffs.filter((h) => h.status === "ticket"),
      "queue-others": handoffs.filter((h) => h.status === "assigned" && h.agent_id !== me.id),
    };
    for (const [id, items] of Object.entries(groups)) {
      const box = $(id);
      box.replaceChildren();
      if (!items.length) box.appendChild(el("div", "empty", "None."));
      items.forEach((h) => box.appendChild(queueItem(h)));
    }
    $("queue-count").textContent = "(" + groups["queue-waiting"].length + ")";
  }

  async function refreshQueue() {
    const data = await api("GET", "/api/agent/handoffs");
    handoffs = data.handoffs;
    target = data.first_reply_target_seconds;
    renderQueue();
    if (selected) {
      const detail = await api("GET", "/api/agent/handoffs/" + encodeURIComponent(selected));
      updateToolbar(Object.assign({}, detail.handoff, handoffs.find((x) => x.id === selected) || {}));
      renderHistory(detail.history);
    }
  }

  async function refreshTeam() {
    team = (await api("GET", "/api/agent/team")).agents;
    const select = $("transfer-to");
    const keep = select.value;
    select.replaceChildren(el("option", null, "Transfer to…"));
    select.firstChild.value = "";
    for (const a of team) {
      if (a.id === me.id || a.presence === "offline") continue;
      const option = el("option", null, a.display_name + " (" + a.presence + ", " + a.load + "/" + a.max_concurrent +
        (a.skills.length ? ", " + a.skills.join("/") : "") + (a.languages.length ? ", " + a.languages.join("/") : "") + ")");
      option.value = a.id;
      select.appendChild(option);
    }
    select.value = keep;
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
    if (d.rating) parts.push("rating " + d.rating + "/5");
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
    lastSeq = Math.max(lastSeq, m.seq);
    const item = el("div", "msg " + m.sender);
    item.dataset.seq = String(m.seq);
    item.appendChild(el("span", "who", m.sender === "agent" ? ((m.data && m.data.agent) || "agent") : m.sender));
    const text = el("span", "text");
    if (m.sender === "customer") text.textContent = m.text;
    else window.faqbot.renderInline(text, m.text);
    item.append(text, el("span", "meta", annotate(m)));
    const log = $("transcript");
    const next = Array.from(log.children).find((c) => Number(c.dataset.seq) > m.seq);
    log.insertBefore(item, next || null);
    log.scrollTop = log.scrollHeight;
    if (m.sender === "customer") {
      showTyping(false);
      if (!(m.data && (m.data.payload || m.data.event))) loadSuggestions();
    }
  }

  function updateToolbar(h) {
    const mine = h && h.status === "assigned" && h.agent_id === me.id;
    $("title").textContent = h ? (h.status + " · " + h.reason.replaceAll("_", " ") + (h.agent_name ? " · " + h.agent_name : "")) : "Select a conversation";
    $("claim").disabled = !(h && (h.status === "queued" || h.status === "ticket"));
    for (const id of ["resolve", "return-bot", "reply", "send", "requeue", "transfer", "transfer-to", "note"]) $(id).disabled = !mine;
    const info = $("customer-info");
    info.replaceChildren();
    if (!h) return;
    const c = Object.assign({}, h.customer || {}, h.contact || {});
    const bits = [];
    if (c.name) bits.push("name: " + c.name);
    if (c.email) bits.push("e-mail: " + c.email);
    if (c.phone) bits.push("phone: " + c.phone);
    if (h.page_url) bits.push("page: " + h.page_url);
    const slots = (h.details && h.details.slots) || {};
    if (slots.order_number) bits.push("order: " + slots.order_number);
    if (slots.current_topic) bits.push("topic: " + slots.current_topic);
    if (h.rating) bits.push("rated " + h.rating.score + "/5" + (h.rating.comment ? " “" + h.rating.comment + "”" : ""));
    if (h.note) bits.push("note: " + h.note);
    info.textContent = bits.join(" · ");
  }

  function renderHistory(history) {
    const box = $("history");
    box.replaceChildren();
    for (const e of history) {
      box.appendChild(el("div", null, new Date(e.at).toLocaleTimeString() + " " + e.kind +
        (e.agent_name ? " · " + e.agent_name : "") + (e.detail && e.detail.how ? " (" + e.detail.how + ")" : "") +
        (e.detail && e.detail.why ? " (" + e.detail.why + ")" : "") +
        (e.detail && e.detail.from_agent_name ? " from " + e.detail.from_agent_name : "")));
    }
  }

  function showTyping(on, name) {
    clearTimeout(typingTimer);
    $("typing").classList.toggle("hidden", !on);
    if (on) {
      $("typing").textContent = (name || "customer") + " is typing…";
      typingTimer = setTimeout(() => showTyping(false), 4000);
    }
  }

  async function loadSuggestions() {
    if (!selected) return;
    const forId = selected;
    const data = await api("GET", "/api/agent/handoffs/" + encodeURIComponent(forId) + "/suggestions").catch(() => null);
    if (!data || forId !== selected) return;
    $("suggest-for").textContent = data.question ? "for “" + data.question + "”" : "";
    const box = $("suggestions");
    box.replaceChildren();
    for (const a of data.articles) {
      const row = el("div", "suggestion");
      const insert = el("button", "btn", "Insert");
      insert.type = "button";
      insert.addEventListener("click", () => insertText(a.answer));
      row.append(insert, el("span", null, " " + a.title + " (" + a.id + ", " + Number(a.score).toFixed(2) + ")"));
      box.appendChild(row);
    }
  }

  function insertText(text) {
    const input = $("reply");
    if (input.disabled) { $("error").textContent = "Claim the conversation before replying."; return; }
    input.value = input.value ? input.value.replace(/\s*$/, "\n") + text : text;
    input.focus();
  }

  async function refreshCanned() {
    canned = (await api("GET", "/api/agent/canned")).replies;
    const select = $("canned");
    select.replaceChildren();
    const first = el("option", null, "Insert a canned reply…");
    first.value = "";
    select.appendChild(first);
    for (const r of canned) {
      const option = el("option", null, (r.language ? "[" + r.language + "] " : "") + r.title);
      option.value = r.id;
      select.appendChild(option);
    }
  }

  function connectConversation(handoffId) {
    if (convSocket) { convSocket.onclose = null; convSocket.close(); }
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(proto + location.host + "/api/agent/handoffs/" + encodeURIComponent(handoffId) +
      "/events?token=" + encodeURIComponent(token) + "&after=" + lastSeq);
    convSocket = ws;
    ws.onmessage = (ev) => {
      const event = JSON.parse(ev.data);
      if (selected !== handoffId) return;
      if (event.type === "message") renderMessage(event.message);
      if (event.type === "typing" && event.sender === "customer") showTyping(true, "customer");
    };
    ws.onclose = () => { if (convSocket === ws && selected === handoffId) setTimeout(() => connectConversation(handoffId), 1000); };
  }

  async function open(id) {
    selected = id;
    shown.clear();
    lastSeq = 0;
    $("transcript").replaceChildren();
    $("suggestions").replaceChildren();
    $("error").textContent = "";
    showTyping(false);
    const detail = await api("GET", "/api/agent/handoffs/" + encodeURIComponent(id));
    detail.transcript.forEach(renderMessage);
    renderHistory(detail.history);
    updateToolbar(Object.assign({}, detail.handoff, handoffs.find((h) => h.id === id) || {}));
    renderQueue();
    connectConversation(id);
    loadSuggestions();
  }

  async function act(fn) {
    $("error").textContent = "";
    try { await fn(); } catch (err) { $("error").textContent = err.message; }
  }

  const path = (suffix) => "/api/agent/handoffs/" + encodeURIComponent(selected) + suffix;

  $("claim").addEventListener("click", () => act(async () => {
    await api("POST", path("/claim"));
    await refreshQueue();
    await open(selected);
  }));

  $("transfer").addEventListener("click", () => act(async () => {
    const to = $("transfer-to").value;
    if (!to) throw new Error("Choose who to transfer to.");
    await api("POST", path("/transfer"), { agent_id: to });
    await refreshQueue();
    await open(selected);
  }));

  $("requeue").addEventListener("click", () => act(async () => {
    await api("POST", path("/requeue"));
    await refreshQueue();
    await open(selected);
  }));

  async function resolve(outcome) {
    const result = await api("POST", path("/resolve"), { note: $("note").value || null, outcome });
    $("note").value = "";
    result.messages.forEach(renderMessage);
    updateToolbar(result.handoff);
    await refreshQueue();
  }
  $("resolve").addEventListener("click", () => act(() => resolve("resolved")));
  $("return-bot").addEventListener("click", () => act(() => resolve("returned_to_bot")));

  $("canned").addEventListener("change", () => {
    const reply = canned.find((r) => r.id === $("canned").value);
    if (reply) insertText(reply.text);
    $("canned").value = "";
  });

  $("save-canned").addEventListener("click", () => act(async () => {
    const text = $("reply").value.trim();
    if (!text) throw new Error("Write the reply first, then save it.");
    const title = text.length > 40 ? text.slice(0, 39) + "…" : text;
    await api("POST", "/api/agent/canned", { title, text });
    await refreshCanned();
  }));

  $("reply").addEventListener("input", () => {
    const now = Date.now();
    if (convSocket && convSocket.readyState === 1 && now - lastTypingSent > 1500) {
      convSocket.send(JSON.stringify({ type: "typing" }));
      lastTypingSent = now;
    }
  });
  $("reply").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("composer").requestSubmit(); }
  });

  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("reply");
    const text = input.value.trim();
    if (!text) return;
    act(async () => {
      input.value = "";
      try {
        const result = await api("POST", path("/messages"), { text });
        renderMessage(result.message);
      } catch (err) { input.value = text; throw err; }
    });
  });

  $("presence").addEventListener("change", () => act(async () => {
    me = (await api("PUT", "/api/agent/me/presence", { presence: $("presence").value })).agent;
    await refreshQueue();
  }));
  $("auto-assign").addEventListener("change", () => act(async () => {
    me = (await api("PATCH", "/api/agent/me", { auto_assign: $("auto-assign").checked })).agent;
    await refreshQueue();
  }));

  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(proto + location.host + "/api/agent/events?token=" + encodeURIComponent(token));
    ws.onopen = () => {
      // the queue may have changed while disconnected: reload it; the open conversation replays by seq
      refreshQueue().catch(() => {});
      api("GET", "/api/agent/me").then((r) => { me = r.agent; $("presence").value = me.presence; }).catch(() => {});
    };
    ws.onmessage = (ev) => {
      const event = JSON.parse(ev.data);
      if (event.type === "handoff") refreshQueue().catch(() => {});
      if (event.type === "presence") {
        if (event.agent_id === me.id && !event.disconnected) $("presence").value = event.presence;
        refreshTeam().catch(() => {});
      }
      if (event.type === "message") {
        const m = event.message;
        const h = handoffs.find((x) => x.conversation_id === m.conversation_id);
        if (!h) refreshQueue().catch(() => {});
        else if (m.sender === "customer" && !(m.data && m.data.payload)) {
          h.summary = m.text.length > 140 ? m.text.slice(0, 139) + "…" : m.text;  // the issue's latest line
          renderQueue();
        }
      }
    };
    ws.onclose = (ev) => { if (ev.code !== 4401) setTimeout(connect, 1000); };
  }

  async function enter() {
    me = (await api("GET", "/api/agent/me")).agent;
    $("who").textContent = me.display_name;
    $("presence").value = me.presence === "offline" ? "online" : me.presence;
    $("auto-assign").checked = me.auto_assign;
    $("login").classList.add("hidden");
    $("console").classList.remove("hidden");
    $("presence-box").classList.remove("hidden");
    document.body.dataset.agentId = me.id;
    await Promise.all([refreshQueue(), refreshTeam(), refreshCanned()]);
    connect();
    setInterval(tick, 1000);                              // waiting times and breach flags tick
    setInterval(() => refreshQueue().catch(() => {}), 15000);
    setInterval(() => refreshTeam().catch(() => {}), 15000);
  }

  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    api("POST", "/api/agent/login", { username: $("username").value, password: $("password").value })
      .then((r) => { token = r.token; sessionStorage.setItem("faqbot.agentToken", token); return enter(); })
      .catch((err) => { $("login-error").textContent = err.message; });
  });

  if (token) enter().catch(() => { token = null; sessionStorage.removeItem("faqbot.agentToken"); });
})();
