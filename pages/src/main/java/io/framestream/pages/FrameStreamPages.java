package io.framestream.pages;

/**
 * The browser pages of framestream, shipped in this artifact as class-path resources under {@value #ROOT}:
 * {@code index.html} (every channel with a live thumbnail), {@code live.html?channel=NAME} and {@code
 * live-sse.html?channel=NAME} (a channel over WebSocket and Server-Sent Events), {@code
 * live-video.html?channel=NAME} (a video channel) and {@code record.html?channel=NAME} (the browser's camera
 * into a channel), with their scripts and style sheet.
 *
 * <p>The embedded server serves them with one call, {@code FrameStreamServer.builder().pages()}, which
 * looks for this class to tell that the artifact is present. Any other server can serve the folder
 * {@value #ROOT} of the class path.
 *
 * <h2>Thread safety</h2>
 *
 * Constants only: immutable.
 *
 * @since 0.1.0
 */
public final class FrameStreamPages {

  /** The class-path folder of the pages, without a leading slash. */
  public static final String ROOT = "framestream/static/";

  private FrameStreamPages() {}
}
