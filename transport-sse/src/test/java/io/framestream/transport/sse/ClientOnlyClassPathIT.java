package io.framestream.transport.sse;

import static io.framestream.testkit.Await.until;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static io.framestream.transport.sse.TestBytes.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * A client-only user of SSE needs the JDK and core, nothing else (issue 13, item 3): {@link SseFrameSource}
 * is loaded in a class loader whose class path is only core's and this module's classes, with the platform
 * class loader as parent (so no Grizzly, no Servlet API, no edge, no test classes), and streams frames from a
 * real server.
 *
 * <p>Jackson is added to that class path only while a class of core or of this module still refers to it
 * (today: the init decoding in {@code SseFrameDecoder} and core's {@code InitMessage}); the test prints which
 * classes, so the day none does, it runs without Jackson by itself.
 */
class ClientOnlyClassPathIT {

  private static final System.Logger LOG = System.getLogger(ClientOnlyClassPathIT.class.getName());
  private static final String JACKSON = "com/fasterxml/jackson/";

  @Test
  void sseFrameSource_streamsFromARealServer_withOnlyCoreAndThisModuleOnItsClassPath() throws Exception {
    URL core = location(Frame.class);
    URL sse = location(SseFrameSource.class);
    List<URL> path = new ArrayList<>(List.of(core, sse));
    List<String> jacksonUsers = new ArrayList<>();
    jacksonUsers.addAll(classesMentioning(core, JACKSON));
    jacksonUsers.addAll(classesMentioning(sse, JACKSON));
    if (!jacksonUsers.isEmpty()) {
      LOG.log(System.Logger.Level.INFO, "Jackson joins the client class path; it is still used by {0}", jacksonUsers);
      path.add(location(com.fasterxml.jackson.databind.ObjectMapper.class));
      path.add(location(com.fasterxml.jackson.core.JsonFactory.class));
      path.add(location(com.fasterxml.jackson.annotation.JsonInclude.class));
    }

    try (ChannelRegistry registry = ChannelRegistry.builder().build();
        SseHandler handler = SseHandler.builder(registry).build();
        TestServer server = TestServer.start(handler);
        URLClassLoader clientOnly = new URLClassLoader(path.toArray(URL[]::new),
            ClassLoader.getPlatformClassLoader())) {
      for (String absent : List.of("org.glassfish.grizzly.http.server.HttpHandler",
          "jakarta.servlet.http.HttpServlet", "io.framestream.edge.AccessGate",
          "io.framestream.testkit.Await")) {
        assertThrows(ClassNotFoundException.class, () -> Class.forName(absent, false, clientOnly), absent);
      }

      Channel cam = registry.channel("cam");
      byte[] first = payload(2000, 1);
      cam.publish(Frame.of("image/jpeg", first));

      Class<?> sourceClass = Class.forName(SseFrameSource.class.getName(), true, clientOnly);
      assertSame(clientOnly, sourceClass.getClassLoader());
      Object builder = sourceClass.getMethod("builder", URI.class).invoke(null, URI.create(server.url("/sse/cam")));
      Object source = builder.getClass().getMethod("build").invoke(builder);
      Method open = sourceClass.getMethod("open");
      Method nextFrame = sourceClass.getMethod("nextFrame");
      Method close = sourceClass.getMethod("close");
      ExecutorService caller = Executors.newSingleThreadExecutor();
      try {
        within(caller, () -> open.invoke(source));
        Object got = within(caller, () -> nextFrame.invoke(source));
        assertSame(clientOnly, got.getClass().getClassLoader(), "the frame is core's, from the client loader");
        assertArrayEquals(first, (byte[]) got.getClass().getMethod("copyPayload").invoke(got));
        assertEquals("image/jpeg", got.getClass().getMethod("contentType").invoke(got));

        until("subscribed", () -> cam.subscriberCount() == 1);
        for (int i = 2; i <= 4; i++) {
          byte[] next = payload(30_000, i);
          cam.publish(Frame.of("image/png", next));
          Object frame = within(caller, () -> nextFrame.invoke(source));
          assertArrayEquals(next, (byte[]) frame.getClass().getMethod("copyPayload").invoke(frame));
        }
      } finally {
        close.invoke(source);
        caller.shutdownNow();
      }
    }
  }

  private static Object within(ExecutorService caller, Callable<Object> call) throws Exception {
    return caller.submit(call).get(20, TimeUnit.SECONDS);
  }


  private static URL location(Class<?> c) {
    return c.getProtectionDomain().getCodeSource().getLocation();
  }

  /** The classes in a directory or jar whose bytes contain {@code text} (as their constant pool would). */
  private static List<String> classesMentioning(URL location, String text) throws IOException, URISyntaxException {
    List<String> found = new ArrayList<>();
    Path p = Path.of(location.toURI());
    if (Files.isDirectory(p)) {
      try (Stream<Path> files = Files.walk(p)) {
        for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
          if (contains(Files.readAllBytes(f), text)) {
            found.add(p.relativize(f).toString());
          }
        }
      }
    } else {
      try (ZipFile jar = new ZipFile(p.toFile())) {
        for (ZipEntry e : java.util.Collections.list(jar.entries())) {
          if (e.getName().endsWith(".class")) {
            try (InputStream in = jar.getInputStream(e)) {
              if (contains(in.readAllBytes(), text)) {
                found.add(e.getName());
              }
            }
          }
        }
      }
    }
    return found;
  }

  private static boolean contains(byte[] classFile, String text) {
    // ISO-8859-1 maps each byte to one char, so an ASCII name in the constant pool is found as it is.
    return new String(classFile, StandardCharsets.ISO_8859_1).contains(text);
  }
}
