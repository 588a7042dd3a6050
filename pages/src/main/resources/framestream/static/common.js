// Shared helpers of the framestream example pages. Plain ES module, no build step, no dependencies.
//
// Rule for every page: text that comes from the network (channel names, JSON fields, close reasons) goes
// into the DOM through textContent or attributes only, never parsed as HTML markup.

/** Channel names the server accepts: 1-64 of [A-Za-z0-9._-]. */
export const CHANNEL_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export const $ = (id) => document.getElementById(id);

/** Sets an element's text (never HTML). */
export function setText(id, text) {
  const el = $(id);
  if (el) el.textContent = String(text);
}

/** Appends a new element to a parent and returns it. */
export function element(parent, tag, className = '') {
  const el = document.createElement(tag);
  if (className) el.className = className;
  parent.appendChild(el);
  return el;
}

/** Fills an element from text with **bold** and `code` marks, as DOM nodes (never parsed as markup). */
export function richText(parent, text) {
  for (const part of text.split(/(\*\*[^*]+\*\*|`[^`]+`)/)) {
    if (part.startsWith('**') && part.endsWith('**') && part.length > 4) {
      element(parent, 'b').textContent = part.slice(2, -2);
    } else if (part.startsWith('`') && part.endsWith('`') && part.length > 2) {
      element(parent, 'code').textContent = part.slice(1, -1);
    } else if (part) {
      parent.appendChild(document.createTextNode(part));
    }
  }
}

/** The page's query parameters, with the channel validated. */
export function pageParams(defaultChannel) {
  const q = new URLSearchParams(location.search);
  const channel = q.get('channel') || defaultChannel;
  return {
    channel,
    valid: CHANNEL_NAME.test(channel),
    format: ['datauri', 'chunks'].includes(q.get('format')) ? q.get('format') : 'binary',
    query: q,
  };
}

/** Decodes base64 text to bytes. */
export function fromBase64(text) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Parses a JSON object from network text; null for anything else. */
export function parseJson(text) {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : null;
  } catch (e) {
    return null;
  }
}

/** A ws:// or wss:// URL on this page's host. */
export function wsUrl(path) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

/**
 * Adds this page's own credentials, if it was opened with any (`?ticket=` for viewers of a server started
 * with --ticket-key, `?token=` for publishers), to a stream path such as `/sse/cam1` or `/ws/live/cam1?format=datauri`.
 */
export function withCredentials(path) {
  const own = new URLSearchParams(location.search);
  const extra = new URLSearchParams();
  for (const name of ['ticket', 'token']) {
    if (own.get(name)) extra.set(name, own.get(name));
  }
  if ([...extra].length === 0) return path;
  return path + (path.includes('?') ? '&' : '?') + extra.toString();
}

/** Page URL for a channel, e.g. pageUrl('live.html', 'cam1', {format: 'datauri'}). */
export function pageUrl(page, channel, extra = {}) {
  const q = new URLSearchParams({channel, ...extra});
  return `${page}?${q}`;
}

/** Shows an error banner with plain text. */
export function showError(text) {
  const el = $('error');
  if (!el) return;
  el.textContent = text;
  el.hidden = !text;
}

/** Fills the page's title and navigation links for a channel. */
export function fillChannelLinks(channel) {
  for (const a of document.querySelectorAll('a[data-page]')) {
    const extra = a.dataset.format ? {format: a.dataset.format} : {};
    a.href = pageUrl(a.dataset.page, channel, extra);
  }
  for (const el of document.querySelectorAll('.channel-name')) el.textContent = channel;
  document.title = `${document.title} - ${channel}`;
}

/**
 * Exponential backoff with jitter for reconnects: 0.5 s doubling to 10 s, each delay drawn from its upper
 * half, reset after a connection stayed up.
 */
export class Backoff {
  constructor(minMs = 500, maxMs = 10000) {
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.attempt = 0;
  }
  next() {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 20);
    return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  }
  reset() {
    this.attempt = 0;
  }
}

/** Counts events in a sliding window (default 2 s) and reports a rate per second. */
export class RateMeter {
  constructor(windowMs = 2000) {
    this.windowMs = windowMs;
    this.samples = []; // [time, amount]
  }
  add(amount = 1, now = performance.now()) {
    this.samples.push([now, amount]);
    this.trim(now);
  }
  trim(now) {
    while (this.samples.length && this.samples[0][0] < now - this.windowMs) this.samples.shift();
  }
  perSecond(now = performance.now()) {
    this.trim(now);
    let sum = 0;
    for (const [, a] of this.samples) sum += a;
    return sum * 1000 / this.windowMs;
  }
  reset() {
    this.samples = [];
  }
}

export function formatBytes(n) {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

export function formatFps(n) {
  return n.toFixed(1);
}

/**
 * Polls /api/channels/{name} (or /api/channels without a name) every intervalMs while the page is
 * visible; calls onStats(json) or onStats(null) when the request fails. Returns a stop function.
 */
export function pollStats(channel, onStats, intervalMs = 2000) {
  let timer = 0;
  let stopped = false;
  const url = channel ? `/api/channels/${encodeURIComponent(channel)}` : '/api/channels';
  async function tick() {
    timer = 0;
    if (stopped) return;
    if (document.visibilityState === 'visible') {
      try {
        const response = await fetch(url, {cache: 'no-store'});
        onStats(response.ok ? await response.json() : null);
      } catch (e) {
        onStats(null);
      }
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  }
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * Shows frames in an <img>, one decode at a time, newest first: a frame that arrives while the previous
 * one is still decoding waits, and a newer one replaces it (counted in `superseded`). So a slow page drops
 * frames instead of queueing them, like the server's mailboxes.
 *
 * Binary frames become blob: URLs. Every blob URL this creates is revoked: the one on screen when the
 * next image has loaded (so the picture never flickers), a failed one at once, the rest in dispose().
 */
export class FrameShower {
  static STUCK_MS = 5000;

  constructor(img, onLoad = () => {}) {
    this.img = img;
    this.onLoad = onLoad;
    this.busy = false;
    this.pending = null; // {kind: 'bytes', data, type} or {kind: 'url', url}
    this.loading = null; // {url, blob, startedAt}
    this.shownBlobUrl = null;
    this.stats = {created: 0, revoked: 0, loads: 0, errors: 0, superseded: 0, decodeMs: 0};
    img.addEventListener('load', () => this.finished(true));
    img.addEventListener('error', () => this.finished(false));
  }

  /**
   * Shows binary image bytes (ArrayBuffer, typed array or Blob) of a content type; `publishMs`, when the
   * wire carries it (the chunk stream), is the frame's capture time in ms since the epoch.
   */
  showBytes(data, type, publishMs = null) {
    this.offer({kind: 'bytes', data, type, publishMs});
  }

  /** Shows a data: URI. */
  showDataUri(url) {
    this.offer({kind: 'url', url});
  }

  offer(item) {
    if (this.busy) {
      if (this.pending) this.stats.superseded++;
      this.pending = item;
      return;
    }
    this.start(item);
  }

  start(item) {
    this.busy = true;
    if (item.kind === 'bytes') {
      const blob = item.data instanceof Blob ? item.data : new Blob([item.data], {type: item.type});
      const url = URL.createObjectURL(blob);
      this.stats.created++;
      this.loading = {url, blob: true, startedAt: performance.now(), publishMs: item.publishMs};
    } else {
      this.loading = {url: item.url, blob: false, startedAt: performance.now(), publishMs: null};
    }
    const loading = this.loading;
    this.img.src = loading.url;
    // Safety net: a load that never reports (should not happen) must not stop the picture for good.
    setTimeout(() => {
      if (this.loading === loading) this.finished(false);
    }, FrameShower.STUCK_MS);
  }

  finished(ok) {
    const done = this.loading;
    if (!done) return; // a load event we did not start (e.g. after dispose)
    this.loading = null;
    this.busy = false;
    if (ok) {
      this.stats.loads++;
      const ms = performance.now() - done.startedAt;
      this.stats.decodeMs = this.stats.decodeMs ? this.stats.decodeMs * 0.9 + ms * 0.1 : ms;
      this.revoke(this.shownBlobUrl); // the picture before this one is off screen now
      this.shownBlobUrl = done.blob ? done.url : null;
      this.shownPublishMs = done.publishMs;
      this.onLoad(this);
    } else {
      this.stats.errors++;
      if (done.blob) this.revoke(done.url);
    }
    const next = this.pending;
    this.pending = null;
    if (next) this.start(next);
  }

  revoke(url) {
    if (url) {
      URL.revokeObjectURL(url);
      this.stats.revoked++;
    }
  }

  /** Blob URLs created and not yet revoked (at most 2: the one on screen and one decoding). */
  get outstanding() {
    return this.stats.created - this.stats.revoked;
  }

  /** Drops a waiting frame; keeps the picture on screen. */
  dropPending() {
    this.pending = null;
  }

  /** Revokes every blob URL and forgets the picture (the <img> keeps its last pixels until reloaded). */
  dispose() {
    this.pending = null;
    if (this.loading && this.loading.blob) this.revoke(this.loading.url);
    this.loading = null;
    this.busy = false;
    this.revoke(this.shownBlobUrl);
    this.shownBlobUrl = null;
  }
}

/**
 * Publish-to-display delays in milliseconds: a smoothed value (exponential, 10 % per sample) for the page,
 * and the most recent 2,000 samples for scripts and tests (median, p95).
 */
export class DelayMeter {
  static KEEP = 2000;

  constructor() {
    this.reset();
  }

  add(ms) {
    this.smoothed = this.smoothed === null ? ms : this.smoothed * 0.9 + ms * 0.1;
    this.recent.push(ms);
    if (this.recent.length > DelayMeter.KEEP) this.recent.splice(0, this.recent.length - DelayMeter.KEEP);
  }

  reset() {
    this.smoothed = null;
    this.recent = [];
  }

  text() {
    return this.smoothed === null ? '-' : `${Math.round(this.smoothed)} ms`;
  }
}

/**
 * Reads one binary message of the chunk stream (`?format=chunks`, rule W12): a 20-byte header (version 1,
 * flags, sample count, capture time in µs since the epoch, sequence number) and the samples, each a 20-byte
 * header (flags, timestamp µs, duration µs, length) and its bytes. Returns {key, publishMs, sequence,
 * samples: [{key, timestamp, duration, data}]}; sample data are views into the message, not copies.
 */
export function parseChunkMessage(buffer) {
  const view = new DataView(buffer);
  if (buffer.byteLength < 20 || view.getUint8(0) !== 1) throw new Error('not a version-1 chunk message');
  const count = view.getUint16(2);
  const m = {
    key: (view.getUint8(1) & 1) !== 0,
    publishMs: Number(view.getBigInt64(4)) / 1000,
    sequence: Number(view.getBigInt64(12)),
    samples: [],
  };
  let at = 20;
  for (let i = 0; i < count; i++) {
    if (at + 20 > buffer.byteLength) throw new Error('chunk message cut short');
    const length = view.getUint32(at + 16);
    if (at + 20 + length > buffer.byteLength) throw new Error('chunk sample cut short');
    m.samples.push({
      key: (view.getUint8(at) & 1) !== 0,
      timestamp: Number(view.getBigInt64(at + 4)),
      duration: view.getUint32(at + 12),
      data: new Uint8Array(buffer, at + 20, length),
    });
    at += 20 + length;
  }
  return m;
}
