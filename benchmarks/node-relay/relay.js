// A plain relay on the npm `ws` package, the load tool's Node peer: one publisher on /ws/publish/{ch},
// WebSocket viewers on /ws/live/{ch}, SSE viewers on GET /sse/{ch} (any query; events as framestream's
// ?format=base64: "id: <n>", "event: data", "data: <base64 of the payload>", on Node's built-in http).
// The same Buffer goes to every viewer (each SSE event is built once per frame); a busy viewer has at most
// one frame in flight plus one waiting, and a newer frame replaces the waiting one (newest wins). Never evicts.
// Usage: node relay.js PORT (0 = any free port); prints "PORT <n>"; exits when standard input closes.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const channels = new Map(); // channel name -> Set of viewer states
const sseChannels = new Map(); // channel name -> { viewers: Set of SSE viewer states, seq: events sent }
const server = http.createServer((req, res) => {
  const m = /^\/sse\/([^/?]+)/.exec(req.url);
  if (req.method !== 'GET' || !m) { res.writeHead(404); res.end(); return; }
  req.socket.setNoDelay(true);
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache',
    'X-Accel-Buffering': 'no' });
  res.write('retry: 2000\n\n'); // sends the headers now
  const viewers = sseOf(m[1]).viewers;
  const v = { res, busy: false, waiting: null };
  viewers.add(v);
  res.on('drain', () => {
    v.busy = false;
    const next = v.waiting;
    v.waiting = null;
    if (next) sseSend(v, next);
  });
  res.on('close', () => viewers.delete(v));
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });

function viewersOf(name) {
  let set = channels.get(name);
  if (!set) { set = new Set(); channels.set(name, set); }
  return set;
}

function sseOf(name) {
  let c = sseChannels.get(name);
  if (!c) { c = { viewers: new Set(), seq: 0 }; sseChannels.set(name, c); }
  return c;
}

// A response that did not take the event at once (write returned false) is busy until 'drain'.
function sseSend(v, event) {
  if (!v.res.write(event)) v.busy = true;
}

function publishSse(c, data) {
  if (c.viewers.size === 0) return;
  const event = Buffer.from('id: ' + c.seq++ + '\nevent: data\ndata: ' + data.toString('base64') + '\n\n', 'latin1');
  for (const v of c.viewers) {
    if (v.busy) v.waiting = event; else sseSend(v, event);
  }
}

function send(v, data) {
  v.inFlight = true;
  v.ws.send(data, { binary: true }, () => {
    v.inFlight = false;
    const next = v.waiting;
    v.waiting = null;
    if (next && v.ws.readyState === v.ws.OPEN) send(v, next);
  });
}

server.on('upgrade', (req, socket, head) => {
  const m = /^\/ws\/(publish|live)\/([^/?]+)/.exec(req.url);
  if (!m) { socket.destroy(); return; }
  wss.handleUpgrade(req, socket, head, (ws) => {
    socket.setNoDelay(true);
    const viewers = viewersOf(m[2]);
    if (m[1] === 'publish') {
      const sse = sseOf(m[2]);
      ws.on('message', (data, isBinary) => {
        if (!isBinary) return;
        for (const v of viewers) {
          if (v.inFlight) v.waiting = data; else send(v, data);
        }
        publishSse(sse, data);
      });
    } else {
      const v = { ws, inFlight: false, waiting: null };
      viewers.add(v);
      ws.on('close', () => viewers.delete(v));
      ws.on('error', () => viewers.delete(v));
    }
  });
});

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log('PORT ' + server.address().port);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
