package io.framestream.benchmarks.peers;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A plain WebSocket relay on Netty 4.1, the load tool's "mainstream Java stack" peer, run in its own JVM: one
 * publisher on {@code /ws/publish/{channel}}, viewers on {@code /ws/live/{channel}}. Each published frame is
 * decoded once into one (pooled) buffer and every viewer gets a reference-counted view of it, written as
 * header plus payload without a copy. A busy viewer has at most one frame in flight and one waiting; a newer
 * frame replaces the waiting one (newest wins). Never evicts. Netty's defaults otherwise (NIO, two event
 * loops per core, pooled allocator). Usage: {@code NettyRelay [PORT]} (0 or none: any free port); prints
 * {@code PORT <n>}; exits when standard input closes.
 *
 * <h2>Thread safety</h2>
 *
 * The channel map and viewer sets are concurrent; each viewer's state is confined to its channel's event
 * loop (frames from the publisher's loop are handed over with {@code execute}).
 */
public final class NettyRelay {

  private static final int MAX_FRAME = 16 * 1024 * 1024;

  private final Map<String, Set<Viewer>> channels = new ConcurrentHashMap<>();

  private NettyRelay() {}

  /**
   * Starts the relay.
   *
   * @param args optional port
   * @throws Exception if the port cannot be bound
   */
  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    NettyRelay relay = new NettyRelay();
    EventLoopGroup boss = new NioEventLoopGroup(1);
    EventLoopGroup workers = new NioEventLoopGroup();
    Channel server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192), relay.new Handshake());
          }
        })
        .bind(InetAddress.getLoopbackAddress(), port).sync().channel();
    System.out.println("PORT " + ((InetSocketAddress) server.localAddress()).getPort());
    System.out.flush();
    while (System.in.read() >= 0) {
      // run until the load tool closes our stdin
    }
    System.exit(0);
  }

  /** Upgrades {@code /ws/publish/..} and {@code /ws/live/..}, then swaps itself for the role's handler. */
  private final class Handshake extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      String path = new QueryStringDecoder(req.uri()).path();
      boolean publish = path.startsWith("/ws/publish/");
      if (!publish && !path.startsWith("/ws/live/")) {
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND))
            .addListener(ChannelFutureListener.CLOSE);
        return;
      }
      WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory(
          "ws://" + req.headers().get(HttpHeaderNames.HOST) + path, null, false, MAX_FRAME).newHandshaker(req);
      if (hs == null) {
        WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
        return;
      }
      Set<Viewer> viewers = channels.computeIfAbsent(path.substring(path.lastIndexOf('/') + 1),
          k -> ConcurrentHashMap.newKeySet());
      hs.handshake(ctx.channel(), req);
      if (publish) {
        ctx.pipeline().addBefore(ctx.name(), "aggregate", new WebSocketFrameAggregator(MAX_FRAME));
        ctx.pipeline().replace(this, "publisher", new PublisherHandler(viewers));
      } else {
        Viewer v = new Viewer(ctx.channel());
        viewers.add(v);
        ctx.pipeline().replace(this, "viewer", new ViewerHandler(viewers, v));
      }
    }
  }

  /** Hands every binary message to every viewer as a retained view of the same buffer. */
  private static final class PublisherHandler extends ChannelInboundHandlerAdapter {
    private final Set<Viewer> viewers;

    PublisherHandler(Set<Viewer> viewers) {
      this.viewers = viewers;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof BinaryWebSocketFrame) {
          ByteBuf frame = ((BinaryWebSocketFrame) msg).content();
          for (Viewer v : viewers) {
            v.offer(frame.retainedDuplicate());
          }
        } else if (msg instanceof CloseWebSocketFrame) {
          ctx.close();
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }
  }

  /** Ignores what a viewer sends except a close; forgets the viewer when its connection ends. */
  private static final class ViewerHandler extends ChannelInboundHandlerAdapter {
    private final Set<Viewer> viewers;
    private final Viewer viewer;

    ViewerHandler(Set<Viewer> viewers, Viewer viewer) {
      this.viewers = viewers;
      this.viewer = viewer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof CloseWebSocketFrame) {
        ctx.close();
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      viewers.remove(viewer);
      viewer.drop();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** One viewer: at most one frame in flight and one waiting; fields confined to the channel's event loop. */
  private static final class Viewer {
    private final Channel channel;
    private boolean inFlight;
    private ByteBuf waiting;

    Viewer(Channel channel) {
      this.channel = channel;
    }

    void offer(ByteBuf frame) {
      if (channel.eventLoop().inEventLoop()) {
        deliver(frame);
      } else {
        channel.eventLoop().execute(() -> deliver(frame));
      }
    }

    private void deliver(ByteBuf frame) {
      if (!channel.isActive()) {
        frame.release();
        return;
      }
      if (inFlight) {
        if (waiting != null) {
          waiting.release();
        }
        waiting = frame;
        return;
      }
      inFlight = true;
      channel.writeAndFlush(new BinaryWebSocketFrame(frame)).addListener(f -> {
        inFlight = false;
        ByteBuf next = waiting;
        waiting = null;
        if (next != null) {
          deliver(next);
        }
      });
    }

    void drop() {
      channel.eventLoop().execute(() -> {
        if (waiting != null) {
          waiting.release();
          waiting = null;
        }
      });
    }
  }
}
