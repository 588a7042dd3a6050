// A plain relay on the npm `ws` package, the load tool's Node peer: one publisher on /ws/publish/{ch},
// viewers on /ws/live/{ch}. The same Buffer goes to every viewer; a busy viewer has at most one frame in
// flight plus one waiting, and a newer frame replaces the waiting one (newest wins). Never evicts.
// Usage: node relay.js PORT (0 = any free port); prints "PORT <n>"; exits when standard input closes.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const channels = new Map(); // channel name -> Set of viewer states
const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });

function viewersOf(name) {
  let set = channels.get(name);
  if (!set) { set = new Set(); channels.set(name, set); }
  return set;
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
      ws.on('message', (data, isBinary) => {
        if (!isBinary) return;
        for (const v of viewers) {
          if (v.inFlight) v.waiting = data; else send(v, data);
        }
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
