package io.framestream.core;

/**
 * Small image frames for tests (shared through core's test jar): a JPEG start marker, a number to tell them
 * apart, and zero padding to the size asked for.
 */
public final class ImageFrames {

  private ImageFrames() {}

  /**
   * Returns the bytes of a numbered image.
   *
   * @param n the number, stored in the fourth byte
   * @param size the length, at least 4
   * @return the bytes
   */
  public static byte[] jpeg(int n, int size) {
    byte[] b = new byte[size];
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xD8;
    b[2] = (byte) 0xFF;
    b[3] = (byte) n;
    return b;
  }

  /**
   * Returns a numbered {@code image/jpeg} frame.
   *
   * @param n the number
   * @param size the payload length, at least 4
   * @return the frame
   */
  public static Frame image(long n, int size) {
    return Frame.of("image/jpeg", jpeg((int) n, size));
  }
}
