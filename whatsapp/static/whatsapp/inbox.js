// The inbox (templates/admin/whatsapp/inbox/page.html): asks /admin/inbox/live/ every second what
// changed and swaps in the panes that did; sends the take-over and composer forms without leaving
// the page; counts the 24-hour window down. Without this script every form still works (a reload).
"use strict";
{
  const config = JSON.parse(document.getElementById("inbox-config").textContent);
  const byId = (id) => document.getElementById(id);
  const state = {listEtag: config.list_etag, etag: config.etag, mode: config.mode, busy: false, again: false};

  // --- the chat follows new messages unless the reader scrolled up ------------------------------
  const chat = () => byId("inbox-chat");
  const nearEnd = (box) => box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  function toEnd() {
    const box = chat();
    if (box) box.scrollTop = box.scrollHeight;
    const more = byId("inbox-new-messages");
    if (more) more.hidden = true;
  }

  // Scripts a swapped-in pane brings (the template picker's) run as they would on a page load.
  function runScripts(container) {
    for (const old of container.querySelectorAll("script[src]")) {
      const script = document.createElement("script");
      script.src = old.src;
      old.replaceWith(script);
    }
  }

  // --- what changed -----------------------------------------------------------------------------
  function apply(answer) {
    if (answer.list) {
      byId("inbox-list").innerHTML = answer.list.html;
      state.listEtag = answer.list.etag;
    }
    const conversation = answer.conversation;
    if (conversation && conversation.missing) {
      byId("inbox-conversation").innerHTML =
        '<p class="inbox-empty">This conversation does not exist, or it is not yours to read.</p>';
      config.c = null;
      return;
    }
    if (conversation) {
      const box = chat();
      const follow = nearEnd(box);
      byId("inbox-head").innerHTML = conversation.head;
      box.innerHTML = conversation.chat;
      byId("inbox-person").innerHTML = conversation.person;
      if (conversation.composer !== undefined) {
        byId("inbox-composer").innerHTML = conversation.composer;
        runScripts(byId("inbox-composer"));
        state.mode = conversation.mode;
      }
      state.etag = conversation.etag;
      if (follow) toEnd(); else byId("inbox-new-messages").hidden = false;
      countDown();
    }
  }

  async function poll() {
    if (state.busy) { state.again = true; return; }
    state.busy = true;
    const params = new URLSearchParams({filter: config.filter, q: config.q || "", list_etag: state.listEtag || ""});
    if (config.c) {
      params.set("c", config.c);
      params.set("etag", state.etag || "");
      params.set("mode", state.mode || "");
      params.set("seen", document.visibilityState === "visible" ? "1" : "0");
    }
    try {
      const response = await fetch(`${config.url}?${params}`, {headers: {Accept: "application/json"},
                                                              credentials: "same-origin"});
      const json = (response.headers.get("Content-Type") || "").includes("application/json");
      byId("inbox-offline").hidden = response.ok && json;
      if (response.ok && json) apply(await response.json());
      else if (response.ok) byId("inbox-offline").textContent = "Not updating: you were logged out. Reload the page.";
    } catch (error) {
      byId("inbox-offline").hidden = false;
    } finally {
      state.busy = false;
      if (state.again) { state.again = false; poll(); }
    }
  }

  // --- forms: take over, hand back, assign, reply ------------------------------------------------
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[data-live]")) return;
    event.preventDefault();
    const status = form.querySelector(".form-status") || byId("inbox-head").querySelector(".form-status");
    const button = event.submitter;
    if (button) button.disabled = true;
    try {
      const response = await fetch(form.action, {method: "POST", body: new FormData(form),
                                                  headers: {Accept: "application/json"}, credentials: "same-origin"});
      let answer;
      try { answer = await response.json(); } catch (error) {
        answer = {ok: false, message: response.status === 403 ? "You may not do that here." : "That did not work: reload the page."};
      }
      if (status) {
        status.textContent = answer.message;
        status.classList.toggle("error", !answer.ok);
      }
      if (answer.ok && form.hasAttribute("data-clears")) form.reset();
      if (answer.ok) { state.etag = ""; poll(); }
    } catch (error) {
      if (status) { status.textContent = "The server did not answer: nothing was sent. Try again."; status.classList.add("error"); }
    } finally {
      if (button) button.disabled = false;
    }
  });
  // Ctrl+Enter (or Cmd+Enter) sends the reply.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.id === "composer-text") {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });
  document.addEventListener("click", (event) => {
    if (event.target.id === "inbox-new-messages") toEnd();
  });

  // --- the 24-hour window, counting down --------------------------------------------------------
  function left(ms) {
    const minutes = Math.max(Math.floor(ms / 60000), 0);
    const hours = Math.floor(minutes / 60);
    return hours ? `${hours} h ${String(minutes % 60).padStart(2, "0")} min` : `${minutes} min`;
  }
  function countDown() {
    for (const element of document.querySelectorAll("[data-expires]")) {
      const ms = new Date(element.dataset.expires) - new Date();
      if (ms > 0) {
        element.textContent = `Open, ${left(ms)} left`;
      } else if (element.classList.contains("open")) {
        element.textContent = "Closed";
        element.classList.remove("open");
        state.etag = "";  // the composer turns to templates: ask now
        poll();
      }
    }
  }

  toEnd();
  countDown();
  setInterval(poll, config.poll_ms);
  setInterval(countDown, 1000);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") poll(); });
}
