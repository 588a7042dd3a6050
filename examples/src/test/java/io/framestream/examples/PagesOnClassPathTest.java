package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The example server's pages come from one place, the {@code framestream-pages} module. A stale copy left in
 * this module's {@code target/classes} by a build from before the pages moved (Maven never deletes old
 * resources) would come first on the class path and serve old scripts beside new ones; the browser tests then
 * fail as timeouts far from the cause. This test names it.
 */
class PagesOnClassPathTest {

  @Test
  void everyPageResourceIsOnTheClassPathOnce_fromThePagesModule() throws IOException {
    for (String name : List.of("common.js", "index.html", "record.html", "webcodecs.js")) {
      List<URL> found = Collections.list(
          getClass().getClassLoader().getResources("framestream/static/" + name));
      assertEquals(1, found.size(), () -> name + " is on the class path " + found.size() + " times: " + found
          + " (a stale copy in examples/target/classes? run mvn clean)");
      assertFalse(found.get(0).toString().contains("/examples/"), () -> name + " comes from " + found.get(0)
          + ", not from the pages module (a stale copy in examples/target/classes? run mvn clean)");
    }
  }
}
