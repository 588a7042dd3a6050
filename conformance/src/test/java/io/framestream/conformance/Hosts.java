package io.framestream.conformance;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.AssertionFailedError;

/**
 * One host of each kind for the whole run, started on first use and stopped when the run ends (the root
 * context's store closes it). Tests keep apart by using channels of their own. A failure's message starts
 * with the case's name ({@code w4_... [SSE on JETTY]: ...}), so that every report says which combination
 * broke which rule.
 */
final class Hosts implements BeforeAllCallback, TestExecutionExceptionHandler {

  private static final Map<HostKind, Host> RUNNING = new EnumMap<>(HostKind.class);

  /** The running host of a kind, started now if it is the first use. */
  static synchronized Host get(HostKind kind) {
    return RUNNING.computeIfAbsent(kind, k -> k.start(HostConfig.create()));
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getRoot().getStore(ExtensionContext.Namespace.create(Hosts.class))
        .getOrComputeIfAbsent("hosts", key -> new StopAll(), StopAll.class);
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable thrown) throws Throwable {
    if (thrown instanceof AssertionError) {
      AssertionFailedError named = new AssertionFailedError(context.getDisplayName() + ": " + thrown.getMessage(),
          thrown);
      named.setStackTrace(thrown.getStackTrace());
      throw named;
    }
    throw thrown; // skips (TestAbortedException) and errors pass unchanged
  }

  /** Stops every host when the root context closes, at the end of the run. */
  static final class StopAll implements AutoCloseable {
    @Override
    public void close() {
      synchronized (Hosts.class) {
        RUNNING.values().forEach(Host::close);
        RUNNING.clear();
      }
    }
  }
}
