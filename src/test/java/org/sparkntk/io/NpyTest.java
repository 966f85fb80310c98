package org.sparkntk.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The .npy format of NEP 1 (version 1.0: magic \x93NUMPY, major 1, minor 0, little-endian uint16
 * header length, an ASCII dict padded with spaces and ended by '\n' so that the data starts at a
 * multiple of 64, then the raw little-endian float64 values in C order).
 */
class NpyTest {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  @TempDir
  Path dir;

  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of((Object) new long[] {5}),
        Arguments.of((Object) new long[] {1}),
        Arguments.of((Object) new long[] {3, 4}),
        Arguments.of((Object) new long[] {2, 3, 4}),
        Arguments.of((Object) new long[] {0}),
        Arguments.of((Object) new long[] {3, 0}),
        Arguments.of((Object) new long[] {0, 7, 2}),
        Arguments.of((Object) new long[] {}), // a 0-d array holds one value
        Arguments.of((Object) new long[] {200_000})); // more than one 1 MiB write/read buffer
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void roundTrip(long[] shape) throws IOException {
    int count = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    Random r = new Random(count);
    double[] data = new double[count];
    for (int i = 0; i < count; i++) {
      data[i] = r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
    }
    if (count > 4) {
      data[1] = -0.0;
      data[2] = Double.MIN_VALUE;
      data[3] = Double.MAX_VALUE;
      data[4] = Double.NaN;
    }
    Path file = dir.resolve("a.npy");
    Npy.write(file, data, shape);
    Npy.Array back = Npy.read(file);
    assertArrayEquals(shape, back.shape());
    // Bit-exact, including -0.0 and NaN.
    assertArrayEquals(Arrays.stream(data).mapToLong(Double::doubleToRawLongBits).toArray(),
        Arrays.stream(back.data()).mapToLong(Double::doubleToRawLongBits).toArray());

    byte[] bytes = Files.readAllBytes(file);
    int headerLength = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
    int dataStart = 10 + headerLength;
    assertEquals(0, dataStart % 64, "data must start at a multiple of 64, starts at " + dataStart);
    assertEquals(dataStart + 8L * count, bytes.length);
    assertArrayEquals(MAGIC, Arrays.copyOf(bytes, 6));
    assertEquals(1, bytes[6]);
    assertEquals(0, bytes[7]);
    String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
    assertTrue(header.endsWith("\n"), header);
    assertTrue(header.startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': " + shapeText(shape)),
        header);
    // The values are little-endian float64 in C order: check the first one independently.
    if (count > 0) {
      assertEquals(data[0], ByteBuffer.wrap(bytes, dataStart, 8).order(ByteOrder.LITTLE_ENDIAN).getDouble());
    }
  }

  /** Python's repr of a tuple: (), (5,), (3, 4). */
  private static String shapeText(long[] shape) {
    if (shape.length == 1) {
      return "(" + shape[0] + ",)";
    }
    StringBuilder s = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      s.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return s.append(")").toString();
  }

  @Test
  void writeRefusesAShapeThatDoesNotMatchTheData() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Npy.write(dir.resolve("x.npy"), new double[5], 2, 3));
    assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("5"), e.getMessage());
  }

  @Test
  void readsAHandWrittenNumpyFile() throws IOException {
    // The layout np.save uses for np.array([[1., 2., 3.], [4., 5., 6.]]), with an extra space
    // after 'shape': that a dict parser must tolerate.
    Path file = dir.resolve("numpy.npy");
    Files.write(file, npy("{'descr': '<f8', 'fortran_order': False, 'shape':  (2, 3), }",
        new double[] {1, 2, 3, 4, 5, 6}));
    Npy.Array a = Npy.read(file);
    assertArrayEquals(new long[] {2, 3}, a.shape());
    assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, a.data());
    assertEquals(2, a.dim(0));
    assertEquals(3, a.dim(1));
  }

  /**
   * int64 arrays (the Nyström centres' row indices) as np.save writes them: the '<i8' header
   * padded to 64 bytes, then each value's 8 bytes least significant first, here spelled out by
   * shifts rather than through a ByteBuffer.
   */
  @Test
  void writesInt64Arrays() throws IOException {
    long[] values = {0, 1, 52, -2, Long.MAX_VALUE, Long.MIN_VALUE, 0x0102_0304_0506_0708L};
    byte[] payload = new byte[8 * values.length];
    for (int i = 0; i < values.length; i++) {
      for (int b = 0; b < 8; b++) {
        payload[8 * i + b] = (byte) (values[i] >>> (8 * b));
      }
    }
    byte[] expected = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (7,), }", payload);
    assertArrayEquals(expected, Npy.bytes(values, values.length));
    Path file = dir.resolve("rows.npy");
    Npy.write(file, values, values.length);
    assertArrayEquals(expected, Files.readAllBytes(file));
    assertEquals(0, (expected.length - payload.length) % 64, "data must start at a multiple of 64");
    assertArrayEquals(new byte[] {8, 7, 6, 5, 4, 3, 2, 1},
        Arrays.copyOfRange(expected, expected.length - 8, expected.length));

    long[] grid = {1, 2, 3, 4, 5, 6};
    byte[] twoD = Npy.bytes(grid, 2, 3);
    String header = new String(twoD, 10, twoD.length - 10 - 48, StandardCharsets.US_ASCII);
    assertTrue(header.startsWith("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }"), header);
    assertEquals(6, ByteBuffer.wrap(twoD, twoD.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Npy.write(dir.resolve("bad.npy"), grid, 4));
    assertTrue(e.getMessage().contains("[4]") && e.getMessage().contains("6"), e.getMessage());
  }

  @Test
  void readsVersion2Headers() throws IOException {
    // Version 2.0: 4-byte header length.
    String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(MAGIC);
    out.write(2);
    out.write(0);
    String header = pad(dict, 12);
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(header.length()).array());
    out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(doubles(new double[] {7.5, -1}));
    Path file = dir.resolve("v2.npy");
    Files.write(file, out.toByteArray());
    assertArrayEquals(new double[] {7.5, -1}, Npy.read(file).data());
  }

  @Test
  void refusesFloat32() throws IOException {
    Path file = dir.resolve("f4.npy");
    Files.write(file, npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new byte[8]));
    assertRefused(file, "'<f4'", "'<f8'");
  }

  @Test
  void refusesBigEndian() throws IOException {
    Path file = dir.resolve("be.npy");
    Files.write(file, npy("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", new byte[16]));
    assertRefused(file, "'>f8'");
  }

  @Test
  void refusesObjectArrays() throws IOException {
    // An object array's payload is a pickle, which must never be loaded.
    Path file = dir.resolve("object.npy");
    Files.write(file, npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
        new byte[] {(byte) 0x80, 4, (byte) 0x95, 0, 0, 0, 0, 0}));
    assertRefused(file, "'|O'", "pickle");
  }

  @Test
  void refusesFortranOrder() throws IOException {
    Path file = dir.resolve("fortran.npy");
    Files.write(file, npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", doubles(new double[4])));
    assertRefused(file, "Fortran");
  }

  @Test
  void refusesTruncatedData() throws IOException {
    Path file = dir.resolve("truncated.npy");
    Files.write(file, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", doubles(new double[5])));
    assertRefused(file, "truncated", "[3, 2]");
  }

  @Test
  void refusesTruncatedHeader() throws IOException {
    byte[] whole = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", doubles(new double[2]));
    Path file = dir.resolve("short-header.npy");
    Files.write(file, Arrays.copyOf(whole, 30));
    assertRefused(file, "truncated header");
    Files.write(file, Arrays.copyOf(whole, 9));
    assertRefused(file, "truncated header");
  }

  @Test
  void refusesTrailingBytes() throws IOException {
    Path file = dir.resolve("trailing.npy");
    byte[] data = Arrays.copyOf(doubles(new double[] {1, 2}), 17);
    Files.write(file, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data));
    assertRefused(file, "trailing bytes");
  }

  @Test
  void refusesBadMagic() throws IOException {
    byte[] good = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", doubles(new double[1]));
    byte[] bad = good.clone();
    bad[1] = 'X';
    Path file = dir.resolve("magic.npy");
    Files.write(file, bad);
    assertRefused(file, "magic");
    Files.write(file, "a,b\n1,2\n".getBytes(StandardCharsets.US_ASCII));
    assertRefused(file, "magic");
    Files.write(file, new byte[0]);
    assertRefused(file, "magic");
  }

  @Test
  void refusesUnknownVersionAndBrokenDicts() throws IOException {
    byte[] v9 = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", doubles(new double[1]));
    v9[6] = 9;
    Path file = dir.resolve("broken.npy");
    Files.write(file, v9);
    assertRefused(file, "version 9");

    Files.write(file, npy("{'descr': '<f8', 'fortran_order': False, }", doubles(new double[1])));
    assertRefused(file, "'shape'");
    Files.write(file, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }", doubles(new double[2])));
    assertRefused(file, "'x'");
    Files.write(file, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", new byte[0]));
    assertRefused(file, "negative");
    Files.write(file, npy("{'fortran_order': False, 'shape': (1,), }", doubles(new double[1])));
    assertRefused(file, "'descr'");
  }

  /**
   * Crafted headers whose shape claims far more data than the file holds: refused from the file
   * size before anything is allocated (2^40 values would need 8 TiB), and a shape whose byte count
   * overflows a long is refused as too large instead of wrapping round to a size that might match.
   */
  @Test
  void refusesCraftedShapesBeforeAllocating() throws IOException {
    Path file = dir.resolve("crafted.npy");
    Files.write(file, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }", new byte[8]));
    assertRefused(file, "[1099511627776]", "truncated?");
    // 2^61 values × 8 bytes = 2^64 bytes, which wraps to 0 in a long
    Files.write(file, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", new byte[0]));
    assertRefused(file, "too large");
    Files.write(file, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
        new byte[0]));
    assertRefused(file, "too large");
    Files.write(file, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }",
        new byte[0]));
    assertRefused(file, "not an integer");
  }

  /** A version 2 header length of 2^31 bytes is refused before it is read; so is one longer than the file. */
  @Test
  void refusesHeaderLengthsBeyondTheLimitOrTheFile() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(MAGIC);
    out.write(2);
    out.write(0);
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MIN_VALUE).array());
    Path file = dir.resolve("huge-header.npy");
    Files.write(file, out.toByteArray());
    assertRefused(file, "2147483648 bytes", "larger than");
    byte[] v1 = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", doubles(new double[1]));
    v1[8] = (byte) 0xff;
    v1[9] = (byte) 0xff; // header length 65535 in a 136-byte file
    Files.write(file, v1);
    assertRefused(file, "truncated header");
  }

  /** Structured dtypes (which may hold objects) and pickled object arrays in any spelling are refused. */
  @Test
  void refusesStructuredAndObjectDtypes() throws IOException {
    Path file = dir.resolve("structured.npy");
    Files.write(file, npy("{'descr': [('a', '|O')], 'fortran_order': False, 'shape': (1,), }", new byte[8]));
    assertRefused(file, "'descr'");
    Files.write(file, npy("{'descr': 'O', 'fortran_order': False, 'shape': (1,), }",
        "cos\nsystem\n(S'true'\ntR.".getBytes(StandardCharsets.US_ASCII)));
    assertRefused(file, "'O'", "pickle");
  }

  private static void assertRefused(Path file, String... parts) {
    IOException e = assertThrows(IOException.class, () -> Npy.read(file));
    String message = e.getMessage();
    assertTrue(message.contains(file.toString()), "the message must name the file: " + message);
    for (String p : parts) {
      assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
    }
  }

  /** A version 1.0 file with the given header dict (padded as numpy does) and raw payload. */
  private static byte[] npy(String dict, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(MAGIC);
    out.write(1);
    out.write(0);
    String header = pad(dict, 10);
    out.write(header.length() & 0xff);
    out.write(header.length() >>> 8);
    out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(payload);
    return out.toByteArray();
  }

  private static byte[] npy(String dict, double[] values) {
    return npy(dict, doubles(values));
  }

  /** dict + spaces + '\n' so that prefix + header is a multiple of 64. */
  private static String pad(String dict, int prefix) {
    int total = prefix + dict.length() + 1;
    return dict + " ".repeat((64 - total % 64) % 64) + "\n";
  }

  private static byte[] doubles(double[] values) {
    ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      b.putDouble(v);
    }
    return b.array();
  }
}
