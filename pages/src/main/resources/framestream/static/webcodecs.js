// The WebCodecs viewer: the chunk stream (/ws/live/NAME?format=chunks, rule W12) decoded with VideoDecoder
// (H.264 and the other codecs the browser has) or ImageDecoder / createImageBitmap (JPEG, PNG, WebP, GIF) and
// drawn to a canvas the moment each frame is decoded. No buffering: a frame that would wait is dropped.
// Plain ES module, no build step. Network text reaches the DOM only through textContent.
import {
  $, Backoff, DelayMeter, RateMeter, fillChannelLinks, formatBytes, formatFps, fromBase64, pageParams, pageUrl,
  parseChunkMessage, parseJson, setText, showError, withCredentials, wsUrl,
} from './common.js';

/**
 * Samples still waiting in the decoder when the next message arrives: beyond this many the page is late, and
 * drops frames up to the next key frame instead of queueing them (a message may carry several samples, a
 * fragment's worth, which all go to the decoder together).
 */
const MAX_DECODE_QUEUE = 3;

/** Whether this browser can decode video chunks (WebCodecs needs a secure context: https or localhost). */
export function hasVideoDecoder() {
  return typeof window.VideoDecoder === 'function' && typeof window.EncodedVideoChunk === 'function';
}

/** Runs the page: ?channel=NAME. */
export function startWebCodecsViewer() {
  const params = pageParams('video-demo');
  fillChannelLinks(params.channel);
  const canvas = $('screen');
  const ctx = canvas.getContext('2d');
  const delay = new DelayMeter();
  const drawnRate = new RateMeter();
  const backoff = new Backoff();
  // Numbers for people and for tests (WebCodecsBrowserIT reads window.framestreamWebCodecs).
  const stats = window.framestreamWebCodecs = {
    channel: params.channel, mode: null, codec: null, width: 0, height: 0, connects: 0, messages: 0,
    receivedBytes: 0, decoded: 0, drawn: 0, droppedLate: 0, skippedToKey: 0, errors: 0, lastError: null,
    firstFrameMs: null, connectedAt: 0, status: 'connecting', fallback: null,
    delayMs: () => delay.smoothed, delays: () => delay.recent.slice(), decodeQueue: 0,
  };
  if (!params.valid) {
    showError('Invalid channel name: use 1 to 64 letters, digits, ".", "_" or "-", as in ?channel=cam1');
    setStatus('down', 'invalid channel');
    return;
  }

  let socket = null;
  let generation = 0;
  let reconnectTimer = 0;
  let decoder = null;
  let config = null; // the video config in force
  let waitForKey = true;
  let lastSequence = 0;
  const publishedAt = new Map(); // sample timestamp (µs) -> publish time (ms since the epoch)
  let imageBusy = false;
  let imagePending = null;
  let imageType = 'image/jpeg';

  function setStatus(kind, text) {
    stats.status = kind;
    const el = $('status');
    el.className = `status ${kind}`;
    el.textContent = text;
  }

  function fallBack(page, why) {
    stats.fallback = why;
    showError(`${why}: opening ${page} instead`);
    disconnect();
    setTimeout(() => location.replace(pageUrl(page, params.channel, page === 'live-video.html' ? {transport: 'ws'} : {})),
        1500);
  }

  /** Draws a decoded picture (VideoFrame or ImageBitmap) at once and notes its publish-to-display delay. */
  function draw(picture, width, height, publishMs) {
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
      setText('size', `${width} x ${height}`);
    }
    ctx.drawImage(picture, 0, 0);
    stats.drawn++;
    drawnRate.add();
    if (stats.firstFrameMs === null) {
      stats.firstFrameMs = Math.round(performance.now() - stats.connectedAt);
      $('placeholder').hidden = true;
    }
    if (Number.isFinite(publishMs)) delay.add(Date.now() - publishMs);
  }

  function newDecoder() {
    if (decoder && decoder.state !== 'closed') decoder.close();
    const mine = decoder = new VideoDecoder({
      output(frame) {
        if (mine !== decoder) {
          frame.close();
          return;
        }
        stats.decoded++;
        const publishMs = publishedAt.get(frame.timestamp);
        publishedAt.delete(frame.timestamp);
        draw(frame, frame.displayWidth, frame.displayHeight, publishMs);
        frame.close();
      },
      error(e) {
        if (mine !== decoder) return;
        stats.errors++;
        stats.lastError = `decoder: ${e.message}`;
        decoder = null; // a fresh one at the next key frame
        waitForKey = true;
      },
    });
    decoder.configure(config);
    publishedAt.clear();
    waitForKey = true;
  }

  function onConfig(msg) {
    if (msg.contentType !== 'video/mp4') {
      stats.mode = 'image';
      imageType = typeof msg.contentType === 'string' ? msg.contentType : imageType;
      setText('codec', imageType);
      setText('decoder', typeof window.ImageDecoder === 'function' ? 'ImageDecoder' : 'createImageBitmap');
      if (typeof window.ImageDecoder !== 'function' && typeof window.createImageBitmap !== 'function') {
        fallBack('live.html', 'this browser has neither ImageDecoder nor createImageBitmap');
      }
      return;
    }
    stats.mode = 'video';
    stats.codec = msg.codec;
    setText('codec', msg.codec || '-');
    setText('decoder', 'VideoDecoder');
    if (!hasVideoDecoder()) {
      fallBack('live-video.html', 'this browser has no WebCodecs VideoDecoder (it needs https or localhost)');
      return;
    }
    const next = {codec: msg.codec, optimizeForLatency: true};
    if (msg.codedWidth && msg.codedHeight) {
      next.codedWidth = msg.codedWidth;
      next.codedHeight = msg.codedHeight;
    }
    if (msg.description) next.description = fromBase64(msg.description);
    // Configure at once (the key frame follows this text); ask in parallel whether the codec is supported.
    VideoDecoder.isConfigSupported(next).then((support) => {
      if (!support.supported && config === next) {
        fallBack('live-video.html', `this browser's VideoDecoder cannot decode ${msg.codec}`);
      }
    }, (e) => fallBack('live-video.html', `VideoDecoder refused ${msg.codec}: ${e.message}`));
    config = next;
    try {
      newDecoder();
    } catch (e) {
      fallBack('live-video.html', `VideoDecoder refused ${msg.codec}: ${e.message}`);
    }
  }

  function onVideoChunk(m) {
    if (!config) return;
    if (!decoder || decoder.state === 'closed') newDecoder();
    // A gap before a delta means a frame this decoder needed never came: wait for the next key frame.
    if (lastSequence && m.sequence > lastSequence + 1 && !m.key) waitForKey = true;
    if (!m.key && !waitForKey && decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
      // Late: queueing would let the delay grow. Drop this and every frame up to the next key frame.
      stats.droppedLate += m.samples.length;
      waitForKey = true;
      return;
    }
    for (const s of m.samples) {
      if (waitForKey && !s.key) {
        stats.skippedToKey++;
        continue;
      }
      waitForKey = false;
      publishedAt.set(s.timestamp, m.publishMs);
      try {
        decoder.decode(new EncodedVideoChunk({type: s.key ? 'key' : 'delta', timestamp: s.timestamp,
          duration: s.duration || undefined, data: s.data}));
      } catch (e) {
        stats.errors++;
        stats.lastError = `decode: ${e.message}`;
        waitForKey = true;
      }
    }
    stats.decodeQueue = decoder ? decoder.decodeQueueSize : 0;
    if (publishedAt.size > 256) publishedAt.clear(); // outputs that never came (a reset decoder)
  }

  /** Images: one decode at a time, newest first (a frame arriving while one decodes replaces the waiting one). */
  function onImageChunk(m) {
    const item = {data: m.samples[0].data, publishMs: m.publishMs};
    if (imageBusy) {
      if (imagePending) stats.droppedLate++;
      imagePending = item;
      return;
    }
    decodeImage(item);
  }

  async function decodeImage(item) {
    imageBusy = true;
    const mine = generation;
    try {
      if (typeof window.ImageDecoder === 'function') {
        const d = new ImageDecoder({data: item.data, type: imageType});
        const {image} = await d.decode();
        if (mine === generation) draw(image, image.displayWidth, image.displayHeight, item.publishMs);
        image.close();
        d.close();
      } else {
        const bitmap = await createImageBitmap(new Blob([item.data], {type: imageType}));
        if (mine === generation) draw(bitmap, bitmap.width, bitmap.height, item.publishMs);
        bitmap.close();
      }
      stats.decoded++;
    } catch (e) {
      stats.errors++;
      stats.lastError = `image: ${e.message}`;
    }
    imageBusy = false;
    const next = imagePending;
    imagePending = null;
    if (next && mine === generation) decodeImage(next);
  }

  function connect() {
    const mine = ++generation;
    stats.connects++;
    stats.connectedAt = performance.now();
    stats.firstFrameMs = null;
    lastSequence = 0;
    config = null;
    setStatus('connecting', 'connecting...');
    const ws = new WebSocket(wsUrl(withCredentials(`/ws/live/${encodeURIComponent(params.channel)}?format=chunks`)));
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      if (mine === generation) setStatus('live', 'live');
    };
    ws.onmessage = (e) => {
      if (mine !== generation) return;
      if (typeof e.data === 'string') {
        const msg = parseJson(e.data);
        if (msg && msg.type === 'config') onConfig(msg);
        if (msg && msg.type === 'status') {
          setStatus(msg.status === 'offline' ? 'paused' : 'live',
              msg.status === 'offline' ? 'offline: the stream has no publisher' : 'live');
        }
        return;
      }
      stats.messages++;
      stats.receivedBytes += e.data.byteLength;
      backoff.reset();
      let m;
      try {
        m = parseChunkMessage(e.data);
      } catch (err) {
        stats.errors++;
        stats.lastError = err.message;
        return;
      }
      if (stats.mode === 'video') onVideoChunk(m); else onImageChunk(m);
      lastSequence = m.sequence;
    };
    ws.onclose = (e) => {
      if (mine !== generation) return;
      socket = null;
      setStatus('down', e.reason ? `closed: ${e.reason}` : `closed (${e.code})`);
      reconnectTimer = setTimeout(() => {
        reconnectTimer = 0;
        if (document.visibilityState === 'visible') connect();
      }, backoff.next());
    };
  }

  function disconnect() {
    generation++;
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'viewer left');
    }
    socket = null;
    if (decoder && decoder.state !== 'closed') decoder.close();
    decoder = null;
    imagePending = null;
    delay.reset();
  }

  // A hidden tab closes its connection; shown again, it starts afresh at the newest key frame.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') {
      disconnect();
      setStatus('paused', 'paused while the tab is hidden');
    } else if (!socket) {
      connect();
    }
  });
  addEventListener('pagehide', () => disconnect());

  setInterval(() => {
    setText('delay', delay.text());
    setText('fps', formatFps(drawnRate.perSecond()));
    setText('drawn', stats.drawn);
    setText('dropped', `${stats.droppedLate} late, ${stats.skippedToKey} to key`);
    setText('bytes', formatBytes(stats.receivedBytes));
    setText('firstframe', stats.firstFrameMs === null ? '-' : `${stats.firstFrameMs} ms`);
    setText('badge', `WebCodecs, ${stats.mode || '...'} · ${delay.text()}`);
  }, 500);

  if (document.visibilityState === 'visible') connect(); else setStatus('paused', 'paused while the tab is hidden');
}
