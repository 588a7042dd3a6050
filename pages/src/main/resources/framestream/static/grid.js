// The camera grid: many channels over one WebSocket (/ws/multi). Plain ES module, no build step.
//
// Wire (docs/contract.md, rules G1-G5): the page sends {"type":"add","channel":"cam1"} per channel; the server
// answers "added" (or "error" with a status), then sends each frame as one binary message: one byte N, the
// channel name (N ASCII bytes), one byte kind (0 KEY, 1 DELTA, 2 INIT), one byte T, the content type (T bytes),
// then the image. Text from the network goes into the DOM as text only.

import {$, Backoff, CHANNEL_NAME, FrameShower, element, setText, showError, withCredentials, wsUrl} from './common.js';

const MAX_TILES = 32;
const DEFAULT_TILES = 16;

/** What the page did, for people and for tests: one entry per tile, and the sockets it opened. */
const stats = {sockets: 0, open: 0, messages: 0, tiles: {}};
window.framestreamGrid = stats;

const tiles = new Map(); // channel name -> {shower, frames, problem, numbers}
const backoff = new Backoff();
let socket = null;

async function channelsToShow() {
  const q = new URLSearchParams(location.search);
  if (q.get('channels')) {
    return q.get('channels').split(',').map((s) => s.trim()).filter((s) => s).slice(0, MAX_TILES);
  }
  try {
    const r = await fetch('/api/channels');
    const list = await r.json();
    const channels = Array.isArray(list) ? list : (list.channels || []);
    return channels
        .filter((c) => !c.contentType || c.contentType.startsWith('image/'))
        .map((c) => c.channel)
        .slice(0, DEFAULT_TILES);
  } catch (e) {
    showError(`cannot list channels: ${e}`);
    return [];
  }
}

function addTile(name) {
  const tile = element($('grid'), 'div', 'tile');
  const stage = element(tile, 'div', 'stage');
  const img = element(stage, 'img');
  img.alt = '';
  img.setAttribute('aria-label', `channel ${name}`);
  img.dataset.channel = name;
  const placeholder = element(stage, 'span', 'placeholder');
  placeholder.textContent = 'waiting...';
  const label = element(tile, 'div', 'label');
  element(label, 'span', 'name').textContent = name;
  const numbers = element(label, 'span', 'numbers');
  const problem = element(tile, 'div', 'problem');
  const entry = {frames: 0, loads: 0, bytes: 0, added: false, error: null};
  stats.tiles[name] = entry;
  const shower = new FrameShower(img, (s) => {
    entry.loads = s.stats.loads;
    placeholder.hidden = true;
  });
  tiles.set(name, {shower, entry, numbers, problem});
}

function connect(names) {
  setStatus('connecting', 'connecting...');
  const ws = new WebSocket(wsUrl(withCredentials('/ws/multi')));
  ws.binaryType = 'arraybuffer';
  socket = ws;
  stats.sockets++;
  ws.onopen = () => {
    stats.open++;
    backoff.reset();
    setStatus('live', `live: ${names.length} channels, one WebSocket`);
    for (const name of names) ws.send(JSON.stringify({type: 'add', channel: name}));
  };
  ws.onmessage = (e) => {
    stats.messages++;
    if (typeof e.data === 'string') {
      answer(JSON.parse(e.data));
    } else {
      frame(new Uint8Array(e.data));
    }
  };
  ws.onclose = (e) => {
    if (socket !== ws) return;
    socket = null;
    setStatus('down', `disconnected (${e.code}${e.reason ? ': ' + e.reason : ''}); reconnecting...`);
    for (const t of tiles.values()) t.entry.added = false;
    setTimeout(() => connect(names), backoff.next());
  };
}

function answer(msg) {
  const t = tiles.get(msg.channel);
  if (!t) return;
  if (msg.type === 'added') {
    t.entry.added = true;
    t.entry.error = null;
    t.problem.textContent = '';
  } else if (msg.type === 'error' || msg.type === 'removed') {
    t.entry.added = false;
    t.entry.error = msg.error || msg.reason || msg.type;
    t.problem.textContent = `${msg.status ? msg.status + ' ' : ''}${t.entry.error}`;
  } else if (msg.type === 'status') {
    t.problem.textContent = msg.status === 'offline' ? 'offline (last picture)' : '';
  }
}

const ascii = new TextDecoder('ascii');

function frame(bytes) {
  const n = bytes[0];
  const name = ascii.decode(bytes.subarray(1, 1 + n));
  const typeLength = bytes[2 + n];
  const type = ascii.decode(bytes.subarray(3 + n, 3 + n + typeLength));
  const payload = bytes.subarray(3 + n + typeLength);
  const t = tiles.get(name);
  if (!t || !type.startsWith('image/')) return; // video frames are not shown in the grid
  t.entry.frames++;
  t.entry.bytes += payload.length;
  t.numbers.textContent = `${t.entry.frames} frames`;
  t.shower.showBytes(payload, type);
}

function setStatus(kind, text) {
  const el = $('status');
  el.className = `status ${kind}`;
  el.textContent = text;
}

const names = (await channelsToShow()).filter((n) => CHANNEL_NAME.test(n));
setText('count', names.length);
if (names.length === 0) {
  setStatus('down', 'no channels');
  showError('No channels to show: open this page with ?channels=cam1,cam2,...');
} else {
  for (const name of names) addTile(name);
  connect(names);
}
