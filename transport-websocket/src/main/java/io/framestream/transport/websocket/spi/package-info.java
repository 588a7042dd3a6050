/**
 * What a host implements to give the WebSocket transport what the Jakarta WebSocket API cannot: dropping a
 * stalled connection at its socket ({@link io.framestream.transport.websocket.spi.SessionAborter}), writing a
 * frame's pre-built WebSocket message without a per-viewer copy ({@link
 * io.framestream.transport.websocket.spi.RawFrameSender}, handed the messages of {@link
 * io.framestream.transport.websocket.spi.WebSocketFrames}), and running the access check in a filter in
 * front of the container, once per handshake ({@link io.framestream.transport.websocket.spi.FrontFilter}).
 * Applications that only deploy the endpoints never need this package; the embedded server implements all
 * three for Grizzly and Tyrus.
 *
 * <h2>Thread safety</h2>
 *
 * Implementations are called from any thread, concurrently, and must be thread-safe.
 */
package io.framestream.transport.websocket.spi;
