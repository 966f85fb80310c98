package org.sparkntk.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkntk.config.ConfigException;

/**
 * One job per output.dir at a time: the file {@code output.dir/.spark-ntk.lock}, created with
 * {@code CREATE_NEW} (O_CREAT | O_EXCL, atomic on local filesystems and NFSv3 and later; for a URI
 * output.dir Hadoop's {@code create(path, overwrite = false)}, atomic on HDFS), holding
 * its owner's host, pid, JVM start time and the time the lock was taken. A second job finds the
 * file and is refused with a message naming the owner.
 *
 * <p>A lock whose owner is gone is reclaimed only when the owner ran on this host (same host name):
 * its pid no longer runs, or runs a process that started at another time (the pid was reused). The
 * stale file is first renamed to a name of this process, an atomic step only one of two reclaiming
 * jobs can take, and deleted only if it still holds the owner judged gone. A lock of another host
 * is never reclaimed, since its pid cannot be checked from here (a shared filesystem): the message
 * tells the user to delete the file once that job is known to be gone. An unreadable lock file
 * (being written at this instant, or damaged) is treated as held.
 */
public final class OutputLock implements AutoCloseable {
  public static final String FILE = ".spark-ntk.lock";
  private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Two readings of one process's start time agree to the clock tick; a reused pid started later. */
  private static final Duration SAME_PROCESS = Duration.ofSeconds(1);

  /** Who holds a lock. {@code processStart} is null when the JVM could not tell its own start time. */
  public record Owner(String host, long pid, Instant processStart, Instant locked) {
    String describe() {
      return "pid " + pid + " on host " + host + ", locked at " + locked.truncatedTo(ChronoUnit.SECONDS);
    }

    byte[] toJson() {
      ObjectNode o = JSON.createObjectNode();
      o.put("format", "spark-ntk-lock");
      o.put("host", host);
      o.put("pid", pid);
      o.put("processStart", processStart == null ? null : processStart.toString());
      o.put("locked", locked.toString());
      return (o.toString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static Owner parse(byte[] bytes) {
      try {
        JsonNode o = JSON.readTree(bytes);
        if (o == null || !"spark-ntk-lock".equals(o.path("format").asText()) || !o.path("pid").canConvertToLong()
            || !o.path("host").isTextual() || !o.path("locked").isTextual()) {
          return null;
        }
        String start = o.path("processStart").asText(null);
        return new Owner(o.path("host").asText(), o.path("pid").asLong(),
            start == null ? null : Instant.parse(start), Instant.parse(o.path("locked").asText()));
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }

  private final OutputStore store;
  private final Owner owner;
  private final Owner reclaimedFrom;
  private boolean released;

  private OutputLock(OutputStore store, Owner owner, Owner reclaimedFrom) {
    this.store = store;
    this.owner = owner;
    this.reclaimedFrom = reclaimedFrom;
  }

  /** This process as a lock owner, now. */
  static Owner self() {
    ProcessHandle me = ProcessHandle.current();
    return new Owner(hostName(), me.pid(), me.info().startInstant().orElse(null), Instant.now());
  }

  /**
   * Takes the lock of {@code dir} (which exists), reclaiming a stale one of this host; refuses
   * with a {@link ConfigException} naming the owner when a live or unknown job holds it, and when
   * the directory cannot be written.
   */
  public static OutputLock acquire(Path dir) {
    return acquire(new LocalStore(dir));
  }

  /** {@link #acquire(Path)} of the output.dir of {@code store}, local or through Hadoop's FileSystem. */
  static OutputLock acquire(OutputStore store) {
    String dir = store.display();
    String file = store.display(FILE);
    Owner me = self();
    Owner reclaimed = null;
    for (int attempt = 0; ; attempt++) {
      try {
        if (store.createNew(FILE, me.toJson())) {
          return new OutputLock(store, me, reclaimed);
        }
        Owner holder = read(store);
        if (attempt > 0 || holder == null || !gone(holder)) {
          throw new ConfigException(heldMessage(dir, file, holder));
        }
        if (!reclaim(store, holder)) {
          throw new ConfigException(heldMessage(dir, file, read(store)));
        }
        reclaimed = holder;
      } catch (AccessDeniedException e) {
        throw new ConfigException("output.dir = '" + dir + "' is not writable (cannot create " + FILE
            + " there: permission denied): choose another output.dir or make it writable");
      } catch (IOException e) {
        throw new ConfigException("output.dir = '" + dir + "' is not writable (cannot create " + FILE + " there: "
            + e.getMessage() + "): choose another output.dir");
      }
    }
  }

  /**
   * Refuses, as {@link #acquire} would, when a job that may be alive holds {@code dir}'s lock; a
   * stale lock of this host passes (acquire reclaims it). Changes nothing.
   */
  public static void checkNotHeld(Path dir) {
    checkNotHeld(new LocalStore(dir));
  }

  static void checkNotHeld(OutputStore store) {
    OutputStore.Kind kind;
    try {
      kind = store.kind(FILE);
    } catch (IOException e) {
      kind = OutputStore.Kind.OTHER;
    }
    if (kind != OutputStore.Kind.ABSENT) {
      Owner holder = read(store);
      if (holder == null || !gone(holder)) {
        throw new ConfigException(heldMessage(store.display(), store.display(FILE), holder));
      }
    }
  }

  /** The owner whose stale lock this one replaced, or null. */
  public Owner reclaimedFrom() {
    return reclaimedFrom;
  }

  public Owner owner() {
    return owner;
  }

  /** Deletes the lock file if it is still this owner's (a lock reclaimed by mistake is not deleted). */
  @Override
  public synchronized void close() {
    if (released) {
      return;
    }
    released = true;
    String file = store.display(FILE);
    try {
      Owner now = read(store);
      if (owner.equals(now)) {
        store.deleteIfExists(FILE);
      } else {
        LOG.warn("{} no longer holds this job's lock ({}); left as it is", file, now == null ? "missing or unreadable"
            : now.describe());
      }
    } catch (IOException e) {
      LOG.warn("cannot delete the lock {}: {}", file, e.getMessage());
    }
  }

  private static String heldMessage(String dir, String file, Owner holder) {
    if (holder == null) {
      return "output.dir = '" + dir + "' is locked by another spark-ntk job, or by one that died while taking the "
          + "lock (" + file + " is not a readable lock file): wait for that job, or delete " + file
          + " once no job uses the directory";
    }
    String where = holder.host().equals(hostName()) ? ""
        : " (another host: its process cannot be checked from here, so the lock is never taken over automatically)";
    return "output.dir = '" + dir + "' is in use by another spark-ntk job: " + holder.describe() + where
        + ". Wait for it to finish or choose another output.dir; if that job is gone, delete " + file;
  }

  /** True when {@code holder} ran on this host and its process is no longer running. */
  static boolean gone(Owner holder) {
    String host = hostName();
    if (host.isEmpty() || !holder.host().equals(host)) {
      return false;
    }
    Optional<ProcessHandle> p = ProcessHandle.of(holder.pid());
    if (p.isEmpty() || !p.get().isAlive()) {
      return true;
    }
    Optional<Instant> start = p.get().info().startInstant();
    return holder.processStart() != null && start.isPresent()
        && Duration.between(holder.processStart(), start.get()).abs().compareTo(SAME_PROCESS) > 0;
  }

  /**
   * Moves a stale lock aside and deletes it when it is still {@code stale}'s; true if the lock
   * file is now free. A lock that changed hands in between (another job reclaimed it and took a
   * new one) is put back and false returned.
   */
  private static boolean reclaim(OutputStore store, Owner stale) {
    String aside = FILE + ".stale-" + ProcessHandle.current().pid();
    String file = store.display(FILE);
    switch (store.moveAside(FILE, aside)) {
      case ABSENT:
        return true; // another job removed it first; the exclusive create decides between us
      case FAILED:
        return false;
      default:
        break;
    }
    Owner moved = read(store, aside);
    try {
      if (stale.equals(moved)) {
        store.delete(aside);
        LOG.warn("output.dir lock {} was held by {}, which is no longer running on this host: lock reclaimed", file,
            stale.describe());
        return true;
      }
      store.move(aside, FILE); // a live owner's lock: put it back
    } catch (IOException e) {
      LOG.warn("cannot put back the lock {} moved to {}: {}", file, store.display(aside), e.getMessage());
    }
    return false;
  }

  private static Owner read(OutputStore store) {
    return read(store, FILE);
  }

  private static Owner read(OutputStore store, String rel) {
    try {
      if (store.kind(rel) == OutputStore.Kind.LINK || store.size(rel) > 4096) {
        return null;
      }
      return Owner.parse(store.readAllBytes(rel));
    } catch (IOException e) {
      return null;
    }
  }

  /** The host name this JVM reports (as Spark's driver does), or "" when it cannot tell. */
  static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      String env = System.getenv("HOSTNAME");
      return env == null ? "" : env;
    }
  }
}
