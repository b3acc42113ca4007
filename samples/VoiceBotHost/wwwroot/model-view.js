// "See what the model sees": each tool call with its arguments, its JSON result, and each [SMS Reply]: /
// [WhatsApp Reply]: / status line at the moment it enters the chat history, in order, shown in the call transcript
// (server-sent "trace" events from the host's AgentTrace). Also the "waiting for a text · 0:42" timer while an action
// waits for the caller's text. Uses simulator.js's state, $, el and scrollDown.
"use strict";

(() => {
  const labels = {
    "tool-call": "Tool call",
    "tool-result": "Tool result (JSON the model reads)",
    "history": "Entered the chat history",
  };
  const wait = { since: 0, timer: 0 };
  // The speech (relay socket) and the trace (server-sent events) arrive on two channels, in either order. The trace
  // marks each utterance's start ("agent-speaking"), so a line the trace put before the n-th utterance of the call goes
  // before that utterance's bubble even when the bubble arrived first.
  const spoken = { call: null, count: 0 };

  function showModel(on) {
    document.body.classList.toggle("show-model", on);
    $("model-toggle").checked = on;
  }

  function addModelLine(entry) {
    $("transcript-empty")?.remove();
    const line = el("div", `model-line ${entry.kind}`);
    line.append(el("span", "label", labels[entry.kind] || entry.kind), document.createTextNode(entry.text));
    const bubbles = [...$("transcript").querySelectorAll(".turn.agent.relayed")].filter((turn) => turn.dataset.call === entry.callSid);
    const next = bubbles[spoken.call === entry.callSid ? spoken.count : 0];
    if (next) $("transcript").insertBefore(line, next);
    else $("transcript").append(line);
    scrollDown($("transcript"));
  }

  function countUtterance(entry) {
    if (spoken.call !== entry.callSid) Object.assign(spoken, { call: entry.callSid, count: 0 });
    spoken.count++;
  }

  function tickWait() {
    if (!wait.since || !state.socket) return stopWait();
    const seconds = Math.floor((Date.now() - wait.since) / 1000);
    $("wait-timer").textContent = `waiting for a text · ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function startWait() {
    if (wait.since) return;
    wait.since = Date.now();
    $("wait-timer").hidden = false;
    wait.timer = setInterval(tickWait, 1000);
    tickWait();
  }

  function stopWait() {
    clearInterval(wait.timer);
    wait.since = 0;
    $("wait-timer").hidden = true;
  }

  function onTrace(entry) {
    if (!state.call || entry.callSid !== state.call.callSid) return; // another tab's call
    if (entry.kind === "wait-started") startWait();
    else if (entry.kind === "wait-ended") stopWait();
    else if (entry.kind === "agent-speaking") countUtterance(entry);
    else addModelLine(entry);
  }

  async function init() {
    // On by default with the offline demo model (the demo); the choice is remembered.
    const saved = localStorage.getItem("simulator.showModel");
    const config = state.config || await (await fetch("/simulator/config")).json();
    showModel(saved === null ? !!config.demoModel : saved === "true");
    $("model-toggle").addEventListener("change", (event) => {
      localStorage.setItem("simulator.showModel", String(event.target.checked));
      showModel(event.target.checked);
    });

    const events = new EventSource("/simulator/events");
    events.addEventListener("trace", (event) => onTrace(JSON.parse(event.data)));
  }

  init().catch((error) => console.error("The model view failed to start:", error));
})();
