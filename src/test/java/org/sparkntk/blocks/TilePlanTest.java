package org.sparkntk.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tile plans keep a task's working set in budget, give every core work, and cover each block once. */
class TilePlanTest {
  @ParameterizedTest
  @CsvSource({"16, 16, true, 40, 8, 768, 2", "64, 64, true, 48, 1, 768, 2", "5, 9, false, 10, 1, 100, 4",
      "1, 1, true, 10, 1, 100, 8", "100, 100, true, 5, 1, 1024, 64"})
  void staysInBudgetAndCoversEveryBlockPairOnce(int rows, int cols, boolean symmetric, long blockMiB,
                                                  long outputMiB, long budgetMiB, int cores) {
    long mib = 1L << 20;
    TilePlan plan = TilePlan.choose(rows, cols, symmetric, blockMiB * mib, outputMiB * mib, budgetMiB * mib,
        Long.MAX_VALUE, cores);
    long working = (long) (plan.rowTile() + plan.colTile()) * blockMiB + (long) plan.rowTile() * plan.colTile()
        * outputMiB;
    assertTrue(plan.rowTile() == 1 || working <= budgetMiB, "working set " + working + " MiB");
    assertTrue(plan.tiles() >= Math.min(2L * cores, symmetric ? (long) rows * (rows + 1) / 2 : (long) rows * cols),
        plan + " has too few tasks for " + cores + " cores");
    int[][] seen = new int[rows][cols];
    // Every tile has its own partition and no partition is empty (an empty one is a wasted task per product).
    boolean[] used = new boolean[plan.partitions()];
    for (int tr = 0; tr < plan.rowTiles(); tr++) {
      for (int tc = symmetric ? tr : 0; tc < plan.colTiles(); tc++) {
        int partition = plan.partition(new BlockKey(tr, tc));
        assertTrue(partition >= 0 && partition < used.length && !used[partition], "tile (" + tr + ", " + tc
            + ") → partition " + partition + " of " + used.length);
        used[partition] = true;
        for (int i = tr * plan.rowTile(); i < Math.min(rows, (tr + 1) * plan.rowTile()); i++) {
          for (int j = tc * plan.colTile(); j < Math.min(cols, (tc + 1) * plan.colTile()); j++) {
            if (!symmetric || i <= j) {
              seen[i][j]++;
            }
          }
        }
      }
    }
    for (int p = 0; p < used.length; p++) {
      assertTrue(used[p], "partition " + p + " has no tile");
    }
    for (int i = 0; i < rows; i++) {
      for (int j = symmetric ? i : 0; j < cols; j++) {
        assertEquals(1, seen[i][j], "block (" + i + ", " + j + ")");
      }
    }
  }

  /**
   * A dense Gram's tiles send at most the result bound to the driver (SparkGram.taskResultBytes:
   * three quarters of spark.network.maxRemoteBlockSizeFetchToMem, at most half of
   * spark.driver.maxResultSize), unless a single block is larger.
   */
  @ParameterizedTest
  @CsvSource({"16, 8, 150", "16, 8, 512", "40, 2, 64", "8, 300, 100"})
  void aTileSendsAtMostTheResultBound(int blocks, long outputMiB, long boundMiB) {
    long mib = 1L << 20;
    TilePlan plan = TilePlan.choose(blocks, blocks, true, mib, outputMiB * mib, 1L << 40, boundMiB * mib, 2);
    long result = (long) plan.rowTile() * plan.colTile() * outputMiB;
    assertTrue(plan.rowTile() == 1 || result <= boundMiB, plan + " sends " + result + " MiB");
    // the largest tiles within the bound: one more block per side would pass it (or leave a core idle)
    int bigger = plan.rowTile() + 1;
    assertTrue(plan.rowTile() >= blocks || (long) bigger * bigger * outputMiB > boundMiB
        || new TilePlan(blocks, blocks, bigger, bigger, true).tiles() < 4, plan + " could have taken larger tiles");
  }

  @org.junit.jupiter.api.Test
  void theResultBoundFollowsTheSettings() {
    org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf(false);
    assertEquals(200L * (1 << 20) / 4 * 3, SparkGram.taskResultBytes(conf), "defaults: 200m fetched to memory, 1g results");
    conf.set("spark.network.maxRemoteBlockSizeFetchToMem", "2047m");
    assertEquals(512L << 20, SparkGram.taskResultBytes(conf), "at most half of spark.driver.maxResultSize");
    conf.set("spark.driver.maxResultSize", "0");
    assertEquals(2047L * (1 << 20) / 4 * 3, SparkGram.taskResultBytes(conf), "no result limit");
  }
}
