// The call simulator plays two parts. As Twilio, it opens the ConversationRelay WebSocket (its unsigned offline twin,
// /simulator/relay, since a browser cannot sign the upgrade) and sends the
// same JSON messages Twilio sends (setup, prompt, dtmf, interrupt). As the caller's phone, it shows the texts the agent
// sends (server-sent events from the loopback provider) and texts back through the host, which signs the request and
// POSTs it to its own /twilio/messages webhook, since a browser must not hold an Auth Token.
"use strict";

const $ = (id) => document.getElementById(id);

const state = {
  config: null,
  caller: "+1415555" + String(100 + Math.floor(Math.random() * 90)).padStart(4, "0"),
  socket: null,
  call: null,
  speaking: null,       // the agent bubble receiving tokens
  startedAt: 0,
  timer: 0,
  channel: "sms",
  threads: { sms: { from: null }, whatsapp: { from: null } },
  outbound: new Map(),  // message id -> status element
};

// ---------- formatting ----------

function formatNumber(e164) {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164 || "");
  return m ? `+1 (${m[1]}) ${m[2]}-${m[3]}` : (e164 || "");
}

function clock(date = new Date()) {
  return date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---------- call pane ----------

function scrollDown(container) {
  container.scrollTop = container.scrollHeight;
}

function addTurn(who, text) {
  $("transcript-empty")?.remove();
  const turn = el("div", `turn ${who}`);
  turn.append(el("span", "who", who === "agent" ? "A" : "You"));
  const body = el("div");
  const bubble = el("div", "bubble", text);
  body.append(bubble, el("span", "meta", `${who === "agent" ? "Agent (spoken)" : "Caller (spoken)"} · ${clock()}`));
  turn.append(body);
  $("transcript").append(turn);
  scrollDown($("transcript"));
  return { turn, bubble };
}

function addNote(text, kind = "") {
  $("transcript-empty")?.remove();
  $("transcript").append(el("div", `note ${kind}`, text));
  scrollDown($("transcript"));
}

function setCallStatus(text, dot) {
  $("call-status").textContent = text;
  $("status-dot").className = `status-dot ${dot || ""}`;
}

function setInCall(inCall) {
  for (const id of ["say-input", "say-button", "keypad-toggle"]) $(id).disabled = !inCall;
  for (const chip of document.querySelectorAll(".chip")) chip.disabled = !inCall;
  const button = $("call-button");
  button.textContent = inCall ? "Hang up" : "Start call";
  button.classList.toggle("hangup", inCall);
  if (!inCall) {
    $("keypad").hidden = true;
    clearInterval(state.timer);
  }
}

function tick() {
  const seconds = Math.floor((Date.now() - state.startedAt) / 1000);
  $("call-timer").textContent = `· ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

async function startCall() {
  $("call-button").disabled = true;
  setCallStatus("Ringing…", "connecting");
  try {
    // Twilio's part 1: the host's voice webhook answers the call with <Connect><ConversationRelay>.
    const response = await fetch("/simulator/call", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ from: state.caller }),
    });
    const call = await response.json();
    if (!response.ok) throw new Error(call.error || `HTTP ${response.status}`);
    state.call = call;

    // Twilio's part 2: open the relay socket and send setup. Twilio signs its upgrade to the TwiML's URL; a browser
    // cannot, so the simulator uses the host's unsigned offline twin of that socket.
    const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/simulator/relay`);
    state.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({
        type: "setup",
        sessionId: "VX" + crypto.randomUUID().replaceAll("-", ""),
        callSid: call.callSid,
        accountSid: call.accountSid,
        from: state.caller,
        to: call.to,
        forwardedFrom: call.to,
        callerName: "",
        direction: "inbound",
        callType: "PSTN",
        callStatus: "RINGING",
        customParameters: call.customParameters,
      }));
      state.startedAt = Date.now();
      state.timer = setInterval(tick, 1000);
      tick();
      setCallStatus("Connected", "live");
      setInCall(true);
      $("call-button").disabled = false;
      addNote(`Call connected · TwiML <ConversationRelay url="${call.url}">`);
      // Twilio speaks the welcome greeting itself, from the TwiML.
      if (call.welcomeGreeting) addTurn("agent", call.welcomeGreeting);
      $("say-input").focus();
    };
    socket.onmessage = (event) => { if (state.socket === socket) onRelayMessage(JSON.parse(event.data)); };
    socket.onclose = () => endCall("Call ended");
    socket.onerror = () => addNote("The relay socket reported an error.");
  } catch (error) {
    setCallStatus(`Could not start the call: ${error.message}`);
    $("call-button").disabled = false;
  }
}

function onRelayMessage(message) {
  if (message.type === "text") {
    if (!state.speaking) {
      state.speaking = addTurn("agent", "");
      state.speaking.turn.classList.add("speaking", "relayed");
      state.speaking.turn.dataset.call = state.call?.callSid || "";
    }

    state.speaking.bubble.textContent += message.token;
    scrollDown($("transcript"));
    if (message.last) {
      state.speaking.turn.classList.remove("speaking");
      state.speaking = null;
    }
  } else if (message.type === "end") {
    state.socket?.close(1000, "agent ended the call");
  }
}

function send(message) {
  if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(message));
}

function say(words) {
  words = words.trim();
  if (!words || !state.socket) return;

  // Talking over the agent is a barge-in: Twilio sends interrupt, with what had been spoken, before the prompt.
  if (state.speaking) {
    const heard = state.speaking.bubble.textContent;
    send({ type: "interrupt", utteranceUntilInterrupt: heard, durationUntilInterruptMs: 1000 });
    state.speaking.turn.classList.remove("speaking");
    state.speaking.turn.classList.add("interrupted");
    state.speaking = null;
  }

  addTurn("caller", words);
  send({ type: "prompt", voicePrompt: words, lang: "en-US", last: true });
}

function endCall(reason) {
  if (!state.socket) return;
  state.socket = null;
  state.speaking = null;
  setInCall(false);
  setCallStatus(reason, "");
  addNote(reason);
  $("call-button").disabled = false;
}

// ---------- phone pane ----------

function showChannel(channel) {
  state.channel = channel;
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.channel === channel);
  $("thread-sms").hidden = channel !== "sms";
  $("thread-whatsapp").hidden = channel !== "whatsapp";
  $("thread-avatar").classList.toggle("whatsapp", channel === "whatsapp");
  $("reply-input").placeholder = channel === "whatsapp" ? "Message" : "Text message";
  $("thread-number").textContent = formatNumber(counterpart(channel));
}

function counterpart(channel) {
  const sender = state.config?.senders.find((s) => s.name.toLowerCase() === channel);
  return state.threads[channel].from || sender?.from || state.config?.agentNumber || "";
}

function addMessage(channel, direction, text, statusText, template) {
  const thread = $(`thread-${channel}`);
  thread.querySelector(".thread-empty")?.remove();
  const message = el("div", `msg ${direction}`);
  const body = el("div", "text");
  if (template) body.append(el("span", "template", "Template message"));
  body.append(document.createTextNode(text));
  const status = el("span", "status", statusText);
  message.append(body, status);
  thread.append(message);
  scrollDown(thread);
  return status;
}

function onOutbound(message) {
  if (message.to !== state.caller) return; // another tab's caller
  const channel = message.channel;
  state.threads[channel].from = message.from;
  const status = addMessage(channel, "in", message.preview || message.body || "", `${clock()} · ${message.status}`, !!message.templateId);
  status.dataset.time = clock();
  state.outbound.set(message.id, status);
  addNote(`${channel === "whatsapp" ? "WhatsApp" : "SMS"} sent by ${message.action}${message.afterCall ? " after the call" : ""} → caller's phone`, channel);
  if (state.channel !== channel) {
    // Bring the new text into view, as a phone's notification would.
    showChannel(channel);
  } else {
    $("thread-number").textContent = formatNumber(counterpart(channel));
  }
}

function onStatus(update) {
  const status = state.outbound.get(update.id);
  if (!status) return;
  status.textContent = `${status.dataset.time} · ${update.status[0].toUpperCase()}${update.status.slice(1)}`;
  status.classList.toggle("delivered", update.status === "delivered" || update.status === "read");
}

async function reply(text) {
  text = text.trim();
  if (!text) return;
  const channel = state.channel;
  const status = addMessage(channel, "out", text, "Sending…");
  // Noted before the webhook is posted: the agent may answer the text before the POST returns.
  if (state.socket) addNote(`Caller texted “${text}” → POST /twilio/messages (signed)`, channel);
  try {
    const response = await fetch("/simulator/reply", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ channel, from: state.caller, to: counterpart(channel), body: text }),
    });
    const result = await response.json();
    if (!response.ok) throw new Error(result.error || `HTTP ${response.status}`);
    status.textContent = result.webhookStatus === 200
      ? `${clock()} · Webhook 200 (signed)`
      : `Webhook answered ${result.webhookStatus}`;
    if (result.webhookStatus === 200) status.classList.add("delivered");
  } catch (error) {
    status.textContent = `Not sent: ${error.message}`;
  }
}

// ---------- start-up ----------

async function init() {
  $("caller-number").textContent = formatNumber(state.caller);
  $("phone-time").textContent = clock();

  const config = await (await fetch("/simulator/config")).json();
  state.config = config;
  $("agent-number").textContent = formatNumber(config.agentNumber);
  const badge = $("llm-badge");
  badge.textContent = `LLM: ${config.llm}`;
  badge.className = `badge ${config.demoModel ? "badge-warn" : "badge-ok"}`;
  if (config.demoModel) badge.title = "A few keyword rules served by this host as an OpenAI-compatible endpoint; not a language model. Set Llm:ApiKey or OPENAI_API_KEY for a real one.";
  showChannel("sms");

  const events = new EventSource("/simulator/events");
  events.addEventListener("message", (event) => onOutbound(JSON.parse(event.data)));
  events.addEventListener("status", (event) => onStatus(JSON.parse(event.data)));
  // Calls can start once the phone is listening, so no text is missed.
  events.onopen = () => { if (!state.socket) $("call-button").disabled = false; };

  $("call-button").addEventListener("click", () => {
    if (state.socket) {
      // Hanging up ends the call for the caller at once: not when the close handshake completes, which can come after
      // a text the host sends as soon as it sees the close (an after-call confirmation).
      state.socket.close(1000, "caller hung up");
      endCall("Call ended");
    } else {
      startCall();
    }
  });
  $("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    say($("say-input").value);
    $("say-input").value = "";
  });
  for (const chip of document.querySelectorAll(".chip")) chip.addEventListener("click", () => say(chip.textContent));
  $("keypad-toggle").addEventListener("click", () => { $("keypad").hidden = !$("keypad").hidden; });
  for (const key of document.querySelectorAll("#keypad button")) {
    key.addEventListener("click", () => {
      send({ type: "dtmf", digit: key.textContent });
      addNote(`Caller pressed ${key.textContent}`);
    });
  }
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showChannel(tab.dataset.channel));
  $("reply-form").addEventListener("submit", (event) => {
    event.preventDefault();
    reply($("reply-input").value);
    $("reply-input").value = "";
  });
}

init().catch((error) => setCallStatus(`Simulator failed to load: ${error.message}`));
