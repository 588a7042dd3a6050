package io.framestream.core;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** A publisher handle with two token buckets (frames and bytes per second), refilled continuously. */
final class DefaultPublisher implements Publisher {

  private final DefaultChannel channel;
  private final String description;
  private final double maxFps;
  private final double maxBytesPerSecond;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong rejected = new AtomicLong();

  // Guarded by this.
  private double frameTokens;
  private double byteTokens;
  private long refilledAt;

  DefaultPublisher(DefaultChannel channel, String description, ChannelConfig config) {
    this.channel = channel;
    this.description = description;
    this.maxFps = config.maxPublishFps();
    this.maxBytesPerSecond = config.maxPublishBytesPerSecond();
    this.refilledAt = channel.ticker().nanoTime();
    // Start with one second's worth, so a publisher may begin with a burst of that size.
    this.frameTokens = maxFps;
    this.byteTokens = maxBytesPerSecond;
  }

  @Override
  public boolean publish(Frame frame) {
    if (closed.get()) {
      throw new ChannelClosedException("publisher " + description + " on channel '" + channel.name() + "' is closed");
    }
    if (!admit(frame.size())) {
      rejected.incrementAndGet();
      channel.recordPublishRejected();
      return false;
    }
    channel.publish(frame);
    return true;
  }

  private synchronized boolean admit(int bytes) {
    if (maxFps <= 0 && maxBytesPerSecond <= 0) {
      return true;
    }
    long now = channel.ticker().nanoTime();
    double seconds = (now - refilledAt) / (double) TimeUnit.SECONDS.toNanos(1);
    refilledAt = now;
    if (maxFps > 0) {
      frameTokens = Math.min(maxFps, frameTokens + seconds * maxFps);
      if (frameTokens < 1) {
        return false;
      }
    }
    if (maxBytesPerSecond > 0) {
      byteTokens = Math.min(maxBytesPerSecond, byteTokens + seconds * maxBytesPerSecond);
      if (byteTokens < bytes) {
        return false;
      }
      byteTokens -= bytes;
    }
    if (maxFps > 0) {
      frameTokens -= 1;
    }
    return true;
  }

  @Override
  public long rejectedFrames() {
    return rejected.get();
  }

  @Override
  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      channel.publisherClosed(this);
    }
  }

  @Override
  public String toString() {
    return "Publisher[" + description + " on " + channel.name() + (closed.get() ? ", closed" : "") + "]";
  }
}
