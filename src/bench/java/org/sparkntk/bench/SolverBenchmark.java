package org.sparkntk.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The solver benchmark of docs/BENCHMARKS.md: {@code conf/fashion-mnist.conf} (the analytic ReLU
 * NTK of Fashion-MNIST, kernel regression on one-hot targets, the full 10,000-image test set) on the
 * first N training images, run by {@code ./submit} once per solver so that each run's peak memory
 * is its own: the driver backend's Cholesky (where the dense kernels fit), and the distributed
 * backend's conjugate gradients without a preconditioner and with the randomized Nyström
 * preconditioner of each rank. One table: the Gram's time, the preconditioner's, PCG's iterations
 * and time, the whole run, the process's peak resident memory (VmHWM, polled), test accuracy, and
 * the largest difference of the test predictions from the first run's.
 *
 * <pre>scripts/benchmark --solvers [N …]   (default N = 20000; ranks 0 (none), 100, 500, 2000)</pre>
 *
 * Every run computes its own Gram: the runs are independent, at the price of one Gram per row.
 */
public final class SolverBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int[] RANKS = {0, 100, 500, 2000};

  private SolverBenchmark() {}

  record Run(String label, String[] overrides) {}

  public static void main(String[] args) throws Exception {
    int[] sizes = args.length == 0 ? new int[] {20000} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    Path root = Path.of("").toAbsolutePath();
    Path outRoot = root.resolve("target/solver-benchmark");
    Files.createDirectories(outRoot);
    List<String> rows = new ArrayList<>();
    for (int n : sizes) {
      List<Run> runs = new ArrayList<>();
      // Where the dense kernels do not fit the driver, this run is refused and its row says so.
      runs.add(new Run("driver (Cholesky)", new String[] {"solver.backend=driver", "kernel.precision=float64"}));
      for (int rank : RANKS) {
        runs.add(new Run(rank == 0 ? "distributed, CG" : "distributed, PCG Nyström r = " + rank,
            rank == 0 ? new String[] {"solver.backend=distributed", "solver.preconditioner=none"}
                : new String[] {"solver.backend=distributed", "solver.preconditioner=nystrom", "solver.rank=" + rank}));
      }
      double[] reference = null;
      for (Run run : runs) {
        Path out = outRoot.resolve(n + "-" + run.label().replaceAll("[^A-Za-z0-9]+", "-"));
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("submit").toString(),
            root.resolve("conf/fashion-mnist.conf").toString(), "data.trainRows=" + n, "output.dir=" + out,
            "output.overwrite=true"));
        command.addAll(List.of(run.overrides()));
        System.err.println("solver benchmark: " + String.join(" ", command));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(outRoot.resolve(n + ".log").toFile())).start();
        long peak = 0;
        // ./submit execs the JVM, so its pid is the job's; VmHWM is the process's peak resident set.
        while (!p.waitFor(500, TimeUnit.MILLISECONDS)) {
          peak = Math.max(peak, peakResidentBytes(p.pid()));
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() != 0) {
          rows.add(String.format(Locale.ROOT, "| %d | %s | failed: status %d (see %s) | | | | | | | |", n,
              run.label(), p.exitValue(), outRoot.resolve(n + ".log")));
          continue;
        }
        JsonNode m = JSON.readTree(out.resolve("metrics.json").toFile());
        JsonNode solver = m.path("solver");
        JsonNode phases = m.path("secondsPerPhase");
        double gram = phases.path("training Gram").asDouble(phases.path("training Gram (kept on the executors)")
            .asDouble(Double.NaN));
        double solve = 0;
        for (var e : phases.properties()) {
          if (e.getKey().startsWith("solver")) {
            solve += e.getValue().asDouble();
          }
        }
        JsonNode last = solver.path("losses").get(solver.path("losses").size() - 1);
        double[] predictions = testPredictions(out.resolve("predictions_test.csv"));
        String agreement = "—";
        if (reference == null) {
          reference = predictions;
        } else {
          double worst = 0;
          for (int i = 0; i < predictions.length; i++) {
            worst = Math.max(worst, Math.abs(predictions[i] - reference[i]));
          }
          agreement = String.format(Locale.ROOT, "%.1e", worst);
        }
        rows.add(String.format(Locale.ROOT, "| %d | %s | %.0f | %s | %s | %.0f | %.0f | %.2f | %.4f | %s |", n,
            run.label(), gram,
            solver.has("preconditionerSeconds") ? String.format(Locale.ROOT, "%.0f",
                solver.path("preconditionerSeconds").asDouble()) : "—",
            solver.has("iterations") ? solver.path("iterations").asText() : "—", solve, wall, peak / 1073741824.0,
            last.path("testAccuracy").asDouble(), agreement));
      }
    }
    System.out.println();
    System.out.println("| N | solver | Gram s | preconditioner s | iterations | solver s (incl. preconditioner) "
        + "| run s | peak RSS GiB | test accuracy | max abs Δ test predictions vs first row |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  /** VmHWM of /proc/&lt;pid&gt;/status in bytes, or 0 where /proc does not exist. */
  static long peakResidentBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // The process ended between the poll and the read.
    }
    return 0;
  }

  /** The prediction columns of the final time in predictions_test.csv (row, t, targets…, predictions…). */
  static double[] testPredictions(Path csv) throws IOException {
    List<Double> values = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(csv)) {
      String[] header = in.readLine().split(",");
      int first = 0;
      while (first < header.length && !header[first].startsWith("prediction_")) {
        first++;
      }
      List<String[]> lines = new ArrayList<>();
      String line;
      while ((line = in.readLine()) != null) {
        lines.add(line.split(","));
      }
      String lastT = lines.get(lines.size() - 1)[1];
      for (String[] f : lines) {
        if (f[1].equals(lastT)) {
          for (int i = first; i < f.length; i++) {
            values.add(Double.parseDouble(f[i]));
          }
        }
      }
    }
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
