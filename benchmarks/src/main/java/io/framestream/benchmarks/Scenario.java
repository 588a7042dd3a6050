package io.framestream.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One load: viewer counts, frame size and rate, duration. {@code ramp} scenarios raise the rate step by
 * step until a step is not sustained: a viewer lost, the publisher behind, or more than 1 % of the frames due
 * late or missed ({@code LoadTool.sustained}, S6).
 *
 * @param name the label in the table
 * @param ws healthy WebSocket viewers
 * @param sse healthy SSE viewers
 * @param stalledWs WebSocket viewers that stop reading after the handshake
 * @param stalledSse SSE viewers that stop reading after the headers
 * @param size frame bytes
 * @param fps frames per second (the first step of a ramp)
 * @param seconds measured seconds (per step of a ramp)
 * @param raw also run the raw TCP baseline with the same healthy viewer count
 * @param ramp raise the rate by half per step until a step is not sustained
 * @param nodes 1, or 2 for the cross-node scenario: two servers joined through nats-server, the publisher on
 *     the first, the viewers split between both
 */
record Scenario(String name, int ws, int sse, int stalledWs, int stalledSse, int size, double fps, double seconds,
    boolean raw, boolean ramp, int nodes) {

  Scenario(String name, int ws, int sse, int stalledWs, int stalledSse, int size, double fps, double seconds,
      boolean raw, boolean ramp) {
    this(name, ws, sse, stalledWs, stalledSse, size, fps, seconds, raw, ramp, 1);
  }

  /** The standard scenarios of issue #7, by name. */
  static Map<String, Scenario> standard() {
    Map<String, Scenario> m = new LinkedHashMap<>();
    m.put("S1", new Scenario("S1", 10, 0, 0, 0, 100_000, 30, 10, true, false));
    m.put("S2", new Scenario("S2", 200, 0, 0, 0, 50_000, 30, 10, true, false));
    m.put("S3", new Scenario("S3", 0, 50, 0, 0, 50_000, 30, 10, true, false));
    m.put("S4", new Scenario("S4", 10, 0, 5, 5, 100_000, 30, 30, false, false));
    // S4 without its stalled viewers, in a window as long: the run its healthy viewers' p99 is held against (a
    // longer window catches more rare delays, so S1's 10 s are not a fair comparison).
    m.put("S4N", new Scenario("S4N", 10, 0, 0, 0, 100_000, 30, 30, false, false));
    m.put("S5", new Scenario("S5", 1000, 1000, 0, 0, 10_000, 2, 20, false, false));
    m.put("S6", new Scenario("S6", 100, 0, 0, 0, 50_000, 60, 4, true, true));
    // S2's load over two nodes: 100 WS viewers on node A (where the publisher is), 100 on node B (via NATS).
    m.put("X2", new Scenario("X2", 200, 0, 0, 0, 50_000, 30, 10, false, false, 2));
    m.put("SMOKE", new Scenario("SMOKE", 4, 4, 1, 1, 10_000, 30, 2, true, false));
    return m;
  }

  Scenario scaled(double factor) {
    return new Scenario(name, ws, sse, stalledWs, stalledSse, size, fps, Math.max(1, seconds * factor), raw, ramp,
        nodes);
  }

  int healthy() {
    return ws + sse;
  }

  /**
   * Whether only framestream runs this scenario: S4N is the baseline of framestream's stalled-viewer criterion
   * (its healthy viewers' p99 in S4 against the same load without the stalled viewers), so the relays, which
   * never evict, have nothing to be compared with there, and a multi-peer command spends its time elsewhere.
   */
  boolean frameStreamOnly() {
    return name.equals("S4N");
  }
}
