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
  let mode = "bot";
  let handoffStatus = null;
  let typingTimer = null;
  let lastTypingSent = 0;
  const bannerEl = document.getElementById("banner");
  const typingEl = document.getElementById("typing");
  const leaveEl = document.getElementById("leave");

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function showQueue(queue) {
    if (!queue || mode !== "human" || handoffStatus !== "queued") { bannerEl.classList.add("hidden"); return; }
    const minutes = queue.eta_seconds == null ? null : Math.max(1, Math.round(queue.eta_seconds / 60));
    bannerEl.textContent = "You are number " + queue.position + " in the queue · 您排在第 " + queue.position + " 位" +
      (minutes ? " — about " + minutes + " min · 约 " + minutes + " 分钟" : "");
    bannerEl.dataset.position = String(queue.position);
    bannerEl.classList.remove("hidden");
  }

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

  function setStatus(newMode, handoff) {
    mode = newMode;
    handoffStatus = handoff ? handoff.status : null;
    if (mode === "human" && handoffStatus === "assigned") {
      statusEl.textContent = (handoff.agent_name ? handoff.agent_name + " · " : "") + "with a person · 人工客服";
    } else if (mode === "human" && handoffStatus === "ticket") {
      statusEl.textContent = "message left · 已留言";
    } else if (mode === "human") {
      statusEl.textContent = "waiting for a person · 等待人工客服";
    } else {
      statusEl.textContent = "virtual assistant · 智能客服";
    }
    leaveEl.classList.toggle("hidden", !(mode === "human" && handoffStatus === "queued"));
    showQueue(handoff && handoff.queue);
  }

  function ticketForm(data) {
    const card = el("form", "card ticket-form");
    card.append(el("strong", null, "Leave a message · 留言"));
    const name = el("input"); name.placeholder = "Name · 姓名"; name.maxLength = 120; name.name = "name";
    const email = el("input"); email.placeholder = "E-mail · 邮箱"; email.type = "email"; email.name = "email";
    const phone = el("input"); phone.placeholder = "Phone · 电话"; phone.name = "phone"; phone.maxLength = 40;
    const question = el("textarea"); question.placeholder = "Your question · 您的问题"; question.rows = 3; question.name = "message";
    question.maxLength = 2000;
    const send = el("button", "btn primary", "Send · 提交"); send.type = "submit";
    const error = el("div", "error");
    card.append(name, email, phone, question, send, error);
    card.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const body = { message: question.value.trim(), name: name.value.trim() || null,
                     email: email.value.trim() || null, phone: phone.value.trim() || null };
      api("POST", "/api/conversations/" + encodeURIComponent(session.conversation_id) + "/ticket", body)
        .then((result) => { result.messages.forEach(render); setStatus(result.mode, result.handoff); card.remove(); })
        .catch((err) => { error.textContent = err.message; });
    });
    return card;
  }

  function ratingForm(handoffId) {
    const card = el("form", "card rating-form");
    card.dataset.handoffId = handoffId;
    let score = 0;
    const stars = el("div", "stars");
    for (let i = 1; i <= 5; i++) {
      const star = el("button", null, "★");
      star.type = "button";
      star.setAttribute("aria-label", i + " of 5");
      star.dataset.score = String(i);
      star.addEventListener("click", () => {
        score = i;
        stars.querySelectorAll("button").forEach((b) => b.classList.toggle("on", Number(b.dataset.score) <= i));
      });
      stars.appendChild(star);
    }
    const comment = el("input"); comment.placeholder = "Comment (optional) · 评价（选填）"; comment.maxLength = 2000;
    comment.name = "comment";
    const send = el("button", "btn primary", "Rate · 评分"); send.type = "submit";
    const error = el("div", "error");
    card.append(stars, comment, send, error);
    card.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!score) { error.textContent = "Choose 1 to 5 stars. 请选择星级。"; return; }
      api("POST", "/api/conversations/" + encodeURIComponent(session.conversation_id) + "/rating",
          { score, comment: comment.value.trim() || null })
        .then((result) => { result.messages.forEach(render); card.remove(); })
        .catch((err) => { error.textContent = err.message; });
    });
    return card;
  }

  function render(message) {
    if (shown.has(message.seq)) return;
    shown.add(message.seq);
    lastSeq = Math.max(lastSeq, message.seq);
    const data = message.data || {};
    const item = document.createElement("div");
    item.className = "msg " + message.sender;
    item.dataset.seq = String(message.seq);
    if (message.sender === "agent" || message.sender === "bot") {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = message.sender === "agent" ? (data.agent || "Agent") : "Assistant";
      item.appendChild(who);
    }
    const body = document.createElement("span");
    body.className = "text";
    if (message.sender === "customer") body.textContent = message.text;
    else window.faqbot.renderInline(body, message.text);
    item.appendChild(body);
    if (data.article_id) {
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.dataset.articleId = data.article_id;
      meta.textContent = (data.article_title || data.article_id) +
        (data.score != null ? " · score " + Number(data.score).toFixed(2) : "");
      item.appendChild(meta);
    }
    if (Array.isArray(data.buttons) && data.buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      for (const b of data.buttons) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.addEventListener("click", () => b.payload === "/new_conversation" ? restart() : send(b.title, b.payload));
        row.appendChild(btn);
      }
      item.appendChild(row);
    }
    if (data.offline_form && message.seq === lastSeq) item.appendChild(ticketForm(data));
    if (data.rating_request && message.seq === lastSeq) item.appendChild(ratingForm(data.rating_request));
    // keep order by seq even if a live event overtakes a REST response
    const next = Array.from(logEl.children).find((c) => Number(c.dataset.seq) > message.seq);
    logEl.insertBefore(item, next || null);
    logEl.scrollTop = logEl.scrollHeight;
    if (message.sender === "agent") showTyping(false);
    if (data.event === "agent_joined" || data.event === "agent_transferred") {
      setStatus("human", { status: "assigned", agent_name: data.agent });
    } else if (data.event === "queued") {
      setStatus("human", { status: "queued", queue: data.queue });
    } else if (data.event === "requeued" || data.handoff) {
      refreshStatus();
    } else if (data.event === "handoff_resolved" || data.event === "customer_left") {
      setStatus("bot");
    }
  }

  function showTyping(on, name) {
    clearTimeout(typingTimer);
    typingEl.classList.toggle("hidden", !on);
    if (on) {
      typingEl.textContent = (name || "Agent") + " is typing… · 正在输入…";
      typingTimer = setTimeout(() => showTyping(false), 4000);
    }
  }

  async function refreshStatus() {
    try {
      const state = await api("GET", "/api/conversations/" + encodeURIComponent(session.conversation_id));
      setStatus(state.mode, state.handoff);
    } catch (err) { /* the next event will tell */ }
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    const url = proto + location.host + "/api/conversations/" + encodeURIComponent(session.conversation_id) +
      "/events?token=" + encodeURIComponent(session.token) + "&after=" + lastSeq;
    socket = new WebSocket(url);
    socket.onopen = () => { retryMs = 500; errorEl.textContent = ""; refreshStatus(); };
    socket.onmessage = (ev) => {
      const event = JSON.parse(ev.data);
      if (event.type === "message") render(event.message);
      if (event.type === "typing" && event.sender === "agent") showTyping(true, event.name);
      if (event.type === "queue") showQueue(event);
    };
    socket.onclose = (ev) => {
      if (ev.code === 4403 || ev.code === 4401) { restart(); return; }  // erased or expired: a new one
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

  function restart() {
    localStorage.removeItem(STORE_KEY);
    if (socket) { socket.onclose = null; socket.close(); }
    logEl.replaceChildren();
    lastSeq = 0;
    start();
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

  input.addEventListener("input", () => {
    const now = Date.now();
    if (mode === "human" && socket && socket.readyState === 1 && now - lastTypingSent > 1500) {
      socket.send(JSON.stringify({ type: "typing" }));
      lastTypingSent = now;
    }
  });

  leaveEl.addEventListener("click", () => {
    api("POST", "/api/conversations/" + encodeURIComponent(session.conversation_id) + "/leave")
      .then(refreshStatus).catch((err) => { errorEl.textContent = err.message; });
  });

  document.getElementById("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) { errorEl.textContent = "Please type a message. 请输入内容。"; return; }
    input.value = "";
    send(text);
  });

  start().catch((err) => { errorEl.textContent = "Could not start the chat: " + err.message; });
})();
