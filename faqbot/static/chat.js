// Customer chat: REST to send, a WebSocket for agent and system messages, replay by sequence number.
(function () {
  "use strict";
  const STORE_KEY = "faqbot.conversation";
  const logEl = document.getElementById("log");
  const statusEl = document.getElementById("status");
  const errorEl = document.getElementById("error");
  const input = document.getElementById("text");
  const shown = new Set();           // sequence numbers on screen (each message exactly once)
  let lastSeq = 0;
  let session = null;                // {conversation_id, token}
  let socket = null;
  let retryMs = 500;

  function headers() {
    return { "Content-Type": "application/json", "Authorization": "Bearer " + session.token };
  }

  async function api(method, path, body) {
    const res = await fetch(path, { method, headers: session ? headers() : { "Content-Type": "application/json" },
                                     body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error((data.error && data.error.message) || ("HTTP " + res.status));
      err.status = res.status;
      throw err;
    }
    return data;
  }

  function setStatus(mode, handoff) {
    if (mode === "human") {
      statusEl.textContent = handoff && handoff.status === "assigned" ? "with a person · 人工客服" : "waiting for a person · 等待人工客服";
    } else {
      statusEl.textContent = "virtual assistant · 智能客服";
    }
  }

  function render(message) {
    if (shown.has(message.seq)) return;
    shown.add(message.seq);
    lastSeq = Math.max(lastSeq, message.seq);
    const data = message.data || {};
    const el = document.createElement("div");
    el.className = "msg " + message.sender;
    el.dataset.seq = String(message.seq);
    if (message.sender === "agent" || message.sender === "bot") {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = message.sender === "agent" ? (data.agent || "Agent") : "Assistant";
      el.appendChild(who);
    }
    const body = document.createElement("span");
    body.className = "text";
    if (message.sender === "customer") body.textContent = message.text;
    else window.faqbot.renderInline(body, message.text);
    el.appendChild(body);
    if (data.article_id) {
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.dataset.articleId = data.article_id;
      meta.textContent = (data.article_title || data.article_id) +
        (data.score != null ? " · score " + Number(data.score).toFixed(2) : "");
      el.appendChild(meta);
    }
    if (Array.isArray(data.buttons) && data.buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      for (const b of data.buttons) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.addEventListener("click", () => send(b.title, b.payload));
        row.appendChild(btn);
      }
      el.appendChild(row);
    }
    // keep order by seq even if a live event overtakes a REST response
    const next = Array.from(logEl.children).find((c) => Number(c.dataset.seq) > message.seq);
    logEl.insertBefore(el, next || null);
    logEl.scrollTop = logEl.scrollHeight;
    if (data.event === "agent_joined" || data.event === "handoff" || data.handoff) setStatus("human", { status: data.event === "agent_joined" ? "assigned" : "queued" });
    if (data.event === "handoff_resolved") setStatus("bot");
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    const url = proto + location.host + "/api/conversations/" + encodeURIComponent(session.conversation_id) +
      "/events?token=" + encodeURIComponent(session.token) + "&after=" + lastSeq;
    socket = new WebSocket(url);
    socket.onopen = () => { retryMs = 500; errorEl.textContent = ""; };
    socket.onmessage = (ev) => {
      const event = JSON.parse(ev.data);
      if (event.type === "message") render(event.message);
    };
    socket.onclose = (ev) => {
      if (ev.code === 4403) { localStorage.removeItem(STORE_KEY); start(); return; }
      setTimeout(connect, retryMs);           // reconnect; ?after=lastSeq replays what was missed
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }

  async function send(text, payload) {
    errorEl.textContent = "";
    try {
      const body = payload ? { text, payload } : { text };
      const result = await api("POST", "/api/conversations/" + encodeURIComponent(session.conversation_id) + "/messages", body);
      result.messages.forEach(render);
      setStatus(result.mode, result.handoff);
    } catch (err) {
      errorEl.textContent = err.message;
      if (!payload) input.value = text;  // give the text back so nothing typed is lost
    }
  }

  async function start() {
    const saved = localStorage.getItem(STORE_KEY);
    session = saved ? JSON.parse(saved) : null;
    if (session) {
      try {
        const state = await api("GET", "/api/conversations/" + encodeURIComponent(session.conversation_id));
        setStatus(state.mode, state.handoff);
      } catch (err) { session = null; }
    }
    if (!session) {
      const created = await api("POST", "/api/conversations", { page_url: document.referrer || location.href });
      session = { conversation_id: created.conversation_id, token: created.token };
      localStorage.setItem(STORE_KEY, JSON.stringify(session));
      setStatus("bot");
    }
    document.body.dataset.conversationId = session.conversation_id;
    connect();
  }

  document.getElementById("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) { errorEl.textContent = "Please type a message. 请输入内容。"; return; }
    input.value = "";
    send(text);
  });

  start().catch((err) => { errorEl.textContent = "Could not start the chat: " + err.message; });
})();
