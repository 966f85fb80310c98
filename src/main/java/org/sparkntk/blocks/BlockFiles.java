package org.sparkntk.blocks;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.io.Npy;
import org.sparkntk.kernel.BlockPlan;
import org.sparkntk.kernel.KernelBlock;
import org.sparkntk.kernel.Precision;

/**
 * Kernel blocks as {@code .npy} files in one directory, written and read by the executors through
 * Hadoop's {@link FileSystem} API (so that the directory may be any path Hadoop reaches: a local or
 * NFS path as {@code file:}, HDFS, …). Block (I, J) is {@code <I>-<J>.npy}: dtype of
 * {@code kernel.precision} ({@code <f8} or {@code <f4}), shape [rows(I)·k, cols(J)·k], C order.
 *
 * <p>A block is written to {@code .blocks.tmp/<I>-<J>.npy.<task attempt>} and then renamed to its
 * final name, so a file under its final name is complete (a kill leaves only a temporary file).
 * Since the header is a function of dtype and shape ({@link Npy#header}), a file is accepted on
 * read only when its length is exactly header + entries and its header equals the expected one
 * byte for byte; a file that does not match is deleted and reported as missing, and the caller
 * recomputes it.
 */
public final class BlockFiles implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(BlockFiles.class);
  /** The directory of temporary files, inside the block directory. */
  public static final String TEMP_DIR = ".blocks.tmp";
  private static final Pattern NAME = Pattern.compile("(\\d+)-(\\d+)\\.npy");

  private final String dir;
  private final SerializableConfiguration conf;
  private final BlockPlan rowPlan;
  private final BlockPlan colPlan;
  private final int k;
  private final Precision precision;
  private final boolean upperTriangle;

  /**
   * @param dir           the directory, a Hadoop path string (a local directory as a {@code file:} URI)
   * @param conf          the Hadoop configuration the executors open it with (Spark's, as the driver has it)
   * @param upperTriangle only blocks I ≤ J exist (the training Gram)
   */
  public BlockFiles(String dir, Configuration conf, BlockPlan rowPlan, BlockPlan colPlan, int rowsPerExample,
                    Precision precision, boolean upperTriangle) {
    this.dir = dir;
    this.conf = new SerializableConfiguration(conf);
    this.rowPlan = rowPlan;
    this.colPlan = colPlan;
    this.k = rowsPerExample;
    this.precision = precision;
    this.upperTriangle = upperTriangle;
  }

  public String dir() {
    return dir;
  }

  public Precision precision() {
    return precision;
  }

  /** The file name of block (I, J). */
  public static String fileName(int row, int col) {
    return row + "-" + col + ".npy";
  }

  /** Every block the plans have, in order (I ≤ J for the upper triangle). */
  public List<BlockKey> keys() {
    List<BlockKey> keys = new ArrayList<>();
    for (int i = 0; i < rowPlan.blockCount(); i++) {
      for (int j = upperTriangle ? i : 0; j < colPlan.blockCount(); j++) {
        keys.add(new BlockKey(i, j));
      }
    }
    return keys;
  }

  /** Rows of block (I, J). */
  public int rows(int row) {
    return rowPlan.rows(row) * k;
  }

  /** Columns of block (I, J). */
  public int cols(int col) {
    return colPlan.rows(col) * k;
  }

  /** The exact header of block (I, J)'s file. */
  byte[] header(int row, int col) {
    return Npy.header(precision == Precision.FLOAT64 ? Npy.FLOAT64 : Npy.FLOAT32, rows(row), cols(col));
  }

  /** The exact length of block (I, J)'s file: header + rows × cols entries of 4 or 8 bytes. */
  public long length(int row, int col) {
    return header(row, col).length + (long) rows(row) * cols(col) * (precision == Precision.FLOAT64 ? 8 : 4);
  }

  private FileSystem fs() throws IOException {
    Path p = new Path(dir);
    FileSystem fs = p.getFileSystem(conf.value());
    // The local file system of Hadoop writes a .<name>.crc file beside each file; the block files
    // carry their own checks (exact length and header), and output.dir must hold only files
    // spark-ntk lists in its journal, so the raw file system is used.
    return fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs;
  }

  /**
   * The blocks whose file is in the directory with its exact length, from one listing (run by the
   * driver, which ships the set to the tasks). A block file of any other length is deleted: it is
   * not one this plan and precision wrote. The header is checked when a task reads the file.
   */
  public Set<BlockKey> listComplete() {
    Set<BlockKey> found = new HashSet<>();
    try {
      FileSystem fs = fs();
      Path d = new Path(dir);
      if (!fs.exists(d)) {
        return found;
      }
      int rejected = 0;
      for (FileStatus s : fs.listStatus(d)) {
        Matcher m = NAME.matcher(s.getPath().getName());
        if (!s.isFile() || !m.matches()) {
          continue;
        }
        int i;
        int j;
        try {
          i = Integer.parseInt(m.group(1));
          j = Integer.parseInt(m.group(2));
        } catch (NumberFormatException e) {
          continue;
        }
        boolean inPlan = i < rowPlan.blockCount() && j < colPlan.blockCount() && (!upperTriangle || i <= j);
        if (inPlan && s.getLen() == length(i, j)) {
          found.add(new BlockKey(i, j));
        } else {
          rejected++;
          fs.delete(s.getPath(), false);
        }
      }
      if (rejected > 0) {
        LOG.warn("{}: {} block files did not have the length of this block plan and precision and were deleted",
            dir, rejected);
      }
      return found;
    } catch (IOException e) {
      throw new UncheckedIOException("listing the kernel blocks in " + dir + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Block (I, J) read from its file, or null when the file is missing or does not match (then it
   * is deleted, with a warning naming the file and what was expected).
   */
  public KernelBlock read(int row, int col) throws IOException {
    FileSystem fs = fs();
    Path file = new Path(dir, fileName(row, col));
    byte[] expected = header(row, col);
    long length = length(row, col);
    byte[] all;
    try (FSDataInputStream in = fs.open(file)) {
      long actual = fs.getFileStatus(file).getLen();
      if (actual != length) {
        return reject(fs, file, "it has " + actual + " bytes, expected " + length + " (header " + expected.length
            + " + " + rows(row) + " × " + cols(col) + " " + precision.configName() + " entries)");
      }
      all = new byte[Math.toIntExact(length)];
      in.readFully(0, all);
    } catch (FileNotFoundException e) {
      return null;
    }
    if (!Arrays.equals(all, 0, expected.length, expected, 0, expected.length)) {
      return reject(fs, file, "its .npy header is not the expected one for dtype "
          + (precision == Precision.FLOAT64 ? Npy.FLOAT64 : Npy.FLOAT32) + " and shape (" + rows(row) + ", "
          + cols(col) + "), C order");
    }
    ByteBuffer data = ByteBuffer.wrap(all, expected.length, all.length - expected.length)
        .slice().order(ByteOrder.LITTLE_ENDIAN);
    int n = rows(row) * cols(col);
    if (precision == Precision.FLOAT64) {
      double[] d = new double[n];
      data.asDoubleBuffer().get(d);
      return new KernelBlock(row, col, rows(row), cols(col), d, null);
    }
    float[] f = new float[n];
    data.asFloatBuffer().get(f);
    return new KernelBlock(row, col, rows(row), cols(col), null, f);
  }

  private static KernelBlock reject(FileSystem fs, Path file, String why) throws IOException {
    LOG.warn("{}: {}; deleting it, the block is recomputed", file, why);
    fs.delete(file, false);
    return null;
  }

  /** What a write left: the file's name, its size and its SHA-256 (taken from the bytes written). */
  public record Written(int row, int col, String file, long size, String sha256) implements Serializable {}

  /**
   * Writes {@code block} as {@code <I>-<J>.npy}: to a temporary file of this task attempt, then
   * renamed. When another attempt's file is already there under the final name (a retried or
   * speculative task), it is kept and this one's discarded: both are complete.
   */
  public Written write(KernelBlock block) throws IOException {
    if (block.rows() != rows(block.row()) || block.cols() != cols(block.col())) {
      throw new IllegalArgumentException("block (" + block.row() + ", " + block.col() + ") is " + block.rows() + " × "
          + block.cols() + ", the plan's is " + rows(block.row()) + " × " + cols(block.col()));
    }
    // The file holds the block in this directory's precision, whatever the block's own storage.
    byte[] bytes = precision == Precision.FLOAT64 ? Npy.bytes(block.toDoubles(), block.rows(), block.cols())
        : Npy.bytes(block.f32() != null ? block.f32() : KernelBlock.of(block.row(), block.col(), block.rows(),
            block.cols(), block.f64(), Precision.FLOAT32).f32(), block.rows(), block.cols());
    FileSystem fs = fs();
    String name = fileName(block.row(), block.col());
    Path target = new Path(dir, name);
    TaskContext task = TaskContext.get();
    String attempt = task != null ? Long.toString(task.taskAttemptId())
        : Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    Path tmp = new Path(new Path(dir, TEMP_DIR), name + "." + attempt);
    try (FSDataOutputStream out = fs.create(tmp, true)) {
      out.write(bytes);
    }
    if (!fs.rename(tmp, target)) {
      // HDFS does not rename onto an existing file: another attempt finished this block first.
      if (!fs.exists(target)) {
        throw new IOException("cannot rename " + tmp + " to " + target);
      }
      fs.delete(tmp, false);
      return written(fs, block.row(), block.col());
    }
    return new Written(block.row(), block.col(), name, bytes.length, sha256(bytes, bytes.length));
  }

  /** The size and SHA-256 of block (I, J)'s file as it is, read back (the rare path of a lost rename race). */
  Written written(FileSystem fs, int row, int col) throws IOException {
    Path file = new Path(dir, fileName(row, col));
    long length = fs.getFileStatus(file).getLen();
    byte[] all = new byte[Math.toIntExact(length)];
    try (FSDataInputStream in = fs.open(file)) {
      in.readFully(0, all);
    }
    return new Written(row, col, fileName(row, col), length, sha256(all, all.length));
  }

  /** Deletes the directory of temporary files (what attempts killed mid-write left). */
  public void deleteTemporaryFiles() {
    try {
      fs().delete(new Path(dir, TEMP_DIR), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir + "/" + TEMP_DIR + ": " + e.getMessage(), e);
    }
  }

  static String sha256(byte[] bytes, int length) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(bytes, 0, length);
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
