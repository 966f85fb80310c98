package org.sparkntk.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The blocks of running tasks come from executor heartbeats: the latest value per task counts
 * until the task ends, when the accumulator itself holds it, and a heartbeat that arrives after
 * the end is not counted again.
 */
class ProgressTest {
  @Test
  void runningTasksCountTheirLatestHeartbeatUntilTheyEnd() {
    Progress.RunningTasks running = new Progress.RunningTasks(7);
    assertEquals(0, running.inFlight());
    running.record(1, 5);
    running.record(2, 3);
    running.record(1, 6); // a later heartbeat of task 1 replaces its count
    assertEquals(9, running.inFlight());
    running.taskEnded(1);
    assertEquals(3, running.inFlight(), "an ended task's blocks are in the accumulator now");
    running.record(1, 6);
    assertEquals(3, running.inFlight(), "a heartbeat after the end of its task counted it twice");
    running.taskEnded(2);
    assertEquals(0, running.inFlight());
  }
}
