/**
 * Reactive Streams interop through {@link java.util.concurrent.Flow}: a {@link io.framestream.core.Channel}
 * as a {@code Flow.Publisher<Frame>} ({@link io.framestream.core.flow.ChannelPublisher}) and a {@code
 * Flow.Subscriber<Frame>} that publishes into a channel ({@link io.framestream.core.flow.ChannelSubscriber}).
 * Both follow the Reactive Streams specification 1.0.4 and pass its TCK's required tests.
 */
package io.framestream.core.flow;
