package io.framestream.core.flow;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.CloseReason;
import io.framestream.core.Frame;
import io.framestream.core.FrameSink;
import io.framestream.core.SendCallback;
import io.framestream.core.SubscriberOptions;
import io.framestream.core.Subscription;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Channel} as a {@link Flow.Publisher} of frames: every {@link #subscribe(Flow.Subscriber)} becomes
 * one subscription of the channel, with the channel's own newest-wins mailbox (rules C1–C8 of the
 * channel), and the subscriber's demand decides when a frame leaves it.
 *
 * <h2>How newest-wins fits Reactive Streams</h2>
 *
 * A channel is a hot source: frames are published whether or not anyone asked for them, and the
 * specification lets a publisher signal fewer {@code onNext} than requested and decide what it does with
 * elements nobody requested (rule 1.1 bounds only the number of {@code onNext} by the demand). So:
 *
 * <ul>
 *   <li>The subscriber never gets more {@code onNext} than it requested (rule 1.1); demand adds up to
 *       {@link Long#MAX_VALUE}, which means "unbounded" (rule 3.17).
 *   <li>A frame that arrives while the subscriber has no demand waits. At most {@link
 *       io.framestream.core.ChannelConfig#maxInFlight()} frames wait here; behind them, the channel's
 *       mailbox applies its policy: a newer image replaces an undelivered older one (counted as {@link
 *       io.framestream.core.DropReason#SUPERSEDED}); a codec stream skips to the next key frame rather than
 *       deliver a delta whose reference was dropped. Dropping is therefore the normal, counted answer to a
 *       subscriber slower than the source, never unbounded buffering.
 *   <li>A frame counts as delivered (and its publish-to-delivery latency is recorded) when {@code onNext}
 *       returns. A subscriber that keeps a frame waiting with no demand for longer than the channel's
 *       {@link io.framestream.core.ChannelConfig#stallTimeout()} is evicted like any stalled viewer: it gets
 *       {@code onError} with a {@link SubscriptionEndedException} ({@link CloseReason.Code#STALLED}). Keep
 *       demand up (request a window, or {@link Long#MAX_VALUE}) and hand frames to slow work elsewhere.
 *   <li>{@link Flow.Subscription#cancel()} ends the channel subscription; no signal follows once the
 *       cancellation has taken effect.
 *   <li>Closing the channel signals {@code onComplete} after the frames that are waiting and requested;
 *       a subscriber that could not be subscribed (channel closed, subscriber limit reached) gets {@code
 *       onSubscribe} then {@code onError} with the channel's exception (rules 1.9, 1.4).
 *   <li>A subscriber that throws from {@code onNext} is cancelled (rule 2.13); the channel counts its sink
 *       as failed.
 *   <li>The first frames are the channel's late-joiner frames (its current {@code INIT}, newest key frame
 *       and the deltas after it), exactly as for any subscriber. Online and offline notices have no
 *       Reactive Streams signal and are not passed on.
 * </ul>
 *
 * <p>Each {@code subscribe} creates an independent subscription; the same publisher may be subscribed to any
 * number of times, also by several subscribers at once.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. Signals to one subscriber never overlap (rule 1.3); they come from the channel's delivery
 * threads or from the thread that calls {@code request}. {@code request} and {@code cancel} may be called
 * from any thread, including from within {@code onNext}, without unbounded recursion (rule 3.3).
 *
 * @since 0.4.0
 */
public final class ChannelPublisher implements Flow.Publisher<Frame> {

  private static final System.Logger LOG = System.getLogger(ChannelPublisher.class.getName());

  private final Channel channel;
  private final SubscriberOptions options;

  private ChannelPublisher(Channel channel, SubscriberOptions options) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.options = Objects.requireNonNull(options, "options");
  }

  /**
   * Returns a publisher of a channel's frames, with default subscriber options.
   *
   * @param channel the channel
   * @return the publisher
   * @throws NullPointerException if {@code channel} is {@code null}
   */
  public static ChannelPublisher of(Channel channel) {
    return new ChannelPublisher(channel, SubscriberOptions.DEFAULTS);
  }

  /**
   * Returns a publisher of a channel's frames whose subscriptions use the given options (maximum frame rate,
   * maximum frame age, relay).
   *
   * @param channel the channel
   * @param options the options of every subscription
   * @return the publisher
   * @throws NullPointerException if an argument is {@code null}
   */
  public static ChannelPublisher of(Channel channel, SubscriberOptions options) {
    return new ChannelPublisher(channel, options);
  }

  /**
   * Returns the channel.
   *
   * @return the channel this publisher subscribes to
   */
  public Channel channel() {
    return channel;
  }

  /**
   * Subscribes: calls {@code onSubscribe}, then subscribes to the channel (unless cancelled meanwhile). If
   * the channel refuses, the subscriber gets {@code onError} with the channel's exception.
   *
   * @param subscriber the subscriber
   * @throws NullPointerException if {@code subscriber} is {@code null} (rule 1.9)
   */
  @Override
  public void subscribe(Flow.Subscriber<? super Frame> subscriber) {
    Objects.requireNonNull(subscriber, "subscriber");
    FlowSubscription s = new FlowSubscription(subscriber);
    try {
      subscriber.onSubscribe(s);
    } catch (RuntimeException | Error e) {
      LOG.log(System.Logger.Level.WARNING, "onSubscribe threw; cancelling (rule 2.13)", e);
      s.cancel();
      return;
    }
    s.start(channel, options);
  }

  @Override
  public String toString() {
    return "ChannelPublisher[" + channel.name() + "]";
  }

  /** One frame handed over by the channel and not yet signalled. */
  private record Pending(Frame frame, SendCallback callback) {}

  /**
   * One Flow subscription: the channel's sink and the subscriber's handle. Signals are emitted only by
   * {@link #drain()}, which one thread at a time runs (the {@code wip} counter), so they never overlap.
   */
  private static final class FlowSubscription implements Flow.Subscription, FrameSink {

    private volatile Flow.Subscriber<? super Frame> subscriber;
    private final AtomicLong requested = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    // Guarded by itself; at most maxInFlight entries (the channel never sends more before completion).
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private volatile Subscription channelSubscription;
    private volatile boolean started; // onSubscribe has returned: signals may flow
    private volatile boolean cancelled;
    private volatile boolean done; // a terminal signal was emitted, or cancelled
    private volatile CloseReason ended; // the channel ended the subscription
    private volatile Throwable error; // a refusal at subscribe, or a bad request (rule 3.9)

    FlowSubscription(Flow.Subscriber<? super Frame> subscriber) {
      this.subscriber = subscriber;
    }

    void start(Channel channel, SubscriberOptions options) {
      started = true;
      if (cancelled || error != null) {
        drain();
        return;
      }
      try {
        Subscription sub = channel.subscribe(this, options);
        channelSubscription = sub;
        if (cancelled) {
          sub.close();
        }
      } catch (RuntimeException e) { // closed channel, subscriber limit
        if (error == null) {
          error = e;
        }
      }
      drain();
    }

    // --- Flow.Subscription

    @Override
    public void request(long n) {
      if (n <= 0) {
        if (error == null) {
          error = new IllegalArgumentException("rule 3.9: request must be positive, got " + n);
        }
      } else {
        long r;
        long next;
        do {
          r = requested.get();
          if (r == Long.MAX_VALUE) {
            break;
          }
          next = r + n < 0 ? Long.MAX_VALUE : r + n;
        } while (!requested.compareAndSet(r, next));
      }
      drain();
    }

    @Override
    public void cancel() {
      cancelled = true;
      cancelChannel(); // start() closes it instead when cancelled before the channel subscription exists
      drain();
    }

    // --- FrameSink, called serially by the channel

    @Override
    public void send(Frame frame, SendCallback callback) {
      synchronized (pending) {
        pending.add(new Pending(frame, callback));
      }
      drain();
    }

    @Override
    public void closed(CloseReason reason) {
      ended = reason;
      drain();
    }

    // --- the one emitter

    private void drain() {
      if (wip.getAndIncrement() != 0) {
        return;
      }
      int missed = 1;
      do {
        emit();
        missed = wip.addAndGet(-missed);
      } while (missed != 0);
    }

    /** Emits what may be emitted now. Runs on one thread at a time. */
    private void emit() {
      if (!started) {
        return; // nothing is signalled from within onSubscribe; start() drains afterwards
      }
      if (done) {
        finish(); // frames handed over after the end are let go once the channel subscription has ended
        return;
      }
      while (!done) {
        Flow.Subscriber<? super Frame> s = subscriber;
        if (cancelled) {
          finish();
          return;
        }
        Throwable e = error;
        if (e != null) {
          cancelChannel();
          finish();
          signalError(s, e);
          return;
        }
        Pending p = null;
        if (requested.get() > 0) {
          synchronized (pending) {
            p = pending.poll();
          }
        }
        if (p != null) {
          if (requested.get() != Long.MAX_VALUE) {
            requested.decrementAndGet();
          }
          try {
            s.onNext(p.frame());
          } catch (RuntimeException | Error t) {
            LOG.log(System.Logger.Level.WARNING, "onNext threw; cancelling (rule 2.13)", t);
            p.callback().failed(t); // the channel counts a failed sink and ends its subscription
            cancelled = true;
            finish();
            return;
          }
          p.callback().completed();
          continue;
        }
        CloseReason why = ended;
        if (why == null) {
          return; // nothing to do until a frame, demand or the end arrives
        }
        finish();
        if (why.code() == CloseReason.Code.NORMAL) {
          return; // only cancel() closes the channel subscription normally: no signal after a cancel
        }
        if (why.code() == CloseReason.Code.CHANNEL_CLOSED) {
          signalComplete(s);
        } else {
          signalError(s, new SubscriptionEndedException(why));
        }
        return;
      }
    }

    /** No more signals: forgets the subscriber (rule 3.13) and lets go of frames not delivered. */
    private void finish() {
      done = true;
      subscriber = null;
      Subscription sub = channelSubscription;
      boolean channelDone = ended != null || (sub != null && sub.isClosed());
      if (!channelDone) {
        return; // start() closes the subscription after a cancel, then drains again
      }
      while (true) {
        Pending p;
        synchronized (pending) {
          p = pending.poll();
        }
        if (p == null) {
          return;
        }
        // The channel subscription has ended, so this is not counted as a failure.
        p.callback().failed(new ChannelClosedException("subscription ended before the frame was requested"));
      }
    }

    private void cancelChannel() {
      Subscription sub = channelSubscription;
      if (sub != null) {
        sub.close();
      }
    }

    private static void signalError(Flow.Subscriber<? super Frame> s, Throwable e) {
      try {
        s.onError(e);
      } catch (RuntimeException | Error t) {
        LOG.log(System.Logger.Level.WARNING, "onError threw (rule 2.13)", t);
      }
    }

    private static void signalComplete(Flow.Subscriber<? super Frame> s) {
      try {
        s.onComplete();
      } catch (RuntimeException | Error t) {
        LOG.log(System.Logger.Level.WARNING, "onComplete threw (rule 2.13)", t);
      }
    }
  }
}
