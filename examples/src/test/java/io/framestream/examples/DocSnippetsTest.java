package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md and docs/*.md compiles against the modules as built (see {@link
 * DocSnippets} for how fragments are wrapped), and the README's blocks carry their imports.
 */
class DocSnippetsTest {

  static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();

  @Test
  void everyJavaSnippetOfTheReadmeAndTheGuidesCompiles(@TempDir Path temp) throws IOException {
    List<DocSnippets.Snippet> snippets = new ArrayList<>();
    for (Path doc : DocSnippets.documents(ROOT)) {
      snippets.addAll(DocSnippets.read(doc));
    }
    assertTrue(snippets.size() >= 10, "found only " + snippets.size() + " snippets under " + ROOT);
    List<Path> files = DocSnippets.write(snippets, temp.resolve("src"));
    assertTrue(files.stream().distinct().count() == files.size(), "two snippets declare the same class: " + files);

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<Path> sources = new ArrayList<>(files);
    sources.add(temp.resolve("src/snippets/Givens.java"));
    try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
      Path out = Files.createDirectories(temp.resolve("classes"));
      List<String> options = List.of("-proc:none", "-nowarn", "--release", "17", "-d", out.toString(),
          "-classpath", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
      boolean ok = javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromPaths(sources)).call();
      StringBuilder report = new StringBuilder();
      for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
        if (d.getKind() == Diagnostic.Kind.ERROR) {
          report.append('\n').append(origin(d)).append(": ").append(d.getMessage(Locale.ROOT));
        }
      }
      assertTrue(ok && report.length() == 0, "documentation snippets that do not compile:" + report);
    }
  }

  @Test
  void theReadmeSnippetsCarryTheirImports() throws IOException {
    List<DocSnippets.Snippet> readme = DocSnippets.read(ROOT.resolve("README.md"));
    assertFalse(readme.isEmpty());
    for (DocSnippets.Snippet s : readme) {
      assertTrue(s.hasImports(), s.where() + " has no imports: a reader cannot copy it as it is");
    }
  }

  /** The document and line a compiler error points at. */
  private static String origin(Diagnostic<? extends JavaFileObject> d) {
    if (d.getSource() == null) {
      return "?";
    }
    try {
      String text = d.getSource().getCharContent(true).toString();
      String first = text.substring(0, text.indexOf('\n'));
      return first.substring(3) + " (generated line " + d.getLineNumber() + ": "
          + text.lines().skip(Math.max(0, d.getLineNumber() - 1)).findFirst().orElse("").trim() + ")";
    } catch (IOException e) {
      return d.getSource().getName();
    }
  }
}
