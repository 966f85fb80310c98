package org.sparkntk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.SparkTestSession;
import org.sparkntk.TestHadoopFileSystem;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.OutputFiles;

/**
 * A report through the CLI into output.dir = {@code ntktest:///…} ({@link TestHadoopFileSystem}):
 * the circle report's files and manifest are written through Hadoop, the manifest verifies there,
 * the closing line names the URI, and a rerun with other settings is refused as it is locally.
 */
class HadoopReportOutputDirTest {
  @TempDir
  Path dir;

  /** The CLI's status and standard output. */
  private static Object[] cli(String... args) {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      Object[] result = NtkMainTest.run(args);
      return new Object[] {result[0], captured.toString(StandardCharsets.UTF_8), result[1]};
    } finally {
      System.setOut(out);
    }
  }

  @Test
  void theCircleReportWritesItsFilesThroughHadoop() throws IOException {
    Configuration hadoop = TestHadoopFileSystem.register(SparkTestSession.get().sparkContext().hadoopConfiguration());
    Path conf = dir.resolve("circle.conf");
    Files.writeString(conf, String.join("\n", "report.type = circle", "model.hidden = 4", "model.activation = relu",
        "report.seeds = 1", "report.widths = 8", "report.points = 5", ""));
    Path remote = dir.resolve("circle");
    String uri = TestHadoopFileSystem.uri(remote);
    Object[] result = cli(conf.toString(), "output.dir=" + uri);
    assertEquals(0, result[0], String.valueOf(result[2]));
    assertTrue(String.valueOf(result[1]).contains("spark-ntk: outputs written to " + uri
        + ": circle.csv, circle.json, circle.png, manifest.json"), String.valueOf(result[1]));
    List<String> listed = Manifest.verify(uri, hadoop).stream().map(Manifest.Entry::path).sorted().toList();
    assertEquals(List.of("circle.csv", "circle.json", "circle.png"), listed);
    try (Stream<Path> files = Files.list(remote)) {
      assertEquals(List.of(OutputFiles.JOURNAL, "circle.csv", "circle.json", "circle.png", Manifest.FILE),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
    List<String> ops = TestHadoopFileSystem.operations(remote);
    assertTrue(ops.contains("rename /.circle.png.tmp") && ops.contains("rename /.manifest.json.tmp"), ops.toString());

    byte[] before = Files.readAllBytes(remote.resolve("circle.json"));
    Object[] other = cli(conf.toString(), "output.dir=" + uri, "model.seed=9");
    assertEquals(2, other[0]);
    assertTrue(String.valueOf(other[2]).contains("holds the complete results of a job with other settings"),
        String.valueOf(other[2]));
    assertEquals(new String(before, StandardCharsets.UTF_8), Files.readString(remote.resolve("circle.json")));
    Manifest.verify(uri, hadoop);
    assertFalse(Files.exists(remote.resolve(".spark-ntk.lock")));
  }
}
