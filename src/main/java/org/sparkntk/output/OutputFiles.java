package org.sparkntk.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;

/**
 * The files one run writes to its output.dir, the job's ({@link JobOutputs}) and every report's
 * alike: {@link #claim} applies the rule for a directory that already holds results, each
 * {@link #write} goes through {@link AtomicFiles} (temporary name, then rename) and is recorded,
 * and {@link #finish} writes {@link Manifest manifest.json} last, listing exactly the recorded
 * files (paths relative to output.dir) with the settings fingerprint.
 *
 * <pre>{@code
 * OutputFiles out = OutputFiles.claim(config, "circle.json");   // before any work
 * out.write("circle.csv", f -> ...);
 * out.write("circle.png", Plots.xy(...));
 * out.write("circle.json", f -> ...);
 * out.finish();                                                 // manifest.json
 * }</pre>
 */
public final class OutputFiles {
  private final Path dir;
  private final String fingerprint;
  private final Set<String> written = new LinkedHashSet<>();

  /** Files of a run into {@code dir} whose manifest will record {@code settingsFingerprint}; no claim. */
  public OutputFiles(Path dir, String settingsFingerprint) {
    this.dir = dir;
    this.fingerprint = settingsFingerprint;
  }

  /** {@link #claim(JobConfig, Path, String)} of output.dir, which a report needs. */
  public static OutputFiles claim(JobConfig config, String summary) {
    String dir = config.get(ConfigKeys.OUTPUT_DIR);
    if (dir == null) {
      throw new ConfigException("missing required key " + ConfigKeys.OUTPUT_DIR.name() + ": "
          + ConfigKeys.OUTPUT_DIR.description());
    }
    return claim(config, Path.of(dir), summary);
  }

  /**
   * Makes {@code dir} ready for this run. A directory whose manifest.json records other settings
   * holds another job's complete results: it is refused (nothing touched) unless output.overwrite
   * = true. Then manifest.json and {@code summary} (the run's summary file, e.g. metrics.json) are
   * deleted first, so that a rerun that fails never leaves the previous run looking complete.
   */
  public static OutputFiles claim(JobConfig config, Path dir, String summary) {
    String recorded;
    try {
      recorded = Manifest.settingsFingerprint(dir);
    } catch (IOException e) {
      recorded = "unreadable";
    }
    if (recorded != null && !recorded.equals(config.fingerprint()) && !config.get(ConfigKeys.OUTPUT_OVERWRITE)) {
      throw new ConfigException("output.dir = '" + dir + "' holds the complete results of a job with other "
          + "settings (its " + Manifest.FILE + " records settings fingerprint " + recorded + ", this job's is "
          + config.fingerprint() + "): choose another output.dir, or set output.overwrite = true to replace them");
    }
    for (String name : List.of(Manifest.FILE, summary)) {
      try {
        Files.deleteIfExists(dir.resolve(name));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot clear " + dir.resolve(name) + ": " + e.getMessage(), e);
      }
    }
    return new OutputFiles(dir, config.fingerprint());
  }

  public Path dir() {
    return dir;
  }

  /** Writes {@code name} (relative to the directory) atomically and records it for the manifest. */
  public void write(String name, AtomicFiles.Writer writer) throws IOException {
    record(name);
    AtomicFiles.write(dir.resolve(name), writer);
  }

  /**
   * Writes the directory {@code name} whole: {@code writer} fills a temporary directory, which
   * then replaces {@code name} (a previous run's is deleted first); every file in it is recorded.
   */
  public void writeDirectory(String name, AtomicFiles.Writer writer) throws IOException {
    Path target = dir.resolve(name);
    Path tmp = dir.resolve("." + name + ".tmp");
    deleteRecursively(tmp);
    deleteRecursively(target);
    writer.write(tmp);
    Files.move(tmp, target);
    try (var files = Files.walk(target)) {
      for (String f : files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace('\\', '/'))
          .sorted().toList()) {
        record(f);
      }
    }
  }

  /** Deletes {@code name} (a file or a directory) so that a previous run's copy is not left stale. */
  public void delete(String name) throws IOException {
    deleteRecursively(dir.resolve(name));
  }

  /** The files written so far, in order. */
  public List<String> files() {
    return new ArrayList<>(written);
  }

  /** Writes manifest.json, last: the run is complete. */
  public void finish() throws IOException {
    Manifest.write(dir, files(), fingerprint);
  }

  private void record(String name) {
    if (name.equals(Manifest.FILE) || !written.add(name)) {
      throw new IllegalStateException(name + " is written twice, or is the manifest's own name, in one run of " + dir);
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
