/**
 * Server-Sent Events for framestream channels: a channel streamed to browsers' {@code EventSource} at
 * {@code /sse/{channel}} by either host, {@link io.framestream.transport.sse.SseHandler} (a Grizzly {@code
 * HttpHandler}, as the embedded server uses) or {@link io.framestream.transport.sse.SseServlet} (a Jakarta
 * Servlet 6 async servlet for Tomcat, Jetty, Undertow or Spring Boot), with the same wire and the same
 * rules; and {@link io.framestream.transport.sse.SseFrameSource}, a Java client that reads such a stream as
 * a {@link io.framestream.core.FrameSource}.
 *
 * <p>Dependencies: the client needs the JDK and {@code framestream-core} only. Grizzly is an optional
 * dependency of this module and the Servlet API a provided one: a user who serves SSE brings the host
 * (the embedded server declares Grizzly; a container provides the Servlet API).
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
