// The part of the live pages that does not depend on the transport: picture, numbers, reconnects,
// pausing in hidden tabs. live.html (WebSocket) and live-sse.html (Server-Sent Events) plug a transport in.
import {
  $, Backoff, DelayMeter, FrameShower, RateMeter, element, fillChannelLinks, formatBytes, formatFps, pageParams, pollStats,
  richText, setText, showError,
} from './common.js';

/**
 * Runs a viewer page. `transport.connect(params, events)` opens a connection and returns {close()}; it
 * reports through `events`:
 *   open()                    connected
 *   init(msg)                 the JSON init message (contentType, width, height, lastSequence, ...)
 *   bytes(arrayBuffer, type)  a binary frame
 *   dataUri(text, seq)        a data-URI frame, with its sequence number if the transport carries it
 *   retrying(text)            lost, and the transport reconnects by itself (EventSource)
 *   closed(text)              lost for good: the page reconnects after a backoff
 * Events of a connection the page has already given up are ignored. `transport.sequenced` tells whether
 * frames carry sequence numbers; `transport.notes` explain its numbers on the page.
 */
export function startViewer(transport) {
  const params = pageParams('demo');
  buildPanel($('panel'), transport);
  const img = $('receiver');
  fillChannelLinks(params.channel);
  setText('mode', transport.describe(params));

  const backoff = new Backoff();
  const shownRate = new RateMeter();
  const receivedRate = new RateMeter();
  const byteRate = new RateMeter();
  const shower = new FrameShower(img, onShown);
  let connection = null;
  let generation = 0;
  let reconnectTimer = 0;
  let paused = false;
  let leaving = false;
  let state = 'connecting';
  let statusText = '';
  let received = 0;
  // Frames the server skipped for this viewer (newest wins): exact from sequence gaps when the transport
  // carries sequence numbers (SSE ids), else estimated from the channel's lastSequence (see the page).
  let lastSeq = null;
  let skippedExact = 0;
  let baseline = null;
  let skippedEstimate = 0; // since the current connection's baseline
  let skippedEarlier = 0; // estimates of earlier connections
  let serverLatency = null;
  const delay = new DelayMeter(); // measured publish-to-display delays (only where the wire carries the time)

  if (!params.valid) {
    showError('Invalid channel name: use 1 to 64 letters, digits, ".", "_" or "-", as in ?channel=cam1');
    setStatus('down', 'invalid channel');
    return;
  }

  function setStatus(kind, text) {
    state = kind;
    statusText = text;
    const el = $('status');
    el.className = `status ${kind}`;
    el.textContent = text;
  }

  function connect() {
    if (connection || paused || leaving) return;
    const mine = ++generation;
    const live = () => mine === generation;
    setStatus('connecting', 'connecting...');
    connection = transport.connect(params, {
      open() {
        if (live()) setStatus('live', 'connected, waiting for frames');
      },
      init(msg) {
        if (!live()) return;
        if (msg.width && msg.height) setText('announced', `${msg.width} x ${msg.height}`);
        if (msg.contentType) setText('type', msg.contentType);
      },
      bytes(data, type, publishMs) {
        if (!live()) return;
        frameArrived(data.byteLength);
        shower.showBytes(data, type, publishMs);
      },
      dataUri(text, seq) {
        if (!live()) return;
        frameArrived(text.length);
        if (Number.isFinite(seq) && seq > 0) {
          if (lastSeq !== null && seq > lastSeq + 1) skippedExact += seq - lastSeq - 1;
          lastSeq = seq;
        }
        shower.showDataUri(text);
      },
      retrying(text) {
        if (live()) setStatus('connecting', text);
      },
      closed(text) {
        if (!live()) return;
        connection = null;
        generation++;
        resetBaseline();
        if (paused || leaving) return;
        const delay = backoff.next();
        setStatus('down', `${text}; retrying in ${(delay / 1000).toFixed(1)} s`);
        reconnectTimer = setTimeout(() => {
          reconnectTimer = 0;
          connect();
        }, delay);
      },
    });
  }

  function disconnect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    generation++;
    if (connection) connection.close();
    connection = null;
    resetBaseline();
    lastSeq = null;
    shower.dropPending();
  }

  function resetBaseline() {
    skippedEarlier += skippedEstimate;
    skippedEstimate = 0;
    baseline = null;
  }

  function frameArrived(size) {
    received++;
    receivedRate.add();
    byteRate.add(size);
    if (statusText !== 'live') setStatus('live', 'live');
    backoff.reset();
  }

  function onShown() {
    shownRate.add();
    $('placeholder').hidden = true;
    setText('size', `${img.naturalWidth} x ${img.naturalHeight}`);
    if (Number.isFinite(shower.shownPublishMs)) delay.add(Date.now() - shower.shownPublishMs);
  }

  // Hidden tab: close the connection (the server stops sending, and a source with no other viewer
  // stops); visible again: reconnect at the newest frame.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') {
      paused = true;
      disconnect();
      setStatus('paused', 'paused while the tab is hidden');
    } else {
      paused = false;
      connect();
    }
  });
  addEventListener('pagehide', () => {
    leaving = true;
    disconnect();
    shower.dispose();
  });
  addEventListener('pageshow', (e) => {
    if (e.persisted) { // back/forward cache
      leaving = false;
      connect();
    }
  });

  pollStats(params.channel, (stats) => {
    if (!stats) return;
    serverLatency = stats.latency && stats.latency.count > 0 ? stats.latency.p50Millis : null;
    if (connection && received > 0) {
      if (!baseline) {
        baseline = {seq: stats.lastSequence, received};
      } else {
        const published = stats.lastSequence - baseline.seq;
        const got = received - baseline.received;
        skippedEstimate = Math.max(0, published - got - 1); // one frame may be on its way
      }
    }
  });

  function render() {
    setText('fps', formatFps(shownRate.perSecond()));
    setText('rfps', formatFps(receivedRate.perSecond()));
    setText('rate', `${formatBytes(byteRate.perSecond())}/s`);
    setText('frames', shower.stats.loads);
    const decode = shower.stats.decodeMs;
    const server = serverLatency === null ? 0 : serverLatency;
    setText('latency', delay.smoothed !== null ? `${delay.text()} (measured)`
        : `~${(server + decode).toFixed(0)} ms (estimated)`);
    setText('latencyparts', `${serverLatency === null ? '?' : server.toFixed(0)} + ${decode.toFixed(0)} ms`);
    setText('skipped', transport.sequenced ? String(skippedExact) : `~${skippedEarlier + skippedEstimate}`);
    setText('superseded', shower.stats.superseded);
    setText('bloburls', params.format === 'binary' && !transport.sequenced
      ? `${shower.outstanding} open of ${shower.stats.created}`
      : 'none (data URIs)');
  }
  setInterval(render, 500);

  // For scripts and tests: a snapshot of the numbers above.
  window.framestreamStats = () => ({
    state,
    received,
    loads: shower.stats.loads,
    errors: shower.stats.errors,
    superseded: shower.stats.superseded,
    created: shower.stats.created,
    revoked: shower.stats.revoked,
    outstanding: shower.outstanding,
    fps: shownRate.perSecond(),
    skipped: transport.sequenced ? skippedExact : skippedEarlier + skippedEstimate,
    naturalWidth: img.naturalWidth,
    delayMs: delay.smoothed,
    estimatedDelayMs: (serverLatency === null ? 0 : serverLatency) + shower.stats.decodeMs,
  });
  window.framestreamDelays = () => delay.recent.slice();

  if (document.visibilityState === 'hidden') {
    paused = true;
    setStatus('paused', 'paused while the tab is hidden');
  } else {
    connect();
  }
}

const ROWS = [
  ['fps', 'frames shown / s', '0.0'],
  ['rfps', 'frames received / s', '0.0'],
  ['rate', 'data received', '0 B/s'],
  ['frames', 'frames shown', '0'],
  ['size', 'picture', '-'],
  ['announced', 'announced', '-'],
  ['type', 'type', '-'],
  ['latency', 'publish to display', '-'],
  ['latencyparts', 'server + decode', '-'],
  ['skipped', 'skipped by server', '0'],
  ['superseded', 'skipped in page', '0'],
  ['bloburls', 'blob URLs', '-'],
];

const NOTES = [
  '**Frames shown / s** counts the picture\'s `load` events over the last 2 seconds.',
  '**Publish to display**, measured: with the chunk stream (`?format=chunks`, "WebSocket timed") every frame '
      + 'carries its capture time, and the page subtracts it from this computer\'s clock when the picture has '
      + 'loaded (smoothed; a server on another machine adds the difference of the clocks). Estimated, on the '
      + 'other formats, whose frames carry no time: the server\'s median time from publishing a frame to handing '
      + 'it to the network (from `/api/channels/NAME`) plus this page\'s decode time. Neither sees the camera.',
  '**Skipped in page**: frames that arrived while the previous one was still decoding and were replaced by a '
      + 'newer one before their turn.',
];

/** The numbers panel: one row per number, and how they are measured. */
function buildPanel(aside, transport) {
  const section = element(aside, 'section', 'panel');
  element(section, 'h2').textContent = 'This viewer';
  const list = element(section, 'dl', 'stats');
  for (const [id, label, initial] of ROWS) {
    element(list, 'dt').textContent = label;
    const value = element(list, 'dd');
    value.id = id;
    value.textContent = initial;
  }
  const details = element(section, 'details');
  element(details, 'summary').textContent = 'How these numbers are measured';
  for (const note of [...NOTES, ...(transport.notes || [])]) richText(element(details, 'p'), note);
}
