package io.framestream.core.wire;

import io.framestream.core.FrameCodecException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads what a WebCodecs {@code VideoDecoder} needs from a fragmented MP4 stream: the decoder configuration
 * of the first video track from its init segment (codec string, coded size and the codec's configuration
 * record, such as {@code avcC}, as the decoder's {@code description}), and the samples of each fragment
 * ({@code moof} + {@code mdat}) with their sync flag, presentation time and duration, located in the
 * fragment's bytes. The sample data is what the {@code mdat} holds: for H.264 and HEVC, length-prefixed NAL
 * units, which a decoder configured with the description reads as they are.
 *
 * <p>Per sample, from the video track's {@code traf}: the decode time starts at {@code tfdt}'s
 * {@code baseMediaDecodeTime} (0 without a {@code tfdt}) and adds each sample's duration; the presentation
 * time adds the sample's composition offset ({@code trun} version 1: signed). Durations, sizes and flags
 * come from {@code trun}, else {@code tfhd}'s defaults, else {@code trex}'s; the first sample's flags from
 * {@code trun}'s {@code first_sample_flags} when present. Data offsets count from the {@code moof}'s first
 * byte (ffmpeg's {@code default_base_moof}, and the rule for a fragment's first {@code traf} without a base
 * offset); a later {@code trun} without an offset continues where the previous one ended. A {@code tfhd}
 * with an explicit {@code base_data_offset} (a file offset, meaningless for a fragment on its own) is
 * refused.
 *
 * <p>Limits: every size and count is checked against the box that declares it and every sample against the
 * {@code mdat}'s body before anything of that size is allocated; only the {@code moof} is copied, the
 * sample data is located, never copied. Malformed input fails with a {@link FrameCodecException} that says
 * what and where.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless: the static methods may be called from any thread; the records are immutable (the description
 * array is copied on the way in and out).
 *
 * @since 0.4.0
 */
public final class Fmp4Chunks {

  /**
   * The most samples one fragment may list (the chunk stream's sample count is 16 bits): checked against
   * each {@code trun}'s declared count before any sample is read, so a crafted count of empty samples never
   * makes a large list.
   */
  public static final int MAX_SAMPLES_PER_FRAGMENT = 0xFFFF;
  private static final int NON_SYNC_SAMPLE = 0x0001_0000;
  private static final long MICROS_PER_SECOND = 1_000_000L;

  private Fmp4Chunks() {}

  /**
   * What a video decoder is configured with, read from an init segment.
   *
   * @param codec the RFC 6381 codec string of the video track alone, such as {@code avc1.64001F}
   * @param width the coded width in pixels, {@code 0} if unknown
   * @param height the coded height in pixels, {@code 0} if unknown
   * @param description the codec configuration record's body ({@code avcC}, {@code hvcC} or {@code av1C}),
   *     empty for codecs that need none ({@code vp09})
   * @param track the video track (id, timescale, {@code trex} defaults) the fragments are read against
   * @since 0.4.0
   */
  public record DecoderConfig(String codec, int width, int height, byte[] description, Fmp4Parser.Track track) {

    /**
     * Copies the description.
     *
     * @param codec see the record
     * @param width see the record
     * @param height see the record
     * @param description see the record; copied
     * @param track see the record
     */
    public DecoderConfig {
      description = description.clone();
    }

    /**
     * Returns a copy of the description.
     *
     * @return the codec configuration record's body, a fresh copy
     */
    @Override
    public byte[] description() {
      return description.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof DecoderConfig d && codec.equals(d.codec) && width == d.width && height == d.height
          && Arrays.equals(description, d.description) && track.equals(d.track);
    }

    @Override
    public int hashCode() {
      return codec.hashCode() * 31 + Arrays.hashCode(description);
    }

    @Override
    public String toString() {
      return "DecoderConfig[" + codec + " " + width + "x" + height + ", description " + description.length
          + " bytes, track " + track.id() + "]";
    }
  }

  /**
   * One sample of the video track in a fragment.
   *
   * @param key whether it is a sync sample (a key frame)
   * @param timestampMicros its presentation time in microseconds of media time
   * @param durationMicros its duration in microseconds, {@code 0} if unknown
   * @param offset where its data starts, counted from the start of the fragment's bytes
   * @param length how many bytes of data it has
   * @since 0.4.0
   */
  public record Sample(boolean key, long timestampMicros, long durationMicros, int offset, int length) {}

  /**
   * Reads the decoder configuration of the first video track of an init segment.
   *
   * @param init the init segment ({@code ftyp} + {@code moov}), as {@link Fmp4Parser} returns it
   * @return the configuration
   * @throws FrameCodecException if it is not an init segment the parser accepts (rule F3)
   */
  public static DecoderConfig decoderConfig(byte[] init) {
    Fmp4Parser.Buf buf = new Fmp4Parser.Buf(init, 0);
    Fmp4Parser.Buf.Box moov = buf.find(0, init.length, "init segment", "moov");
    if (moov == null) {
      throw buf.malformed(0, "no 'moov' in the init segment");
    }
    Fmp4Parser.Track track = Fmp4Parser.Moov.parse(buf, moov.start(), moov.end());
    for (Fmp4Parser.Buf.Box trak : buf.children(moov.body(), moov.end(), "moov")) {
      if (!trak.type().equals("trak")) {
        continue;
      }
      Fmp4Parser.Buf.Box mdia = buf.require(trak, "mdia");
      Fmp4Parser.Buf.Box hdlr = buf.require(mdia, "hdlr");
      if (!Fmp4Parser.boxType(buf.b, hdlr.body() + 8, hdlr.body() + 8).equals("vide")) {
        continue;
      }
      Fmp4Parser.Buf.Box entry = Fmp4Parser.Moov.firstSampleEntry(buf, mdia, "video");
      String configType = switch (entry.type()) {
        case "avc1", "avc3" -> "avcC";
        case "hvc1", "hev1" -> "hvcC";
        case "av01" -> "av1C";
        default -> null;
      };
      byte[] description = new byte[0];
      if (configType != null) {
        Fmp4Parser.Buf.Box config = buf.find(entry.body() + 78, entry.end(), entry.type(), configType);
        if (config != null) {
          description = Arrays.copyOfRange(init, config.body(), config.end());
        }
      }
      String codec = track.codec();
      int comma = codec.indexOf(',');
      return new DecoderConfig(comma < 0 ? codec : codec.substring(0, comma), track.width(), track.height(),
          description, track);
    }
    throw buf.malformed(moov.start(), "no video track in 'moov'");
  }

  /**
   * Lists the samples of the video track in one fragment.
   *
   * @param config the configuration of the fragment's stream
   * @param fragment the fragment's bytes ({@code moof} + {@code mdat}, optionally after {@code styp} and the
   *     like), from its position to its limit; not modified
   * @return the samples in decode order; offsets count from the buffer's position
   * @throws FrameCodecException if the fragment is malformed, has no {@code traf} for the video track, or a
   *     sample lies outside the {@code mdat}
   */
  public static List<Sample> samples(DecoderConfig config, ByteBuffer fragment) {
    ByteBuffer f = fragment.slice();
    int moofAt = -1;
    int moofSize = 0;
    int mdatBody = -1;
    int mdatEnd = -1;
    int at = 0;
    while (at + 8 <= f.limit()) {
      long size = f.getInt(at) & 0xFFFF_FFFFL;
      int header = 8;
      if (size == 1) {
        if (at + 16 > f.limit()) {
          break;
        }
        size = f.getLong(at + 8);
        header = 16;
      } else if (size == 0) {
        size = f.limit() - at;
      }
      if (size < header || size > f.limit() - at) {
        throw new FrameCodecException("malformed MP4 fragment at offset " + at + ": box declares " + size
            + " bytes, " + (f.limit() - at) + " are left");
      }
      String type = "" + (char) f.get(at + 4) + (char) f.get(at + 5) + (char) f.get(at + 6) + (char) f.get(at + 7);
      if (type.equals("moof") && moofAt < 0) {
        moofAt = at;
        moofSize = (int) size;
      } else if (type.equals("mdat") && moofAt >= 0 && mdatBody < 0) {
        mdatBody = at + header;
        mdatEnd = at + (int) size;
        break; // nothing after the fragment's mdat is read
      }
      at += (int) size;
    }
    if (moofAt < 0 || mdatBody < 0) {
      throw new FrameCodecException("not an MP4 fragment: " + (moofAt < 0 ? "no 'moof'" : "no 'mdat' after the 'moof'"));
    }
    byte[] moofBytes = new byte[moofSize];
    f.get(moofAt, moofBytes);
    Fmp4Parser.Buf buf = new Fmp4Parser.Buf(moofBytes, moofAt);
    Fmp4Parser.Buf.Box moof = buf.children(0, moofBytes.length, "fragment").get(0);
    Fmp4Parser.Track track = config.track();
    for (Fmp4Parser.Buf.Box traf : buf.children(moof.body(), moof.end(), "moof")) {
      if (!traf.type().equals("traf")) {
        continue;
      }
      Fmp4Parser.Buf.Box tfhd = buf.require(traf, "tfhd");
      buf.need(tfhd, 8);
      if (buf.u32(tfhd.body() + 4) == track.id()) {
        return new TrafReader(buf, traf, tfhd, track, moofAt, mdatBody, mdatEnd).read();
      }
    }
    throw buf.malformed(moof.start(), "'moof' has no 'traf' for video track " + track.id());
  }

  /** Converts media ticks to microseconds without overflow for any tick count below 2^63. */
  static long micros(long ticks, long timescale) {
    return ticks / timescale * MICROS_PER_SECOND + ticks % timescale * MICROS_PER_SECOND / timescale;
  }

  /** Walks one {@code traf}'s {@code tfdt} and {@code trun}s. */
  private static final class TrafReader {
    private final Fmp4Parser.Buf buf;
    private final Fmp4Parser.Buf.Box traf;
    private final Fmp4Parser.Track track;
    private final int moofAt;
    private final int mdatBody;
    private final int mdatEnd;
    private long defaultDuration;
    private long defaultSize;
    private int defaultFlags;

    TrafReader(Fmp4Parser.Buf buf, Fmp4Parser.Buf.Box traf, Fmp4Parser.Buf.Box tfhd, Fmp4Parser.Track track,
        int moofAt, int mdatBody, int mdatEnd) {
      this.buf = buf;
      this.traf = traf;
      this.track = track;
      this.moofAt = moofAt;
      this.mdatBody = mdatBody;
      this.mdatEnd = mdatEnd;
      int flags = (int) (buf.u32(tfhd.body()) & 0xFFFFFF);
      if ((flags & 0x01) != 0) {
        throw buf.malformed(tfhd.start(), "'tfhd' has an explicit base_data_offset (a file offset); write the"
            + " stream with ffmpeg -movflags default_base_moof");
      }
      int need = 8 + ((flags & 0x02) != 0 ? 4 : 0) + ((flags & 0x08) != 0 ? 4 : 0) + ((flags & 0x10) != 0 ? 4 : 0)
          + ((flags & 0x20) != 0 ? 4 : 0);
      buf.need(tfhd, need);
      int p = tfhd.body() + 8 + ((flags & 0x02) != 0 ? 4 : 0);
      defaultDuration = track.defaultDuration();
      defaultFlags = track.defaultFlags();
      if ((flags & 0x08) != 0) {
        defaultDuration = buf.u32(p);
        p += 4;
      }
      if ((flags & 0x10) != 0) {
        defaultSize = buf.u32(p);
        p += 4;
      }
      if ((flags & 0x20) != 0) {
        defaultFlags = (int) buf.u32(p);
      }
    }

    List<Sample> read() {
      long decodeTime = 0;
      Fmp4Parser.Buf.Box tfdt = buf.find(traf.body(), traf.end(), "traf", "tfdt");
      if (tfdt != null) {
        buf.need(tfdt, 8);
        boolean v1 = buf.u8(tfdt.body()) == 1;
        if (v1) {
          buf.need(tfdt, 12);
        }
        decodeTime = v1 ? buf.u64(tfdt.body() + 4) : buf.u32(tfdt.body() + 4);
        if (decodeTime < 0) {
          throw buf.malformed(tfdt.start(), "'tfdt' base media decode time over 2^63");
        }
      }
      List<Sample> out = new ArrayList<>();
      long dataAt = moofAt; // the moof's first byte, in fragment offsets
      for (Fmp4Parser.Buf.Box trun : buf.children(traf.body(), traf.end(), "traf")) {
        if (!trun.type().equals("trun")) {
          continue;
        }
        buf.need(trun, 8);
        boolean v1 = buf.u8(trun.body()) == 1;
        int tf = (int) (buf.u32(trun.body()) & 0xFFFFFF);
        long count = buf.u32(trun.body() + 4);
        // The optional data offset and first-sample flags, then the sample table.
        int dataOffsetAt = (tf & 0x01) != 0 ? trun.body() + 8 : -1;
        int firstFlagsAt = (tf & 0x04) != 0 ? trun.body() + 8 + (dataOffsetAt < 0 ? 0 : 4) : -1;
        int p = trun.body() + 8 + Integer.bitCount(tf & 0x05) * 4;
        buf.need(trun, p - trun.body());
        if (dataOffsetAt >= 0) {
          dataAt = moofAt + (long) (int) buf.u32(dataOffsetAt);
        }
        boolean hasFirstFlags = firstFlagsAt >= 0;
        int firstFlags = hasFirstFlags ? (int) buf.u32(firstFlagsAt) : 0;
        int perSample = Integer.bitCount(tf & 0xF00) * 4;
        long room = Math.max(0, trun.end() - p);
        if (perSample > 0 ? count > room / perSample : count > mdatEnd - mdatBody) {
          throw buf.malformed(trun.start(), "'trun' declares " + count + " samples of " + perSample
              + " bytes, more than its " + room + " bytes of sample table");
        }
        if (count > MAX_SAMPLES_PER_FRAGMENT - out.size()) {
          throw buf.malformed(trun.start(), "more than " + MAX_SAMPLES_PER_FRAGMENT + " samples in one fragment");
        }
        for (long i = 0; i < count; i++) {
          long duration = defaultDuration;
          long size = defaultSize;
          int flags = defaultFlags;
          long offset = 0;
          if ((tf & 0x100) != 0) {
            duration = buf.u32(p);
            p += 4;
          }
          if ((tf & 0x200) != 0) {
            size = buf.u32(p);
            p += 4;
          }
          if ((tf & 0x400) != 0) {
            flags = (int) buf.u32(p);
            p += 4;
          }
          if ((tf & 0x800) != 0) {
            offset = v1 ? (int) buf.u32(p) : buf.u32(p);
            p += 4;
          }
          if (i == 0 && hasFirstFlags) {
            flags = firstFlags;
          }
          if (dataAt < mdatBody || size > mdatEnd - dataAt) {
            throw buf.malformed(trun.start(), "sample " + i + " of 'trun' (" + size + " bytes at fragment offset "
                + dataAt + ") lies outside the 'mdat' body [" + mdatBody + ", " + mdatEnd + ")");
          }
          long pts = Math.max(0, decodeTime + offset);
          out.add(new Sample((flags & NON_SYNC_SAMPLE) == 0, micros(pts, track.timescale()),
              micros(duration, track.timescale()), (int) dataAt, (int) size));
          dataAt += size;
          decodeTime += duration;
          if (decodeTime < 0) {
            throw buf.malformed(trun.start(), "decode time over 2^63");
          }
        }
      }
      return out;
    }
  }
}
