package org.sparkntk.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkntk.config.ConfigException;

/** What OutputLock never reclaims: a lock of another host, an unreadable lock, a live process's lock. */
class OutputLockUnitTest {
  @TempDir
  Path dir;

  private void plant(OutputLock.Owner owner) throws IOException {
    Files.write(dir.resolve(OutputLock.FILE), owner.toJson());
  }

  /** A process that has exited: its pid runs nothing (or, reused, a process that started later). */
  private static long exitedPid() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    p.waitFor();
    return p.pid();
  }

  /** On a shared filesystem the owner's pid cannot be checked from here: never taken over. */
  @Test
  void aLockOfAnotherHostIsNeverReclaimed() throws Exception {
    plant(new OutputLock.Owner("another-host.example", exitedPid(), Instant.EPOCH, Instant.parse("2026-01-02T03:04:05Z")));
    byte[] before = Files.readAllBytes(dir.resolve(OutputLock.FILE));
    ConfigException e = assertThrows(ConfigException.class, () -> OutputLock.acquire(dir));
    assertTrue(e.getMessage().contains("on host another-host.example, locked at 2026-01-02T03:04:05Z (another host"),
        e.getMessage());
    assertThrows(ConfigException.class, () -> OutputLock.checkNotHeld(dir));
    assertEquals(new String(before), Files.readString(dir.resolve(OutputLock.FILE)));
  }

  @Test
  void aLockOfAnExitedProcessOnThisHostIsReclaimed() throws Exception {
    OutputLock.Owner gone = new OutputLock.Owner(OutputLock.hostName(), exitedPid(), Instant.EPOCH, Instant.now());
    plant(gone);
    OutputLock.checkNotHeld(dir);
    try (OutputLock lock = OutputLock.acquire(dir)) {
      assertEquals(gone, lock.reclaimedFrom());
    }
    assertTrue(Files.notExists(dir.resolve(OutputLock.FILE)));
  }

  /** This very process holds it (another job of this JVM): alive, so refused. */
  @Test
  void aLiveProcesssLockIsNotReclaimed() {
    try (OutputLock mine = OutputLock.acquire(dir)) {
      assertNull(mine.reclaimedFrom());
      ConfigException e = assertThrows(ConfigException.class, () -> OutputLock.acquire(dir));
      assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
    }
  }

  /** Empty (a job between creating and writing it) or damaged: held, the user is told to delete it. */
  @Test
  void anUnreadableLockIsHeld() throws IOException {
    Files.writeString(dir.resolve(OutputLock.FILE), "");
    ConfigException e = assertThrows(ConfigException.class, () -> OutputLock.acquire(dir));
    assertTrue(e.getMessage().contains("is not a readable lock file"), e.getMessage());
    assertEquals("", Files.readString(dir.resolve(OutputLock.FILE)));
  }

  /** A lock that is no longer this job's (deleted by hand and taken by another) is left to its owner. */
  @Test
  void closeLeavesALockThatIsNotOurs() throws IOException {
    OutputLock mine = OutputLock.acquire(dir);
    OutputLock.Owner other = new OutputLock.Owner("another-host.example", 1, null, Instant.now());
    plant(other);
    mine.close();
    assertEquals(new String(other.toJson()), Files.readString(dir.resolve(OutputLock.FILE)));
  }
}
