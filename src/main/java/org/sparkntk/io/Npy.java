package org.sparkntk.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files of float64 little-endian C-order arrays, the format every array output
 * uses ({@code np.load} reads it), and int64 ones for row indices (written only). Format: NEP 1,
 * "A simple file format for NumPy arrays".
 *
 * <p>Reading is defensive: only {@code '<f8'}, C order, non-negative shape, and a file whose size
 * is exactly header + 8 × product(shape), checked before any allocation; object (pickled) arrays
 * and every other dtype are refused with the file name in the message.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
  /** Largest header we accept; numpy's own limit for version 1 headers is 64 KiB. */
  private static final int MAX_HEADER = 1 << 16;

  private Npy() {}

  /** A float64 array and its shape. */
  public record Array(long[] shape, double[] data) {
    public int dim(int axis) {
      return Math.toIntExact(shape[axis]);
    }
  }

  /** Writes {@code data} with the given shape as a version 1.0 {@code <f8} file. */
  public static void write(Path file, double[] data, long... shape) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      write(ch, file.toString(), data, shape);
    }
  }

  /** Writes the .npy bytes of {@code data} to {@code ch} (named {@code name} in errors); leaves it open. */
  public static void write(WritableByteChannel ch, String name, double[] data, long... shape) throws IOException {
    checkCount(name, data.length, shape);
    writeFully(ch, ByteBuffer.wrap(header(FLOAT64, shape)));
    ByteBuffer body = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : data) {
      if (!body.hasRemaining()) {
        body.flip();
        writeFully(ch, body);
        body.clear();
      }
      body.putDouble(v);
    }
    body.flip();
    writeFully(ch, body);
  }

  /** Writes {@code data} with the given shape as a version 1.0 {@code <i8} (int64 little-endian) file. */
  public static void write(Path file, long[] data, long... shape) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      writeFully(ch, ByteBuffer.wrap(bytes(data, shape)));
    }
  }

  /** The dtype of float64 little-endian entries. */
  public static final String FLOAT64 = "<f8";
  /** The dtype of float32 little-endian entries (kernel blocks stored in kernel.precision = float32). */
  public static final String FLOAT32 = "<f4";
  /** The dtype of int64 little-endian entries (row indices, such as the Nyström centres). */
  public static final String INT64 = "<i8";

  /**
   * The complete .npy bytes (header and data) of {@code data} as {@code <f4}: a float32 kernel
   * block as the executors store it.
   */
  public static byte[] bytes(float[] data, long... shape) {
    return bytes(FLOAT32, "float32 array", 4, data.length, shape, buf -> buf.asFloatBuffer().put(data));
  }

  /** The complete .npy bytes (header and data) of {@code data} as {@code <f8}. */
  public static byte[] bytes(double[] data, long... shape) {
    return bytes(FLOAT64, "float64 array", 8, data.length, shape, buf -> buf.asDoubleBuffer().put(data));
  }

  /** The complete .npy bytes (header and data) of {@code data} as {@code <i8}. */
  public static byte[] bytes(long[] data, long... shape) {
    return bytes(INT64, "int64 array", 8, data.length, shape, buf -> buf.asLongBuffer().put(data));
  }

  /** The header of {@code descr} and {@code shape}, then {@code length} entries of {@code size} bytes each. */
  private static byte[] bytes(String descr, String name, int size, int length, long[] shape,
                              Consumer<ByteBuffer> body) {
    checkCount(name, length, shape);
    byte[] head = header(descr, shape);
    ByteBuffer buf = ByteBuffer.allocate(Math.addExact(head.length, Math.multiplyExact(size, length)))
        .order(ByteOrder.LITTLE_ENDIAN);
    buf.put(head);
    body.accept(buf);
    return buf.array();
  }

  /**
   * The version 1.0 header this class writes for a C-order array of {@code descr} and
   * {@code shape}: magic, version, length and the dictionary padded with spaces so that the data
   * start at a multiple of 64 bytes. It is a function of dtype and shape only, so a reader that
   * knows both can check a file it wrote byte for byte.
   */
  public static byte[] header(String descr, long... shape) {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      dims.append(d).append(", ");
    }
    String shapeText = shape.length == 1 ? "(" + shape[0] + ",)"
        : "(" + (shape.length == 0 ? "" : dims.substring(0, dims.length() - 2)) + ")";
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
    // Header (magic + version + length + dict + padding + '\n') is padded to a multiple of 64.
    int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
    int padding = (64 - unpadded % 64) % 64;
    String header = dict + " ".repeat(padding) + "\n";
    ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 4 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
    head.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
    head.put(header.getBytes(StandardCharsets.US_ASCII));
    return head.array();
  }

  private static void checkCount(String name, long length, long... shape) {
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    if (count != length) {
      throw new IllegalArgumentException("npy " + name + ": shape " + Arrays.toString(shape)
          + " holds " + count + " values but " + length + " were given");
    }
  }

  private static void writeFully(WritableByteChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** Reads a {@code <f8} C-order array; anything else is refused with a message naming the file. */
  public static Array read(Path file) throws IOException {
    long fileSize = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, fileSize, file);
    }
  }

  /** {@link #read(Path)} of {@code fileSize} bytes from {@code in}; {@code file} names it in messages. */
  public static Array read(InputStream in, long fileSize, Object file) throws IOException {
    {
      byte[] prefix = in.readNBytes(MAGIC.length + 2);
      if (prefix.length < MAGIC.length + 2 || !Arrays.equals(Arrays.copyOf(prefix, MAGIC.length), MAGIC)) {
        throw bad(file, "not a .npy file (the magic string \\x93NUMPY is missing)");
      }
      int major = prefix[MAGIC.length];
      int headerLength;
      int lengthBytes;
      if (major == 1) {
        lengthBytes = 2;
        byte[] len = in.readNBytes(2);
        if (len.length < 2) {
          throw bad(file, "truncated header");
        }
        headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
      } else if (major == 2 || major == 3) {
        lengthBytes = 4;
        byte[] len = in.readNBytes(4);
        if (len.length < 4) {
          throw bad(file, "truncated header");
        }
        long l = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        if (l > MAX_HEADER) {
          throw bad(file, "header of " + l + " bytes is larger than the " + MAX_HEADER + " accepted");
        }
        headerLength = (int) l;
      } else {
        throw bad(file, "unsupported .npy format version " + major);
      }
      byte[] headerBytes = in.readNBytes(headerLength);
      if (headerBytes.length < headerLength) {
        throw bad(file, "truncated header");
      }
      String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
      String descr = group(file, DESCR, header, "descr");
      if (!descr.equals("<f8")) {
        throw bad(file, "dtype '" + descr + "' is not supported: expected float64 little-endian '<f8'"
            + (descr.contains("O") ? " (object arrays would need pickle, which is never loaded)" : ""));
      }
      if (group(file, FORTRAN, header, "fortran_order").equals("True")) {
        throw bad(file, "Fortran-order arrays are not supported: save with np.ascontiguousarray");
      }
      long[] shape = parseShape(file, group(file, SHAPE, header, "shape"));
      long dataOffset = MAGIC.length + 2 + lengthBytes + headerLength;
      long count = 1;
      long expected;
      try {
        for (long d : shape) {
          count = Math.multiplyExact(count, d);
        }
        expected = Math.addExact(dataOffset, Math.multiplyExact(8L, count));
      } catch (ArithmeticException e) {
        throw bad(file, "shape " + Arrays.toString(shape) + " is too large: its size in bytes overflows a long, "
            + "and the file has " + fileSize);
      }
      if (fileSize != expected) {
        throw bad(file, "shape " + Arrays.toString(shape) + " needs " + expected + " bytes but the file has "
            + fileSize + (fileSize < expected ? " (truncated?)" : " (trailing bytes)"));
      }
      if (count > Integer.MAX_VALUE - 8) {
        throw bad(file, "array of " + count + " values is too large for one Java array");
      }
      double[] data = new double[(int) count];
      ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      int filled = 0;
      byte[] chunk = new byte[1 << 20];
      while (filled < data.length) {
        int want = (int) Math.min(chunk.length, 8L * (data.length - filled));
        int got = in.readNBytes(chunk, 0, want);
        if (got < want) {
          throw bad(file, "truncated data");
        }
        buf.clear();
        buf.put(chunk, 0, got).flip();
        while (buf.remaining() >= 8) {
          data[filled++] = buf.getDouble();
        }
      }
      return new Array(shape, data);
    }
  }

  private static String group(Object file, Pattern p, String header, String key) throws IOException {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw bad(file, "header has no valid '" + key + "' entry: " + header.trim());
    }
    return m.group(1);
  }

  private static long[] parseShape(Object file, String text) throws IOException {
    String[] parts = text.split(",");
    long[] dims = new long[parts.length];
    int n = 0;
    for (String part : parts) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      try {
        dims[n] = Long.parseLong(p);
      } catch (NumberFormatException e) {
        throw bad(file, "shape entry '" + p + "' is not an integer");
      }
      if (dims[n] < 0) {
        throw bad(file, "negative dimension " + dims[n] + " in shape");
      }
      n++;
    }
    return Arrays.copyOf(dims, n);
  }

  private static IOException bad(Object file, String what) {
    return new IOException(file + ": " + what);
  }

}
