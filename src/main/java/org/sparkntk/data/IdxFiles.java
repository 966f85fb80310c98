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
    double[][] x;
    int[] y;
    try {
      x = images(images, 0, 1);
      y = labels(labels, 0);
    } catch (IOException e) {
      throw new DataException("data.format = idx: " + e.getMessage());
    }
    if (x.length != y.length) {
      throw new DataException(images + " has " + x.length + " images but " + labels + " has " + y.length + " labels");
    }
    int classes = Arrays.stream(y).max().orElse(0) + 1;
    StructType schema = new StructType().add("pixels", SQLDataTypes.VectorType(), false);
    for (int c = 0; c < classes; c++) {
      schema = schema.add("label_" + c, DataTypes.DoubleType, false);
    }
    List<Row> rows = new ArrayList<>(x.length);
    for (int i = 0; i < x.length; i++) {
      Object[] v = new Object[classes + 1];
      v[0] = Vectors.dense(x[i]);
      for (int c = 0; c < classes; c++) {
        v[c + 1] = y[i] == c ? 1.0 : 0.0;
      }
      rows.add(RowFactory.create(v));
    }
    // Slices of about 4 MiB, so that each task carries its own rows rather than one task (a local
    // relation) carrying all of them: 60,000 images are 376 MB.
    long bytes = 8L * x.length * (x.length == 0 ? 0 : x[0].length + classes);
    int slices = (int) Math.max(spark.sparkContext().defaultParallelism(), Math.min(4096, bytes / (4 << 20) + 1));
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    return spark.createDataFrame(sc.parallelize(rows, slices), schema);
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
    try (DataInputStream in = open(file)) {
      int magic = in.readInt();
      if (magic != 0x803) {
        throw new IOException(file + ": magic " + Integer.toHexString(magic) + ", expected 803 (IDX images)");
      }
      int n = count(in.readInt(), limit);
      int rows = in.readInt();
      int cols = in.readInt();
      if (pool < 1 || rows % pool != 0 || cols % pool != 0) {
        throw new IllegalArgumentException("pool " + pool + " does not divide the " + rows + "×" + cols + " images");
      }
      int outCols = cols / pool;
      double[][] x = new double[n][(rows / pool) * outCols];
      byte[] image = new byte[rows * cols];
      double scale = 1.0 / (255.0 * pool * pool);
      for (int i = 0; i < n; i++) {
        in.readFully(image);
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            x[i][(r / pool) * outCols + c / pool] += (image[r * cols + c] & 0xff) * scale;
          }
        }
      }
      return x;
    }
  }

  private static int count(int stored, int limit) {
    return limit > 0 ? Math.min(stored, limit) : stored;
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    return new DataInputStream(file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw);
  }
}
