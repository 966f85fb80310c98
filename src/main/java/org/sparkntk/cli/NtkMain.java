package org.sparkntk.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.spark.sql.SparkSession;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKey;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.DataException;
import org.sparkntk.io.Manifest;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.io.OutputStore;
import org.sparkntk.linalg.Blas;
import org.sparkntk.linalg.BlockProducts;
import org.sparkntk.linalg.Lapack;
import org.sparkntk.report.Report;
import org.sparkntk.report.Reports;
import org.sparkntk.solver.StepSize;
import org.sparkntk.solver.NotConvergedException;

/**
 * {@code spark-ntk <job.conf> [key=value …]}: the batch job. Under spark-submit it uses the
 * session spark-submit configured; run directly it starts an embedded {@code local[*]} Spark
 * bound to loopback with the UI off. Exit status: 0 done, 2 bad configuration or input (one
 * message, nothing run or written as complete), 1 any other failure.
 */
public final class NtkMain {
  private NtkMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
      System.err.println("usage: submit conf/<job>.conf [key=value ...]   (every key: see docs/CONFIG.md)");
      return args.length == 0 ? 2 : 0;
    }
    JobConfig config;
    Report report;
    try {
      config = JobConfig.load(Path.of(args[0]), Arrays.asList(args).subList(1, args.length));
      report = checkFileJob(config);
    } catch (ConfigException | DataException e) {
      System.err.println("spark-ntk: " + e.getMessage());
      return 2;
    }
    System.err.println("spark-ntk: BLAS " + Blas.get().implementation() + (Blas.get().isNative() ? " (native)"
        : " (pure Java: install a native BLAS such as Debian's libopenblas0 for speed)")
        + ", LAPACK " + Lapack.get().implementation() + ", block products " + BlockProducts.describe()
        + (System.getenv("OPENBLAS_CORETYPE") == null ? "" : ", OPENBLAS_CORETYPE " + System.getenv("OPENBLAS_CORETYPE")));
    boolean embedded = System.getProperty("spark.master") == null;
    // Stop only a session this call started: a caller's (a test's, a notebook's) is left running.
    boolean created = SparkSession.getDefaultSession().isEmpty() && SparkSession.getActiveSession().isEmpty();
    SparkSession spark = session(config, embedded);
    try {
      report.run(spark, config);
      String dir = config.get(ConfigKeys.OUTPUT_DIR);
      if (OutputStore.isHadoopUri(dir)) {
        System.out.println("spark-ntk: outputs written to " + dir + ": "
            + String.join(", ", names(Manifest.paths(dir, spark.sparkContext().hadoopConfiguration()))));
      } else {
        Path out = OutputStore.localPath(dir).toAbsolutePath();
        System.out.println("spark-ntk: outputs written to " + out + ": " + String.join(", ", written(out)));
      }
      return 0;
    } catch (Throwable t) {
      String userError = userError(t);
      if (userError != null) {
        System.err.println("spark-ntk: " + userError);
        return 2;
      }
      System.err.println("spark-ntk: the job failed:");
      t.printStackTrace();
      return 1;
    } finally {
      if (created) {
        spark.stop();
      }
    }
  }

  /**
   * Checks, before Spark starts, what a file-based job needs: its report, its keys and its local
   * input paths. Returns the report (or the job) that report.type names.
   */
  static Report checkFileJob(JobConfig config) {
    Report report = Reports.of(config);
    boolean needsData = report.readsData();
    for (ConfigKey<?> key : ConfigKeys.all()) {
      // data.train is the one required key a report may not need (circle, image draw their own data)
      if (key.required() && (needsData || key != ConfigKeys.DATA_TRAIN)) {
        config.require(key);
      }
    }
    for (var key : List.of(ConfigKeys.DATA_TRAIN, ConfigKeys.DATA_TEST, ConfigKeys.MODEL_LOAD)) {
      String path = config.get(key);
      if (path != null && isLocal(path) && !Files.exists(Path.of(path.replaceFirst("^file:", "")))) {
        throw new ConfigException(key.name() + " = '" + path + "': no such file or directory");
      }
    }
    if (needsData) {
      config.format();
    }
    report.check(config);
    OutputFiles.check(config);
    return report;
  }

  /**
   * The top-level names of this run's files, from the manifest.json it has just written (a file of
   * model/ shows as model): the directory may hold the user's own files too, which are not this run's.
   */
  static List<String> written(Path dir) throws IOException {
    return names(Manifest.paths(dir));
  }

  private static List<String> names(List<String> paths) {
    SortedSet<String> names = new TreeSet<>();
    names.add(Manifest.FILE);
    for (String path : paths) {
      names.add(path.split("/")[0]);
    }
    return List.copyOf(names);
  }

  private static boolean isLocal(String path) {
    return !path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || path.startsWith("file:");
  }

  /**
   * spark.network.maxRemoteBlockSizeFetchToMem of an embedded run: just under Spark's 2 GiB limit.
   * A dense Gram's tile task sends up to 512 MiB of blocks to the driver; above this setting
   * (200 MiB by default) the driver streams such a result to a temporary file and reads it back.
   * Embedded, the result is in the same JVM already, so the detour only costs: at N = 16384 the
   * X Xᵀ Gram took 11.7 s with 136 MiB tiles under the default and 7.3 s with 302 MiB tiles fetched
   * to memory, the analytic NTK 16.5 s and 13.1 s (docs/BENCHMARKS.md). On a cluster the default
   * stands unless the job sets it.
   */
  static final String EMBEDDED_FETCH_TO_MEMORY = "2047m";

  static SparkSession session(JobConfig config, boolean embedded) {
    SparkSession.Builder builder = SparkSession.builder();
    sessionSettings(config, embedded).forEach(builder::config);
    return builder.getOrCreate();
  }

  /**
   * The Spark settings of the session the CLI starts: its name, and for an embedded run (which
   * serves nobody else) local[*] with the driver and block manager bound to loopback and the UI
   * off; then the job's spark.* keys, as given; then, if the master is still local[…] (one JVM),
   * {@link #EMBEDDED_FETCH_TO_MEMORY} unless the job set it.
   */
  static Map<String, String> sessionSettings(JobConfig config, boolean embedded) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("spark.app.name", "spark-ntk");
    if (embedded) {
      settings.put("spark.master", "local[*]");
      settings.put("spark.driver.host", "127.0.0.1");
      settings.put("spark.driver.bindAddress", "127.0.0.1");
      settings.put("spark.ui.enabled", "false");
    }
    settings.putAll(config.sparkSettings());
    // Only where driver and executors are one JVM: an executor refuses to start when its Netty
    // direct memory (its heap size by default) is below this setting, and local-cluster[…] or a
    // master URL given as a key start separate executors.
    if (embedded && settings.get("spark.master").matches("local(\\[.*])?")) {
      settings.putIfAbsent("spark.network.maxRemoteBlockSizeFetchToMem", EMBEDDED_FETCH_TO_MEMORY);
    }
    return settings;
  }

  /** The message of a user error anywhere in the cause chain (Spark wraps executor exceptions), else null. */
  static String userError(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ConfigException || c instanceof DataException
          || c instanceof StepSize.DivergentStepException
          || c instanceof Lapack.NotPositiveDefiniteException || c instanceof NotConvergedException) {
        return c.getMessage();
      }
    }
    // A task failure whose exception could not be deserialized still carries its text.
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = String.valueOf(c.getMessage());
      int at = m.indexOf(DataException.class.getName() + ": ");
      if (at >= 0) {
        String rest = m.substring(at + DataException.class.getName().length() + 2);
        int end = rest.indexOf('\n');
        return end < 0 ? rest : rest.substring(0, end);
      }
    }
    return null;
  }
}
