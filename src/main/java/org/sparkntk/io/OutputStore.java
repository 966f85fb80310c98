package org.sparkntk.io;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.sparkntk.config.ConfigException;

/**
 * The file operations {@link OutputFiles}, {@link OutputLock}, {@link Manifest} and the checkpoints
 * need in output.dir, on paths relative to it ({@code '/'}-separated; {@code ""} is output.dir
 * itself). Two implementations: {@link LocalStore} (java.nio, for a plain local path or a
 * {@code file:} URI: what spark-ntk always did) and {@link HadoopStore} (Hadoop's
 * {@link org.apache.hadoop.fs.FileSystem}, for any other URI: {@code hdfs://}, {@code s3a://},
 * {@code abfs://}, …). The safety contract itself (what may be replaced or deleted, the journal,
 * the manifest) lives in {@link OutputFiles} and is the same for both.
 */
public interface OutputStore {
  /** What is at a path, links never followed. */
  enum Kind { ABSENT, FILE, DIRECTORY, LINK, OTHER }

  /** One entry of a listing or a walk: its path relative to output.dir (or its name in a listing) and its kind. */
  record Entry(String path, Kind kind) {}

  /** Something that appends to one file (the journal) until closed. */
  interface Appender extends AutoCloseable {
    void append(byte[] bytes) throws IOException;

    @Override
    void close() throws IOException;
  }

  /** output.dir as the user gave it (a path or a URI), for messages. */
  String display();

  /** {@code rel} in output.dir, for messages: {@code display()/rel}. */
  String display(String rel);

  /** The local directory, or null when output.dir is not a local path. */
  Path localDir();

  /** The Hadoop URI of {@code rel} (a local directory as a {@code file:} URI), for the executors' block files. */
  String uri(String rel);

  Kind kind(String rel) throws IOException;

  /** Whether the directory {@code rel} can be written (a store that cannot tell answers true). */
  boolean isWritable(String rel);

  /** The entries directly in the directory {@code rel}: names and kinds. */
  List<Entry> list(String rel) throws IOException;

  /** {@code rel} and, for a directory, everything under it (a parent before its children), links not followed. */
  List<Entry> walk(String rel) throws IOException;

  /** Creates output.dir itself and the directories on the way. */
  void createRoot() throws IOException;

  /** Creates the directory {@code rel}, whose parent exists. */
  void createDirectory(String rel) throws IOException;

  /** Deletes the file or empty directory {@code rel}, which exists. */
  void delete(String rel) throws IOException;

  /** Deletes {@code rel} and, for a directory, everything under it. */
  void deleteRecursively(String rel) throws IOException;

  void deleteIfExists(String rel) throws IOException;

  long size(String rel) throws IOException;

  InputStream open(String rel) throws IOException;

  default byte[] readAllBytes(String rel) throws IOException {
    try (InputStream in = open(rel)) {
      return in.readAllBytes();
    }
  }

  /**
   * Writes the file {@code rel} so that it never exists half-written under its name: the writer
   * fills a temporary file ({@code .<name>.tmp} beside it), which then replaces {@code rel}.
   */
  void write(String rel, AtomicFiles.Writer writer) throws IOException;

  /** The writer fills the directory {@code rel}, which does not exist yet (the writer may create it). */
  void fill(String rel, AtomicFiles.Writer writer) throws IOException;

  /** Renames {@code from} to {@code to}, which does not exist. */
  void move(String from, String to) throws IOException;

  /** The outcome of {@link #moveAside}. */
  enum Moved { MOVED, ABSENT, FAILED }

  /** Renames {@code from} to {@code to} in one step if it can (only one of two callers succeeds). */
  Moved moveAside(String from, String to);

  /** Creates {@code rel} holding {@code bytes} only if nothing is there: false when something is. */
  boolean createNew(String rel, byte[] bytes) throws IOException;

  /** Appends {@code bytes} to the file {@code rel}, creating it when it does not exist. */
  void append(String rel, byte[] bytes) throws IOException;

  /** An appender to the file {@code rel}: a new one ({@code create}, which must not exist) or an existing one. */
  Appender appender(String rel, boolean create) throws IOException;

  /** The last byte of the non-empty file {@code rel}, or -1 when it is empty. */
  int lastByte(String rel) throws IOException;

  /**
   * Whether output.dir is a URI that Hadoop's FileSystem API opens: any {@code <scheme>:/…} with a
   * scheme of two or more characters other than {@code file}. A plain path (and a Windows drive
   * letter) is local.
   */
  static boolean isHadoopUri(String dir) {
    return dir.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:/.*") && !dir.regionMatches(true, 0, "file:", 0, 5);
  }

  /**
   * The store of output.dir {@code dir}: local for a plain path or a {@code file:} URI, Hadoop's
   * FileSystem (with the configuration {@code hadoop} gives, asked for only then) for any other URI.
   */
  static OutputStore of(String dir, Supplier<Configuration> hadoop) {
    if (isHadoopUri(dir)) {
      return HadoopStore.open(dir, hadoop.get());
    }
    return new LocalStore(localPath(dir));
  }

  /** A plain path as it is; a {@code file:} URI as the local path it names. */
  static Path localPath(String dir) {
    if (!dir.regionMatches(true, 0, "file:", 0, 5)) {
      return Path.of(dir);
    }
    try {
      return Path.of(new URI(dir));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new ConfigException("output.dir = '" + dir + "' is not a valid file: URI (" + e.getMessage()
          + "): give a plain path or file:///absolute/path");
    }
  }
}
