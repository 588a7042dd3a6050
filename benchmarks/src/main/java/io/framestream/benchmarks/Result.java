package io.framestream.benchmarks;

/** The measurements of one scenario run (or one ramp step); NaN or -1 where not measured. */
final class Result {
  String scenario;
  String mode;
  int viewers;
  int connected;
  int stalled;
  int stalledClosed;
  double seconds;
  double fps;
  long framesPublished;
  long delivered;
  long deliveredBytes;
  long missedTotal;
  long missedMax;
  double p50 = Double.NaN;
  double p95 = Double.NaN;
  double p99 = Double.NaN;
  /** The p99 with every missed frame counted as a delivery later than any other (infinity past 1 % missed). */
  double p99CountingMisses = Double.NaN;
  double max = Double.NaN;
  long evictions = -1;
  /** Evictions the server had counted when the measured window opened (-1 when unknown). */
  long evictionsBeforeWindow = -1;
  double serverCpu = Double.NaN;
  double serverSysCpu = Double.NaN;
  double toolCpu = Double.NaN;
  long rssStart = -1;
  long rssEnd = -1;
  long heapIdle = -1;
  long heapConnected = -1;
  long allocated = -1;
  double allocPerFrameCalibration = Double.NaN;
  int calibrationViewers;
  double startupMillis = Double.NaN;
  double rawCpuPerGb = Double.NaN;
  double rawMaxMbPerSecond = Double.NaN;
  double maxMbPerSecond = Double.NaN;
  /** Cross-node runs: nats-server's CPU seconds in the window (the same in both nodes' results). */
  double natsCpu = Double.NaN;
  /** Cross-node runs: frames the node's bridge sent to NATS (node A) or received from it (node B). */
  long natsFrames = -1;
  /** Cross-node runs: frames the node's bridge dropped (newest-wins when NATS or the node fell behind). */
  long natsDropped = -1;
  /** A peer's row (Node relay, Netty relay, raw TCP) in the side-by-side table, not framestream's. */
  boolean peer;
  /** Why a peer did not run in this scenario ("n/a: ..."); null if it ran. */
  String note;
  /** The server's CPU and context switches by thread group in the window (empty where not read). */
  java.util.Map<String, ThreadGroups.Delta> threads = java.util.Map.of();
  /** Heap used after {@code System.gc()} at the end of the window, bytes (framestream servers only). */
  long heapAfterGc = -1;
  /** Which repetition of the scenario ({@code --repeat}) this result belongs to. */
  int repetition;

  double mbPerSecond() {
    return deliveredBytes / 1e6 / seconds;
  }

  double cpuPerGb() {
    return serverCpu / (deliveredBytes / 1e9);
  }

  double deliveredFpsPerViewer() {
    return viewers == 0 ? 0 : delivered / (double) viewers / seconds;
  }

  double heapPerViewerKb() {
    return heapConnected < 0 || heapIdle < 0 || connected == 0 ? Double.NaN
        : (heapConnected - heapIdle) / 1024.0 / (connected + stalled);
  }

  /**
   * Server bytes allocated per frame per viewer, beyond the calibration viewers (one of each kind) whose
   * cost per frame was measured first together with ingest and the per-frame encodings.
   */
  double allocPerViewerFrame() {
    long extra = delivered - (long) calibrationViewers * framesPublished;
    if (allocated < 0 || extra <= 0 || Double.isNaN(allocPerFrameCalibration)) {
      return Double.NaN;
    }
    return Math.max(0, allocated - allocPerFrameCalibration * framesPublished) / extra;
  }

  double deliveredPercent() {
    long expected = framesPublished * viewers;
    return expected == 0 ? Double.NaN : 100.0 * delivered / expected;
  }
}
