package org.sparkntk.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Turns files or a Dataset into {@link LabeledData}, with Spark's own readers. Label columns are
 * named; every other numeric column (or ml Vector column, as libsvm and VectorAssembler produce)
 * is a feature, in schema order. A column of any other type, a missing value, NaN or ±∞ is an
 * error that names the data set, the row and the column: a kernel is never built on data that
 * was silently dropped or defaulted.
 */
public final class DataReader {
  /** The column in which the CSV reader puts the text of a row whose field count differs from the header's. */
  static final String MALFORMED = "_spark_ntk_malformed_record";

  private DataReader() {}

  /**
   * The metadata flag of a CSV column that Spark inferred as numeric and that is read as text, so
   * that {@link #examples} parses it by {@link Decimal}'s grammar (Spark's own parser takes Java
   * literals such as {@code 1.5d} and {@code 0x1p-3}).
   */
  static final String DECIMAL_TEXT = "sparkNtkDecimalText";
  /** The default of data.maxFeatures: 1,000,000 features, 8 MB per dense row. */
  public static final int DEFAULT_MAX_FEATURES = 1_000_000;

  /** {@link #read(SparkSession, String, String, String, boolean, int)} with the default feature bound. */
  public static Dataset<Row> read(SparkSession spark, String path, String format, boolean header) {
    return read(spark, path, path, format, header, DEFAULT_MAX_FEATURES);
  }

  /**
   * Reads a file or directory in {@code format} (csv with header and schema inference, parquet,
   * libsvm). libsvm text is checked line by line first ({@link LibSvmText}), naming {@code name},
   * the file and the line of a bad one, and refused when an index exceeds {@code maxFeatures}.
   */
  public static Dataset<Row> read(SparkSession spark, String name, String path, String format, boolean header,
                                  int maxFeatures) {
    return switch (format) {
      case "csv" -> {
        // Spark's PERMISSIVE mode silently drops the extra fields of a long row; with a column for
        // malformed records (which needs an explicit schema: the inferred one) examples() can refuse it.
        // Numeric columns are read as text and parsed strictly by examples().
        StructType inferred = spark.read().option("header", header).option("inferSchema", true).csv(path).schema();
        StructType schema = new StructType();
        for (StructField f : inferred.fields()) {
          schema = f.dataType() instanceof NumericType
              ? schema.add(new StructField(f.name(), DataTypes.StringType, true,
                  new MetadataBuilder().withMetadata(f.metadata()).putBoolean(DECIMAL_TEXT, true).build()))
              : schema.add(f);
        }
        yield spark.read().option("header", header).option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", MALFORMED)
            .schema(schema.add(MALFORMED, DataTypes.StringType, true)).csv(path);
      }
      case "parquet" -> spark.read().parquet(path);
      case "libsvm" -> {
        int features = LibSvmText.maxIndex(spark, name, path, maxFeatures);
        // The checked count spares Spark's reader its own pass over the data to find it.
        yield spark.read().format("libsvm").option("numFeatures", Math.max(1, features)).load(path);
      }
      case "idx" -> IdxFiles.oneHotFrame(spark, path);
      default -> throw new IllegalArgumentException("unknown data format " + format);
    };
  }

  /** The first {@code rows} examples in reading order (all of them when null or ≥ the count). */
  public static LabeledData firstRows(LabeledData data, Long rows) {
    if (rows == null || rows >= data.count()) {
      return data;
    }
    long limit = rows;
    return new LabeledData(data.name() + ", first " + rows + " rows", data.examples().filter(e -> e.index() < limit),
        rows, data.features(), data.labels());
  }

  /**
   * {@link #examples(String, Dataset, List, boolean, int)} with the default feature bound.
   */
  public static LabeledData examples(String name, Dataset<Row> data, List<String> labelColumns,
                                     boolean labelsRequired) {
    return examples(name, data, labelColumns, labelsRequired, DEFAULT_MAX_FEATURES);
  }

  /**
   * Splits {@code data}'s columns into features and labels and converts its rows to examples.
   * With {@code labelsRequired = false} the label columns may be absent (test data to predict on).
   */
  public static LabeledData examples(String name, Dataset<Row> data, List<String> labelColumns,
                                     boolean labelsRequired, int maxFeatures) {
    // First: a header-only CSV infers string columns, which would otherwise be reported as non-numeric.
    long count = data.count();
    if (count == 0) {
      List<String> shown = Arrays.stream(data.schema().fieldNames()).filter(c -> !c.equals(MALFORMED)).toList();
      throw new DataException(name + ": the data set is empty (no data rows" + (shown.isEmpty() ? ""
          : "; the columns are " + shown) + ")");
    }
    StructField[] fields = data.schema().fields();
    int malformed = Arrays.asList(data.schema().fieldNames()).indexOf(MALFORMED);
    List<String> columns = Arrays.stream(fields).map(StructField::name).filter(c -> !c.equals(MALFORMED)).toList();
    List<String> missing = labelColumns.stream().filter(l -> !columns.contains(l)).toList();
    boolean withLabels = missing.isEmpty();
    if (!withLabels && (labelsRequired || missing.size() < labelColumns.size())) {
      throw new DataException(name + ": label column(s) " + missing + " not found; the columns are " + columns
          + " (data.label names the label columns)");
    }
    List<String> featureNames = new ArrayList<>();
    List<Integer> featureIndices = new ArrayList<>();
    for (int c = 0; c < fields.length; c++) {
      StructField f = fields[c];
      if (c == malformed) {
        continue;
      }
      if (labelColumns.contains(f.name())) {
        requireNumeric(name, data, f, "label");
        continue;
      }
      requireNumeric(name, data, f, "feature");
      featureNames.add(f.name());
      featureIndices.add(c);
    }
    if (featureIndices.isEmpty()) {
      throw new DataException(name + ": no feature columns; the columns are " + columns
          + " and the labels are " + labelColumns);
    }
    int[] labelIdx = withLabels ? labelColumns.stream().mapToInt(columns::indexOf).toArray() : new int[0];
    int[] featureIdx = featureIndices.stream().mapToInt(Integer::intValue).toArray();
    String[] colNames = columns.toArray(new String[0]);
    JavaRDD<Example> examples = data.javaRDD().zipWithIndex()
        .map((Tuple2<Row, Long> t) -> {
          if (malformed >= 0 && !t._1().isNullAt(malformed)) {
            String record = t._1().getString(malformed);
            throw new DataException(name + ": row " + (t._2() + 1) + ": '" + record + "' has "
                + record.split(",", -1).length + " fields, expected " + colNames.length + " (the header's "
                + Arrays.toString(colNames) + ")");
          }
          return toExample(name, colNames, t._1(), t._2(), featureIdx, labelIdx);
        });
    // Vector columns widen the feature count: read it from the first row.
    List<String> expanded = expandVectorNames(name, data, featureNames, featureIdx, fields, maxFeatures);
    return new LabeledData(name, examples, count, expanded, withLabels ? labelColumns : List.of());
  }

  private static List<String> expandVectorNames(String name, Dataset<Row> data, List<String> names, int[] idx,
                                                StructField[] fields, int maxFeatures) {
    boolean anyVector = Arrays.stream(idx).anyMatch(c -> fields[c].dataType().equals(SQLDataTypes.VectorType()));
    if (!anyVector) {
      checkFeatureCount(name, names.size(), maxFeatures);
      return names;
    }
    Row first = data.head();
    long total = 0;
    for (int k = 0; k < idx.length; k++) {
      Object v = first.get(idx[k]);
      total += v instanceof Vector vec ? vec.size() : 1;
    }
    // Before a name (or, later, a dense row) is made per vector entry.
    checkFeatureCount(name, total, maxFeatures);
    List<String> out = new ArrayList<>();
    for (int k = 0; k < idx.length; k++) {
      Object v = first.get(idx[k]);
      if (v instanceof Vector vec) {
        for (int j = 0; j < vec.size(); j++) {
          out.add(names.get(k) + "[" + j + "]");
        }
      } else {
        out.add(names.get(k));
      }
    }
    return out;
  }

  private static void checkFeatureCount(String name, long features, int maxFeatures) {
    if (features > maxFeatures) {
      throw new DataException(name + ": " + features + " features per row, above data.maxFeatures = " + maxFeatures
          + " (" + features + " × 8 bytes per dense row); set data.maxFeatures if the data really has that many");
    }
  }

  private static void requireNumeric(String name, Dataset<Row> data, StructField f, String role) {
    DataType t = f.dataType();
    if (f.metadata().contains(DECIMAL_TEXT) || t instanceof NumericType || t instanceof DecimalType
        || t.equals(SQLDataTypes.VectorType())) {
      return;
    }
    String example = "";
    if (t.equals(DataTypes.StringType)) {
      // Find the first value that is not a number, to point at it.
      String col = f.name();
      // Quoted: a header may name a column "-0.5" or "a.b", which select() would read as a nested field.
      String quoted = "`" + col.replace("`", "``") + "`";
      List<Tuple2<Row, Long>> bad = data.select(org.apache.spark.sql.functions.col(quoted)).javaRDD().zipWithIndex()
          .filter(r -> r._1().get(0) != null && !isNumber(r._1().getString(0))).take(1);
      if (!bad.isEmpty()) {
        example = "; the first non-numeric value is '" + bad.get(0)._1().getString(0) + "' in row "
            + (bad.get(0)._2() + 1);
      }
    }
    throw new DataException(name + ": " + role + " column '" + f.name() + "' has type " + t.simpleString()
        + ", expected a number" + example);
  }

  private static boolean isNumber(String s) {
    return Decimal.isNumber(s);
  }

  static Example toExample(String name, String[] columns, Row row, long index, int[] featureIdx, int[] labelIdx) {
    List<Double> features = new ArrayList<>(featureIdx.length);
    for (int c : featureIdx) {
      Object v = row.get(c);
      if (v instanceof Vector vec) {
        double[] values = vec.toArray();
        for (int j = 0; j < values.length; j++) {
          features.add(finite(name, columns[c] + "[" + j + "]", index, values[j]));
        }
      } else {
        features.add(finite(name, columns[c], index, value(name, columns[c], index, v)));
      }
    }
    double[] labels = new double[labelIdx.length];
    for (int k = 0; k < labelIdx.length; k++) {
      labels[k] = finite(name, columns[labelIdx[k]], index, value(name, columns[labelIdx[k]], index,
          row.get(labelIdx[k])));
    }
    return new Example(index, features.stream().mapToDouble(Double::doubleValue).toArray(), labels);
  }

  private static double value(String name, String column, long index, Object v) {
    if (v == null) {
      throw new DataException(name + ": row " + (index + 1) + ", column '" + column
          + "': missing value (an empty field, or a row with fewer fields than the header)");
    }
    if (v instanceof String text) {
      if (!Decimal.isNumber(text)) {
        throw new DataException(name + ": row " + (index + 1) + ", column '" + column + "': '" + text
            + "' is not a number (expected a decimal such as 1.5, -2 or 3e-4)");
      }
      return Decimal.parse(text);
    }
    return ((Number) v).doubleValue();
  }

  private static double finite(String name, String column, long index, double v) {
    if (!Double.isFinite(v)) {
      throw new DataException(name + ": row " + (index + 1) + ", column '" + column + "': " + v
          + " is not a finite number");
    }
    return v;
  }
}
