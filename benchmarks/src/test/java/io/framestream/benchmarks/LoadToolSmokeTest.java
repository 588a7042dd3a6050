package io.framestream.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Keeps the load tool from rotting: the short SMOKE scenario (a few WS and SSE viewers, one stalled of each,
 * then the raw TCP baseline) end to end, with the server in its own JVM. Checks that the tool works, not
 * how fast anything is.
 */
class LoadToolSmokeTest {

  @Test
  @Timeout(60)
  void smokeScenarioDeliversToEveryViewerAndPrintsTheTable() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<Result> results = LoadTool.run(new String[] {"--scenarios", "SMOKE", "--warmup", "1", "--tool-warmup", "0"},
        new PrintStream(log, true, StandardCharsets.UTF_8));
    String printed = log.toString(StandardCharsets.UTF_8);
    // framestream's row; the peers add theirs (raw TCP, the Node relay; Netty is n/a: SMOKE has SSE viewers).
    List<Result> own = results.stream().filter(x -> !x.peer).collect(Collectors.toList());
    assertEquals(1, own.size(), printed);
    Result r = own.get(0);
    assertEquals(r.viewers, r.connected, "healthy viewers connected\n" + printed);
    assertTrue(r.framesPublished > 0, printed);
    // Frames flow to the viewers; how many is the benchmark's business: on a busy shared machine a 2-second
    // run has delivered 87 % (raw TCP 93 % in the same run), so only a broken path falls below half.
    assertTrue(r.deliveredPercent() >= 50, "delivered " + r.deliveredPercent() + " %\n" + printed);
    assertTrue(r.serverCpu > 0, "server CPU read from /proc\n" + printed);
    assertTrue(r.rssEnd > 0 && r.heapIdle > 0, "server RSS and heap read\n" + printed);
    assertFalse(Double.isNaN(r.rawCpuPerGb), "raw TCP baseline ran\n" + printed);
    String table = LoadTool.table(results);
    assertTrue(table.contains("| SMOKE | framestream |"), table);
  }
}
