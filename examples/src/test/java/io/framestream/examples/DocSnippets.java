package io.framestream.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The fenced {@code ```java} blocks of the README and the guides, as Java a compiler can check.
 *
 * <p>A block that starts with {@code import} lines must be complete with them: a class is compiled as its
 * own file with exactly those imports, and statements or a method are wrapped in a class that has those
 * imports and nothing else. A block without imports is a fragment: it is wrapped in a class that imports
 * the framestream packages and the JDK's usual ones. Either kind of wrapper extends {@code Givens}, whose
 * fields are the things a fragment may take as given (a {@code server}, a {@code channel}, ...: see {@link
 * #GIVENS}). A class declared in a block without imports (such as {@code Orbit} in sources.md) becomes a
 * top-level class of the same package, so that other blocks may use it. A line that is only {@code ...}
 * stands for elided code.
 */
final class DocSnippets {

  /** A fenced block: where it is and what it says. */
  record Snippet(Path doc, int line, List<String> imports, String body) {

    boolean hasImports() {
      return !imports.isEmpty();
    }

    String where() {
      return doc.getFileName() + ":" + line;
    }
  }

  /** What the wrapper of a fragment imports. */
  static final List<String> FRAGMENT_IMPORTS = List.of(
      "io.framestream.core.*", "io.framestream.core.wire.*", "io.framestream.edge.*", "io.framestream.server.*",
      "io.framestream.media.*", "io.framestream.testkit.*", "io.framestream.transport.websocket.*",
      "io.framestream.transport.sse.*", "io.framestream.cluster.nats.*", "java.io.*", "java.net.*",
      "java.nio.ByteBuffer", "java.nio.charset.StandardCharsets", "java.nio.file.*", "java.time.*", "java.util.*",
      "java.util.concurrent.*", "java.awt.*", "java.awt.image.BufferedImage", "javax.imageio.ImageIO",
      "jakarta.websocket.server.*", "jakarta.servlet.*",
      // single-type imports win over the on-demand ones that clash (java.awt.List, java.awt.Frame)
      "java.util.List", "io.framestream.core.Frame");

  /** The base class of every wrapper: what a fragment may use without declaring it. */
  static final String GIVENS = String.join("\n",
      "package snippets;",
      "/** What a documentation fragment may take as given. */",
      "public abstract class Givens {",
      "  protected io.framestream.server.FrameStreamServer server;",
      "  protected io.framestream.core.Channel channel;",
      "  protected io.framestream.core.Channel localChannel;",
      "  protected io.framestream.core.ChannelRegistry localRegistry;",
      "  protected byte[] jpegBytes;",
      "  protected byte[] secret32Bytes;",
      "  protected String publishToken;",
      "  protected io.framestream.edge.ViewerTickets tickets;",
      "  protected jakarta.websocket.server.ServerContainer serverContainer;",
      "  protected jakarta.servlet.ServletContext servletContext;",
      "}");

  private static final Pattern TYPE = Pattern.compile(
      "(?s)\\A\\s*(//[^\\n]*\\s*|@\\w+(\\([^)]*\\))?\\s*)*(public\\s+)?(final\\s+|abstract\\s+)*(class|record|interface|enum)\\s+(?<name>\\w+).*");
  private static final Pattern MEMBER = Pattern.compile(
      "(?s)\\A\\s*(//[^\\n]*\\s*|@\\w+\\s*)*(public|protected|private|static)\\b.*");

  private DocSnippets() {}

  /** The README and every guide in docs/. */
  static List<Path> documents(Path root) throws IOException {
    List<Path> docs = new ArrayList<>();
    docs.add(root.resolve("README.md"));
    try (var files = Files.list(root.resolve("docs"))) {
      files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs;
  }

  /** The {@code ```java} blocks of one Markdown file. */
  static List<Snippet> read(Path doc) throws IOException {
    List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
    List<Snippet> snippets = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).trim().equals("```java")) {
        continue;
      }
      int start = i + 1;
      List<String> imports = new ArrayList<>();
      StringBuilder body = new StringBuilder();
      boolean inImports = true;
      for (i = start; i < lines.size() && !lines.get(i).trim().equals("```"); i++) {
        String line = lines.get(i);
        String t = line.trim();
        if (inImports && t.startsWith("import ") && t.endsWith(";")) {
          imports.add(t.substring("import ".length(), t.length() - 1).trim());
          continue;
        }
        if (!t.isEmpty()) {
          inImports = false;
        }
        body.append(t.equals("...") ? "// ..." : line).append('\n');
      }
      snippets.add(new Snippet(doc, start, List.copyOf(imports), body.toString()));
    }
    return snippets;
  }

  /**
   * Writes the Java files that hold the snippets, one per snippet (and the givens), into a source folder.
   *
   * @return each written file with the snippet it came from
   */
  static List<Path> write(List<Snippet> snippets, Path sources) throws IOException {
    Path pkg = Files.createDirectories(sources.resolve("snippets"));
    Files.writeString(pkg.resolve("Givens.java"), GIVENS);
    List<Path> files = new ArrayList<>();
    int n = 0;
    for (Snippet s : snippets) {
      n++;
      String header = "// " + s.where() + "\npackage snippets;\n"
          + importLines(s.hasImports() ? s.imports() : FRAGMENT_IMPORTS);
      var type = TYPE.matcher(s.body());
      Path file;
      if (type.matches()) {
        file = pkg.resolve(type.group("name") + ".java");
        Files.writeString(file, header + s.body());
      } else {
        String wrapper = "Snippet" + n;
        boolean member = MEMBER.matcher(s.body()).matches();
        String code = member ? s.body()
            : "  @SuppressWarnings(\"unused\")\n  void snippet() throws Exception {\n" + s.body() + "\n  }\n";
        file = pkg.resolve(wrapper + ".java");
        Files.writeString(file, header + "abstract class " + wrapper + " extends Givens {\n" + code + "}\n");
      }
      files.add(file);
    }
    return files;
  }

  private static String importLines(List<String> imports) {
    StringBuilder b = new StringBuilder();
    for (String i : imports) {
      b.append("import ").append(i).append(";\n");
    }
    return b.toString();
  }
}
