// The glasses page: a browser standing in for a pair of AI glasses.
// Speaks glassmate's realtime protocol (OpenAI Realtime events + glassmate extensions, docs/protocol.md).
"use strict";

const IN_RATE = 16000;     // microphone audio sent to the server (glassmate accepts 16 or 24 kHz)
const OUT_RATE = 24000;    // response audio (OpenAI Realtime's PCM16 rate)
const SEND_MS = 40;        // microphone audio is sent in 40 ms pieces
const FRAME_EVERY_MS = 3000;

const $ = (id) => document.getElementById(id);
// State the end-to-end tests read.
const state = (window.glassmate = {
  connected: false, translating: false, audioBytes: 0, transcripts: [], answers: [], cards: [], routes: [],
  errors: [], transcript: [], payments: [], navigation: [], fixesSent: 0,
  recording: false, meetingUpdates: [], meetings: [], meetingShown: null,
});

let ws = null, micCtx = null, playCtx = null, micNode = null, micStream = null, camStream = null;
let pending = [], pendingLen = 0, playHead = 0, playing = [], frameTimer = null;
let talking = false, speechStoppedAt = 0, firstAudioSeen = true, answerText = "";
let openPayment = null, holdTimer = null, lastFix = null;
const HOLD_MS = 500;       // the confirm gesture: a deliberate hold, not a tap

function token() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) { localStorage.setItem("glassmate-token", fromHash); history.replaceState(null, "", location.pathname); }
  return fromHash || localStorage.getItem("glassmate-token") || $("token").value.trim();
}

function log(text, route) {
  const li = document.createElement("li");
  li.textContent = text;
  if (route) { const r = document.createElement("span"); r.className = "route"; r.textContent = route; li.appendChild(r); }
  $("log").prepend(li);
}

function send(event) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(event)); }

function b64FromBytes(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function sessionConfig() {
  const mode = $("mode").value;
  return {
    type: "realtime",
    output_modalities: ["audio"],
    audio: {
      input: {
        format: { type: "audio/pcm", rate: IN_RATE },
        // semantic_vad: the turn ends at a short pause once the voice sounds finished and the words can end a sentence.
        turn_detection: mode === "ptt" ? null : { type: "semantic_vad", eagerness: "auto", create_response: true, interrupt_response: true },
      },
      output: { format: { type: "audio/pcm", rate: OUT_RATE }, voice: $("voice").value || null },
    },
    glassmate: { language: $("language").value, wake_phrase: mode === "wake" ? "hey glasses" : null },
  };
}

// -- connection -----------------------------------------------------------------------------------------------

function connect() {
  const t = token();
  if (!t) { log("Paste a device token (glassmate devices add NAME) and press Start."); return; }
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${scheme}://${location.host}/v1/realtime?token=${encodeURIComponent(t)}`);
  ws.onopen = () => { send({ type: "session.update", session: sessionConfig() }); if (lastFix) send(lastFix); };
  ws.onmessage = (m) => handle(JSON.parse(m.data));
  ws.onclose = (e) => {
    state.connected = false;
    $("conn").className = "dot off";
    $("conn-text").textContent = e.reason ? `closed: ${e.reason}` : "offline";
    for (const id of ["ptt", "frame", "stop", "ask-btn", "record"]) $(id).disabled = true;
  };
}

// While the server loads its models, /healthz says "warming_up": the page says so, so a slow first answer is
// expected, not a fault.
async function watchWarmUp() {
  let state = "ready";
  try { state = (await (await fetch("/healthz")).json()).state || "ready"; } catch (e) { state = "ready"; }
  $("warming").hidden = state !== "warming_up";
  if (state === "warming_up") setTimeout(watchWarmUp, 1000);
}

function handle(ev) {
  switch (ev.type) {
    case "session.created":
    case "session.updated": {
      const t = ev.session.glassmate && ev.session.glassmate.translation;
      state.translating = Boolean(t && t.enabled);
      $("translating").hidden = !state.translating;
      $("translating").textContent = t && t.other_language ? `translating ⇄ ${t.other_language}` : "translating";
      if (ev.type === "session.created") break;
      state.connected = true;
      $("conn").className = "dot on";
      $("conn-text").textContent = "connected";
      for (const id of ["ptt", "frame", "stop", "ask-btn", "record"]) $(id).disabled = false;
      loadMeetings();
      watchWarmUp();
      break;
    }
    case "input_audio_buffer.speech_started":
      flushPlayback();               // barge-in: the wearer talks, the glasses stop
      $("caption-me").textContent = "…";
      sendFrame();                   // "what is this" needs what the wearer looks at now
      break;
    case "input_audio_buffer.speech_stopped":
      speechStoppedAt = performance.now();
      firstAudioSeen = false;
      break;
    case "hud.caption": {
      // Translations go where answers go; what was said goes to the speaker's line, marked with its side.
      const el = ev.kind === "translation" || ev.side === "assistant" ? $("caption-assistant") : $("caption-me");
      const who = ev.side === "them" ? "them: " : "";
      el.textContent = ev.kind === "translation" ? `→ ${ev.text}` : who + ev.text;
      el.classList.toggle("partial", !ev.final);
      if (ev.final && state.translating) {
        const line = `${ev.side}${ev.language ? ` (${ev.language})` : ""}${ev.kind === "translation" ? " →" : ":"} ${ev.text}`;
        state.transcript.push(line);
        log(line);
      }
      break;
    }
    case "conversation.item.input_audio_transcription.completed":
      state.transcripts.push(ev.transcript);
      if (ev.transcript) log(`you: ${ev.transcript}`);
      break;
    case "response.created":
      answerText = "";
      $("caption-assistant").textContent = "";
      break;
    case "response.output_audio_transcript.delta":
    case "response.output_text.delta":
      answerText += ev.delta;
      $("caption-assistant").textContent = answerText;
      break;
    case "response.output_audio.delta":
      if (!firstAudioSeen) {
        firstAudioSeen = true;
        $("latency").textContent = `${Math.round(performance.now() - speechStoppedAt)} ms`;
      }
      play(ev.delta);
      break;
    case "response.done": {
      const route = ev.response.metadata && ev.response.metadata.route;
      state.routes.push(route);
      if (ev.response.status === "cancelled") flushPlayback();
      if (answerText) { state.answers.push(answerText); log(`glasses: ${answerText}`, route); }
      break;
    }
    case "hud.card": showCard(ev.card); break;
    case "payment.updated": showPayment(ev.payment); break;
    case "navigation.updated": showNavigation(ev.navigation); break;
    case "meeting.updated": showMeetingUpdate(ev.meeting); break;
    case "privacy.indicator": showPrivacy(ev); break;
    case "error":
      state.errors.push(ev.error.code);
      log(`error ${ev.error.code}: ${ev.error.message}`);
      break;
  }
}

// -- HUD ------------------------------------------------------------------------------------------------------

function showCard(card) {
  state.cards.push(card);
  // A card with the id of one on screen replaces it (a payment's card moves from "confirm" to "paid").
  for (const old of $("cards").querySelectorAll(".card")) if (old.dataset.id === card.id) old.remove();
  const el = document.createElement("div");
  el.className = `card ${card.priority || ""}`;
  el.dataset.id = card.id;
  const h = document.createElement("h3");
  h.textContent = card.title;
  el.appendChild(h);
  for (const line of card.lines) { const p = document.createElement("p"); p.textContent = line; el.appendChild(p); }
  const cards = $("cards");
  cards.prepend(el);
  while (cards.children.length > 3) cards.lastChild.remove();
  setTimeout(() => el.remove(), card.ttl_ms || 8000);
}

// A payment awaiting confirmation: the gesture (hold), the PIN, or cancel. The spoken "confirm" goes by voice
// (or the question box); the server needs both.
function showPayment(payment) {
  state.payments.push(payment);
  openPayment = payment.state === "created" ? payment : null;
  $("payment").hidden = !openPayment;
  if (openPayment) $("payment-what").textContent = `${payment.merchant.name}: ${payment.amount} ${payment.currency}`;
  else log(`payment ${payment.state}: ${payment.amount} ${payment.currency} to ${payment.merchant.name}`, "pay");
}

// Walking guidance: the next maneuver's arrow and distance, the street, what remains (hidden when it ends).
const TURN_DEG = { "straight": 0, "slight right": 45, "right": 90, "sharp right": 135, "uturn": 180,
                   "sharp left": -135, "left": -90, "slight left": -45 };
function showNavigation(nav) {
  state.navigation.push(nav);
  const el = $("navigation");
  const active = nav.state !== "stopped" && nav.state !== "arrived";
  el.hidden = !active && nav.state !== "arrived";
  el.dataset.state = nav.state;
  el.className = nav.state === "off-route" ? "off-route" : "";
  const m = nav.maneuver;
  const arrow = $("nav-arrow");
  if (nav.state === "arrived") {
    arrow.textContent = "⚑"; arrow.style.transform = "";
    $("nav-distance").textContent = nav.destination.name;
    $("nav-street").textContent = "arrived"; $("nav-remaining").textContent = "";
    setTimeout(() => { if ($("navigation").dataset.state === "arrived") $("navigation").hidden = true; }, 8000);
  } else if (m) {
    const modifier = m.type === "arrive" || m.type === "continue" ? "straight" : m.modifier;
    arrow.textContent = "↑";
    arrow.style.transform = `rotate(${TURN_DEG[modifier] || 0}deg)`;
    arrow.dataset.modifier = modifier;
    $("nav-distance").textContent = `${m.distance_m} m`;
    $("nav-street").textContent = nav.state === "off-route" ? "off the route…" : (m.name || nav.destination.name);
    $("nav-remaining").textContent = `${(nav.remaining_m / 1000).toFixed(1)} km · ${Math.max(1, Math.round(nav.remaining_s / 60))} min`;
  }
  if (nav.state !== "guiding") log(`navigation ${nav.state}: ${nav.destination.name}`, "navigate");
  $("attribution").textContent = nav.attribution;
}

// A meeting recorded on these glasses: the REC pill (with the recorded time) the whole time the audio is kept,
// the live transcript's lines in the log, and the list refreshed when its notes are done.
let recSeconds = 0, recSince = 0, recTimer = null;
const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
function showMeetingUpdate(m) {
  state.meetingUpdates.push(m);
  state.recording = m.status === "recording";
  $("rec").hidden = !state.recording;
  $("record").textContent = state.recording ? "■ Stop recording" : "● Record meeting";
  clearInterval(recTimer);
  if (state.recording) {
    recSeconds = m.seconds || 0; recSince = performance.now();
    const tick = () => { $("rec-time").textContent = clock(recSeconds + (performance.now() - recSince) / 1000); };
    tick(); recTimer = setInterval(tick, 1000);
    if (m.line) log(`[${clock(m.line.at)}] ${m.line.text}`, "meeting");
  } else {
    log(`meeting ${m.status}${m.title ? `: ${m.title}` : ""}`, "meeting");
    loadMeetings();
    if (state.meetingShown === m.id) showMeeting(m.id);
  }
}

// What the glasses keep beyond the turn: audio (a meeting) and camera frames (a memory's photo), on the HUD and
// in the status bar for as long as the server says so.
function showPrivacy(ev) {
  $("hud-audio").hidden = !ev.audio;
  $("hud-camera").hidden = !ev.camera;
  $("hud-privacy").hidden = !(ev.audio || ev.camera);
  $("camera-kept").hidden = !ev.camera;
  if (ev.audio) $("rec").hidden = false;
}

// -- meetings (REST, with the same device token) --------------------------------------------------------------

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${token()}` }, options.headers || {});
  const r = await fetch(path, Object.assign({}, options, { headers }));
  if (!r.ok) {
    let e = {};
    try { e = (await r.json()).error || {}; } catch (_) { /* not JSON */ }
    throw new Error(`${e.code || r.status}: ${e.message || r.statusText}`);
  }
  return r;
}

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

async function loadMeetings() {
  if (!token()) return;
  const q = $("meeting-search").value.trim();
  let found;
  try { found = (await (await api(`/v1/meetings${q ? `?q=${encodeURIComponent(q)}` : ""}`)).json()).data; }
  catch (e) { log(`meetings: ${e.message}`); return; }
  state.meetings = found;
  const list = $("meeting-list");
  list.replaceChildren();
  if (!found.length) list.appendChild(el("li", q ? "no meeting has these words" : "no meetings yet", "meta"));
  for (const m of found) {
    const li = el("li", m.title || m.filename || (m.status === "recording" ? "recording…" : "untitled"));
    li.dataset.id = m.id;
    const when = new Date(m.created_at * 1000).toLocaleString();
    li.appendChild(el("span", `${when} · ${clock(m.duration_s)} · ${m.status}`, "meta"));
    for (const line of m.matches || []) li.appendChild(el("span", `${line.kind}: ${line.text}`, "match"));
    li.onclick = () => showMeeting(m.id);
    list.appendChild(li);
  }
}

let pollTimer = null;
async function showMeeting(id) {
  clearTimeout(pollTimer);
  let m;
  try { m = await (await api(`/v1/meetings/${id}`)).json(); } catch (e) { log(`meeting: ${e.message}`); return; }
  state.meetingShown = id;
  $("meeting-view").hidden = false;
  $("meeting-view").dataset.id = id;
  $("meeting-view").dataset.status = m.status;
  $("mv-title").textContent = m.title || m.filename || "untitled";
  $("mv-meta").textContent = `${new Date(m.created_at * 1000).toLocaleString()} · ${clock(m.duration_s)}` +
    (m.language ? ` · ${m.language}` : "") + (m.audio_kept ? " · audio kept" : "");
  const status = m.status === "processing" ? `processing: ${m.stage || ""} ${Math.round(m.progress * 100)} %`
    : m.status === "failed" ? `failed: ${m.error.message} (${m.error.code})` : m.warnings.join("; ");
  $("mv-status").textContent = status;
  const speakers = $("mv-speakers");
  speakers.replaceChildren();
  for (const sp of m.speakers) {
    const b = el("button", `${sp.name} ✎`);
    b.type = "button"; b.title = "rename this speaker";
    b.onclick = async () => {
      const name = prompt(`Name for ${sp.name}`, sp.name);
      if (!name || name === sp.name) return;
      try {
        await api(`/v1/meetings/${id}/speakers/${sp.index}`, { method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name }) });
      } catch (e) { log(`rename: ${e.message}`); }
      showMeeting(id);
    };
    speakers.appendChild(b);
  }
  const notes = $("mv-notes");
  notes.replaceChildren();
  const n = m.notes || {};
  if (n.summary) notes.appendChild(el("p", n.summary));
  const section = (title, items) => {
    if (!items || !items.length) return;
    notes.appendChild(el("h4", title));
    const ul = el("ul");
    for (const item of items) ul.appendChild(el("li", item));
    notes.appendChild(ul);
  };
  section("Decisions", n.decisions);
  section("Action items", (n.action_items || []).map((a) => a.task + (a.owner ? ` — ${a.owner}` : "") + (a.due ? ` (${a.due})` : "")));
  section("Open questions", n.open_questions);
  const transcript = $("mv-transcript");
  transcript.replaceChildren();
  for (const seg of m.segments || []) {
    const li = el("li");
    li.append(el("span", clock(seg.start), "at"), el("span", seg.speaker, "who"), el("span", seg.text));
    transcript.appendChild(li);
  }
  if (m.status === "processing" || m.status === "recording") pollTimer = setTimeout(() => showMeeting(id), 2000);
}

$("mv-close").onclick = () => { clearTimeout(pollTimer); state.meetingShown = null; $("meeting-view").hidden = true; };
$("mv-delete").onclick = async () => {
  const id = state.meetingShown;
  if (!id || !confirm("Delete this meeting, its notes, transcript and audio?")) return;
  try { await api(`/v1/meetings/${id}`, { method: "DELETE" }); } catch (e) { log(`delete: ${e.message}`); }
  $("mv-close").onclick();
  loadMeetings();
};
$("mv-markdown").onclick = async () => {
  const id = state.meetingShown;
  if (!id) return;
  const text = await (await api(`/v1/meetings/${id}/markdown`)).text();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/markdown" }));
  link.download = `${id}.md`;
  link.click();
};
$("meeting-search-form").onsubmit = (e) => { e.preventDefault(); loadMeetings(); };
$("meetings-refresh").onclick = () => loadMeetings();
$("meeting-upload").onchange = async () => {
  const file = $("meeting-upload").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file, file.name);
  try {
    const made = await (await api("/v1/meetings", { method: "POST", body: form })).json();
    log(`uploaded ${file.name}: ${made.status}`, "meeting");
    $("meeting-upload").value = "";
    await loadMeetings();
    showMeeting(made.id);
  } catch (e) { log(`upload: ${e.message}`); }
};

// -- GPS ------------------------------------------------------------------------------------------------------

// The phone's or laptop's position stands in for the glasses' GPS (and its direction of travel for the heading).
function startGps() {
  if (!navigator.geolocation) return;
  navigator.geolocation.watchPosition((pos) => {
    const c = pos.coords;
    const ev = { type: "device.state", gps: { lat: c.latitude, lon: c.longitude, accuracy_m: c.accuracy } };
    if (c.heading !== null && !Number.isNaN(c.heading)) ev.heading_deg = c.heading % 360;
    lastFix = ev;
    send(ev);
    state.fixesSent += 1;
    $("gps").textContent = `GPS ±${Math.round(c.accuracy)} m`;
    $("gps").classList.add("live");
  }, (err) => {
    // Said once, not at every failed fix (a browser without a position keeps failing).
    if ($("gps").textContent !== "no GPS") log(`GPS unavailable: ${err.message || err.code}`);
    $("gps").textContent = "no GPS"; $("gps").classList.remove("live");
  },
  { enableHighAccuracy: true, maximumAge: 1000 });
}

// -- audio out ------------------------------------------------------------------------------------------------

function play(b64) {
  const bin = atob(b64);
  state.audioBytes += bin.length;
  const pcm = new Int16Array(bin.length >> 1);
  for (let i = 0; i < pcm.length; i++) pcm[i] = bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8);
  const buf = playCtx.createBuffer(1, pcm.length, OUT_RATE);
  const data = buf.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
  const src = playCtx.createBufferSource();
  src.buffer = buf;
  src.connect(playCtx.destination);
  playHead = Math.max(playHead, playCtx.currentTime + 0.05);
  src.start(playHead);
  playHead += buf.duration;
  playing.push(src);
  src.onended = () => { playing = playing.filter((s) => s !== src); };
}

function flushPlayback() {
  for (const src of playing) { try { src.stop(); } catch (_) { /* already stopped */ } }
  playing = [];
  if (playCtx) playHead = playCtx.currentTime;
}

// -- microphone -----------------------------------------------------------------------------------------------

async function startMic() {
  micStream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
  micCtx = new AudioContext({ sampleRate: IN_RATE });
  await micCtx.audioWorklet.addModule("glasses-mic.js");
  micNode = new AudioWorkletNode(micCtx, "mic-capture");
  micNode.port.onmessage = (m) => onMic(m.data);
  micCtx.createMediaStreamSource(micStream).connect(micNode);
  $("listening").textContent = "mic on";
  $("listening").classList.add("live");
}

function onMic(samples) {
  const ptt = $("mode").value === "ptt";
  if (ptt && !talking) return;
  pending.push(samples);
  pendingLen += samples.length;
  if (pendingLen < (IN_RATE * SEND_MS) / 1000) return;
  const pcm = new Int16Array(pendingLen);
  let o = 0;
  for (const chunk of pending) for (let i = 0; i < chunk.length; i++) pcm[o++] = Math.max(-1, Math.min(1, chunk[i])) * 32767;
  pending = []; pendingLen = 0;
  send({ type: "input_audio_buffer.append", audio: b64FromBytes(new Uint8Array(pcm.buffer)) });
}

// -- camera ---------------------------------------------------------------------------------------------------

async function startCamera() {
  if (!$("camera-on").checked) return;
  camStream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
  $("camera").srcObject = camStream;
  frameTimer = setInterval(sendFrame, FRAME_EVERY_MS);
}

function sendFrame() {
  const video = $("camera");
  if (!camStream || !video.videoWidth) return;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  const jpeg = canvas.toDataURL("image/jpeg", 0.75).split(",")[1];
  send({ type: "input_image.append", image: jpeg, captured_at_ms: Date.now() });
}

// -- controls -------------------------------------------------------------------------------------------------

$("start").onclick = async () => {
  $("start").disabled = true;
  playCtx = new AudioContext({ sampleRate: OUT_RATE });
  connect();
  try { await startMic(); } catch (e) { log(`microphone unavailable: ${e.message}`); }
  try { await startCamera(); } catch (e) { log(`camera unavailable: ${e.message}`); }
  startGps();
};
$("ptt").onpointerdown = () => { talking = true; flushPlayback(); send({ type: "input_audio_buffer.clear" }); };
$("ptt").onpointerup = () => {
  talking = false;
  speechStoppedAt = performance.now(); firstAudioSeen = false;
  send({ type: "input_audio_buffer.commit" });
  send({ type: "response.create" });
};
$("frame").onclick = sendFrame;
$("pay-confirm").onpointerdown = () => {
  holdTimer = setTimeout(() => { if (openPayment) send({ type: "payment.confirm", payment_id: openPayment.id }); }, HOLD_MS);
};
$("pay-confirm").onpointerup = $("pay-confirm").onpointerleave = () => clearTimeout(holdTimer);
$("payment").onsubmit = (e) => {
  e.preventDefault();
  if (!openPayment) return;
  send({ type: "payment.confirm", payment_id: openPayment.id, pin: $("pay-pin").value });
  $("pay-pin").value = "";
};
$("pay-cancel").onclick = () => send({ type: "payment.cancel", payment_id: openPayment && openPayment.id });
$("save").onclick = () => {
  const lines = state.transcript.length ? state.transcript : state.transcripts.map((t, i) => `me: ${t}\n   ${state.answers[i] || ""}`);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/plain" }));
  link.download = `glassmate-${new Date().toISOString().slice(0, 19).replace(/:/g, "-")}.txt`;
  link.click();
};
$("stop").onclick = () => { flushPlayback(); send({ type: "device.button", button: "tap" }); };
$("record").onclick = () => send({ type: "device.button", button: "record" });
$("mode").onchange = () => send({ type: "session.update", session: sessionConfig() });
$("language").onchange = () => send({ type: "session.update", session: sessionConfig() });
$("voice").onchange = () => send({ type: "session.update", session: sessionConfig() });
$("ask").onsubmit = (e) => {
  e.preventDefault();
  const text = $("question").value.trim();
  if (!text) return;
  $("question").value = "";
  log(`you: ${text}`);
  send({ type: "conversation.item.create", item: { type: "message", role: "user", content: [{ type: "input_text", text }] } });
  send({ type: "response.create" });
};
if (navigator.getBattery) {
  navigator.getBattery().then((b) => {
    const report = () => send({ type: "device.state", battery: { level: b.level, charging: b.charging } });
    b.onlevelchange = report; b.onchargingchange = report;
    setInterval(report, 60000); setTimeout(report, 2000);
  });
}
if (new URLSearchParams(location.hash.slice(1)).get("autostart") === "1") $("start").click();
