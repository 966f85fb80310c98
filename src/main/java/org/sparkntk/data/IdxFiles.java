package org.sparkntk.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads the IDX files of MNIST and Fashion-MNIST (gzipped or not): big-endian magic
 * 0x00000801 (labels, one unsigned byte each) or 0x00000803 (images, rows × cols unsigned bytes),
 * then the dimensions. Debian's {@code dataset-fashion-mnist} installs them in
 * /usr/share/datasets/fashion-mnist.
 */
public final class IdxFiles {
  private IdxFiles() {}

  /**
   * A DataFrame of the first {@code limit} images and their labels: one double column per pooled
   * pixel, {@code p0 … p(d−1)} (values in [0, 1]), and {@code label} (the class index as a double),
   * ready for a VectorAssembler over {@link #pixelColumns}.
   */
  public static Dataset<Row> frame(SparkSession spark, Path images, Path labels, int limit, int pool)
      throws IOException {
    double[][] x = images(images, limit, pool);
    int[] y = labels(labels, limit);
    if (x.length != y.length) {
      throw new IOException(images + " has " + x.length + " images but " + labels + " has " + y.length + " labels");
    }
    int d = x.length == 0 ? 0 : x[0].length;
    StructType schema = new StructType();
    for (int j = 0; j < d; j++) {
      schema = schema.add("p" + j, DataTypes.DoubleType, false);
    }
    schema = schema.add("label", DataTypes.DoubleType, false);
    List<Row> rows = new ArrayList<>(x.length);
    for (int i = 0; i < x.length; i++) {
      Object[] v = new Object[d + 1];
      for (int j = 0; j < d; j++) {
        v[j] = x[i][j];
      }
      v[d] = (double) y[i];
      rows.add(RowFactory.create(v));
    }
    return spark.createDataFrame(rows, schema);
  }

  /**
   * The images of an IDX image file and the labels of its companion file (the same name with
   * {@code images-idx3} replaced by {@code labels-idx1}, as MNIST and Fashion-MNIST ship them) as a
   * DataFrame for {@code data.format = idx}: {@code pixels}, an ml Vector of the pixel values in
   * [0, 1], and the one-hot columns {@code label_0 … label_(K−1)} of the K classes, the regression
   * targets of a classifier trained with the MSE cost.
   */
  public static Dataset<Row> oneHotFrame(SparkSession spark, String imagesPath) {
    Path images = Path.of(imagesPath);
    String name = images.getFileName().toString();
    if (!name.contains("images-idx3")) {
      throw new DataException(imagesPath + ": data.format = idx reads an IDX image file named like "
          + "train-images-idx3-ubyte.gz, whose labels are in train-labels-idx1-ubyte.gz beside it");
    }
    Path labels = images.resolveSibling(name.replace("images-idx3", "labels-idx1"));
    RawImages x;
    int[] y;
    try {
      x = rawImages(images, 0);
      y = labels(labels, 0);
    } catch (IOException e) {
      throw new DataException("data.format = idx: " + e.getMessage());
    }
    if (x.count() != y.length) {
      throw new DataException(images + " has " + x.count() + " images but " + labels + " has " + y.length
          + " labels");
    }
    int classes = Arrays.stream(y).max().orElse(0) + 1;
    StructType schema = new StructType().add("pixels", SQLDataTypes.VectorType(), false);
    for (int c = 0; c < classes; c++) {
      schema = schema.add("label_" + c, DataTypes.DoubleType, false);
    }
    // As many slices as rows of about 4 MiB as doubles (60,000 images: 91), one per task. A slice
    // carries its images' bytes and the tasks make the rows: every pass over the frame ships the
    // tasks again, and doubles would be eight times the bytes (376 MB for the 60,000 images of
    // Fashion-MNIST, shipped four times by a job before its kernels).
    int pixels = x.pixels();
    long bytes = 8L * x.count() * (x.count() == 0 ? 0 : pixels + classes);
    int slices = (int) Math.max(spark.sparkContext().defaultParallelism(), Math.min(4096, bytes / (4 << 20) + 1));
    List<ImageSlice> parts = new ArrayList<>(slices);
    for (int k = 0; k < slices; k++) {
      // ParallelCollectionRDD's own split of n items into `slices` parts
      int from = (int) ((long) k * x.count() / slices);
      int to = (int) ((long) (k + 1) * x.count() / slices);
      byte[] labelBytes = new byte[to - from];
      for (int i = from; i < to; i++) {
        labelBytes[i - from] = (byte) y[i];
      }
      parts.add(new ImageSlice(pixels, classes, Arrays.copyOfRange(x.bytes(), from * pixels, to * pixels),
          labelBytes));
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    return spark.createDataFrame(sc.parallelize(parts, slices).flatMap(slice -> slice.rows().iterator()), schema);
  }

  /** The images of one task: {@code pixels} unsigned bytes per image, and one class index (byte) each. */
  record ImageSlice(int pixels, int classes, byte[] images, byte[] labels) implements java.io.Serializable {
    /**
     * The rows of {@link IdxFiles#oneHotFrame}: pixel values b/255 (as {@link IdxFiles#images} gives
     * them) and one-hot labels.
     */
    List<Row> rows() {
      double scale = 1.0 / 255.0;
      List<Row> rows = new ArrayList<>(labels.length);
      for (int i = 0; i < labels.length; i++) {
        double[] v = new double[pixels];
        for (int j = 0; j < pixels; j++) {
          v[j] = (images[i * pixels + j] & 0xff) * scale;
        }
        Object[] row = new Object[classes + 1];
        row[0] = Vectors.dense(v);
        for (int c = 0; c < classes; c++) {
          row[c + 1] = (labels[i] & 0xff) == c ? 1.0 : 0.0;
        }
        rows.add(RowFactory.create(row));
      }
      return rows;
    }
  }

  /** Images of an IDX image file as they are stored: {@code count} images of rows × cols unsigned bytes. */
  record RawImages(int count, int rows, int cols, byte[] bytes) {
    int pixels() {
      return rows * cols;
    }
  }

  /** The first {@code limit} images (all when limit ≤ 0) as stored. */
  static RawImages rawImages(Path file, int limit) throws IOException {
    try (DataInputStream in = open(file)) {
      int magic = in.readInt();
      if (magic != 0x803) {
        throw new IOException(file + ": magic " + Integer.toHexString(magic) + ", expected 803 (IDX images)");
      }
      int n = count(in.readInt(), limit);
      int rows = in.readInt();
      int cols = in.readInt();
      byte[] bytes = new byte[Math.multiplyExact(n, Math.multiplyExact(rows, cols))];
      in.readFully(bytes);
      return new RawImages(n, rows, cols, bytes);
    }
  }

  /** The pixel columns of a {@link #frame}, in order. */
  public static String[] pixelColumns(Dataset<Row> frame) {
    return Arrays.stream(frame.columns()).filter(c -> c.matches("p\\d+")).toArray(String[]::new);
  }

  /** The first {@code limit} labels (all when limit ≤ 0). */
  public static int[] labels(Path file, int limit) throws IOException {
    try (DataInputStream in = open(file)) {
      int magic = in.readInt();
      if (magic != 0x801) {
        throw new IOException(file + ": magic " + Integer.toHexString(magic) + ", expected 801 (IDX labels)");
      }
      int n = count(in.readInt(), limit);
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = in.readUnsignedByte();
      }
      return y;
    }
  }

  /**
   * The first {@code limit} images (all when limit ≤ 0) as pixel values in [0, 1], row-major per
   * image, each averaged over {@code pool} × {@code pool} squares (pool = 1: the full image;
   * 2: 28×28 → 14×14).
   */
  public static double[][] images(Path file, int limit, int pool) throws IOException {
    RawImages raw = rawImages(file, limit);
    int rows = raw.rows();
    int cols = raw.cols();
    if (pool < 1 || rows % pool != 0 || cols % pool != 0) {
      throw new IllegalArgumentException("pool " + pool + " does not divide the " + rows + "×" + cols + " images");
    }
    int outCols = cols / pool;
    int pixels = raw.pixels();
    double[][] x = new double[raw.count()][(rows / pool) * outCols];
    double scale = 1.0 / (255.0 * pool * pool);
    for (int i = 0; i < raw.count(); i++) {
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          x[i][(r / pool) * outCols + c / pool] += (raw.bytes()[i * pixels + r * cols + c] & 0xff) * scale;
        }
      }
    }
    return x;
  }

  private static int count(int stored, int limit) {
    return limit > 0 ? Math.min(stored, limit) : stored;
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    return new DataInputStream(file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw);
  }
}
