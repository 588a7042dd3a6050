/**
 * The framestream core: {@link io.framestream.core.Frame}s, the {@link io.framestream.core.FrameSource} and
 * {@link io.framestream.core.FrameSink} contracts, {@link io.framestream.core.Channel}s that fan frames out
 * through bounded newest-wins mailboxes, the {@link io.framestream.core.ChannelRegistry}, the {@link
 * io.framestream.core.SourceRunner}, and the {@link io.framestream.core.Ticker} they measure time with.
 *
 * <p>The numbered rules that every implementation follows are in {@code docs/contract.md}; the threads
 * and locks are described in {@code CONCURRENCY.md}. No method of this package accepts or returns {@code
 * null} unless its documentation says so.
 *
 * @since 0.1.0
 */
package io.framestream.core;
