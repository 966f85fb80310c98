package org.sparkntk.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.config.JobConfig;

/**
 * data.format = idx (IDX files written here byte by byte, as the format's spec lays them out),
 * data.standardize against mean and deviation computed here directly, and data.trainRows.
 */
class IdxAndStandardizationTest {
  @TempDir
  static Path dir;

  /** 5 images of 2 × 3 pixels with byte values 10·i + j, labels i mod 3. */
  static Path writeIdx() throws IOException {
    Path images = dir.resolve("toy-images-idx3-ubyte.gz");
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(images)))) {
      out.writeInt(0x803);
      out.writeInt(5);
      out.writeInt(2);
      out.writeInt(3);
      for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 6; j++) {
          out.writeByte(10 * i + j);
        }
      }
    }
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(
        Files.newOutputStream(dir.resolve("toy-labels-idx1-ubyte.gz"))))) {
      out.writeInt(0x801);
      out.writeInt(5);
      for (int i = 0; i < 5; i++) {
        out.writeByte(i % 3);
      }
    }
    return images;
  }

  @Test
  void idxImagesBecomePixelVectorsAndOneHotLabels() throws IOException {
    Path images = writeIdx();
    SparkSession spark = SparkTestSession.get();
    assertEquals("idx", JobConfig.of(java.util.Map.of("data.train", images.toString(), "data.label", "label_0"))
        .format());
    Dataset<Row> frame = DataReader.read(spark, images.toString(), "idx", true);
    List<String> labels = List.of("label_0", "label_1", "label_2");
    LabeledData data = DataReader.examples("toy", frame, labels, true);
    assertEquals(5, data.count());
    assertEquals(6, data.featureCount());
    List<Example> rows = data.examples().collect().stream().sorted(Comparator.comparingLong(Example::index)).toList();
    for (int i = 0; i < 5; i++) {
      double[] expected = new double[6];
      for (int j = 0; j < 6; j++) {
        expected[j] = (10 * i + j) / 255.0;
      }
      // The reader scales by 1/255 (one rounding more than a division): equal to an ulp.
      assertArrayEquals(expected, rows.get(i).features(), 1e-16, "image " + i);
      double[] onehot = new double[3];
      onehot[i % 3] = 1.0;
      assertArrayEquals(onehot, rows.get(i).labels(), 0.0, "label " + i);
    }
    LabeledData first = DataReader.firstRows(data, 3L);
    assertEquals(3, first.count());
    assertEquals(3, first.examples().count());
    assertTrue(first.examples().collect().stream().allMatch(e -> e.index() < 3));
    assertEquals(data, DataReader.firstRows(data, 10L), "more rows than there are: all of them");
    DataException e = assertThrows(DataException.class, () -> DataReader.read(spark,
        dir.resolve("toy-labels-idx1-ubyte.gz").toString(), "idx", true));
    assertTrue(e.getMessage().contains("images-idx3"), e.getMessage());
  }

  @Test
  void standardisationUsesTheTrainingStatisticsForBothSets() throws IOException {
    Path images = writeIdx();
    SparkSession spark = SparkTestSession.get();
    LabeledData data = DataReader.examples("toy", DataReader.read(spark, images.toString(), "idx", true),
        List.of("label_0", "label_1", "label_2"), true);
    LabeledData train = DataReader.firstRows(data, 4L);
    Standardization s = Standardization.fit(train);
    // Column j of the first four images: (10 i + j)/255 for i = 0…3, mean (15 + j)/255, population sd √125/255.
    for (int j = 0; j < 6; j++) {
      assertEquals((15.0 + j) / 255, s.mean()[j], 1e-15);
      assertEquals(Math.sqrt(125.0) / 255, s.scale()[j], 1e-14);
    }
    List<Example> all = s.apply(data).examples().collect().stream()
        .sorted(Comparator.comparingLong(Example::index)).toList();
    // Image 4 is not in the training rows: it gets the training statistics, z = (40 − 15)/√125.
    assertEquals(25 / Math.sqrt(125.0), all.get(4).features()[0], 1e-12);
    assertEquals(-15 / Math.sqrt(125.0), all.get(0).features()[0], 1e-12);
  }
}
