package org.sparkntk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.io.ModelStore;
import org.sparkntk.model.Activation;
import org.sparkntk.model.Architecture;
import org.sparkntk.model.Mlp;
import org.sparkntk.model.Parameterization;

/**
 * Property test of issue 18: random malformed CSV, libsvm and model files of at most 4 KB (seeded,
 * {@link MalformedInputs}). {@value #CASES} of them go through the CLI in a child JVM with a 768 MiB
 * heap (Spark's local mode needs about 450 MiB of it), so that no input can make the job allocate
 * by a size it states; each ends with status 0, or status 2 and one message line, and writes
 * nothing in its sandbox outside output.dir. {@value #MODEL_CASES} more model directories go through
 * the model reader alone, which is what the CLI calls for model.load.
 */
class MalformedInputTest {
  static final long SEED = 18;
  /** Through the whole CLI (a few seconds each on a busy 2-core machine). */
  static final int CASES = 45;
  /** Model directories through ModelStore alone (milliseconds each). */
  static final int MODEL_CASES = 300;

  @TempDir
  Path dir;

  @Test
  void everyMalformedFileEndsWithSuccessOrOneStatusTwoMessage() throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The module flags Spark needs (surefire's argLine), without this JVM's heap setting.
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Djdk.") || a.startsWith("-Dio.netty")
          || a.equals("-XX:+IgnoreUnrecognizedVMOptions")) {
        command.add(a);
      }
    }
    command.addAll(List.of("-Xmx768m", "-Djava.io.tmpdir=" + Files.createDirectories(dir.resolve("tmp")),
        "-cp", System.getProperty("java.class.path"), MalformedInputs.class.getName(),
        Files.createDirectories(dir.resolve("work")).toString(), String.valueOf(SEED), String.valueOf(CASES)));
    Path log = dir.resolve("child.log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process child = pb.start();
    boolean done = child.waitFor(240, TimeUnit.SECONDS);
    if (!done) {
      child.destroyForcibly().waitFor();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    String tail = output.length() > 20000 ? output.substring(output.length() - 20000) : output;
    assertTrue(done, "the child did not finish in 240 s:\n" + tail);
    assertEquals(0, child.exitValue(), "some cases failed (or the child ran out of its 768 MiB heap):\n" + tail);
    assertTrue(output.contains("failed cases: 0"), tail);
    long cases = output.lines().filter(l -> l.startsWith("case ")).count();
    assertEquals(CASES, cases, tail);
    // The edits must reach both outcomes, or the test would not test the refusals.
    assertTrue(output.lines().anyMatch(l -> l.startsWith("case ") && l.contains(": status 2 ")), tail);
    assertTrue(output.lines().anyMatch(l -> l.startsWith("case ") && l.contains(": status 0")), tail);
  }

  /**
   * Each edited model either loads — finite, of the shapes model.json states — or is refused with an
   * IOException whose one-line message names a file of the directory (the CLI turns it into status 2).
   */
  @Test
  void everyMalformedModelLoadsOrIsRefusedNamingItsFile() throws IOException {
    Path base = dir.resolve("base");
    ModelStore.save(Mlp.initialise(Architecture.of(2, new int[] {3}, 1, Activation.fromConfig("relu"),
        Parameterization.NTK, 1, 0.1), 0), base);
    Random random = new Random(SEED);
    int refused = 0;
    for (int c = 0; c < MODEL_CASES; c++) {
      Path copy = Files.createDirectories(dir.resolve("model-" + c));
      try (Stream<Path> files = Files.list(base)) {
        for (Path f : files.toList()) {
          Files.copy(f, copy.resolve(f.getFileName()));
        }
      }
      String edit = MalformedInputs.mutateModel(copy, random);
      try {
        Mlp mlp = ModelStore.load(copy);
        ModelStore.loadMapping(copy);
        for (double v : mlp.parameters()) {
          assertTrue(Double.isFinite(v), "case " + c + " (" + edit + ") loaded a non-finite parameter");
        }
      } catch (IOException e) {
        refused++;
        String m = e.getMessage();
        assertTrue(m.lines().count() == 1, "case " + c + " (" + edit + "): not one line: " + m);
        assertTrue(m.contains(copy.toString()), "case " + c + " (" + edit + ") names no file of the model: " + m);
      }
    }
    assertTrue(refused > MODEL_CASES / 3 && refused < MODEL_CASES, refused + " of " + MODEL_CASES + " refused");
  }
}
