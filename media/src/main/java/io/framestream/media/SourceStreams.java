package io.framestream.media;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Where a stream-reading source ({@link MjpegSource}, {@link Fmp4Source}) gets its bytes: a supplied stream
 * or a process's standard output, opened anew on each open and released on close.
 */
final class SourceStreams {

  private static final System.Logger LOG = System.getLogger(SourceStreams.class.getName());
  private static final Pattern CREDENTIALS = Pattern.compile("://[^/@\\s]+@");
  /** How long release() waits for a process to exit after asking it to, before killing it. */
  private static final long PROCESS_STOP_MILLIS = 2_000;
  /** How long checkExitStatus() waits, after the output of a process ended, for its exit status. */
  private static final long PROCESS_EXIT_MILLIS = 5_000;

  private SourceStreams() {}

  /** Obtains a stream for one open(). */
  @FunctionalInterface
  interface Opener {
    Connection open() throws IOException;
  }

  /** An opener of supplied streams. */
  static Opener fromSupplier(Supplier<? extends InputStream> streams) {
    Objects.requireNonNull(streams, "streams");
    return () -> new Connection(Objects.requireNonNull(streams.get(), "the stream supplier returned null"), null);
  }

  /** An opener that starts {@code cmd} (already copied) and reads its output; {@code shown} is for logs. */
  static Opener fromProcess(List<String> cmd, String shown) {
    return () -> {
      Process process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      LOG.log(System.Logger.Level.DEBUG, "started process {0}: {1}", Long.toString(process.pid()), shown);
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "could not close the standard input of " + shown, e);
      }
      return new Connection(process.getInputStream(), process);
    };
  }

  /** Copies and checks a command line. */
  static List<String> command(List<String> command) {
    List<String> cmd = List.copyOf(Objects.requireNonNull(command, "command"));
    if (cmd.isEmpty()) {
      throw new IllegalArgumentException("command must name a program");
    }
    return cmd;
  }

  /** Hides the user information of URLs ({@code rtsp://user:password@host}) in text meant for logs. */
  static String redactCredentials(String text) {
    return CREDENTIALS.matcher(text).replaceAll("://***@");
  }

  /** What one open() obtained. */
  static final class Connection {
    final InputStream in;
    final Process process; // null for a supplied stream

    Connection(InputStream in, Process process) {
      this.in = in;
      this.process = process;
    }

    /**
     * After the output ended: fails with an IOException if the process exited with a non-zero status within
     * a few seconds; returns otherwise (also for a supplied stream).
     */
    void checkExitStatus(String description, EOFException end) throws IOException {
      if (process == null) {
        return;
      }
      try {
        if (process.waitFor(PROCESS_EXIT_MILLIS, TimeUnit.MILLISECONDS) && process.exitValue() != 0) {
          IOException failed = new IOException(description + " exited with status " + process.exitValue());
          failed.addSuppressed(end);
          throw failed;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for " + description);
      }
    }

    /** Ends the process (forcibly after two seconds) and closes the stream; never throws. */
    void release(String description) {
      if (process != null) {
        // Ending the process first also ends a read blocked on its output.
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
          if (!process.waitFor(PROCESS_STOP_MILLIS, TimeUnit.MILLISECONDS)) {
            LOG.log(System.Logger.Level.WARNING, "{0} did not exit within {1} ms; killing it",
                description, Long.toString(PROCESS_STOP_MILLIS));
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
          }
        } catch (InterruptedException e) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
      try {
        in.close();
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "closing " + description + " failed", e);
      }
    }
  }
}
