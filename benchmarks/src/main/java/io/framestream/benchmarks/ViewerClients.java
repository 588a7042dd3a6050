package io.framestream.benchmarks;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Hundreds of viewers on a few selector threads: minimal WebSocket, SSE and raw TCP readers that parse just
 * enough to find each frame's header (sequence number and send time, see {@link Payloads}) and its end, and
 * skip every other byte without copying it. Latency is taken when a frame's last byte has been read.
 *
 * <h2>Thread safety</h2>
 *
 * {@link #open} and {@link #window} may be called from any thread; each viewer is read by one selector
 * thread; counters are read after the window has ended and the readers have drained.
 */
final class ViewerClients implements AutoCloseable {

  enum Kind {
    WS,
    SSE,
    RAW
  }

  /** What is counted between {@link #window} calls: frames with sequence numbers in [start, end). */
  static final class Window {
    final long startSeq;
    volatile long endSeq = Long.MAX_VALUE;
    /** One histogram per viewer group ({@link Viewer#group}) and selector thread. */
    final Histogram[][] histograms;
    /** How many frames of a window {@link #worstBySeq} records. */
    static final int TIMELINE_FRAMES = 1 << 15;
    /**
     * The worst latency (µs) any viewer had for each of the window's first {@link #TIMELINE_FRAMES} frames, by
     * sequence number; null unless the window records a timeline.
     */
    final java.util.concurrent.atomic.AtomicLongArray worstBySeq;

    Window(long startSeq, int threads, int groups) {
      this(startSeq, threads, groups, false);
    }

    Window(long startSeq, int threads, int groups, boolean timeline) {
      this.startSeq = startSeq;
      this.worstBySeq = timeline ? new java.util.concurrent.atomic.AtomicLongArray(TIMELINE_FRAMES) : null;
      this.histograms = new Histogram[groups][threads];
      for (int g = 0; g < groups; g++) {
        for (int i = 0; i < threads; i++) {
          histograms[g][i] = new Histogram();
        }
      }
    }

    /** Every group's latencies together. */
    Histogram merged() {
      Histogram h = new Histogram();
      for (Histogram[] group : histograms) {
        for (Histogram x : group) {
          h.add(x);
        }
      }
      return h;
    }

    /** The latencies of one group's viewers (for example the viewers of one node). */
    Histogram merged(int group) {
      Histogram h = new Histogram();
      for (Histogram x : histograms[group]) {
        h.add(x);
      }
      return h;
    }
  }

  /** One connection and its parser state; all fields are confined to its selector thread except the counters. */
  static final class Viewer {
    final Kind kind;
    final boolean stalled;
    final String path;
    /** Which histogram of a window this viewer's latencies go to (0 unless the run splits viewers). */
    final int group;
    volatile boolean connected;
    volatile boolean closed;
    volatile String failure;
    volatile Window countedIn;
    volatile long delivered;
    volatile long missed;
    volatile long lastSeq = -1;
    volatile long totalBytes;

    // parser state (selector thread only)
    private int state; // see the constants in Reader
    private final byte[] http = new byte[1024];
    private int httpLength;
    private boolean chunked;
    private final byte[] head = new byte[14];
    private int headLength;
    private int headNeed;
    private long remaining;
    private int opcode;
    private final byte[] prefix = new byte[64];
    private int prefixLength;
    private long chunkRemaining;
    private int chunkState;
    private long chunkSize;
    private boolean sizeDone;
    private SocketChannel channel;

    Viewer(Kind kind, boolean stalled, String path, int group) {
      this.kind = kind;
      this.stalled = stalled;
      this.path = path;
      this.group = group;
    }
  }

  private final Reader[] readers;
  private final List<Viewer> viewers = new ArrayList<>();
  private volatile Window window = new Window(Long.MAX_VALUE, 0, 1);
  private int next;

  ViewerClients(int threads) throws IOException {
    readers = new Reader[threads];
    for (int i = 0; i < threads; i++) {
      readers[i] = new Reader(i);
      readers[i].start();
    }
  }

  /** Connects one viewer (blocking connect, asynchronous handshake). */
  Viewer open(Kind kind, InetSocketAddress address, String path, boolean stalled) throws IOException {
    return open(kind, address, path, stalled, 0);
  }

  /** Connects one viewer whose latencies go to histogram {@code group} of each window. */
  synchronized Viewer open(Kind kind, InetSocketAddress address, String path, boolean stalled, int group)
      throws IOException {
    Viewer v = new Viewer(kind, stalled, path, group);
    SocketChannel ch = SocketChannel.open();
    ch.socket().setTcpNoDelay(true);
    ch.connect(address);
    ch.configureBlocking(false);
    v.channel = ch;
    String request;
    switch (kind) {
      case WS:
        request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        break;
      case SSE:
        request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
        break;
      default:
        request = "V";
        v.connected = true;
        v.state = Reader.RAW_HEAD;
        v.headNeed = 4;
        break;
    }
    ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
    while (out.hasRemaining()) {
      ch.write(out);
    }
    viewers.add(v);
    Reader r = readers[next++ % readers.length];
    r.pending.add(v);
    r.selector.wakeup();
    return v;
  }

  synchronized List<Viewer> viewers() {
    return new ArrayList<>(viewers);
  }

  /** Starts counting frames from {@code startSeq} on (and stops counting the previous window). */
  Window window(long startSeq) {
    return window(startSeq, 1);
  }

  /** The same, recording each frame's worst latency when {@code timeline} is true ({@link Window#worstBySeq}). */
  Window window(long startSeq, boolean timeline) {
    Window w = new Window(startSeq, readers.length, 1, timeline);
    window = w;
    return w;
  }

  /** The same, with one histogram per viewer group {@code 0 .. groups-1}. */
  Window window(long startSeq, int groups) {
    Window w = new Window(startSeq, readers.length, groups);
    window = w;
    return w;
  }

  @Override
  public void close() {
    for (Reader r : readers) {
      r.interrupt();
      try {
        r.selector.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    for (Viewer v : viewers()) {
      try {
        v.channel.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /** One selector thread. */
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;

  /**
   * Returns the index of the first {@code '\n'} in {@code b[from, end)}, or {@code end} if there is none, looking
   * at eight bytes at a time: a byte of {@code x} is zero where the input has a newline, and {@code (x - ONES) & ~x
   * & HIGHS} sets the high bit of the lowest such byte (higher bytes may be set by the borrow, lower ones never).
   */
  static int newlineOrEnd(byte[] b, int from, int end) {
    int i = from;
    for (; i <= end - Long.BYTES; i += Long.BYTES) {
      long x = (long) LONGS.get(b, i) ^ NEWLINES;
      long found = (x - ONES) & ~x & HIGHS;
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    for (; i < end; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return end;
  }

  private final class Reader extends Thread {
    static final int HTTP = 0;
    static final int WS_HEAD = 1;
    static final int WS_PAYLOAD = 2;
    static final int SSE_BODY = 3;
    static final int RAW_HEAD = 4;
    static final int RAW_PAYLOAD = 5;

    final Selector selector;
    final Queue<Viewer> pending = new ConcurrentLinkedQueue<>();
    final int index;
    final ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);

    Reader(int index) throws IOException {
      super("viewer-reader-" + index);
      setDaemon(true);
      this.index = index;
      this.selector = Selector.open();
    }

    @Override
    public void run() {
      try {
        while (!isInterrupted()) {
          selector.select(100);
          Viewer p;
          while ((p = pending.poll()) != null) {
            p.channel.register(selector, SelectionKey.OP_READ, p);
          }
          for (SelectionKey key : selector.selectedKeys()) {
            Viewer v = (Viewer) key.attachment();
            if (key.isValid() && key.isReadable()) {
              read(key, v);
            }
          }
          selector.selectedKeys().clear();
        }
      } catch (IOException | RuntimeException e) {
        if (selector.isOpen()) {
          System.err.println(getName() + ": " + e);
        }
      }
    }

    private void read(SelectionKey key, Viewer v) {
      buffer.clear();
      int n;
      try {
        n = v.channel.read(buffer);
      } catch (IOException e) {
        n = -1;
      }
      if (n < 0) {
        v.closed = true;
        key.cancel();
        try {
          v.channel.close();
        } catch (IOException e) {
          // gone
        }
        return;
      }
      v.totalBytes += n;
      byte[] b = buffer.array();
      int i = 0;
      while (i < n) {
        i = step(v, b, i, n);
      }
      if (v.stalled && v.connected) {
        key.interestOps(0); // stop reading for good: the server must notice and evict
      }
    }

    /** Consumes bytes from {@code b[i..n)} according to the viewer's state; returns the new index. */
    private int step(Viewer v, byte[] b, int i, int n) {
      switch (v.state) {
        case HTTP:
          return http(v, b, i, n);
        case WS_HEAD:
        case RAW_HEAD: {
          while (i < n && v.headLength < v.headNeed) {
            v.head[v.headLength++] = b[i++];
            if (v.state == WS_HEAD && v.headLength == 2) {
              int len = v.head[1] & 0x7F;
              v.headNeed = len == 126 ? 4 : len == 127 ? 10 : 2;
            }
          }
          if (v.headLength == v.headNeed) {
            startPayload(v);
          }
          return i;
        }
        case WS_PAYLOAD:
        case RAW_PAYLOAD: {
          int take = (int) Math.min(v.remaining, n - i);
          capture(v, b, i, take);
          v.remaining -= take;
          i += take;
          if (v.remaining == 0) {
            endPayload(v);
          }
          return i;
        }
        case SSE_BODY:
          return sse(v, b, i, n);
        default:
          throw new IllegalStateException("state " + v.state);
      }
    }

    private int http(Viewer v, byte[] b, int i, int n) {
      while (i < n) {
        if (v.httpLength < v.http.length) {
          v.http[v.httpLength] = b[i];
        }
        v.httpLength++;
        i++;
        int l = Math.min(v.httpLength, v.http.length);
        if (l >= 4 && v.http[l - 4] == '\r' && v.http[l - 3] == '\n' && v.http[l - 2] == '\r' && v.http[l - 1] == '\n') {
          String headers = new String(v.http, 0, l, StandardCharsets.ISO_8859_1);
          String status = headers.substring(0, Math.max(0, headers.indexOf('\r')));
          boolean ok = v.kind == Kind.WS ? status.contains(" 101") : status.contains(" 200");
          if (!ok) {
            v.failure = status;
            v.closed = true;
            return n;
          }
          v.chunked = headers.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked");
          v.connected = true;
          v.state = v.kind == Kind.WS ? WS_HEAD : SSE_BODY;
          v.headLength = 0;
          v.headNeed = 2;
          return i;
        }
      }
      return i;
    }

    private void startPayload(Viewer v) {
      v.prefixLength = 0;
      if (v.state == RAW_HEAD) {
        v.remaining = ((v.head[0] & 0xFFL) << 24) | ((v.head[1] & 0xFF) << 16) | ((v.head[2] & 0xFF) << 8) | (v.head[3] & 0xFF);
        v.state = RAW_PAYLOAD;
      } else {
        v.opcode = v.head[0] & 0x0F;
        int len = v.head[1] & 0x7F;
        long length = len;
        if (len == 126) {
          length = ((v.head[2] & 0xFF) << 8) | (v.head[3] & 0xFF);
        } else if (len == 127) {
          length = 0;
          for (int k = 2; k < 10; k++) {
            length = (length << 8) | (v.head[k] & 0xFF);
          }
        }
        v.remaining = length;
        v.state = WS_PAYLOAD;
      }
      if (v.remaining == 0) {
        endPayload(v);
      }
    }

    private void capture(Viewer v, byte[] b, int from, int length) {
      int room = Math.min(length, v.prefix.length - v.prefixLength);
      if (room > 0) {
        System.arraycopy(b, from, v.prefix, v.prefixLength, room);
        v.prefixLength += room;
      }
    }

    private void endPayload(Viewer v) {
      if (v.state == RAW_PAYLOAD) {
        frame(v, v.prefix, v.prefixLength);
        v.state = RAW_HEAD;
        v.headNeed = 4;
      } else {
        if (v.opcode == 2) {
          frame(v, v.prefix, v.prefixLength);
        } else if (v.opcode == 9) {
          pong(v);
        } else if (v.opcode == 8) {
          v.closed = true;
        }
        v.state = WS_HEAD;
        v.headNeed = 2;
      }
      v.headLength = 0;
    }

    private void pong(Viewer v) {
      int len = Math.min(v.prefixLength, 125);
      ByteBuffer out = ByteBuffer.allocate(6 + len);
      out.put((byte) 0x8A).put((byte) (0x80 | len)).putInt(0).put(v.prefix, 0, len).flip();
      try {
        v.channel.write(out); // tiny; a partial write only costs a pong
      } catch (IOException e) {
        v.closed = true;
      }
    }

    /** De-chunks the SSE body and feeds lines. */
    private int sse(Viewer v, byte[] b, int i, int n) {
      if (!v.chunked) {
        sseBytes(v, b, i, n - i);
        return n;
      }
      while (i < n) {
        switch (v.chunkState) {
          case 0: { // size line: hex digits, then optional extensions, then CRLF
            byte c = b[i++];
            if (c == '\n') {
              v.chunkRemaining = v.chunkSize;
              v.chunkState = v.chunkSize == 0 ? 3 : 1;
              v.chunkSize = 0;
              v.sizeDone = false;
            } else if (!v.sizeDone) {
              int d = Character.digit(c, 16);
              if (d >= 0) {
                v.chunkSize = v.chunkSize * 16 + d;
              } else {
                v.sizeDone = true;
              }
            }
            break;
          }
          case 1: { // data
            int take = (int) Math.min(v.chunkRemaining, n - i);
            sseBytes(v, b, i, take);
            i += take;
            v.chunkRemaining -= take;
            if (v.chunkRemaining == 0) {
              v.chunkState = 2;
            }
            break;
          }
          case 2: // CRLF after data
            if (b[i++] == '\n') {
              v.chunkState = 0;
            }
            break;
          default: // last chunk
            v.closed = true;
            return n;
        }
      }
      return i;
    }

    private void sseBytes(Viewer v, byte[] b, int from, int length) {
      int end = from + length;
      int i = from;
      while (i < end) {
        if (v.prefixLength == v.prefix.length) {
          // The rest of a line that is not kept (a data line's base64) is only searched for its end: a tool that
          // looked at every byte of 50 SSE viewers spent milliseconds per frame and measured itself.
          i = newlineOrEnd(b, i, end);
          if (i == end) {
            return;
          }
        }
        byte c = b[i++];
        if (c == '\n') {
          sseLine(v);
          v.prefixLength = 0;
        } else {
          v.prefix[v.prefixLength++] = c;
        }
      }
    }

    private static final int SSE_DATA = 6; // "data: "
    private static final int BASE64_HEADER = 28; // 21 bytes, covering the 20-byte header

    private void sseLine(Viewer v) {
      byte[] p = v.prefix;
      if (v.prefixLength >= SSE_DATA + BASE64_HEADER && p[0] == 'd' && p[4] == ':' && p[6] == '/' && p[7] == '9'
          && p[8] == 'j') {
        byte[] header = Base64.getDecoder().decode(java.util.Arrays.copyOfRange(p, SSE_DATA, SSE_DATA + BASE64_HEADER));
        frame(v, header, header.length);
      }
    }

    private void frame(Viewer v, byte[] head, int length) {
      if (length < Payloads.HEADER || !Payloads.isStamped(head)) {
        return;
      }
      long seq = Payloads.seq(head);
      Window w = window;
      if (seq < w.startSeq || seq >= w.endSeq) {
        return;
      }
      if (v.countedIn != w) {
        v.countedIn = w;
        v.delivered = 0;
        v.missed = seq - w.startSeq;
        v.lastSeq = seq;
      } else if (seq > v.lastSeq + 1) {
        v.missed += seq - v.lastSeq - 1;
      }
      if (seq > v.lastSeq || v.delivered == 0) {
        v.lastSeq = seq;
      }
      v.delivered++;
      long nanos = System.nanoTime() - Payloads.sendNanos(head);
      w.histograms[Math.min(v.group, w.histograms.length - 1)][index].record(nanos);
      java.util.concurrent.atomic.AtomicLongArray worst = w.worstBySeq;
      long slot = seq - w.startSeq;
      if (worst != null && slot < worst.length() && worst.get((int) slot) < nanos / 1000) {
        worst.accumulateAndGet((int) slot, nanos / 1000, Math::max);
      }
    }
  }
}
