package org.sparkntk.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** {@link OutputStore} of a local directory through java.nio: links are never followed, renames are atomic. */
final class LocalStore implements OutputStore {
  private final Path dir;

  LocalStore(Path dir) {
    this.dir = dir;
  }

  private Path path(String rel) {
    return rel.isEmpty() ? dir : dir.resolve(rel);
  }

  @Override
  public String display() {
    return dir.toString();
  }

  @Override
  public String display(String rel) {
    return path(rel).toString();
  }

  @Override
  public Path localDir() {
    return dir;
  }

  @Override
  public String uri(String rel) {
    return dir.toAbsolutePath().resolve(rel).toUri().toString();
  }

  @Override
  public Kind kind(String rel) {
    return kind(path(rel));
  }

  private static Kind kind(Path p) {
    if (Files.isSymbolicLink(p)) {
      return Kind.LINK;
    }
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return Kind.ABSENT;
    }
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return Kind.DIRECTORY;
    }
    return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Kind.FILE : Kind.OTHER;
  }

  @Override
  public boolean isWritable(String rel) {
    return Files.isWritable(path(rel));
  }

  @Override
  public List<Entry> list(String rel) throws IOException {
    try (Stream<Path> list = Files.list(path(rel))) {
      return list.map(p -> new Entry(p.getFileName().toString(), kind(p))).toList();
    }
  }

  @Override
  public List<Entry> walk(String rel) throws IOException {
    try (Stream<Path> walk = Files.walk(path(rel))) {
      return walk.map(q -> new Entry(dir.relativize(q).toString().replace('\\', '/'), kind(q))).toList();
    }
  }

  @Override
  public void createRoot() throws IOException {
    Files.createDirectories(dir);
  }

  @Override
  public void createDirectory(String rel) throws IOException {
    Files.createDirectory(path(rel));
  }

  @Override
  public void delete(String rel) throws IOException {
    Files.delete(path(rel));
  }

  @Override
  public void deleteRecursively(String rel) throws IOException {
    try (Stream<Path> walk = Files.walk(path(rel))) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }

  @Override
  public void deleteIfExists(String rel) throws IOException {
    Files.deleteIfExists(path(rel));
  }

  @Override
  public long size(String rel) throws IOException {
    return Files.size(path(rel));
  }

  @Override
  public InputStream open(String rel) throws IOException {
    return Files.newInputStream(path(rel), LinkOption.NOFOLLOW_LINKS);
  }

  @Override
  public void write(String rel, AtomicFiles.Writer writer) throws IOException {
    AtomicFiles.write(path(rel), writer);
  }

  @Override
  public void fill(String rel, AtomicFiles.Writer writer) throws IOException {
    writer.write(path(rel));
  }

  @Override
  public void move(String from, String to) throws IOException {
    Files.move(path(from), path(to));
  }

  @Override
  public Moved moveAside(String from, String to) {
    try {
      Files.move(path(from), path(to), StandardCopyOption.ATOMIC_MOVE);
      return Moved.MOVED;
    } catch (NoSuchFileException e) {
      return Moved.ABSENT;
    } catch (IOException e) {
      return Moved.FAILED;
    }
  }

  @Override
  public boolean createNew(String rel, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(path(rel), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      writeFully(ch, bytes);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }

  @Override
  public void append(String rel, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(path(rel), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS)) {
      writeFully(ch, bytes);
    }
  }

  @Override
  public Appender appender(String rel, boolean create) throws IOException {
    FileChannel ch = create
        ? FileChannel.open(path(rel), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS)
        : FileChannel.open(path(rel), StandardOpenOption.WRITE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS);
    return new Appender() {
      @Override
      public void append(byte[] bytes) throws IOException {
        writeFully(ch, bytes);
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  @Override
  public int lastByte(String rel) throws IOException {
    try (FileChannel read = FileChannel.open(path(rel), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer last = ByteBuffer.allocate(1);
      return read.size() > 0 && read.read(last, read.size() - 1) == 1 ? last.get(0) & 0xff : -1;
    }
  }

  private static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  @Override
  public String toString() {
    return display();
  }

}
