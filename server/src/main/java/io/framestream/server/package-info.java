/**
 * The embedded framestream server: one port for WebSocket, SSE, the JSON API and pages ({@link
 * io.framestream.server.FrameStreamServer}).
 *
 * @since 0.1.0
 */
package io.framestream.server;
