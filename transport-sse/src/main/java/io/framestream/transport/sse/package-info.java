/**
 * Server-Sent Events for framestream channels: {@link io.framestream.transport.sse.SseHandler}, a Grizzly
 * {@code HttpHandler} that streams a channel to browsers' {@code EventSource} at {@code /sse/{channel}},
 * and {@link io.framestream.transport.sse.SseFrameSource}, a Java client that reads such a stream as a
 * {@link io.framestream.core.FrameSource}.
 *
 * <p>The wire format, for {@code GET /sse/{channel}} (optionally {@code ?format=base64} and {@code
 * ?lastEventId=N}):
 *
 * <pre>
 * retry: 2000
 *
 * event: init
 * data: {"type":"init","channel":"cam1","contentType":"image/jpeg",...}
 *
 * id: 812
 * event: data
 * data: data:image/jpeg;base64,/9j/4AAQ...
 *
 * : hb
 *
 * </pre>
 *
 * <p>Everything else in this module lives in {@code io.framestream.transport.sse.internal} and is not API.
 *
 * @since 0.1.0
 */
package io.framestream.transport.sse;
