package org.sparkntk.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Child JVMs for the cluster integration tests: a Spark driver, a standalone master or worker,
 * started from the jars Maven built (never from java.class.path, which under failsafe may be a
 * manifest-only jar), bound to loopback, each writing to its own log file. A child that outlives
 * its timeout is killed with every process it started (executor JVMs) and the test fails with
 * the end of its log.
 */
final class ClusterProcesses {
  /** The project directory (failsafe sets basedir; otherwise the working directory, which it also is). */
  static final Path BASE = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
  static final Path TARGET = BASE.resolve("target");

  private ClusterProcesses() {}

  /** target/test-classes, the project jar and Spark's class path as package wrote it, in that order. */
  static List<String> classPath() {
    Path jar = TARGET.resolve("spark-ntk-0.1.0-SNAPSHOT.jar");
    Path sparkClassPath = TARGET.resolve("spark-classpath.txt");
    if (!Files.isRegularFile(jar) || !Files.isRegularFile(sparkClassPath)) {
      fail("run the cluster tests with `mvn verify` (package must first build " + jar + " and " + sparkClassPath + ")");
    }
    List<String> entries = new ArrayList<>(List.of(TARGET.resolve("test-classes").toString(), jar.toString()));
    entries.addAll(sparkClassPath());
    return entries;
  }

  /** The entries of target/spark-classpath.txt: Spark, Scala, Hadoop and the rest Spark ships. */
  static List<String> sparkClassPath() {
    try {
      String text = Files.readString(TARGET.resolve("spark-classpath.txt")).strip();
      return Arrays.asList(text.split(File.pathSeparator));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String joined(List<String> classPath) {
    return String.join(File.pathSeparator, classPath);
  }

  /** The Java module flags Spark needs on Java 17 (the pom's spark.test.jvm.flags, the list ./submit uses). */
  static List<String> jvmFlags() {
    String flags = System.getProperty("spark.test.jvm.flags");
    if (flags == null || flags.isBlank()) {
      fail("the system property spark.test.jvm.flags is not set: run the cluster tests through `mvn verify`");
    }
    return Arrays.asList(flags.strip().split("\\s+"));
  }

  /**
   * A SPARK_HOME for workers: Spark's launcher builds an executor's command line from
   * SPARK_HOME/jars (which must exist; it may be empty, the class path comes from
   * spark.executor.extraClassPath), and the worker's work/ directory goes there too.
   */
  static Path sparkHome(Path dir) throws IOException {
    Path home = dir.resolve("spark-home");
    Files.createDirectories(home.resolve("jars"));
    return home;
  }

  /** A TCP port free on loopback now (a child binds it moments later). */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  /** A running child JVM (or script) and its log, stdout and stderr together. */
  record Child(String name, Process process, Path log) implements AutoCloseable {
    /** The last {@code lines} lines of the log. */
    String tail(int lines) {
      try {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
      } catch (IOException e) {
        return "(cannot read " + log + ": " + e + ")";
      }
    }

    String logText() {
      try {
        return Files.readString(log, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Waits for the exit status; past the timeout kills the process tree and fails with the log. */
    int waitFor(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
        fail(name + " did not finish within " + timeout + "; killed it and its children. Its log (" + log
            + "), last 80 lines:\n" + tail(80));
      }
      return process.exitValue();
    }

    /** Waits and asserts exit status 0, printing the end of the log otherwise. */
    void assertSucceeds(Duration timeout) throws InterruptedException {
      int status = waitFor(timeout);
      assertEquals(0, status, name + " exited with status " + status + "; the last 80 lines of its log (" + log
          + "):\n" + tail(80));
    }

    /** Kills the process and all its descendants (a driver's or worker's executor JVMs), and waits for them. */
    void kill() throws InterruptedException {
      List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
      tree.add(process.toHandle());
      tree.forEach(ProcessHandle::destroyForcibly);
      for (ProcessHandle p : tree) {
        try {
          p.onExit().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
          // Reported by isAlive below.
        }
      }
      tree.stream().filter(ProcessHandle::isAlive)
          .forEach(p -> System.err.println(name + ": process " + p.pid() + " survived destroyForcibly"));
    }

    @Override
    public void close() {
      if (process.isAlive() || process.descendants().findAny().isPresent()) {
        try {
          kill();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Starts {@code command} in the project directory with loopback Spark, output to {@code logDir/<name>.log}. */
  static Child start(String name, Path logDir, Map<String, String> env, List<String> command) throws IOException {
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).directory(BASE.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    // SPARK_HOME only where a test gives one (./submit would hand over to $SPARK_HOME/bin/spark-submit).
    builder.environment().remove("SPARK_HOME");
    builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    // One BLAS thread per task, as ./submit does, so a cluster run does the same arithmetic as local[2].
    builder.environment().put("OPENBLAS_NUM_THREADS", "1");
    builder.environment().putAll(env);
    return new Child(name, builder.start(), log);
  }

  /** Starts {@code mainClass} in a child JVM with Spark's module flags on {@code classPath}. */
  static Child java(String name, Path logDir, Map<String, String> env, List<String> classPath,
                    List<String> jvmOptions, String mainClass, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(joined(classPath));
    command.add(mainClass);
    command.addAll(args);
    return start(name, logDir, env, command);
  }

  /** Polls {@code condition} every 200 ms until it holds; past the timeout fails with {@code what} and the log. */
  static void await(String what, Duration timeout, Child watched, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (!watched.process().isAlive()) {
        fail(watched.name() + " exited (status " + watched.process().exitValue() + ") before " + what + ":\n"
            + watched.tail(80));
      }
      if (System.nanoTime() > end) {
        fail("no " + what + " within " + timeout + "; " + watched.name() + "'s log:\n" + watched.tail(80));
      }
      Thread.sleep(200);
    }
  }
}
