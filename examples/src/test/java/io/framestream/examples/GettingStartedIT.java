package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new Maven project made of the README's pom skeleton and its embedding snippet, as a reader would copy
 * them, builds offline against the jars this reactor just built and starts: it stays up, serves the pages
 * and streams its channel.
 *
 * <p>Nothing is installed into the shared local repository: Maven runs with a repository of its own, made
 * of links to the shared one's folders (read only, offline) and of this build's framestream jars and POMs.
 */
class GettingStartedIT {

  private static final Path ROOT = DocSnippetsTest.ROOT;
  private static final String VERSION = System.getProperty("framestream.version", "0.1.0-SNAPSHOT");
  /** The published modules: folder and artifact, as the BOM lists them. */
  private static final List<String> MODULES = List.of("core", "media", "edge", "pages", "testkit",
      "transport-websocket", "transport-sse", "server", "cluster-nats");
  private static final String DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

  @Test
  void theReadmesPomAndMainBuildStartStayUpAndServeThePages(@TempDir Path temp) throws Exception {
    Path maven = Path.of(System.getProperty("maven.home", "/usr/share/maven"), "bin", "mvn");
    Assumptions.assumeTrue(Files.isExecutable(maven), "no Maven at " + maven + " (set maven.home)");
    Path shared = Path.of(System.getProperty("maven.repo.local",
        System.getProperty("user.home") + "/.m2/repository"));
    for (String module : MODULES) {
      Assumptions.assumeTrue(Files.isRegularFile(jar(module)), "not built yet: " + jar(module));
    }

    String readme = Files.readString(ROOT.resolve("README.md"));
    String pom = block(readme, "```xml\n<?xml");
    String main = DocSnippets.read(ROOT.resolve("README.md")).stream()
        .filter(s -> s.body().contains("public class Main")).findFirst().map(s -> {
          StringBuilder b = new StringBuilder();
          s.imports().forEach(i -> b.append("import ").append(i).append(";\n"));
          return b.append(s.body()).toString();
        }).orElseThrow(() -> new AssertionError("the README has no Main snippet"));
    assertTrue(main.contains(".port(8080)"), "the snippet sets its port");
    main = main.replace(".port(8080)", ".port(0)"); // the one change: a free port

    Path project = Files.createDirectories(temp.resolve("cams"));
    Files.writeString(project.resolve("pom.xml"), pom);
    Files.createDirectories(project.resolve("src/main/java"));
    Files.writeString(project.resolve("src/main/java/Main.java"), main);
    Path repo = privateRepository(shared, temp.resolve("repo"));

    boolean dependencyPlugin = Files.isDirectory(shared.resolve("org/apache/maven/plugins/maven-dependency-plugin/3.8.1"));
    List<String> build = new ArrayList<>(List.of(maven.toString(), "-o", "-B", "-q", "-Dmaven.repo.local=" + repo,
        "compile"));
    if (dependencyPlugin) {
      build.addAll(List.of(DEPENDENCY_PLUGIN + ":build-classpath", "-Dmdep.outputFile=classpath.txt",
          "-Dmdep.includeScope=runtime"));
    }
    ProcessBuilder pb = new ProcessBuilder(build).directory(project.toFile()).redirectErrorStream(true)
        .redirectOutput(temp.resolve("build.log").toFile());
    Process mvn = pb.start();
    assertTrue(mvn.waitFor(120, TimeUnit.SECONDS), "mvn compile took over 120 s");
    assertEquals(0, mvn.exitValue(), () -> "mvn compile failed:\n" + read(temp.resolve("build.log")));

    // The run class path: what Maven resolved for the skeleton (else, on a machine without the dependency
    // plugin, this test's own, which holds the same jars and more).
    String classPath = project.resolve("target/classes") + java.io.File.pathSeparator + (dependencyPlugin
        ? Files.readString(project.resolve("classpath.txt")).trim()
        : System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    try (JavaProcess app = JavaProcess.start(project, Map.of(), "-cp", classPath, "Main")) {
      URI live = app.awaitAddress(Duration.ofSeconds(60));
      URI base = live.resolve("/");
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      for (String page : List.of("", "live.html", "live-sse.html")) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(page)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), page + ": the pages of framestream-pages");
      }
      HttpResponse<InputStream> sse = http.send(HttpRequest.newBuilder(base.resolve("sse/clock")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = sse.body()) {
        String data = CompletableFuture.supplyAsync(() -> SseEvents.firstDataLine(in)).get(30, TimeUnit.SECONDS);
        assertTrue(data.startsWith("data: data:image/svg+xml;base64,"), () -> data.substring(0, Math.min(80, data.length())));
      }
      assertTrue(app.isAlive(), "main keeps the program up:\n" + app.output());
      assertEquals(143, app.terminate(), "Ctrl-C/SIGTERM stops it through its shutdown hook");
    }
  }

  private static Path jar(String module) {
    return ROOT.resolve(module).resolve("target/framestream-" + module + "-" + VERSION + ".jar");
  }

  /**
   * A local repository that reads the shared one through links, and holds this build's framestream
   * artifacts as if installed.
   */
  private static Path privateRepository(Path shared, Path repo) throws IOException {
    Files.createDirectories(repo.resolve("io"));
    try (Stream<Path> top = Files.list(shared)) {
      for (Path p : (Iterable<Path>) top::iterator) {
        if (!p.getFileName().toString().equals("io")) {
          Files.createSymbolicLink(repo.resolve(p.getFileName().toString()), p);
        }
      }
    }
    if (Files.isDirectory(shared.resolve("io"))) {
      try (Stream<Path> io = Files.list(shared.resolve("io"))) {
        for (Path p : (Iterable<Path>) io::iterator) {
          if (!p.getFileName().toString().equals("framestream")) {
            Files.createSymbolicLink(repo.resolve("io").resolve(p.getFileName().toString()), p);
          }
        }
      }
    }
    install(repo, "framestream-parent", ROOT.resolve("pom.xml"), null);
    install(repo, "framestream-bom", ROOT.resolve("bom/pom.xml"), null);
    for (String module : MODULES) {
      install(repo, "framestream-" + module, ROOT.resolve(module).resolve("pom.xml"), jar(module));
    }
    return repo;
  }

  private static void install(Path repo, String artifact, Path pom, Path jar) throws IOException {
    Path dir = Files.createDirectories(repo.resolve("io/framestream").resolve(artifact).resolve(VERSION));
    Files.copy(pom, dir.resolve(artifact + "-" + VERSION + ".pom"));
    if (jar != null) {
      Files.copy(jar, dir.resolve(artifact + "-" + VERSION + ".jar"));
    }
  }

  /** The fenced block that starts with {@code opening}, without its fences. */
  private static String block(String markdown, String opening) {
    int start = markdown.indexOf(opening);
    assertTrue(start >= 0, "the README has no block starting " + opening);
    int from = markdown.indexOf('\n', start) + 1;
    return markdown.substring(from, markdown.indexOf("\n```", from) + 1);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

}
