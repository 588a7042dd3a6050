/**
 * What a host implements to give the WebSocket transport what the Jakarta WebSocket API cannot: dropping a
 * stalled connection at its socket ({@link io.framestream.transport.websocket.spi.SessionAborter}) and
 * writing a frame's pre-built WebSocket message without a per-viewer copy ({@link
 * io.framestream.transport.websocket.spi.RawFrameSender}). Applications that only deploy the endpoints never
 * need this package; the embedded server implements both for Grizzly and Tyrus.
 *
 * <h2>Thread safety</h2>
 *
 * Implementations are called from any thread, concurrently, and must be thread-safe.
 */
package io.framestream.transport.websocket.spi;
