package org.sparkntk.io;

import static org.sparkntk.io.OutputDirectory.checkInTheWay;
import static org.sparkntk.io.OutputDirectory.checkIsDirectoryOrAbsent;
import static org.sparkntk.io.OutputDirectory.exists;
import static org.sparkntk.io.OutputDirectory.inspect;
import static org.sparkntk.io.OutputDirectory.kindOf;
import static org.sparkntk.io.OutputDirectory.linkMessage;
import static org.sparkntk.io.OutputDirectory.original;
import static org.sparkntk.io.OutputDirectory.ownsDirectory;
import static org.sparkntk.io.OutputDirectory.reason;
import static org.sparkntk.io.OutputDirectory.refusal;
import static org.sparkntk.io.OutputDirectory.sibling;
import static org.sparkntk.io.OutputDirectory.temporary;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.config.ConfigException;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;

/**
 * The files one run writes to its output.dir, the job's ({@link JobOutputs}) and every report's
 * alike, under a contract that never deletes or replaces what spark-ntk did not write:
 * <ul>
 *   <li>{@link #claim} runs before any work. It takes the directory's {@link OutputLock} and accepts
 *       a new or empty directory, or one that spark-ntk wrote before: it carries the journal
 *       {@value #JOURNAL} or a {@link Manifest manifest.json}. Anything else is refused, naming what
 *       was found, as is a directory whose manifest records other settings (unless output.overwrite
 *       = true), and any of the names the run will write or delete (declared to claim) that is a
 *       symbolic link, or holds a file that neither the journal nor the manifest lists.</li>
 *   <li>The journal lists every path spark-ntk created in the directory; each path is appended to
 *       it before the file is created (write-ahead), so a run killed at any point leaves nothing of
 *       its own unlisted. A path is this tool's to replace or delete only if it is listed (or is
 *       the temporary sibling {@code .<name>.tmp} of a listed file, or lies in a listed temporary
 *       directory); a symbolic link never is, and no link inside output.dir is followed for
 *       writing.</li>
 *   <li>Each {@link #write} goes through {@link AtomicFiles} (temporary name, then rename) and is
 *       recorded; {@link #finish} writes manifest.json last, listing exactly the recorded files with
 *       the settings fingerprint; {@link #close} releases the lock.</li>
 * </ul>
 *
 * output.dir is a local directory (a plain path or a {@code file:} URI, through java.nio) or any
 * other URI ({@code hdfs://}, {@code s3a://}, …, through Hadoop's FileSystem API): the contract is
 * this class's, the file operations an {@link OutputStore}'s ({@link LocalStore}, {@link HadoopStore}).
 *
 * <pre>{@code
 * try (OutputFiles out = OutputFiles.claim(config, "circle.json", FILES)) {   // before any work
 *   out.write("circle.csv", f -> ...);
 *   out.write("circle.json", f -> ...);
 *   out.finish();                                                            // manifest.json
 * }
 * }</pre>
 *
 * <p>One class of some 600 lines, by design: the contract's state (the lock, the declared names,
 * the listed paths, the files written) changes with every call, and each method's checks read all
 * of it. What an existing directory holds is read by {@link OutputDirectory}, and the file
 * operations are an {@link OutputStore}'s.
 */
public final class OutputFiles implements AutoCloseable {
  /** The journal of the paths spark-ntk created in output.dir (JSON lines, a header first). */
  public static final String JOURNAL = ".spark-ntk.journal";
  static final String JOURNAL_FORMAT = "spark-ntk-journal";
  private static final Logger LOG = LoggerFactory.getLogger(OutputFiles.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final OutputStore store;
  private final String fingerprint;
  private final OutputLock lock;
  private final boolean createdDir;
  private final Set<String> declared;
  /** Paths listed as spark-ntk's, relative with '/'; a directory ends with '/'. */
  private final Set<String> owned;
  private final Set<String> written = new LinkedHashSet<>();
  /** Files written by others, with the size and SHA-256 they reported ({@link #recordWritten}). */
  private final Map<String, Manifest.Entry> known = new HashMap<>();
  private final Thread releaseAtExit;
  private OutputStore.Appender journal;
  private boolean closed;

  private OutputFiles(OutputStore store, String fingerprint, OutputLock lock, boolean createdDir, Set<String> declared,
                      Set<String> owned) {
    this.store = store;
    this.fingerprint = fingerprint;
    this.lock = lock;
    this.createdDir = createdDir;
    this.declared = declared;
    this.owned = owned;
    // A job stopped by a signal or System.exit still frees the directory for the next one. Through
    // Hadoop, the hook runs in Hadoop's shutdown sequence ahead of the one that closes the cached
    // FileSystems, which the lock's deletion needs. (A local output.dir needs no Hadoop class.)
    this.releaseAtExit = new Thread(lock::close, "spark-ntk output.dir lock release");
    if (store.localDir() == null) { // through Hadoop
      ShutdownHookManager.get().addShutdownHook(releaseAtExit, FileSystem.SHUTDOWN_HOOK_PRIORITY + 1);
    } else {
      Runtime.getRuntime().addShutdownHook(releaseAtExit);
    }
  }

  /**
   * {@link #claim(JobConfig, Path, String, Collection)} of output.dir, which a report needs: a
   * plain path or {@code file:} URI locally, any other URI through Hadoop's FileSystem with the
   * Hadoop configuration of the running Spark session ({@link #hadoopConfiguration()}).
   */
  public static OutputFiles claim(JobConfig config, String summary, Collection<String> names) {
    return claim(config, OutputFiles::hadoopConfiguration, summary, names);
  }

  /**
   * {@link #claim(JobConfig, String, Collection)} where a URI output.dir is opened with the Hadoop
   * configuration {@code hadoop} gives (the SparkContext's {@code hadoopConfiguration()}), asked
   * for only for a URI.
   */
  public static OutputFiles claim(JobConfig config, Supplier<Configuration> hadoop, String summary,
                                  Collection<String> names) {
    config.require(ConfigKeys.OUTPUT_DIR);
    String dir = config.get(ConfigKeys.OUTPUT_DIR);
    return claim(OutputStore.of(dir, hadoop), config.fingerprint(), config.get(ConfigKeys.OUTPUT_OVERWRITE), summary,
        names);
  }

  /**
   * The Hadoop configuration of the active (else the default) Spark session, as its SparkContext
   * has it; a plain {@code new Configuration()} when no session runs.
   */
  public static Configuration hadoopConfiguration() {
    scala.Option<SparkSession> session = SparkSession.getActiveSession();
    if (session.isEmpty()) {
      session = SparkSession.getDefaultSession();
    }
    return session.isEmpty() ? new Configuration() : session.get().sparkContext().hadoopConfiguration();
  }

  /**
   * Makes {@code dir} this run's (see the class comment): {@code summary} is the run's summary
   * file (e.g. metrics.json) and {@code names} every top-level name the run may write or delete;
   * manifest.json and the summary are deleted first, so that a rerun that fails never leaves the
   * previous run looking complete. Every refusal is a {@link ConfigException} and leaves the
   * directory as it was.
   */
  public static OutputFiles claim(JobConfig config, Path dir, String summary, Collection<String> names) {
    return claim(dir, config.fingerprint(), config.get(ConfigKeys.OUTPUT_OVERWRITE), summary, names);
  }

  /** {@link #claim(JobConfig, Path, String, Collection)} with the settings fingerprint and output.overwrite given. */
  public static OutputFiles claim(Path dir, String fingerprint, boolean overwrite, String summary,
                                  Collection<String> names) {
    return claim(new LocalStore(dir), fingerprint, overwrite, summary, names);
  }

  /** {@link #claim(Path, String, boolean, String, Collection)} of the output.dir of {@code dir}, local or not. */
  static OutputFiles claim(OutputStore dir, String fingerprint, boolean overwrite, String summary,
                           Collection<String> names) {
    checkIsDirectoryOrAbsent(dir);
    boolean created = !exists(dir, "");
    if (created) {
      try {
        dir.createRoot();
      } catch (IOException e) {
        throw new ConfigException(refusal(dir) + "cannot be created (" + reason(e) + "): choose another output.dir");
      }
    }
    OutputLock lock;
    try {
      lock = OutputLock.acquire(dir);
    } catch (RuntimeException e) {
      removeIfCreatedAndEmpty(dir, created);
      throw e;
    }
    try {
      Set<String> owned = inspect(dir, fingerprint, overwrite);
      Set<String> declaredNames = new LinkedHashSet<>(names);
      declaredNames.add(Manifest.FILE);
      declaredNames.add(summary);
      for (String name : declaredNames) {
        checkInTheWay(dir, owned, name);
        checkInTheWay(dir, owned, temporary(name));
      }
      OutputFiles out = new OutputFiles(dir, fingerprint, lock, created, declaredNames, owned);
      try {
        out.delete(Manifest.FILE);
        out.delete(summary);
      } catch (IOException e) {
        out.close();
        throw new UncheckedIOException("cannot clear " + dir.display() + ": " + e.getMessage(), e);
      }
      return out;
    } catch (RuntimeException e) {
      lock.close();
      removeIfCreatedAndEmpty(dir, created);
      throw e;
    }
  }

  /**
   * The checks of {@link #claim} that need no lock and change nothing (output.dir is a directory or
   * can be created, is writable, is not locked by a live job, is new or empty or spark-ntk's, and
   * the settings rule): the CLI runs them before Spark starts.
   */
  public static void check(JobConfig config) {
    String value = config.get(ConfigKeys.OUTPUT_DIR);
    if (value == null) {
      return;
    }
    if (OutputStore.isHadoopUri(value)) {
      // Opening it needs Spark's Hadoop configuration: claim checks it once the session runs, before any work.
      try {
        new org.apache.hadoop.fs.Path(URI.create(value));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(refusal(value) + "is not a valid URI (" + e.getMessage() + ")");
      }
      return;
    }
    Path dir = OutputStore.localPath(value);
    LocalStore store = new LocalStore(dir);
    checkIsDirectoryOrAbsent(store);
    if (Files.exists(dir)) {
      if (!Files.isWritable(dir)) {
        throw new ConfigException(refusal(dir) + "is not writable: choose another output.dir or make it writable");
      }
      OutputLock.checkNotHeld(store);
      inspect(store, config.fingerprint(), config.get(ConfigKeys.OUTPUT_OVERWRITE));
      return;
    }
    Path existing = dir.toAbsolutePath().getParent();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing != null && !Files.isDirectory(existing)) {
      throw new ConfigException(refusal(dir) + "cannot be created: " + existing + " is a file, not a directory");
    }
    if (existing != null && !Files.isWritable(existing)) {
      throw new ConfigException(refusal(dir) + "cannot be created: " + existing + " is not writable");
    }
  }

  /**
   * The local directory; an output.dir given as a URI other than {@code file:} has none (an
   * IllegalStateException): use {@link #location()} and {@link #uri}.
   */
  public Path dir() {
    Path local = store.localDir();
    if (local == null) {
      throw new IllegalStateException("output.dir = '" + store.display() + "' is not a local directory");
    }
    return local;
  }

  /** output.dir as given (a path or a URI), for messages. */
  public String location() {
    return store.display();
  }

  /** {@code name} in output.dir, for messages. */
  public String location(String name) {
    return store.display(name);
  }

  /** The Hadoop URI of {@code name} in output.dir (a local directory as a {@code file:} URI). */
  public String uri(String name) {
    return store.uri(name);
  }

  /** Whether output.dir is a local directory ({@link #dir()} is then the path). */
  public boolean isLocal() {
    return store.localDir() != null;
  }

  OutputStore store() {
    return store;
  }

  /** Writes {@code name} (relative to the directory) atomically and records it for the manifest. */
  public void write(String name, AtomicFiles.Writer writer) throws IOException {
    record(name);
    prepare(name);
    store.write(name, writer);
  }

  /** Writes {@code name} atomically as a file of this run that is not an output (a checkpoint block). */
  public void writeWorkFile(String name, AtomicFiles.Writer writer) throws IOException {
    prepare(name);
    store.write(name, writer);
  }

  /** Appends {@code bytes} to the work file {@code name} (created if absent), listed in the journal first. */
  public void appendWorkFile(String name, byte[] bytes) throws IOException {
    prepare(name);
    store.append(name, bytes);
  }

  /**
   * Creates the directory {@code name} (and the directories on the way), each listed in the
   * journal first, for files that others write into it: the executors' block files.
   */
  public synchronized void workDirectory(String name) throws IOException {
    checkDeclared(name);
    checkParents(name);
    String[] parts = name.split("/");
    StringBuilder prefix = new StringBuilder();
    for (String part : parts) {
      prefix.append(part);
      String p = prefix.toString();
      OutputStore.Kind kind = store.kind(p);
      if (kind == OutputStore.Kind.ABSENT) {
        journal(prefix + "/");
        store.createDirectory(p);
      } else if (kind != OutputStore.Kind.DIRECTORY || !ownsDirectory(owned, p)) {
        throw new ConfigException(refusal(store) + "holds " + prefix + ", which is not a directory spark-ntk wrote, "
            + "where this run writes: move it away or choose another output.dir");
      }
      prefix.append('/');
    }
  }

  /**
   * Lists in the journal, before they exist, the files {@code names} that the executors will write
   * into {@code directory} (write-ahead, as for every file of the run), so that a later run may
   * replace or delete them; the directory itself is created ({@link #workDirectory}).
   */
  public synchronized void expectFiles(String directory, Collection<String> names) throws IOException {
    workDirectory(directory);
    List<String> paths = new ArrayList<>();
    for (String name : names) {
      if (name.contains("/")) {
        throw new IllegalArgumentException("'" + name + "' is not a file name in " + directory);
      }
      paths.add(directory + "/" + name);
    }
    journal(paths); // one append for them all (a rewrite of the journal where Hadoop has no append)
  }

  /**
   * Records for the manifest a file that others wrote at {@code name} (listed with
   * {@link #expectFiles} first), with the size and SHA-256 the writer took from the bytes it wrote;
   * the manifest checks the size against the file and takes the SHA-256 as given.
   */
  public synchronized void recordWritten(String name, long size, String sha256) {
    checkDeclared(name);
    if (!owned.contains(name)) {
      throw new IllegalStateException(name + " was not listed in the journal of " + store.display()
          + " before it was written");
    }
    record(name);
    known.put(name, new Manifest.Entry(name, size, sha256));
  }

  /**
   * Writes the directory {@code name} whole: {@code writer} fills a temporary directory, which
   * then replaces {@code name} (a previous run's is deleted first); every file in it is recorded.
   */
  public void writeDirectory(String name, AtomicFiles.Writer writer) throws IOException {
    String staging = temporary(name);
    checkDeclared(name);
    delete(staging);
    checkInTheWay(store, owned, name);
    journal(staging + "/");
    store.fill(staging, writer);
    List<String> files = store.walk(staging).stream().filter(e -> !e.path().equals(staging))
        .map(e -> name + e.path().substring(staging.length())
            + (e.kind() == OutputStore.Kind.DIRECTORY ? "/" : "")).sorted().toList();
    List<String> listed = new ArrayList<>();
    listed.add(name + "/");
    listed.addAll(files);
    journal(listed);
    delete(name);
    store.move(staging, name);
    for (String f : files) {
      if (!f.endsWith("/")) {
        record(f);
      }
    }
  }

  /**
   * Deletes {@code name} (a file or a directory) when everything there is this tool's; a symbolic
   * link or an unlisted file there is refused (a {@link ConfigException}) and nothing deleted.
   */
  public synchronized void delete(String name) throws IOException {
    checkDeclared(name);
    if (!exists(store, name)) {
      return;
    }
    checkParents(name);
    checkInTheWay(store, owned, name);
    openJournal(); // a directory known only from its manifest keeps its list once the manifest is gone
    store.deleteRecursively(name);
  }

  /** The files written so far, in order. */
  public List<String> files() {
    return new ArrayList<>(written);
  }

  /** Writes manifest.json, last: the run is complete. */
  public void finish() throws IOException {
    prepare(Manifest.FILE);
    Manifest.write(store, files(), fingerprint, known);
  }

  /**
   * Rewrites the journal to the listed paths that exist, and releases the lock; a directory this
   * run created and wrote nothing to is removed again.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (journal != null) {
        journal.close();
        compactJournal();
      }
    } catch (IOException e) {
      LOG.warn("cannot rewrite {}: {}", store.display(JOURNAL), e.getMessage());
    } finally {
      lock.close();
      try {
        if (store.localDir() == null) { // through Hadoop
          ShutdownHookManager.get().removeShutdownHook(releaseAtExit);
        } else {
          Runtime.getRuntime().removeShutdownHook(releaseAtExit);
        }
      } catch (IllegalStateException e) {
        // the JVM is already shutting down; the hook releases nothing twice
      }
      removeIfCreatedAndEmpty(store, createdDir && journal == null);
    }
  }

  private void record(String name) {
    if (name.equals(Manifest.FILE) || !written.add(name)) {
      throw new IllegalStateException(name + " is written twice, or is the manifest's own name, in one run of "
          + store.display());
    }
  }

  /**
   * Checks that {@code name} may be written (every directory on the way a real directory, the
   * target and its temporary sibling absent or this tool's), lists it and the directories created
   * for it in the journal, and returns its path.
   */
  private synchronized void prepare(String name) throws IOException {
    checkDeclared(name);
    checkParents(name);
    String[] parts = name.split("/");
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < parts.length - 1; i++) {
      prefix.append(parts[i]);
      String p = prefix.toString();
      if (!exists(store, p)) {
        journal(prefix + "/");
        store.createDirectory(p);
      }
      prefix.append('/');
    }
    checkInTheWay(store, owned, name); // a directory of this tool's there stays: the rename onto it fails, naming it
    String tmp = sibling(name, temporary(parts[parts.length - 1]));
    checkInTheWay(store, owned, tmp);
    store.deleteIfExists(tmp);
    journal(name);
  }

  /** Every directory between output.dir and {@code name} must be a directory, never a link. */
  private void checkParents(String name) {
    String[] parts = name.split("/");
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < parts.length - 1; i++) {
      prefix.append(parts[i]);
      OutputStore.Kind kind = kindOf(store, prefix.toString());
      if (kind == OutputStore.Kind.LINK) {
        throw new ConfigException(linkMessage(store, prefix.toString()));
      }
      if (kind != OutputStore.Kind.ABSENT && (kind != OutputStore.Kind.DIRECTORY
          || !ownsDirectory(owned, prefix.toString()))) {
        throw new ConfigException(refusal(store) + "holds " + prefix + ", which no spark-ntk run wrote (" + JOURNAL
            + " does not list it), where this run writes " + name + ": move it away or choose another output.dir");
      }
      prefix.append('/');
    }
  }

  private void checkDeclared(String name) {
    if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || Stream.of(name.split("/"))
        .anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
      throw new IllegalArgumentException("'" + name + "' is not a plain relative path in " + store.display());
    }
    String top = name.split("/")[0];
    if (!declared.contains(top) && !declared.contains(original(top))) {
      throw new IllegalStateException(name + " was not declared to OutputFiles.claim for " + store.display()
          + ", which checks every name a run writes before any work; declared: " + declared);
    }
  }

  /** Appends {@code path} to the journal (created on the first line) unless it is listed already. */
  private synchronized void journal(String path) throws IOException {
    journal(List.of(path));
  }

  /** Appends the paths of {@code paths} not listed yet, in one append. */
  private synchronized void journal(List<String> paths) throws IOException {
    StringBuilder lines = new StringBuilder();
    Set<String> added = new LinkedHashSet<>();
    for (String path : paths) {
      if (!owned.contains(path) && added.add(path)) {
        lines.append(JSON.createObjectNode().put("path", path)).append('\n');
      }
    }
    if (added.isEmpty()) {
      return;
    }
    openJournal();
    journal.append(lines.toString().getBytes(StandardCharsets.UTF_8));
    owned.addAll(added);
  }

  private void openJournal() throws IOException {
    if (journal != null) {
      return;
    }
    if (exists(store, JOURNAL)) {
      int last = store.lastByte(JOURNAL);
      boolean torn = last >= 0 && last != '\n';
      journal = store.appender(JOURNAL, false);
      if (torn) {
        append(""); // ends a torn last line, so the next entry is not glued to it
      }
    } else {
      // A new journal (or one rebuilt from a rewrite cut short, see inspect), header and every
      // path known so far (a directory known from its manifest only) in one write.
      StringBuilder text = new StringBuilder(header()).append('\n');
      for (String path : new TreeSet<>(owned)) {
        text.append(JSON.createObjectNode().put("path", path)).append('\n');
      }
      journal = store.appender(JOURNAL, true);
      journal.append(text.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  private void append(String line) throws IOException {
    journal.append((line + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static String header() {
    return JSON.createObjectNode().put("format", JOURNAL_FORMAT).put("version", 1).toString();
  }

  /** The journal from here on lists the paths that exist, so that it does not grow with every run. */
  private void compactJournal() throws IOException {
    StringBuilder text = new StringBuilder(header()).append('\n');
    for (String path : new TreeSet<>(owned)) {
      OutputStore.Kind kind = kindOf(store, path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
      if (path.endsWith("/") ? kind == OutputStore.Kind.DIRECTORY : kind == OutputStore.Kind.FILE) {
        text.append(JSON.createObjectNode().put("path", path)).append('\n');
      }
    }
    store.write(JOURNAL, f -> Files.writeString(f, text, StandardCharsets.UTF_8));
  }

  private static void removeIfCreatedAndEmpty(OutputStore dir, boolean created) {
    if (!created) {
      return;
    }
    try {
      if (dir.list("").isEmpty()) {
        dir.delete("");
      }
    } catch (IOException e) {
      LOG.warn("cannot remove the empty output.dir {} this run created: {}", dir.display(), e.getMessage());
    }
  }
}
