package org.sparkntk.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
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
 * <pre>{@code
 * try (OutputFiles out = OutputFiles.claim(config, "circle.json", FILES)) {   // before any work
 *   out.write("circle.csv", f -> ...);
 *   out.write("circle.json", f -> ...);
 *   out.finish();                                                            // manifest.json
 * }
 * }</pre>
 */
public final class OutputFiles implements AutoCloseable {
  /** The journal of the paths spark-ntk created in output.dir (JSON lines, a header first). */
  public static final String JOURNAL = ".spark-ntk.journal";
  static final String JOURNAL_FORMAT = "spark-ntk-journal";
  private static final int NAMED = 5;
  private static final Logger LOG = LoggerFactory.getLogger("org.sparkntk");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final String fingerprint;
  private final OutputLock lock;
  private final boolean createdDir;
  private final Set<String> declared;
  /** Paths listed as spark-ntk's, relative with '/'; a directory ends with '/'. */
  private final Set<String> owned;
  private final Set<String> written = new LinkedHashSet<>();
  /** Files written by others, with the size and SHA-256 they reported ({@link #recordWritten}). */
  private final java.util.Map<String, Manifest.Entry> known = new java.util.HashMap<>();
  private final Thread releaseAtExit;
  private FileChannel journal;
  private boolean closed;

  private OutputFiles(Path dir, String fingerprint, OutputLock lock, boolean createdDir, Set<String> declared,
                      Set<String> owned) {
    this.dir = dir;
    this.fingerprint = fingerprint;
    this.lock = lock;
    this.createdDir = createdDir;
    this.declared = declared;
    this.owned = owned;
    // A job stopped by a signal or System.exit still frees the directory for the next one.
    this.releaseAtExit = new Thread(lock::close, "spark-ntk output.dir lock release");
    Runtime.getRuntime().addShutdownHook(releaseAtExit);
  }

  /** {@link #claim(JobConfig, Path, String, Collection)} of output.dir, which a report needs. */
  public static OutputFiles claim(JobConfig config, String summary, Collection<String> names) {
    String dir = config.get(ConfigKeys.OUTPUT_DIR);
    if (dir == null) {
      throw new ConfigException("missing required key " + ConfigKeys.OUTPUT_DIR.name() + ": "
          + ConfigKeys.OUTPUT_DIR.description());
    }
    return claim(config, Path.of(dir), summary, names);
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
    checkIsDirectoryOrAbsent(dir);
    boolean created = !Files.exists(dir);
    if (created) {
      try {
        Files.createDirectories(dir);
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
        throw new UncheckedIOException("cannot clear " + dir + ": " + e.getMessage(), e);
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
    Path dir = Path.of(value);
    checkIsDirectoryOrAbsent(dir);
    if (Files.exists(dir)) {
      if (!Files.isWritable(dir)) {
        throw new ConfigException(refusal(dir) + "is not writable: choose another output.dir or make it writable");
      }
      OutputLock.checkNotHeld(dir);
      inspect(dir, config.fingerprint(), config.get(ConfigKeys.OUTPUT_OVERWRITE));
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

  public Path dir() {
    return dir;
  }

  /** Writes {@code name} (relative to the directory) atomically and records it for the manifest. */
  public void write(String name, AtomicFiles.Writer writer) throws IOException {
    record(name);
    AtomicFiles.write(prepare(name), writer);
  }

  /** Writes {@code name} atomically as a file of this run that is not an output (a checkpoint block). */
  public void writeWorkFile(String name, AtomicFiles.Writer writer) throws IOException {
    AtomicFiles.write(prepare(name), writer);
  }

  /**
   * The path of the work file {@code name}, listed in the journal, for a caller that appends to it;
   * open it with {@link LinkOption#NOFOLLOW_LINKS}.
   */
  public Path workFile(String name) throws IOException {
    return prepare(name);
  }

  /**
   * Creates the directory {@code name} (and the directories on the way), each listed in the
   * journal first, for files that others write into it: the executors' block files.
   */
  public synchronized Path workDirectory(String name) throws IOException {
    checkDeclared(name);
    checkParents(name);
    String[] parts = name.split("/");
    StringBuilder prefix = new StringBuilder();
    for (String part : parts) {
      prefix.append(part);
      Path p = dir.resolve(prefix.toString());
      if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        journal(prefix + "/");
        Files.createDirectory(p);
      } else if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || !ownsDirectory(owned, prefix.toString())) {
        throw new ConfigException(refusal(dir) + "holds " + prefix + ", which is not a directory spark-ntk wrote, "
            + "where this run writes: move it away or choose another output.dir");
      }
      prefix.append('/');
    }
    return dir.resolve(name);
  }

  /**
   * Lists in the journal, before they exist, the files {@code names} that the executors will write
   * into {@code directory} (write-ahead, as for every file of the run), so that a later run may
   * replace or delete them; the directory itself is created ({@link #workDirectory}).
   */
  public synchronized void expectFiles(String directory, Collection<String> names) throws IOException {
    workDirectory(directory);
    for (String name : names) {
      if (name.contains("/")) {
        throw new IllegalArgumentException("'" + name + "' is not a file name in " + directory);
      }
      journal(directory + "/" + name);
    }
  }

  /**
   * Records for the manifest a file that others wrote at {@code name} (listed with
   * {@link #expectFiles} first), with the size and SHA-256 the writer took from the bytes it wrote;
   * the manifest checks the size against the file and takes the SHA-256 as given.
   */
  public synchronized void recordWritten(String name, long size, String sha256) {
    checkDeclared(name);
    if (!owned.contains(name)) {
      throw new IllegalStateException(name + " was not listed in the journal of " + dir + " before it was written");
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
    checkInTheWay(dir, owned, name);
    journal(staging + "/");
    Path tmp = dir.resolve(staging);
    writer.write(tmp);
    List<String> files;
    try (Stream<Path> walk = Files.walk(tmp)) {
      files = walk.filter(p -> !p.equals(tmp)).map(p -> name + "/" + slashes(tmp.relativize(p))
          + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "/" : "")).sorted().toList();
    }
    journal(name + "/");
    for (String f : files) {
      journal(f);
    }
    delete(name);
    Files.move(tmp, dir.resolve(name));
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
    Path p = dir.resolve(name);
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    checkParents(name);
    checkInTheWay(dir, owned, name);
    openJournal(); // a directory known only from its manifest keeps its list once the manifest is gone
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }

  /** The files written so far, in order. */
  public List<String> files() {
    return new ArrayList<>(written);
  }

  /** Writes manifest.json, last: the run is complete. */
  public void finish() throws IOException {
    prepare(Manifest.FILE);
    Manifest.write(dir, files(), fingerprint, known);
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
      LOG.warn("cannot rewrite {}: {}", dir.resolve(JOURNAL), e.getMessage());
    } finally {
      lock.close();
      try {
        Runtime.getRuntime().removeShutdownHook(releaseAtExit);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down; the hook releases nothing twice
      }
      removeIfCreatedAndEmpty(dir, createdDir && journal == null);
    }
  }

  private void record(String name) {
    if (name.equals(Manifest.FILE) || !written.add(name)) {
      throw new IllegalStateException(name + " is written twice, or is the manifest's own name, in one run of " + dir);
    }
  }

  /**
   * Checks that {@code name} may be written (every directory on the way a real directory, the
   * target and its temporary sibling absent or this tool's), lists it and the directories created
   * for it in the journal, and returns its path.
   */
  private synchronized Path prepare(String name) throws IOException {
    checkDeclared(name);
    checkParents(name);
    String[] parts = name.split("/");
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < parts.length - 1; i++) {
      prefix.append(parts[i]);
      Path p = dir.resolve(prefix.toString());
      if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        journal(prefix + "/");
        Files.createDirectory(p);
      }
      prefix.append('/');
    }
    Path target = dir.resolve(name);
    checkInTheWay(dir, owned, name); // a directory of this tool's there stays: the rename onto it fails, naming it
    String tmp = sibling(name, temporary(parts[parts.length - 1]));
    checkInTheWay(dir, owned, tmp);
    Files.deleteIfExists(dir.resolve(tmp));
    journal(name);
    return target;
  }

  /** Every directory between output.dir and {@code name} must be a directory, never a link. */
  private void checkParents(String name) {
    String[] parts = name.split("/");
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < parts.length - 1; i++) {
      prefix.append(parts[i]);
      Path p = dir.resolve(prefix.toString());
      if (Files.isSymbolicLink(p)) {
        throw new ConfigException(linkMessage(dir, prefix.toString()));
      }
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
          || !ownsDirectory(owned, prefix.toString()))) {
        throw new ConfigException(refusal(dir) + "holds " + prefix + ", which no spark-ntk run wrote (" + JOURNAL
            + " does not list it), where this run writes " + name + ": move it away or choose another output.dir");
      }
      prefix.append('/');
    }
  }

  private void checkDeclared(String name) {
    if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || Stream.of(name.split("/"))
        .anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
      throw new IllegalArgumentException("'" + name + "' is not a plain relative path in " + dir);
    }
    String top = name.split("/")[0];
    if (!declared.contains(top) && !declared.contains(original(top))) {
      throw new IllegalStateException(name + " was not declared to OutputFiles.claim for " + dir
          + ", which checks every name a run writes before any work; declared: " + declared);
    }
  }

  /** Appends {@code path} to the journal (created on the first line) unless it is listed already. */
  private synchronized void journal(String path) throws IOException {
    if (owned.contains(path)) {
      return;
    }
    openJournal();
    append(JSON.createObjectNode().put("path", path).toString());
    owned.add(path);
  }

  private void openJournal() throws IOException {
    if (journal != null) {
      return;
    }
    Path file = dir.resolve(JOURNAL);
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      boolean torn;
      try (FileChannel read = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        ByteBuffer last = ByteBuffer.allocate(1);
        torn = read.size() > 0 && read.read(last, read.size() - 1) == 1 && last.get(0) != '\n';
      }
      journal = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND,
          LinkOption.NOFOLLOW_LINKS);
      if (torn) {
        append(""); // ends a torn last line, so the next entry is not glued to it
      }
    } else {
      journal = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS);
      append(header());
      for (String path : new TreeSet<>(owned)) { // a directory known from its manifest only
        append(JSON.createObjectNode().put("path", path).toString());
      }
    }
  }

  private void append(String line) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    while (buf.hasRemaining()) {
      journal.write(buf);
    }
  }

  private static String header() {
    return JSON.createObjectNode().put("format", JOURNAL_FORMAT).put("version", 1).toString();
  }

  /** The journal from here on lists the paths that exist, so that it does not grow with every run. */
  private void compactJournal() throws IOException {
    StringBuilder text = new StringBuilder(header()).append('\n');
    for (String path : new TreeSet<>(owned)) {
      Path p = dir.resolve(path);
      if (path.endsWith("/") ? Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
          : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        text.append(JSON.createObjectNode().put("path", path)).append('\n');
      }
    }
    AtomicFiles.write(dir.resolve(JOURNAL), f -> Files.writeString(f, text, StandardCharsets.UTF_8));
  }

  // ---- what a directory holds ----

  private static void checkIsDirectoryOrAbsent(Path dir) {
    if (Files.isSymbolicLink(dir) && !Files.exists(dir)) {
      throw new ConfigException(refusal(dir) + "is a symbolic link to a missing directory: choose another output.dir");
    }
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new ConfigException(refusal(dir) + "is a file, not a directory: choose another output.dir");
    }
  }

  /**
   * The paths {@code dir} lists as spark-ntk's (its journal, and its manifest's files), after the
   * rules that need no declared names: a directory without journal or manifest must be empty (its
   * lock aside), and a manifest of other settings needs {@code overwrite}.
   */
  private static Set<String> inspect(Path dir, String fingerprint, boolean overwrite) {
    Set<String> owned = new HashSet<>();
    boolean marker = false;
    Path journalFile = dir.resolve(JOURNAL);
    if (Files.exists(journalFile, LinkOption.NOFOLLOW_LINKS)) {
      owned.addAll(readJournal(dir, journalFile));
      marker = true;
    }
    String recorded = null;
    if (Files.isRegularFile(dir.resolve(Manifest.FILE), LinkOption.NOFOLLOW_LINKS)) {
      try {
        List<String> listed = Manifest.paths(dir);
        recorded = Manifest.settingsFingerprint(dir);
        owned.add(Manifest.FILE);
        owned.addAll(listed);
        marker = true;
      } catch (IOException e) {
        // not a spark-ntk manifest: a foreign file, unless the journal lists it (then refused below)
        recorded = owned.contains(Manifest.FILE) ? "unreadable" : null;
      }
    }
    if (!marker) {
      List<String> found = entries(dir);
      if (!found.isEmpty()) {
        throw new ConfigException(refusal(dir) + "is not empty and no spark-ntk run wrote it (it has neither "
            + JOURNAL + " nor " + Manifest.FILE + "): it holds " + named(found) + ". spark-ntk writes only into a "
            + "new or empty directory or one it wrote before, and deletes nothing it did not write: choose another "
            + "output.dir");
      }
    }
    if (recorded != null && !recorded.equals(fingerprint) && !overwrite) {
      throw new ConfigException(refusal(dir) + "holds the complete results of a job with other "
          + "settings (its " + Manifest.FILE + " records settings fingerprint " + recorded + ", this job's is "
          + fingerprint + "): choose another output.dir, or set output.overwrite = true to replace them");
    }
    return owned;
  }

  private static Set<String> readJournal(Path dir, Path file) {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new ConfigException(refusal(dir) + "holds " + JOURNAL + ", which is not a file spark-ntk wrote (a link "
          + "or a directory): choose another output.dir");
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(refusal(dir) + "holds an unreadable " + JOURNAL + " (" + reason(e)
          + "): choose another output.dir");
    }
    if (lines.isEmpty() || !JOURNAL_FORMAT.equals(parse(lines.get(0)).path("format").asText())) {
      throw new ConfigException(refusal(dir) + "holds " + JOURNAL + ", which is not a spark-ntk journal: choose "
          + "another output.dir");
    }
    Set<String> owned = new HashSet<>();
    for (String line : lines.subList(1, lines.size())) {
      String path = parse(line).path("path").asText("");
      String plain = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
      // a torn last line (a kill while appending) lists nothing; nor does a path leaving the directory
      if (!plain.isEmpty() && !plain.startsWith("/") && !plain.contains("\\")
          && Stream.of(plain.split("/")).noneMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
        owned.add(path);
      }
    }
    return owned;
  }

  private static JsonNode parse(String line) {
    try {
      JsonNode node = JSON.readTree(line);
      return node == null ? JSON.missingNode() : node;
    } catch (IOException e) {
      return JSON.missingNode();
    }
  }

  /**
   * Refuses {@code name} when it is a symbolic link or holds anything not listed as spark-ntk's
   * (every file and directory under it, links never followed), or a directory there is not writable.
   */
  private static void checkInTheWay(Path dir, Set<String> owned, String name) {
    Path p = dir.resolve(name);
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> all;
    try (Stream<Path> walk = Files.walk(p)) {
      all = walk.toList();
    } catch (IOException | UncheckedIOException e) {
      throw new ConfigException(refusal(dir) + "holds " + name + ", which cannot be read (" + e.getMessage()
          + "): choose another output.dir");
    }
    for (Path q : all) {
      String rel = slashes(dir.relativize(q));
      if (Files.isSymbolicLink(q)) {
        throw new ConfigException(linkMessage(dir, rel));
      }
      boolean directory = Files.isDirectory(q, LinkOption.NOFOLLOW_LINKS);
      if (directory ? !ownsDirectory(owned, rel) : !Files.isRegularFile(q, LinkOption.NOFOLLOW_LINKS)
          || !ownsFile(owned, rel)) {
        throw new ConfigException(refusal(dir) + "holds " + rel + (directory ? "/" : "") + ", which no spark-ntk "
            + "run wrote (" + JOURNAL + " does not list it), where this run writes " + name + "; spark-ntk deletes "
            + "nothing it did not write: move it away or choose another output.dir");
      }
      if (directory && !Files.isWritable(q)) {
        throw new ConfigException(refusal(dir) + "holds " + rel + "/, which is not writable: make it writable or "
            + "choose another output.dir");
      }
    }
  }

  private static boolean ownsFile(Set<String> owned, String rel) {
    if (owned.contains(rel) || inTemporaryDirectory(owned, rel)) {
      return true;
    }
    int slash = rel.lastIndexOf('/');
    String name = rel.substring(slash + 1);
    String original = original(name);
    return !original.equals(name) && owned.contains(rel.substring(0, slash + 1) + original);
  }

  private static boolean ownsDirectory(Set<String> owned, String rel) {
    if (owned.contains(rel + "/") || inTemporaryDirectory(owned, rel)) {
      return true;
    }
    String prefix = rel + "/";
    return owned.stream().anyMatch(o -> o.startsWith(prefix)); // a manifest lists files only
  }

  /** True when {@code rel} lies in a listed temporary directory ({@code .<name>.tmp/}), which is this tool's whole. */
  private static boolean inTemporaryDirectory(Set<String> owned, String rel) {
    String[] parts = rel.split("/");
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < parts.length - 1; i++) {
      prefix.append(parts[i]).append('/');
      if (!original(parts[i]).equals(parts[i]) && owned.contains(prefix.toString())) {
        return true;
      }
    }
    return false;
  }

  /** The temporary name AtomicFiles and writeDirectory use for {@code name}: {@code .<name>.tmp}. */
  private static String temporary(String name) {
    return "." + name + ".tmp";
  }

  /** The name whose temporary name is {@code name}, or {@code name} itself. */
  private static String original(String name) {
    return name.length() > 5 && name.startsWith(".") && name.endsWith(".tmp")
        ? name.substring(1, name.length() - 4) : name;
  }

  private static String sibling(String path, String name) {
    int slash = path.lastIndexOf('/');
    return path.substring(0, slash + 1) + name;
  }

  /** The entries of {@code dir} besides its lock (and a lock a reclaiming job was moving aside). */
  private static List<String> entries(Path dir) {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(p -> !p.getFileName().toString().startsWith(OutputLock.FILE))
          .map(p -> p.getFileName().toString() + (Files.isSymbolicLink(p) ? " (a symbolic link)"
              : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "/" : ""))
          .sorted().toList();
    } catch (IOException e) {
      throw new ConfigException(refusal(dir) + "cannot be listed (" + reason(e) + "): choose another output.dir");
    }
  }

  private static String named(List<String> found) {
    String shown = String.join(", ", found.subList(0, Math.min(NAMED, found.size())));
    return found.size() <= NAMED ? shown : shown + " and " + (found.size() - NAMED) + " more";
  }

  private static String linkMessage(Path dir, String rel) {
    return refusal(dir) + "holds a symbolic link " + rel + " where this run writes: spark-ntk never writes "
        + "through a link inside output.dir; remove the link or choose another output.dir";
  }

  private static String refusal(Path dir) {
    return "output.dir = '" + dir + "' ";
  }

  private static String reason(IOException e) {
    String kind = e.getClass().getSimpleName().replace("Exception", "");
    return e.getMessage() == null ? kind : kind + ": " + e.getMessage();
  }

  private static String slashes(Path relative) {
    return relative.toString().replace('\\', '/');
  }

  private static void removeIfCreatedAndEmpty(Path dir, boolean created) {
    if (!created) {
      return;
    }
    try (Stream<Path> list = Files.list(dir)) {
      if (list.findAny().isEmpty()) {
        Files.delete(dir);
      }
    } catch (IOException e) {
      LOG.warn("cannot remove the empty output.dir {} this run created: {}", dir, e.getMessage());
    }
  }
}
