package org.sparkntk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkntk.SparkTestSession;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.OutputFiles;

/**
 * The reports follow the job's output.dir contract (OutputDirTest): every file written atomically,
 * manifest.json last listing exactly the files the report wrote, another job's results refused,
 * and a report that fails while writing leaves no manifest. Each report runs at a toy size (one
 * width or feature count, one seed, a few rows), as few Spark jobs as it can.
 */
class ReportOutputDirTest {
  @TempDir
  static Path dir;
  static Path conf;

  @BeforeAll
  static void files() throws IOException {
    SparkTestSession.get();
    NtkMainTest.writeCsv(dir.resolve("train.csv"), new double[3 * 12], 12, new Random(4));
    conf = dir.resolve("report.conf");
    Files.writeString(conf, String.join("\n", "data.train = " + dir.resolve("train.csv"), "data.label = y1,y2",
        "model.hidden = 4", "model.activation = relu", "report.seeds = 1", ""));
  }

  /** report.type, its toy settings, the files it writes, and the one the failure test blocks. */
  static Stream<Arguments> reports() {
    return Stream.of(
        Arguments.of("circle", List.of("report.widths=8", "report.points=5"),
            List.of("circle.csv", "circle.json", "circle.png"), "circle.png"),
        Arguments.of("convergence", List.of("report.widths=4"),
            List.of("convergence.csv", "convergence.json", "convergence.png"), "convergence.png"),
        Arguments.of("rfconvergence", List.of("report.features=4"),
            List.of("rfconvergence.csv", "rfconvergence.json", "rfconvergence.png"), "rfconvergence.png"),
        Arguments.of("image", List.of("report.imageSize=4", "report.mappings=none", "kernel.type=analytic",
                "solver.type=regression", "solver.ridge=1e-6", "solver.f0=zero"),
            List.of("psnr.csv", "psnr.json", "reconstruction_text.png", "spectra.png"), "spectra.png"),
        Arguments.of("dynamics", List.of("report.widths=4", "report.components=2", "solver.steps=2",
                "solver.recordEvery=1", "solver.lr=0.1"),
            List.of("dynamics.csv", "dynamics.json", "dynamics_decay.png", "dynamics_rmse.png",
                "dynamics_trajectories.png"), "dynamics_trajectories.png"));
  }

  private static Object[] run(String type, List<String> settings, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of(conf.toString(), "report.type=" + type, "output.dir=" + out));
    args.addAll(settings);
    args.addAll(Arrays.asList(more));
    return NtkMainTest.run(args.toArray(new String[0]));
  }

  /** Every regular file under {@code out}, relative and sorted, besides spark-ntk's journal: nothing else is ignored. */
  private static List<String> present(Path out) throws IOException {
    try (Stream<Path> walk = Files.walk(out)) {
      return walk.filter(Files::isRegularFile).map(p -> out.relativize(p).toString().replace('\\', '/'))
          .filter(p -> !p.equals(OutputFiles.JOURNAL)).sorted().toList();
    }
  }

  private static List<String> listed(Path out) throws IOException {
    return Manifest.verify(out).stream().map(Manifest.Entry::path).sorted().toList();
  }

  /**
   * A run's manifest lists exactly the files in output.dir besides itself and verifies; a rerun
   * with other settings (model.seed) exits with status 2 and leaves those results verifying; with
   * output.overwrite = true a rerun that fails while writing (a non-empty directory stands where
   * one of its PNGs goes, as in OutputDirTest) exits with status 1 and leaves no manifest.json and
   * no summary JSON.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("reports")
  void aReportFollowsTheOutputDirContract(String type, List<String> settings, List<String> files, String blocked)
      throws IOException {
    Path out = dir.resolve(type);
    Object[] first = run(type, settings, out);
    assertEquals(0, first[0], (String) first[1]);
    List<String> expected = new ArrayList<>(files);
    expected.add(Manifest.FILE);
    assertEquals(expected.stream().sorted().toList(), present(out));
    assertEquals(files.stream().sorted().toList(), listed(out));
    String fingerprint = Manifest.settingsFingerprint(out);

    Object[] other = run(type, settings, out, "model.seed=7");
    assertEquals(2, other[0], (String) other[1]);
    assertTrue(((String) other[1]).contains("holds the complete results of a job with other settings"),
        (String) other[1]);
    assertEquals(fingerprint, Manifest.settingsFingerprint(out));
    assertEquals(files.stream().sorted().toList(), listed(out), "the refused rerun touched the old results");

    Files.delete(out.resolve(blocked));
    Files.createDirectories(out.resolve(blocked));
    Files.writeString(out.resolve(blocked).resolve("obstacle"), "x");
    OutputDirTest.listAsSparkNtks(out, blocked + "/", blocked + "/obstacle"); // a leftover of spark-ntk's own
    Object[] failed = run(type, settings, out, "model.seed=7", "output.overwrite=true");
    assertEquals(1, failed[0], (String) failed[1]);
    assertTrue(((String) failed[1]).contains(blocked), (String) failed[1]);
    assertFalse(Files.exists(out.resolve(Manifest.FILE)), "a report that failed while writing left a manifest");
    String summary = files.stream().filter(f -> f.endsWith(".json")).findFirst().orElseThrow();
    assertFalse(Files.exists(out.resolve(summary)), "the old " + summary + " was left behind");
    assertThrows(IOException.class, () -> Manifest.verify(out));
    assertTrue(present(out).stream().noneMatch(f -> f.contains(".tmp")), present(out).toString());
  }

  /** The plain job into a report's complete results: other settings (report.type), so refused. */
  @Test
  void aJobIsRefusedAReportsDirectory() throws IOException {
    Path out = dir.resolve("circle-then-job");
    assertEquals(0, run("circle", List.of("report.widths=8", "report.points=5"), out)[0]);
    Object[] job = NtkMainTest.run(conf.toString(), "output.dir=" + out);
    assertEquals(2, job[0], (String) job[1]);
    Manifest.verify(out);
  }

  /**
   * Two image files of one name in different directories would share reconstruction_x_png.png:
   * refused before any work, nothing written.
   */
  @Test
  void theImageReportRefusesTwoImagesOfOneName() throws IOException {
    BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
    List<String> files = new ArrayList<>();
    for (String sub : List.of("a", "b")) {
      Path file = dir.resolve(sub).resolve("x.png");
      Files.createDirectories(file.getParent());
      ImageIO.write(img, "png", file.toFile());
      files.add(file.toString());
    }
    Path out = dir.resolve("image-twice");
    Object[] result = run("image", List.of("report.images=" + String.join(",", files), "report.imageSize=4"), out);
    assertEquals(2, result[0], (String) result[1]);
    assertTrue(((String) result[1]).contains("reconstruction_x_png.png"), (String) result[1]);
    assertFalse(Files.exists(out));
  }
}
