package org.sparkntk.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Checks libsvm text before Spark's reader sees it, so that a bad line is refused with its file
 * and line number instead of Spark's stack trace, and a huge feature index is refused before a
 * vector of that size is allocated. Lines are read as Spark's parser reads them
 * (MLUtils.parseLibSVMRecord): trimmed; empty lines and lines starting with {@code #} skipped;
 * split on single spaces into a label and {@code index:value} items with 1-based, strictly
 * ascending indices. Labels and values must be {@link Decimal} numbers.
 */
final class LibSvmText {
  private LibSvmText() {}

  /** What one partition found: the largest index, and the file of its first bad line (null: none). */
  private record Partial(long maxIndex, String badFile) implements Serializable {}

  /**
   * The largest feature index in the libsvm data at {@code path} (0 when no line has features);
   * a DataException naming the file, the line and what is wrong for the first bad line of a file
   * that has one, or for an index above {@code maxFeatures}.
   */
  static int maxIndex(SparkSession spark, String name, String path, int maxFeatures) {
    List<Partial> partials = spark.read().text(path)
        .select(functions.input_file_name(), functions.col("value"))
        .javaRDD().mapPartitions((Iterator<Row> rows) -> {
          long max = 0;
          while (rows.hasNext()) {
            Row r = rows.next();
            String problem = problem(r.getString(1), maxFeatures);
            if (problem != null) {
              return List.of(new Partial(max, r.getString(0))).iterator();
            }
            max = Math.max(max, lastIndex(r.getString(1)));
          }
          return List.of(new Partial(max, null)).iterator();
        }).collect();
    long max = 0;
    for (Partial p : partials) {
      if (p.badFile() != null) {
        throw firstBadLine(spark, name, p.badFile(), maxFeatures);
      }
      max = Math.max(max, p.maxIndex());
    }
    return (int) max;
  }

  /**
   * Every line is checked on its own, so the first bad line of {@code file} is found by reading the
   * file from its start on the driver, up to that line: exact line numbers whatever Spark's splits.
   */
  private static DataException firstBadLine(SparkSession spark, String name, String file, int maxFeatures) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Path p = new Path(URI.create(file));
    String shown = file.startsWith("file:") ? java.nio.file.Path.of(URI.create(file)).toString() : file;
    // Spark's text reader decompresses by the file's extension (.gz, .bz2, …); so does this read.
    CompressionCodec codec = new CompressionCodecFactory(hadoop).getCodec(p);
    try (FileSystem fs = FileSystem.newInstance(p.toUri(), hadoop);
         InputStream raw = fs.open(p);
         BufferedReader in = new BufferedReader(new InputStreamReader(
             codec == null ? raw : codec.createInputStream(raw), StandardCharsets.UTF_8))) {
      String line;
      for (long number = 1; (line = in.readLine()) != null; number++) {
        String problem = problem(line, maxFeatures);
        if (problem != null) {
          return new DataException(name + ": " + shown + ", line " + number + ": " + problem);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + shown + " again to locate its bad line: " + e.getMessage(), e);
    }
    // A file that changed between the two reads.
    return new DataException(name + ": " + shown + " has a line that is not valid libsvm, but it changed while "
        + "being read");
  }

  /** What is wrong with one line, or null when Spark's parser reads it as meant. */
  static String problem(String raw, int maxFeatures) {
    String line = raw.trim();
    if (line.isEmpty() || line.startsWith("#")) {
      return null;
    }
    if (line.indexOf('\t') >= 0) {
      return "the line holds a tab, but libsvm items are separated by spaces (Spark's parser splits on ' ' only)";
    }
    String[] items = line.split(" ");
    if (!Decimal.isNumber(items[0])) {
      return "the label '" + clip(items[0]) + "' is not a number (a libsvm line is 'label index:value …', "
          + "the label a decimal such as 1 or -0.5)";
    }
    long previous = 0;
    for (int k = 1; k < items.length; k++) {
      String item = items[k];
      if (item.isEmpty()) {
        continue;
      }
      int colon = item.indexOf(':');
      if (colon <= 0 || colon != item.lastIndexOf(':')) {
        return "item " + k + " '" + clip(item) + "' is not index:value";
      }
      String index = item.substring(0, colon);
      String value = item.substring(colon + 1);
      if (!index.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return "item " + k + " '" + clip(item) + "': the index '" + clip(index) + "' is not a positive integer";
      }
      // More than 10 digits is above any int, and so above every allowed bound.
      long i = index.length() > 10 ? Long.MAX_VALUE : Long.parseLong(index);
      if (i == 0) {
        return "item " + k + " '" + clip(item) + "': index 0, but libsvm indices start at 1";
      }
      if (i > maxFeatures) {
        return "feature index " + clip(index) + " is above data.maxFeatures = " + maxFeatures
            + " (the feature count is the largest index; set data.maxFeatures if the data really has that many "
            + "features)";
      }
      if (i == previous) {
        return "feature index " + i + " appears twice";
      }
      if (i < previous) {
        return "feature index " + i + " follows index " + previous + ": libsvm indices must be in ascending order";
      }
      if (!Decimal.isNumber(value)) {
        return "item " + k + " '" + clip(item) + "': the value '" + clip(value) + "' is not a number (expected a "
            + "decimal such as 0.5 or -2e-3)";
      }
      previous = i;
    }
    return null;
  }

  /** The last (largest) index of a line {@link #problem} accepted; 0 when it has no features. */
  private static long lastIndex(String raw) {
    String line = raw.trim();
    if (line.isEmpty() || line.startsWith("#")) {
      return 0;
    }
    String[] items = line.split(" ");
    for (int k = items.length - 1; k >= 1; k--) {
      if (!items[k].isEmpty()) {
        return Long.parseLong(items[k].substring(0, items[k].indexOf(':')));
      }
    }
    return 0;
  }

  /** A token as shown in a message: at most 40 characters. */
  private static String clip(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "…";
  }
}
