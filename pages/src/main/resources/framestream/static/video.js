// The live video page: fragmented MP4 from a channel, over SSE or WebSocket, into Media Source Extensions.
// Plain ES module, no build step. Network text reaches the DOM only through textContent.
import {
  $, Backoff, DelayMeter, fillChannelLinks, formatBytes, fromBase64, pageParams, parseJson, pollStats, setText, showError,
  withCredentials, wsUrl,
} from './common.js';

/** Jump to the live edge when playback falls this far behind the end of the buffer. */
const MAX_LATENCY_S = 2.5;
/** Where to land after a jump: this far before the end of the buffer. */
const JUMP_TARGET_S = 0.3;
/** Media further behind the playback position than this is removed. */
const KEEP_BEHIND_S = 10;
/** Fragments waiting for the SourceBuffer beyond this mean the page cannot keep up: start afresh. */
const MAX_QUEUED = 90;

/**
 * The Media Source implementation: MediaSource, else ManagedMediaSource (iOS Safari 17.1+, which has no
 * MediaSource on the iPhone), else null.
 */
function mediaSourceClass() {
  return window.MediaSource || window.ManagedMediaSource || null;
}

/** The bytes of an SSE data event: a data URI (the default format) or bare base64 (?format=base64). */
function dataEventBytes(text) {
  return fromBase64(text.startsWith('data:') ? text.slice(text.indexOf(',') + 1) : text);
}

/** Whether MP4 bytes start an init segment: the first box is ftyp or moov. */
function isInitSegment(bytes) {
  if (bytes.length < 8) return false;
  const type = String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]);
  return type === 'ftyp' || type === 'moov';
}

/**
 * Plays init segments and fragments in a <video> through one MediaSource and SourceBuffer, in 'sequence'
 * mode, so a stream that restarts (a looping file, a restarted encoder) continues without a gap.
 */
class Player {
  constructor(video, stats, onError) {
    this.video = video;
    this.stats = stats;
    this.onError = onError;
    this.mediaSource = null;
    this.buffer = null;
    this.codec = null;
    this.queue = []; // {bytes, at}: at = performance.now() when it arrived
    // Where each appended fragment ends in media time and when it arrived: the frame shown at media time t
    // came in the first fragment ending after t. Newest last, at most 200.
    this.arrivals = [];
    this.appending = null;
    this.delay = new DelayMeter();
    this.serverMs = 0; // the server's median publish-to-network time (from the channel's statistics)
    this.timer = setInterval(() => this.tick(), 250);
    video.addEventListener('playing', () => this.firstFrame());
    if (video.requestVideoFrameCallback) {
      const onFrame = (now, meta) => {
        this.firstFrame();
        this.shown(meta);
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
  }

  /** A frame on screen: its delay is the server's part plus arrival of its fragment to display. */
  shown(meta) {
    const t = meta.mediaTime;
    for (const a of this.arrivals) {
      if (a.end > t + 1e-4) {
        this.delay.add(this.serverMs + Math.max(0, meta.expectedDisplayTime - a.at));
        return;
      }
    }
  }

  /** The SourceBuffer finished an append or removal: note where an appended fragment ends. */
  appended() {
    const sb = this.buffer;
    if (this.appending !== null && sb && sb.buffered.length) {
      this.arrivals.push({end: sb.buffered.end(sb.buffered.length - 1), at: this.appending});
      if (this.arrivals.length > 200) this.arrivals.shift();
    }
    this.appending = null;
  }

  /** An init segment: (re)creates the MediaSource when there is none or the codec changed. */
  init(codec, bytes) {
    this.stats.inits++;
    if (!codec) {
      this.onError('the stream announces no codec, so the browser cannot be told what to decode');
      return;
    }
    const type = `video/mp4; codecs="${codec}"`;
    const MediaSourceClass = mediaSourceClass();
    if (!MediaSourceClass || !MediaSourceClass.isTypeSupported(type)) {
      this.onError(`this browser cannot play ${type} through Media Source Extensions`);
      return;
    }
    if (!this.mediaSource || codec !== this.codec) this.open(codec, type);
    this.queue.push({bytes, at: performance.now()});
    this.pump();
  }

  open(codec, type) {
    this.reset();
    this.codec = codec;
    const MediaSourceClass = mediaSourceClass();
    const ms = new MediaSourceClass();
    this.mediaSource = ms;
    this.stats.mediaSource = MediaSourceClass.name || 'MediaSource';
    if (MediaSourceClass !== window.MediaSource) {
      // ManagedMediaSource plays only with remote playback (AirPlay) off, or an alternative source given.
      this.video.disableRemotePlayback = true;
    }
    const url = URL.createObjectURL(ms);
    ms.addEventListener('sourceopen', () => {
      URL.revokeObjectURL(url);
      if (this.mediaSource !== ms) return;
      try {
        const sb = ms.addSourceBuffer(type);
        sb.mode = 'sequence';
        sb.addEventListener('updateend', () => {
          this.appended();
          this.pump();
        });
        sb.addEventListener('error', () => this.stats.errors++);
        this.buffer = sb;
        this.pump();
      } catch (e) {
        this.onError(`cannot create a SourceBuffer for ${type}: ${e.message}`);
      }
    }, {once: true});
    this.video.src = url;
  }

  /** A fragment; ignored until an init segment arrived. */
  append(bytes) {
    if (!this.mediaSource) return;
    this.stats.fragments++;
    if (this.queue.length >= MAX_QUEUED) {
      this.onError('the browser does not keep up with the stream; starting afresh', true);
      return;
    }
    this.queue.push({bytes, at: performance.now()});
    this.pump();
  }

  pump() {
    const sb = this.buffer;
    if (!sb || sb.updating || this.mediaSource.readyState !== 'open') return;
    const now = this.video.currentTime;
    const ranges = sb.buffered;
    if (ranges.length && now - ranges.start(0) > KEEP_BEHIND_S + 2) {
      this.stats.trims++;
      sb.remove(0, now - KEEP_BEHIND_S); // 'updateend' pumps again
      return;
    }
    if (!this.queue.length) return;
    const next = this.queue.shift();
    try {
      sb.appendBuffer(next.bytes);
      this.appending = next.at;
      this.stats.appendedBytes += next.bytes.byteLength;
    } catch (e) {
      if (e.name === 'QuotaExceededError' && ranges.length && now - ranges.start(0) > 1) {
        this.queue.unshift(next);
        this.stats.trims++;
        sb.remove(0, now - 1);
      } else {
        this.onError(`appending to the SourceBuffer failed: ${e.message}`, true);
      }
    }
  }

  /** Keeps playback near the live edge and running. */
  tick() {
    const sb = this.buffer;
    const v = this.video;
    if (!sb || !sb.buffered.length) return;
    const start = sb.buffered.start(0);
    const end = sb.buffered.end(sb.buffered.length - 1);
    this.stats.latency = end - v.currentTime;
    this.stats.buffered = end - start;
    if (v.currentTime < start || end - v.currentTime > MAX_LATENCY_S) {
      this.stats.jumps++;
      v.currentTime = Math.max(start, end - JUMP_TARGET_S);
    }
    if (v.paused && v.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
      v.play().catch(() => {}); // muted, so autoplay is allowed
    }
  }

  firstFrame() {
    if (this.stats.firstFrameMs === null && this.video.videoWidth > 0) {
      this.stats.firstFrameMs = Math.round(performance.now() - this.stats.connectedAt);
      this.stats.firstFrameSincePageMs = Math.round(performance.now());
      $('placeholder').hidden = true;
      if (this.stats.lastError && this.stats.lastErrorRecoverable) {
        this.stats.lastError = null; // playing again after a restart: the banner is out of date
        showError('');
      }
    }
  }

  /** Drops the MediaSource and everything queued; the next init segment starts afresh. */
  reset() {
    this.queue = [];
    this.arrivals = [];
    this.appending = null;
    this.delay.reset();
    this.buffer = null;
    this.codec = null;
    if (this.mediaSource) {
      this.mediaSource = null;
      this.video.removeAttribute('src');
      this.video.load();
    }
  }
}

/** SSE: `init` events carry the init segment as base64 (`initSegment`), `data` events a data URI each. */
function connectSse(channel, on) {
  const source = new EventSource(withCredentials(`/sse/${encodeURIComponent(channel)}`));
  source.onopen = () => on.open();
  source.addEventListener('init', (e) => {
    const msg = parseJson(e.data);
    if (msg) on.init(msg, msg.initSegment ? fromBase64(msg.initSegment) : null);
  });
  source.addEventListener('data', (e) => on.fragment(dataEventBytes(e.data)));
  source.addEventListener('status', (e) => {
    const msg = parseJson(e.data);
    if (msg) on.status(msg);
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) on.closed('the server refused the stream');
    // else: the browser reconnects by itself; the fresh init segment resets the player
  };
  return {close: () => source.close()};
}

/** WebSocket: JSON `init`/`status` texts; binary init segments (ftyp/moov first) and fragments. */
function connectWs(channel, on) {
  const ws = new WebSocket(wsUrl(withCredentials(`/ws/live/${encodeURIComponent(channel)}`)));
  ws.binaryType = 'arraybuffer';
  let announced = null;
  ws.onopen = () => on.open();
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') {
      const msg = parseJson(e.data);
      if (msg && msg.type === 'init') {
        announced = msg;
        on.init(msg, null);
      } else if (msg && msg.type === 'status') {
        on.status(msg);
      }
      return;
    }
    const bytes = new Uint8Array(e.data);
    if (isInitSegment(bytes)) on.init(announced || {}, bytes); else on.fragment(bytes);
  };
  ws.onclose = (e) => on.closed(e.reason ? `closed: ${e.reason}` : `closed (${e.code})`);
  return {
    close() {
      ws.onclose = null;
      ws.close(1000, 'viewer left');
    },
  };
}

/** Runs the page: ?channel=NAME&transport=sse|ws. */
export function startVideoViewer() {
  const params = pageParams('video-demo');
  const transport = params.query.get('transport') === 'ws' ? 'ws' : 'sse';
  fillChannelLinks(params.channel);
  for (const a of document.querySelectorAll('a[data-transport]')) {
    a.href = `live-video.html?${new URLSearchParams({channel: params.channel, transport: a.dataset.transport})}`;
  }
  setText('mode', transport === 'ws' ? 'WebSocket, binary fragments' : 'Server-Sent Events, base64 fragments');
  // Numbers for people and for tests (BrowserIT reads window.framestreamVideo).
  const stats = window.framestreamVideo = {
    transport, channel: params.channel, connects: 0, inits: 0, fragments: 0, appendedBytes: 0, receivedBytes: 0,
    jumps: 0, trims: 0, errors: 0, latency: null, buffered: null, firstFrameMs: null, firstFrameSincePageMs: null,
    connectedAt: 0, status: 'connecting', lastError: null, lastErrorRecoverable: false, mediaSource: null,
    delayMs: null, delays: () => [],
  };
  if (!params.valid) {
    showError('Invalid channel name: use 1 to 64 letters, digits, ".", "_" or "-", as in ?channel=cam1');
    setStatus('down', 'invalid channel');
    return;
  }
  const video = $('player');
  const backoff = new Backoff();
  let connection = null;
  let reconnectTimer = 0;
  let generation = 0;
  const player = new Player(video, stats, (text, restart) => {
    stats.lastError = text;
    stats.lastErrorRecoverable = Boolean(restart);
    showError(text);
    if (restart) reconnect(0);
  });
  stats.delays = () => player.delay.recent.slice();
  pollStats(params.channel, (s) => {
    player.serverMs = s && s.latency && s.latency.count > 0 ? s.latency.p50Millis : 0;
  });

  function setStatus(kind, text) {
    stats.status = kind;
    const el = $('status');
    el.className = `status ${kind}`;
    el.textContent = text;
  }

  function connect() {
    const mine = ++generation;
    const live = (f) => (...args) => {
      if (mine === generation) f(...args);
    };
    player.reset();
    stats.connects++;
    stats.connectedAt = performance.now();
    stats.firstFrameMs = null;
    setStatus('connecting', 'connecting...');
    const on = {
      open: live(() => setStatus('live', 'live')),
      init: live((msg, segment) => {
        if (msg.contentType && msg.contentType !== 'video/mp4') {
          showError(`channel ${params.channel} carries ${msg.contentType}, not video: open live.html instead`);
          return;
        }
        if (msg.codec) setText('codec', msg.codec);
        if (msg.width && msg.height) setText('size', `${msg.width} x ${msg.height}`);
        if (segment) {
          backoff.reset();
          player.init(msg.codec || player.codec, segment);
        }
      }),
      fragment: live((bytes) => {
        stats.receivedBytes += bytes.byteLength;
        player.append(bytes);
      }),
      status: live((msg) => {
        if (msg.status === 'offline') setStatus('paused', 'offline: the stream has no publisher');
        if (msg.status === 'online') setStatus('live', 'live');
      }),
      closed: live((text) => {
        setStatus('down', text);
        reconnect(backoff.next());
      }),
    };
    connection = transport === 'ws' ? connectWs(params.channel, on) : connectSse(params.channel, on);
  }

  function disconnect() {
    generation++;
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    if (connection) connection.close();
    connection = null;
  }

  function reconnect(delayMs) {
    disconnect();
    reconnectTimer = setTimeout(() => {
      reconnectTimer = 0;
      if (document.visibilityState === 'visible') connect();
    }, delayMs);
  }

  // A hidden tab closes its connection; shown again, it starts afresh at the live edge (no frozen picture).
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') {
      disconnect();
      player.reset();
      setStatus('paused', 'paused while the tab is hidden');
    } else if (!connection) {
      connect();
    }
  });
  addEventListener('pagehide', () => disconnect());

  setInterval(() => {
    setText('fragments', stats.fragments);
    setText('bytes', formatBytes(stats.receivedBytes));
    setText('latency', stats.latency === null ? '-' : `${stats.latency.toFixed(2)} s`);
    stats.delayMs = player.delay.smoothed;
    setText('delay', player.delay.text());
    setText('buffered', stats.buffered === null ? '-' : `${stats.buffered.toFixed(1)} s`);
    setText('jumps', stats.jumps);
    setText('firstframe', stats.firstFrameMs === null ? '-' : `${stats.firstFrameMs} ms`);
  }, 500);

  if (document.visibilityState === 'visible') connect(); else setStatus('paused', 'paused while the tab is hidden');
}
