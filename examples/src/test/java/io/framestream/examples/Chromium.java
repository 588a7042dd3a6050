package io.framestream.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Debian's headless Chromium driven through its chromedriver, over the W3C WebDriver protocol with the
 * JDK's HttpClient: no Selenium, nothing downloaded. Each {@link #open()} starts a separate browser (its
 * own process and fresh profile), so every page is in a visible window and never throttled as a hidden tab.
 */
final class Chromium implements AutoCloseable {

  static final Path BINARY = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));
  static final Path DRIVER = Path.of(System.getProperty("chromedriver.binary", "/usr/bin/chromedriver"));
  static final String MISSING = "Chromium not found: install chromium chromium-driver to run browser tests";

  /** Headless, a fake camera that needs no permission prompt, and nothing that phones home. */
  static final List<String> FLAGS = List.of(
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-default-apps",
      "--disable-extensions",
      "--disable-domain-reliability",
      "--disable-client-side-phishing-detection",
      "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
      "--metrics-recording-only",
      "--password-store=basic",
      "--window-size=1280,800",
      "--hide-scrollbars");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(90);

  private final Process driver;
  private final URI base;
  private final Path work;
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10))
      .build();

  private Chromium(Process driver, URI base, Path work) {
    this.driver = driver;
    this.base = base;
    this.work = work;
  }

  static boolean available() {
    return Files.isExecutable(BINARY) && Files.isExecutable(DRIVER);
  }

  /** Starts chromedriver on a free loopback port and waits (bounded) until it is ready. */
  static Chromium start(Path work) throws IOException {
    Files.createDirectories(work);
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    Process p = new ProcessBuilder(DRIVER.toString(), "--port=" + port,
        "--log-path=" + work.resolve("chromedriver.log"))
        .redirectErrorStream(true)
        .redirectOutput(work.resolve("chromedriver.out").toFile())
        .start();
    Chromium chromium = new Chromium(p, URI.create("http://127.0.0.1:" + port + "/"), work);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        if (chromium.call("GET", "status", null).path("ready").asBoolean()) {
          return chromium;
        }
      } catch (IOException | RuntimeException e) {
        // not listening yet
      }
      if (!p.isAlive() || System.nanoTime() - deadline > 0) {
        chromium.close();
        throw new IOException("chromedriver did not become ready; see " + work.resolve("chromedriver.out"));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  /** Starts a new browser with a fresh profile. */
  Browser open() throws IOException {
    Path profile = Files.createTempDirectory(work, "profile-");
    ArrayNode args = JSON.createArrayNode();
    FLAGS.forEach(args::add);
    args.add("--user-data-dir=" + profile.toAbsolutePath());
    ObjectNode body = JSON.createObjectNode();
    ObjectNode always = body.putObject("capabilities").putObject("alwaysMatch");
    always.put("browserName", "chrome");
    ObjectNode options = always.putObject("goog:chromeOptions");
    options.put("binary", BINARY.toString());
    options.set("args", args);
    JsonNode session = call("POST", "session", body);
    return new Browser(session.path("sessionId").asText(), profile);
  }

  /** Sends one WebDriver command; returns its "value", or throws with the driver's error message. */
  JsonNode call(String method, String path, JsonNode body) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(COMMAND_TIMEOUT);
    if (body != null) {
      request.header("Content-Type", "application/json; charset=utf-8")
          .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    JsonNode value = JSON.readTree(response.body()).path("value");
    if (response.statusCode() != 200) {
      throw new IOException("WebDriver " + method + " " + path + " failed (" + response.statusCode() + "): "
          + value.path("error").asText() + ": " + value.path("message").asText());
    }
    return value;
  }

  /** Stops chromedriver (browsers should have been closed first). */
  @Override
  public void close() {
    driver.destroy();
    try {
      if (!driver.waitFor(5, TimeUnit.SECONDS)) {
        driver.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One browser: a WebDriver session with its own Chromium process. */
  final class Browser implements AutoCloseable {
    private final String session;
    private final Path profile;

    private Browser(String session, Path profile) {
      this.session = session;
      this.profile = profile;
    }

    void navigate(String url) throws IOException {
      ObjectNode body = JSON.createObjectNode().put("url", url);
      call("POST", "session/" + session + "/url", body);
    }

    /** Runs a script's body ({@code return ...;}) in the page and returns its JSON result. */
    JsonNode eval(String script) throws IOException {
      ObjectNode body = JSON.createObjectNode().put("script", script);
      body.putArray("args");
      return call("POST", "session/" + session + "/execute/sync", body);
    }

    /** {@link #eval} for lambdas: I/O failures as {@link UncheckedIOException}. */
    JsonNode evalUnchecked(String script) {
      try {
        return eval(script);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Opens a new tab and switches to it: the page of the previous tab becomes hidden. */
    String openTab() throws IOException {
      ObjectNode body = JSON.createObjectNode().put("type", "tab");
      String handle = call("POST", "session/" + session + "/window/new", body).path("handle").asText();
      switchTo(handle);
      return handle;
    }

    String currentTab() throws IOException {
      return call("GET", "session/" + session + "/window", null).asText();
    }

    void switchTo(String handle) throws IOException {
      call("POST", "session/" + session + "/window", JSON.createObjectNode().put("handle", handle));
    }

    void closeTab() throws IOException {
      call("DELETE", "session/" + session + "/window", null);
    }

    void screenshot(Path file) throws IOException {
      String png = call("GET", "session/" + session + "/screenshot", null).asText();
      Files.createDirectories(file.getParent());
      Files.write(file, Base64.getDecoder().decode(png));
    }

    @Override
    public void close() {
      try {
        call("DELETE", "session/" + session, null);
      } catch (IOException | RuntimeException e) {
        // the browser is gone already
      }
      deleteQuietly(profile);
    }
  }

  private static void deleteQuietly(Path dir) {
    List<Path> paths = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(paths::add);
    } catch (IOException | UncheckedIOException e) {
      return;
    }
    for (Path p : paths) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // best effort: target/ is cleaned anyway
      }
    }
  }
}
