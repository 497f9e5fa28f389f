// The sandbox phone: asks the server for the signed webhook a message would cause, posts it to the
// real webhook endpoint as Meta would, and polls the conversation for replies and ticks.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("sandbox-config").textContent);
  const chat = document.getElementById("chat");
  const phone = document.getElementById("phone");
  const placeholder = document.getElementById("placeholder");
  const errorBox = document.getElementById("error");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const fileInput = document.getElementById("file");
  const TICKS = { pending: "…", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" };
  let person = null;
  let lastRendered = "";
  let timer = null;

  const url = (template, id) => template.replace("/0/", "/" + id + "/");

  function showError(text) {
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }

  // WhatsApp formatting, after escaping: *bold*, _italic_, ~strike~, ```mono```.
  function formatted(text) {
    const escaped = text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
    return escaped
      .replace(/```([\s\S]+?)```/g, "<code>$1</code>")
      .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,!?:;])/g, "$1<b>$2</b>")
      .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,!?:;])/g, "$1<i>$2</i>")
      .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,!?:;])/g, "$1<s>$2</s>");
  }

  function bubble(message) {
    const item = document.createElement("li");
    item.className = "bubble " + (message.direction === "in" ? "mine" : "theirs");
    item.dataset.direction = message.direction;
    item.dataset.type = message.type;
    if (message.media) {
      const media = message.media;
      let node;
      if (media.mime_type.startsWith("image/")) {
        node = document.createElement("img");
        node.src = media.url;
        node.alt = media.filename || "photo";
      } else if (media.mime_type.startsWith("audio/")) {
        node = document.createElement("audio");
        node.controls = true;
        node.src = media.url;
      } else {
        node = document.createElement("a");
        node.href = media.url;
        node.textContent = media.filename || "document";
      }
      node.classList.add("media");
      item.appendChild(node);
    }
    const text = message.text || (message.type !== "text" && !message.media ? "[" + message.type + "]" : "");
    if (text) {
      const body = document.createElement("div");
      body.className = "text";
      body.innerHTML = formatted(text);
      item.appendChild(body);
    }
    if (message.transcript) {
      const transcript = document.createElement("div");
      transcript.className = "transcript";
      transcript.textContent = "“" + message.transcript + "”";
      item.appendChild(transcript);
    }
    const meta = document.createElement("div");
    meta.className = "meta";
    const time = document.createElement("time");
    time.dateTime = message.time;
    time.textContent = new Date(message.time).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    meta.appendChild(time);
    const ticks = document.createElement("span");
    ticks.className = "ticks";
    meta.appendChild(ticks);
    item.appendChild(meta);
    setTicks(item, message);
    if (message.buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      for (const button of message.buttons) {
        const tap = document.createElement("button");
        tap.type = "button";
        tap.className = "reply-button";
        tap.textContent = button.title;
        tap.addEventListener("click", () => send(JSON.stringify({ button: button, replying_to: message.wamid })));
        row.appendChild(tap);
      }
      item.appendChild(row);
    }
    return item;
  }

  // Bubbles are kept by message id and only touched when they change, so a voice note that is
  // playing is not interrupted when new messages or ticks arrive.
  const nodes = new Map();

  function setTicks(node, message) {
    const ticks = node.querySelector(".ticks");
    ticks.dataset.ticks = message.ticks;
    ticks.textContent = TICKS[message.ticks] || "";
    ticks.title = message.error ? (message.ticks === "failed" ? "failed: " : "retrying: ") + message.error : message.ticks;
  }

  function render(state) {
    const key = JSON.stringify(state);
    if (key === lastRendered) return;
    lastRendered = key;
    const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
    const wanted = new Set(state.messages.map((m) => m.id));
    for (const [id, entry] of nodes) {
      if (!wanted.has(id)) {
        entry.node.remove();
        nodes.delete(id);
      }
    }
    let previous = null;
    for (const message of state.messages) {
      const content = JSON.stringify(Object.assign({}, message, { ticks: null, error: null }));
      let entry = nodes.get(message.id);
      if (!entry || entry.content !== content) {
        const node = bubble(message);
        if (entry) entry.node.replaceWith(node);
        entry = { content: content, node: node };
        nodes.set(message.id, entry);
      } else {
        setTicks(entry.node, message);
      }
      const expected = previous ? previous.nextSibling : chat.firstChild;
      if (expected !== entry.node) chat.insertBefore(entry.node, expected);
      previous = entry.node;
    }
    const window24 = state.messages.length && !state.window_open ? " · 24-hour window closed" : "";
    document.getElementById("phone-sub").textContent =
      (state.typing ? "typing…" : state.paused ? "a person is answering" : "online") + window24;
    if (atBottom || !chat.dataset.scrolled) {
      chat.scrollTop = chat.scrollHeight;
      chat.dataset.scrolled = "1";
    }
  }

  const LOGGED_OUT = "Your login has expired: reload the page and log in again.";
  const isJson = (response) => !response.redirected && (response.headers.get("Content-Type") || "").includes("json");
  let latest = 0;

  async function refresh() {
    if (!person) return;
    const asked = person;
    const ticket = ++latest;
    try {
      const response = await fetch(url(config.feedUrl, asked), { headers: { Accept: "application/json" } });
      if (ticket !== latest || asked !== person) return; // a newer poll, or another person, since
      if (!isJson(response)) {
        showError(LOGGED_OUT);
        return;
      }
      if (response.ok) render(await response.json());
    } catch (err) {
      /* the server restarts now and then: the next poll catches up */
    }
  }

  // 1. The server builds and signs the webhook (the app secret stays there). 2. We post it as Meta would.
  async function send(body, isForm) {
    showError("");
    try {
      const headers = { "X-CSRFToken": config.csrfToken };
      if (!isForm) headers["Content-Type"] = "application/json";
      const composed = await fetch(url(config.composeUrl, person), { method: "POST", headers: headers, body: body, credentials: "same-origin" });
      if (!isJson(composed)) {
        showError(LOGGED_OUT);
        return false;
      }
      const webhook = await composed.json();
      if (!composed.ok) {
        showError(webhook.error || "Could not send.");
        return false;
      }
      const delivered = await fetch(config.webhookUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Hub-Signature-256": webhook.signature },
        body: webhook.body,
      });
      if (!delivered.ok) {
        showError("The webhook answered " + delivered.status + ": Meta would retry this delivery.");
        return false;
      }
    } catch (err) {
      showError("Could not reach the server (" + err.message + "). Try again.");
      return false;
    }
    refresh();
    return true;
  }

  function choose(id) {
    person = String(id);
    lastRendered = "";
    delete chat.dataset.scrolled;
    nodes.clear();
    chat.replaceChildren();
    showError("");
    for (const button of document.querySelectorAll(".person")) {
      button.classList.toggle("active", button.dataset.person === person);
      if (button.dataset.person === person) {
        document.getElementById("phone-as").textContent = "as " + button.querySelector(".name").textContent;
      }
    }
    phone.hidden = false;
    placeholder.hidden = true;
    history.replaceState(null, "", "?person=" + person);
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, 1000);
    input.focus();
  }

  for (const button of document.querySelectorAll(".person")) {
    button.addEventListener("click", () => choose(button.dataset.person));
  }

  // 25 hours pass in this chat (for us and for the stand-in): its 24-hour window closes.
  document.getElementById("clock").addEventListener("click", async () => {
    if (!person) return;
    showError("");
    try {
      const response = await fetch(url(config.clockUrl, person), {
        method: "POST", headers: { "X-CSRFToken": config.csrfToken }, credentials: "same-origin" });
      if (!isJson(response)) {
        showError(LOGGED_OUT);
        return;
      }
      if (!response.ok) showError((await response.json()).error || "Could not move the clock.");
    } catch (err) {
      showError("Could not reach the server (" + err.message + "). Try again.");
    }
    refresh();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || !person) return;
    input.disabled = true;
    try {
      if (await send(JSON.stringify({ text: text }))) input.value = "";
    } finally {
      input.disabled = false;
      input.focus();
    }
  });

  fileInput.addEventListener("change", async () => {
    const file = fileInput.files[0];
    if (!file || !person) return;
    // Photos and PDFs take what is typed as their caption; audio has none (the text stays).
    const captioned = !file.type.startsWith("audio/");
    const data = new FormData();
    data.append("file", file);
    if (captioned) data.append("caption", input.value.trim());
    try {
      if ((await send(data, true)) && captioned) input.value = "";
    } finally {
      fileInput.value = "";
    }
  });

  const wanted = new URLSearchParams(location.search).get("person");
  if (wanted && document.querySelector('.person[data-person="' + CSS.escape(wanted) + '"]')) choose(wanted);
})();
