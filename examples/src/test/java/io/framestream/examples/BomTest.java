package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * framestream-bom lists exactly the published artifacts (every module of the reactor except the
 * unpublished examples, benchmarks and conformance, and the BOM itself), at the parent's version. The BOM has
 * no parent on purpose, so nothing else keeps its version in step.
 */
class BomTest {

  private static final Path ROOT = DocSnippetsTest.ROOT;
  private static final List<String> UNPUBLISHED = List.of("examples", "examples/spring-boot", "benchmarks", "conformance", "bom");

  @Test
  void theBomListsEveryPublishedModuleAtTheParentsVersion() throws IOException {
    String parent = Files.readString(ROOT.resolve("pom.xml"));
    String bom = Files.readString(ROOT.resolve("bom/pom.xml"));
    assertEquals(first(parent, "<artifactId>framestream-parent</artifactId>\\s*<version>([^<]+)</version>"),
        first(bom, "<artifactId>framestream-bom</artifactId>\\s*<version>([^<]+)</version>"),
        "bom/pom.xml's version follows the parent's");

    TreeSet<String> published = new TreeSet<>();
    for (String module : all(parent, "<module>([^<]+)</module>")) {
      if (!UNPUBLISHED.contains(module)) {
        String pom = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
        published.add(first(pom, "</parent>\\s*<artifactId>([^<]+)</artifactId>"));
      }
    }
    TreeSet<String> listed = new TreeSet<>(all(bom,
        "<artifactId>(framestream-[^<]+)</artifactId>\\s*<version>\\$\\{project.version}</version>"));
    assertFalse(published.isEmpty());
    assertEquals(published, listed, "framestream-bom lists every published module, with ${project.version}");
  }

  private static String first(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.find()) {
      throw new AssertionError("no match for " + regex);
    }
    return m.group(1);
  }

  private static List<String> all(String text, String regex) {
    List<String> found = new ArrayList<>();
    Matcher m = Pattern.compile(regex).matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }
}
