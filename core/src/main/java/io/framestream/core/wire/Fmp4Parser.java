package io.framestream.core.wire;

import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameKind;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Splits a fragmented MP4 byte stream (ISO/IEC 14496-12) into its init segment ({@code ftyp} + {@code
 * moov}) and its fragments ({@code moof} + {@code mdat}, with any {@code styp}, {@code sidx}, {@code prft}
 * or {@code emsg} boxes that came before the {@code moof}). Top-level boxes are walked by their sizes;
 * other top-level boxes ({@code free}, {@code skip}, {@code mfra}, ...) are skipped without being
 * buffered, if their type is four letters or digits; any other type means the bytes are not MP4.
 *
 * <p>From the init segment it reads the first video track: its id, timescale ({@code mdhd}), dimensions
 * (the visual sample entry, else {@code tkhd}) and the RFC 6381 codec string of its sample entry ({@code
 * avc1}/{@code avc3} from {@code avcC}, {@code hvc1}/{@code hev1} from {@code hvcC}, {@code vp09} from
 * {@code vpcC}, {@code av01} from {@code av1C}), followed by those of any audio tracks ({@code mp4a.40.2}
 * from {@code esds}, {@code opus}, {@code flac}, {@code ac-3}, {@code ec-3}). From each fragment it reads that track's {@code traf}:
 * whether its first sample is a sync sample (the {@code sample_is_non_sync_sample} bit of {@code trun}'s
 * first-sample flags, else the sample's own flags, else {@code tfhd}'s or {@code trex}'s default sample
 * flags) and its duration (per-sample durations, else the {@code tfhd} or {@code trex} default).
 *
 * <p>Limits: an init segment larger than {@code maxInitBytes}, or a fragment larger than {@code
 * maxFragmentBytes}, is refused with a {@link FrameCodecException} before anything of its size is
 * allocated; so is anything that is not a well-formed box. A stream that ends inside a box gives an {@link
 * EOFException} that says so; one that ends between boxes, a plain {@link EOFException}. Every call reads
 * forward, so a call always ends.
 *
 * <h2>Thread safety</h2>
 *
 * Not thread-safe: one thread reads at a time.
 *
 * @since 0.1.0
 */
public final class Fmp4Parser {

  /** The default largest fragment: 16 MiB. */
  public static final int DEFAULT_MAX_FRAGMENT_BYTES = 16 * 1024 * 1024;
  /** The default largest init segment: 1 MiB. */
  public static final int DEFAULT_MAX_INIT_BYTES = 1024 * 1024;
  /** The smallest allowed init-segment limit: 64 KiB. */
  public static final int MIN_INIT_BYTES_LIMIT = 64 * 1024;
  /** The smallest allowed fragment limit: 64 KiB. */
  public static final int MIN_FRAGMENT_BYTES_LIMIT = 64 * 1024;
  /** The largest allowed value of either limit: 1 GiB. */
  public static final int MAX_BYTES_LIMIT = 1024 * 1024 * 1024;

  private static final int SKIP_CHUNK = 8192;
  /** Top-level boxes of other types are skipped when their type looks like one: four letters or digits. */
  private static final Pattern SKIPPABLE = Pattern.compile("[A-Za-z0-9]{4}");
  private static final int NON_SYNC_SAMPLE = 0x0001_0000;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final InputStream in;
  private final int maxInitBytes;
  private final int maxFragmentBytes;

  private long offset;
  private long peakAllocation;
  private long skippedBytes;
  private long segments;
  private byte[] pendingFtyp;
  private final List<byte[]> prefix = new ArrayList<>();
  private int prefixBytes;
  private Track track;

  /**
   * Creates a parser.
   *
   * @param in the stream, read from its current position; never closed by the parser
   * @param maxInitBytes the largest init segment, {@link #MIN_INIT_BYTES_LIMIT} to {@link #MAX_BYTES_LIMIT}
   * @param maxFragmentBytes the largest fragment, {@link #MIN_FRAGMENT_BYTES_LIMIT} to {@link
   *     #MAX_BYTES_LIMIT}
   * @throws IllegalArgumentException if a limit is out of range
   */
  public Fmp4Parser(InputStream in, int maxInitBytes, int maxFragmentBytes) {
    this.in = Objects.requireNonNull(in, "in");
    this.maxInitBytes = checkLimit("maxInitBytes", maxInitBytes, MIN_INIT_BYTES_LIMIT);
    this.maxFragmentBytes = checkLimit("maxFragmentBytes", maxFragmentBytes, MIN_FRAGMENT_BYTES_LIMIT);
  }

  /**
   * Tells whether one fragment of a stream starts with a sync sample, reading its flags against the stream's
   * init segment (which may hold the default sample flags). For publishers and clients that receive
   * fragments one by one.
   *
   * @param init the stream's init segment ({@code ftyp} + {@code moov})
   * @param fragment one fragment ({@code moof} + {@code mdat}, optionally after {@code styp} and the like)
   * @return {@link FrameKind#KEY} or {@link FrameKind#DELTA}, or empty if the bytes cannot be read as such
   */
  public static java.util.Optional<FrameKind> fragmentKind(byte[] init, java.nio.ByteBuffer fragment) {
    byte[] tail = new byte[fragment.remaining()];
    fragment.duplicate().get(tail);
    InputStream both = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(init),
        new java.io.ByteArrayInputStream(tail));
    try {
      Fmp4Parser parser = new Fmp4Parser(both, Math.max(MIN_INIT_BYTES_LIMIT, init.length),
          Math.max(MIN_FRAGMENT_BYTES_LIMIT, tail.length));
      if (parser.next().kind() != FrameKind.INIT) {
        return java.util.Optional.empty();
      }
      FrameKind kind = parser.next().kind();
      return kind == FrameKind.INIT ? java.util.Optional.empty() : java.util.Optional.of(kind);
    } catch (IOException | RuntimeException e) {
      return java.util.Optional.empty();
    }
  }

  /**
   * Checks a size limit.
   *
   * @param name the limit's name, for the message
   * @param value the value
   * @param min the smallest allowed value
   * @return the value
   * @throws IllegalArgumentException if out of range
   */
  public static int checkLimit(String name, int value, int min) {
    if (value < min || value > MAX_BYTES_LIMIT) {
      throw new IllegalArgumentException(name + " must be " + min + ".." + MAX_BYTES_LIMIT + ", got " + value);
    }
    return value;
  }

  /**
   * One piece of the stream: an init segment or a fragment, its bytes exactly as they were in the stream.
   *
   * @param kind {@link FrameKind#INIT}, or {@link FrameKind#KEY} for a fragment whose first sample is a sync
   *     sample, else {@link FrameKind#DELTA}
   * @param bytes the boxes, byte for byte
   * @param durationNanos the fragment's duration in the video track, {@code 0} when unknown or for an init
   *     segment
   * @param track the video track of the init segment in force
   * @since 0.1.0
   */
  public record Segment(FrameKind kind, byte[] bytes, long durationNanos, Track track) {}

  /**
   * The video track described by an init segment.
   *
   * @param id the track id
   * @param timescale ticks per second of its media time, at least 1
   * @param width the picture width, {@code 0} if unknown
   * @param height the picture height, {@code 0} if unknown
   * @param codec the RFC 6381 codec string of the stream: the video track's, such as {@code avc1.42C01E},
   *     then those of any audio tracks, comma-separated ({@code avc1.42C01E,mp4a.40.2})
   * @param defaultDuration the {@code trex} default sample duration in ticks
   * @param defaultFlags the {@code trex} default sample flags
   * @since 0.1.0
   */
  public record Track(long id, long timescale, int width, int height, String codec, long defaultDuration,
      int defaultFlags) {}

  /**
   * Reads up to the end of the next init segment or fragment.
   *
   * @return the segment
   * @throws EOFException at the end of the stream; its message says whether it ended inside a box
   * @throws FrameCodecException if the bytes are not a fragmented MP4 this parser understands, or over a
   *     limit
   * @throws IOException if reading fails
   */
  public Segment next() throws IOException {
    while (true) {
      long at = offset;
      Header h = readHeader();
      if (h == null) {
        throw new EOFException("end of the fragmented MP4 stream at offset " + at);
      }
      switch (h.type) {
        case "ftyp":
          requireAtMost(h, maxInitBytes, "maxInitBytes");
          pendingFtyp = readBox(h);
          break;
        case "moov":
          return initSegment(h);
        case "styp":
        case "sidx":
        case "prft":
        case "emsg":
          requireAtMost(h, (long) maxFragmentBytes - prefixBytes, "maxFragmentBytes");
          byte[] box = readBox(h);
          prefix.add(box);
          prefixBytes += box.length;
          break;
        case "moof":
          return fragment(h);
        case "mdat":
          throw new FrameCodecException("'mdat' at offset " + h.offset
              + " without a 'moof' before it: not a fragmented MP4 (write it with ffmpeg -movflags"
              + " frag_keyframe+empty_moov+default_base_moof)");
        default:
          if (!SKIPPABLE.matcher(h.type).matches()) {
            throw new FrameCodecException("not a fragmented MP4 stream: unknown top-level box type '" + h.type
                + "' at offset " + h.offset);
          }
          skip(h);
      }
    }
  }

  private Segment initSegment(Header moov) throws IOException {
    int ftypBytes = pendingFtyp == null ? 0 : pendingFtyp.length;
    requireAtMost(moov, (long) maxInitBytes - ftypBytes, "maxInitBytes");
    byte[] bytes = allocate(ftypBytes + (int) moov.size);
    if (ftypBytes > 0) {
      System.arraycopy(pendingFtyp, 0, bytes, 0, ftypBytes);
    }
    readInto(moov, bytes, ftypBytes);
    pendingFtyp = null;
    prefix.clear();
    prefixBytes = 0;
    track = Moov.parse(new Buf(bytes, moov.offset - ftypBytes), ftypBytes, bytes.length);
    segments++;
    return new Segment(FrameKind.INIT, bytes, 0, track);
  }

  private Segment fragment(Header moof) throws IOException {
    if (track == null) {
      throw new FrameCodecException("'moof' at offset " + moof.offset
          + " before any init segment ('moov'): the stream must start with ftyp+moov");
    }
    requireAtMost(moof, (long) maxFragmentBytes - prefixBytes, "maxFragmentBytes");
    byte[] moofBytes = readBox(moof);
    long mdatAt = offset;
    Header mdat = readHeader();
    if (mdat == null) {
      throw new EOFException("stream ended after the 'moof' at offset " + moof.offset + ", before its 'mdat'");
    }
    if (!mdat.type.equals("mdat")) {
      throw new FrameCodecException("'moof' at offset " + moof.offset + " is followed by '" + mdat.type
          + "' at offset " + mdatAt + "; expected 'mdat'");
    }
    requireAtMost(mdat, (long) maxFragmentBytes - prefixBytes - moofBytes.length, "maxFragmentBytes");
    byte[] bytes = allocate(prefixBytes + moofBytes.length + (int) mdat.size);
    int at = 0;
    for (byte[] p : prefix) {
      System.arraycopy(p, 0, bytes, at, p.length);
      at += p.length;
    }
    System.arraycopy(moofBytes, 0, bytes, at, moofBytes.length);
    at += moofBytes.length;
    prefix.clear();
    prefixBytes = 0;
    Moof.Info info = Moof.parse(new Buf(moofBytes, moof.offset), track);
    readInto(mdat, bytes, at);
    segments++;
    return new Segment(info.key ? FrameKind.KEY : FrameKind.DELTA, bytes, info.durationNanos(track), track);
  }

  /**
   * Returns the video track of the init segment in force.
   *
   * @return the track, or {@code null} before the first init segment
   */
  public Track track() {
    return track;
  }

  /**
   * Returns how many bytes have been read from the stream.
   *
   * @return the offset of the next byte
   */
  public long offset() {
    return offset;
  }

  /**
   * Returns the largest array this parser allocated for the stream's data.
   *
   * @return bytes
   */
  public long peakAllocationBytes() {
    return peakAllocation;
  }

  /**
   * Returns how many bytes of top-level boxes the parser skipped ({@code free}, {@code mfra}, unknown).
   *
   * @return bytes
   */
  public long skippedBytes() {
    return skippedBytes;
  }

  /**
   * Returns how many segments (init segments and fragments) were returned.
   *
   * @return the count
   */
  public long segments() {
    return segments;
  }

  // ---------------------------------------------------------------- stream reading

  private static final class Header {
    final String type;
    final long offset;
    final long size;
    final byte[] raw;

    Header(String type, long offset, long size, byte[] raw) {
      this.type = type;
      this.offset = offset;
      this.size = size;
      this.raw = raw;
    }
  }

  /** Reads a box header, or returns null at a clean end of the stream. */
  private Header readHeader() throws IOException {
    long at = offset;
    byte[] first = new byte[8];
    int n = in.readNBytes(first, 0, 8);
    offset += n;
    if (n == 0) {
      return null;
    }
    if (n < 8) {
      throw new EOFException("stream ended inside a box header at offset " + at + " (" + n + " of 8 bytes)");
    }
    String type = boxType(first, 4, at);
    long size = Buf.u32(first, 0);
    byte[] raw = first;
    if (size == 1) {
      raw = new byte[16];
      System.arraycopy(first, 0, raw, 0, 8);
      int m = in.readNBytes(raw, 8, 8);
      offset += m;
      if (m < 8) {
        throw new EOFException("stream ended inside the 64-bit size of box '" + type + "' at offset " + at);
      }
      size = Buf.u64(raw, 8);
      if (size < 16) {
        throw new FrameCodecException(
            "box '" + type + "' at offset " + at + " declares a 64-bit size of " + Long.toUnsignedString(size)
                + ", less than its 16-byte header");
      }
    } else if (size == 0) {
      throw new FrameCodecException("box '" + type + "' at offset " + at
          + " has size 0 (runs to the end of the file), which a fragmented stream cannot use");
    } else if (size < 8) {
      throw new FrameCodecException(
          "box '" + type + "' at offset " + at + " declares " + size + " bytes, less than its 8-byte header");
    }
    return new Header(type, at, size, raw);
  }

  /** Reads a four-character box type, refusing anything that is not printable ASCII. */
  static String boxType(byte[] b, int at, long streamOffset) {
    for (int i = at; i < at + 4; i++) {
      int c = b[i] & 0xFF;
      if (c < 0x20 || c > 0x7E) {
        throw new FrameCodecException(String.format(Locale.ROOT,
            "not an MP4 box at offset %d: type bytes %02X %02X %02X %02X are not printable ASCII",
            streamOffset, b[at], b[at + 1], b[at + 2], b[at + 3]));
      }
    }
    return new String(b, at, 4, StandardCharsets.US_ASCII);
  }

  private static void requireAtMost(Header h, long limit, String name) {
    if (h.size > limit) {
      throw new FrameCodecException("box '" + h.type + "' at offset " + h.offset + " declares "
          + Long.toUnsignedString(h.size) + " bytes, more than the " + Math.max(0, limit)
          + " bytes left under " + name);
    }
  }

  private byte[] allocate(int size) {
    peakAllocation = Math.max(peakAllocation, size);
    return new byte[size];
  }

  private byte[] readBox(Header h) throws IOException {
    byte[] bytes = allocate((int) h.size);
    readInto(h, bytes, 0);
    return bytes;
  }

  /** Copies the header and reads the body of {@code h} into {@code into} at {@code at}. */
  private void readInto(Header h, byte[] into, int at) throws IOException {
    System.arraycopy(h.raw, 0, into, at, h.raw.length);
    int body = (int) h.size - h.raw.length;
    int n = in.readNBytes(into, at + h.raw.length, body);
    offset += n;
    if (n < body) {
      throw truncated(h, n);
    }
  }

  private void skip(Header h) throws IOException {
    long left = h.size - h.raw.length;
    byte[] scratch = new byte[(int) Math.min(SKIP_CHUNK, Math.max(1, left))];
    while (left > 0) {
      int n = in.read(scratch, 0, (int) Math.min(scratch.length, left));
      if (n < 0) {
        throw truncated(h, h.size - h.raw.length - left);
      }
      left -= n;
      offset += n;
      skippedBytes += n;
    }
    skippedBytes += h.raw.length;
  }

  private static EOFException truncated(Header h, long got) {
    return new EOFException("stream ended inside box '" + h.type + "' at offset " + h.offset + ": it declares "
        + Long.toUnsignedString(h.size) + " bytes, the stream had " + (h.raw.length + got));
  }

  // ---------------------------------------------------------------- in-memory boxes

  /** A byte array holding boxes that start at stream offset {@code base}. */
  static final class Buf {
    final byte[] b;
    final long base;

    Buf(byte[] b, long base) {
      this.b = b;
      this.base = base;
    }

    static long u32(byte[] b, int at) {
      return ((b[at] & 0xFFL) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }

    static long u64(byte[] b, int at) {
      return (u32(b, at) << 32) | u32(b, at + 4);
    }

    /** A box inside this buffer: its type and where its body starts and the box ends. */
    record Box(String type, int start, int body, int end) {}

    /** Lists the boxes in {@code [from, to)}. */
    List<Box> children(int from, int to, String parent) {
      List<Box> out = new ArrayList<>();
      int at = from;
      while (at < to) {
        if (to - at < 8) {
          throw malformed(at, (to - at) + " stray bytes at the end of '" + parent + "'");
        }
        String type = boxType(b, at + 4, base + at);
        long size = u32(b, at);
        int header = 8;
        if (size == 1) {
          if (to - at < 16) {
            throw malformed(at, "box '" + type + "' in '" + parent + "' is cut off in its 64-bit size");
          }
          size = u64(b, at + 8);
          header = 16;
        } else if (size == 0) {
          size = to - at;
        }
        if (size < header || size > to - at) {
          throw malformed(at, "box '" + type + "' in '" + parent + "' declares " + Long.toUnsignedString(size)
              + " bytes, but " + (to - at) + " are left in its parent");
        }
        out.add(new Box(type, at, at + header, at + (int) size));
        at += (int) size;
      }
      return out;
    }

    Box find(int from, int to, String parent, String type) {
      for (Box x : children(from, to, parent)) {
        if (x.type.equals(type)) {
          return x;
        }
      }
      return null;
    }

    Box require(Box parent, String type) {
      Box x = find(parent.body, parent.end, parent.type, type);
      if (x == null) {
        throw malformed(parent.start, "'" + parent.type + "' has no '" + type + "'");
      }
      return x;
    }

    /** Checks that {@code box} has at least {@code bytes} of body from its body start. */
    void need(Box box, int bytes) {
      if (box.end - box.body < bytes) {
        throw malformed(box.start, "box '" + box.type + "' is too short: " + (box.end - box.body)
            + " bytes of body, needs " + bytes);
      }
    }

    int u8(int at) {
      return b[at] & 0xFF;
    }

    int u16(int at) {
      return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    long u32(int at) {
      return u32(b, at);
    }

    long u64(int at) {
      return u64(b, at);
    }

    FrameCodecException malformed(int at, String what) {
      return new FrameCodecException("malformed MP4 at offset " + (base + at) + ": " + what);
    }
  }

  /** Reads the video track of a {@code moov}. */
  static final class Moov {
    private Moov() {}

    static Track parse(Buf buf, int moovStart, int moovEnd) {
      Buf.Box moov = buf.children(moovStart, moovEnd, "stream").get(0);
      Buf.Box mvex = buf.find(moov.body, moov.end, "moov", "mvex");
      if (mvex == null) {
        throw buf.malformed(moov.start, "'moov' has no 'mvex': not a fragmented MP4 (write it with ffmpeg"
            + " -movflags frag_keyframe+empty_moov+default_base_moof)");
      }
      List<String> handlers = new ArrayList<>();
      List<String> audio = new ArrayList<>();
      Track video = null;
      for (Buf.Box trak : buf.children(moov.body, moov.end, "moov")) {
        if (!trak.type().equals("trak")) {
          continue;
        }
        Buf.Box mdia = buf.require(trak, "mdia");
        Buf.Box hdlr = buf.require(mdia, "hdlr");
        buf.need(hdlr, 12);
        String handler = boxType(buf.b, hdlr.body() + 8, buf.base + hdlr.body() + 8);
        handlers.add(handler);
        if (handler.equals("vide") && video == null) {
          video = videoTrack(buf, trak, mdia, mvex);
        } else if (handler.equals("soun")) {
          audio.add(Codecs.audio(buf, firstSampleEntry(buf, mdia, "audio")));
        }
      }
      if (video == null) {
        throw buf.malformed(moov.start, "no video track in 'moov' (track handlers: " + handlers + ")");
      }
      if (audio.isEmpty()) {
        return video;
      }
      return new Track(video.id(), video.timescale(), video.width(), video.height(),
          video.codec() + "," + String.join(",", audio), video.defaultDuration(), video.defaultFlags());
    }

    static Buf.Box firstSampleEntry(Buf buf, Buf.Box mdia, String what) {
      Buf.Box stsd = buf.require(buf.require(buf.require(mdia, "minf"), "stbl"), "stsd");
      buf.need(stsd, 8);
      if (buf.u32(stsd.body() + 4) == 0) {
        throw buf.malformed(stsd.start(), "'stsd' of the " + what + " track has no sample entry");
      }
      return buf.children(stsd.body() + 8, stsd.end(), "stsd").get(0);
    }

    private static Track videoTrack(Buf buf, Buf.Box trak, Buf.Box mdia, Buf.Box mvex) {
      Buf.Box tkhd = buf.require(trak, "tkhd");
      boolean v1 = buf.u8(tkhd.body()) == 1;
      buf.need(tkhd, v1 ? 96 : 84);
      long id = buf.u32(tkhd.body() + (v1 ? 20 : 12));
      int tkhdWidth = (int) (buf.u32(tkhd.body() + (v1 ? 88 : 76)) >>> 16);
      int tkhdHeight = (int) (buf.u32(tkhd.body() + (v1 ? 92 : 80)) >>> 16);

      Buf.Box mdhd = buf.require(mdia, "mdhd");
      boolean mv1 = buf.u8(mdhd.body()) == 1;
      buf.need(mdhd, mv1 ? 24 : 16);
      long timescale = buf.u32(mdhd.body() + (mv1 ? 20 : 12));
      if (timescale == 0) {
        throw buf.malformed(mdhd.start(), "'mdhd' of track " + id + " has timescale 0");
      }

      Buf.Box entry = firstSampleEntry(buf, mdia, "video");
      buf.need(entry, 78);
      int width = buf.u16(entry.body() + 24);
      int height = buf.u16(entry.body() + 26);
      String codec = Codecs.of(buf, entry);

      long defaultDuration = 0;
      int defaultFlags = 0;
      for (Buf.Box trex : buf.children(mvex.body(), mvex.end(), "mvex")) {
        if (trex.type().equals("trex")) {
          buf.need(trex, 24);
          if (buf.u32(trex.body() + 4) == id) {
            defaultDuration = buf.u32(trex.body() + 12);
            defaultFlags = (int) buf.u32(trex.body() + 20);
          }
        }
      }
      return new Track(id, timescale, width > 0 ? width : tkhdWidth, height > 0 ? height : tkhdHeight, codec,
          defaultDuration, defaultFlags);
    }
  }

  /** RFC 6381 codec strings from sample entries. */
  private static final class Codecs {
    private Codecs() {}

    static String of(Buf buf, Buf.Box entry) {
      String type = entry.type();
      switch (type) {
        case "avc1":
        case "avc3":
          return avc(buf, config(buf, entry, "avcC"), type);
        case "hvc1":
        case "hev1":
          return hevc(buf, config(buf, entry, "hvcC"), type);
        case "vp09":
          return vp9(buf, config(buf, entry, "vpcC"));
        case "av01":
          return av1(buf, config(buf, entry, "av1C"));
        case "encv":
          throw buf.malformed(entry.start(), "encrypted video ('encv') is not supported");
        default:
          throw buf.malformed(entry.start(), "unsupported video sample entry '" + type
              + "' (supported: avc1, avc3, hvc1, hev1, vp09, av01)");
      }
    }

    /** The codec string of an audio sample entry. */
    static String audio(Buf buf, Buf.Box entry) {
      switch (entry.type()) {
        case "mp4a":
          return mp4a(buf, entry);
        case "Opus":
          return "opus";
        case "fLaC":
          return "flac";
        case "ac-3":
        case "ec-3":
          return entry.type();
        default:
          throw buf.malformed(entry.start(), "unsupported audio sample entry '" + entry.type()
              + "' (supported: mp4a, Opus, fLaC, ac-3, ec-3; or drop the audio, ffmpeg -an)");
      }
    }

    /** {@code mp4a.OTI[.AOT]} from the {@code esds} descriptors (ISO/IEC 14496-1, 8.3.3). */
    private static String mp4a(Buf buf, Buf.Box entry) {
      buf.need(entry, 28);
      int version = buf.u16(entry.body() + 8); // QuickTime sound sample description versions 1 and 2
      int skip = version == 1 ? 16 : version == 2 ? 36 : 0;
      Buf.Box esds = buf.find(Math.min(entry.end(), entry.body() + 28 + skip), entry.end(), "mp4a", "esds");
      if (esds == null) {
        throw buf.malformed(entry.start(), "sample entry 'mp4a' has no 'esds'");
      }
      int[] at = {esds.body() + 4};
      int end = esds.end();
      descriptor(buf, esds, at, end, 0x03);
      int flags = byteAt(buf, esds, at, end, 2);
      at[0] += 3 + ((flags & 0x80) != 0 ? 2 : 0); // ES_ID, flags, dependsOn_ES_ID
      if ((flags & 0x40) != 0) {
        at[0] += 1 + byteAt(buf, esds, at, end, 0); // URL
      }
      at[0] += (flags & 0x20) != 0 ? 2 : 0; // OCR_ES_Id
      int configEnd = descriptor(buf, esds, at, end, 0x04);
      int objectType = byteAt(buf, esds, at, end, 0);
      at[0] += 13;
      if (objectType != 0x40 || at[0] >= configEnd) {
        return String.format(Locale.ROOT, "mp4a.%02x", objectType);
      }
      descriptor(buf, esds, at, end, 0x05);
      int aot = byteAt(buf, esds, at, end, 0) >>> 3;
      if (aot == 31) {
        aot = 32 + (((byteAt(buf, esds, at, end, 0) & 0x07) << 3) | (byteAt(buf, esds, at, end, 1) >>> 5));
      }
      return "mp4a.40." + aot;
    }

    /** Reads a descriptor header of the expected tag at {@code at[0]}; leaves it at the body; returns its end. */
    private static int descriptor(Buf buf, Buf.Box esds, int[] at, int end, int tag) {
      int found = byteAt(buf, esds, at, end, 0);
      if (found != tag) {
        throw buf.malformed(at[0], String.format(Locale.ROOT,
            "'esds' has descriptor tag 0x%02X where 0x%02X was expected", found, tag));
      }
      at[0]++;
      int length = 0;
      for (int i = 0; i < 4; i++) {
        int b = byteAt(buf, esds, at, end, 0);
        at[0]++;
        length = (length << 7) | (b & 0x7F);
        if ((b & 0x80) == 0) {
          break;
        }
      }
      return at[0] + length;
    }

    private static int byteAt(Buf buf, Buf.Box esds, int[] at, int end, int plus) {
      if (at[0] + plus >= end) {
        throw buf.malformed(esds.start(), "'esds' is cut short");
      }
      return buf.u8(at[0] + plus);
    }

    private static Buf.Box config(Buf buf, Buf.Box entry, String type) {
      Buf.Box c = buf.find(entry.body() + 78, entry.end(), entry.type(), type);
      if (c == null) {
        throw buf.malformed(entry.start(), "sample entry '" + entry.type() + "' has no '" + type + "'");
      }
      return c;
    }

    private static String avc(Buf buf, Buf.Box avcc, String type) {
      buf.need(avcc, 4);
      int at = avcc.body();
      if (buf.u8(at) != 1) {
        throw buf.malformed(avcc.start(), "'avcC' configurationVersion is " + buf.u8(at) + ", expected 1");
      }
      return String.format(Locale.ROOT, "%s.%02X%02X%02X", type, buf.u8(at + 1), buf.u8(at + 2), buf.u8(at + 3));
    }

    private static String hevc(Buf buf, Buf.Box hvcc, String type) {
      buf.need(hvcc, 13);
      int at = hvcc.body();
      int general = buf.u8(at + 1);
      int space = general >>> 6;
      boolean highTier = (general & 0x20) != 0;
      int profile = general & 0x1F;
      int compatibility = Integer.reverse((int) buf.u32(at + 2));
      StringBuilder s = new StringBuilder(type).append('.');
      if (space > 0) {
        s.append((char) ('A' + space - 1));
      }
      s.append(profile).append('.').append(Integer.toHexString(compatibility).toUpperCase(Locale.ROOT));
      s.append('.').append(highTier ? 'H' : 'L').append(buf.u8(at + 12));
      int last = 5;
      while (last >= 0 && buf.u8(at + 6 + last) == 0) {
        last--;
      }
      for (int i = 0; i <= last; i++) {
        s.append('.').append(String.format(Locale.ROOT, "%02X", buf.u8(at + 6 + i)));
      }
      return s.toString();
    }

    private static String vp9(Buf buf, Buf.Box vpcc) {
      buf.need(vpcc, 7);
      int at = vpcc.body() + 4; // full box: version and flags
      return String.format(Locale.ROOT, "vp09.%02d.%02d.%02d", buf.u8(at), buf.u8(at + 1), buf.u8(at + 2) >>> 4);
    }

    private static String av1(Buf buf, Buf.Box av1c) {
      buf.need(av1c, 3);
      int at = av1c.body();
      int profile = buf.u8(at + 1) >>> 5;
      int level = buf.u8(at + 1) & 0x1F;
      int flags = buf.u8(at + 2);
      boolean tier = (flags & 0x80) != 0;
      int depth = (flags & 0x40) == 0 ? 8 : (flags & 0x20) != 0 ? 12 : 10;
      return String.format(Locale.ROOT, "av01.%d.%02d%c.%02d", profile, level, tier ? 'H' : 'M', depth);
    }
  }

  /** Reads the sync flag and duration of the video track's {@code traf} in a {@code moof}. */
  private static final class Moof {
    private Moof() {}

    /** What a fragment says about the video track: first sample sync or not, duration in ticks. */
    record Info(boolean key, long ticks) {
      long durationNanos(Track t) {
        if (ticks <= 0) {
          return 0;
        }
        if (ticks > Long.MAX_VALUE / NANOS_PER_SECOND) {
          return Long.MAX_VALUE / t.timescale();
        }
        return ticks * NANOS_PER_SECOND / t.timescale();
      }
    }

    static Info parse(Buf buf, Track track) {
      Buf.Box moof = buf.children(0, buf.b.length, "stream").get(0);
      List<Long> seen = new ArrayList<>();
      for (Buf.Box traf : buf.children(moof.body(), moof.end(), "moof")) {
        if (!traf.type().equals("traf")) {
          continue;
        }
        Buf.Box tfhd = buf.require(traf, "tfhd");
        buf.need(tfhd, 8);
        long id = buf.u32(tfhd.body() + 4);
        if (id == track.id()) {
          return traf(buf, traf, tfhd, track);
        }
        seen.add(id);
      }
      throw buf.malformed(moof.start(), "'moof' has no 'traf' for video track " + track.id()
          + " (track fragments for " + seen + ")");
    }

    private static Info traf(Buf buf, Buf.Box traf, Buf.Box tfhd, Track track) {
      int flags = (int) (buf.u32(tfhd.body()) & 0xFFFFFF);
      int at = tfhd.body() + 8;
      int need = 8 + ((flags & 0x01) != 0 ? 8 : 0) + ((flags & 0x02) != 0 ? 4 : 0) + ((flags & 0x08) != 0 ? 4 : 0)
          + ((flags & 0x10) != 0 ? 4 : 0) + ((flags & 0x20) != 0 ? 4 : 0);
      buf.need(tfhd, need);
      at += (flags & 0x01) != 0 ? 8 : 0;
      at += (flags & 0x02) != 0 ? 4 : 0;
      long defaultDuration = track.defaultDuration();
      if ((flags & 0x08) != 0) {
        defaultDuration = buf.u32(at);
        at += 4;
      }
      at += (flags & 0x10) != 0 ? 4 : 0;
      int defaultFlags = track.defaultFlags();
      if ((flags & 0x20) != 0) {
        defaultFlags = (int) buf.u32(at);
      }

      Boolean key = null;
      long ticks = 0;
      for (Buf.Box trun : buf.children(traf.body(), traf.end(), "traf")) {
        if (!trun.type().equals("trun")) {
          continue;
        }
        buf.need(trun, 8);
        int tf = (int) (buf.u32(trun.body()) & 0xFFFFFF);
        long count = buf.u32(trun.body() + 4);
        int p = trun.body() + 8 + ((tf & 0x01) != 0 ? 4 : 0);
        int firstFlags = defaultFlags;
        boolean hasFirstFlags = (tf & 0x04) != 0;
        if (hasFirstFlags) {
          buf.need(trun, p + 4 - trun.body());
          firstFlags = (int) buf.u32(p);
          p += 4;
        }
        int perSample = Integer.bitCount(tf & 0xF00) * 4;
        if (p > trun.end() || (perSample > 0 && count > (trun.end() - p) / perSample)) {
          throw buf.malformed(trun.start(), "'trun' declares " + count + " samples of " + perSample
              + " bytes, more than its " + Math.max(0, trun.end() - p) + " bytes of sample table");
        }
        if ((tf & 0x100) == 0) {
          ticks = saturatedAdd(ticks, saturatedMultiply(count, defaultDuration));
        }
        for (long i = 0; i < count && perSample > 0; i++, p += perSample) {
          int q = p;
          if ((tf & 0x100) != 0) {
            ticks = saturatedAdd(ticks, buf.u32(q));
            q += 4;
          }
          q += (tf & 0x200) != 0 ? 4 : 0;
          if (i == 0 && key == null) {
            int sampleFlags = hasFirstFlags ? firstFlags : (tf & 0x400) != 0 ? (int) buf.u32(q) : defaultFlags;
            key = (sampleFlags & NON_SYNC_SAMPLE) == 0;
          }
        }
        if (count > 0 && key == null) {
          key = (firstFlags & NON_SYNC_SAMPLE) == 0;
        }
      }
      return new Info(key != null && key, ticks);
    }

    private static long saturatedAdd(long a, long b) {
      long r = a + b;
      return r < 0 ? Long.MAX_VALUE : r;
    }

    private static long saturatedMultiply(long a, long b) {
      return b != 0 && a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
    }
  }
}
