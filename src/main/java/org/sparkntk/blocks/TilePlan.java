package org.sparkntk.blocks;

import java.io.Serializable;

/**
 * Groups kernel blocks into tiles, the unit of a Spark task: a tile of {@code rowTile × colTile}
 * blocks needs its row and column blocks' prepared data, so each prepared block is shipped once
 * per tile of its tile row or column, not once per block pair. With B row blocks in tiles of t,
 * the shuffle carries every prepared block B/t times instead of B.
 *
 * <p>The tile size is the largest that keeps one task's working set (its prepared blocks and
 * its output blocks) within a budget, and shrinks so that there are at least two tasks per core.
 */
record TilePlan(int rowBlocks, int colBlocks, int rowTile, int colTile, boolean symmetric) implements Serializable {

  int rowTiles() {
    return (rowBlocks + rowTile - 1) / rowTile;
  }

  int colTiles() {
    return (colBlocks + colTile - 1) / colTile;
  }

  /** Tasks: upper-triangle tiles of a symmetric Gram, all tiles of a cross kernel. */
  long tiles() {
    long r = rowTiles();
    return symmetric ? r * (r + 1) / 2 : r * colTiles();
  }

  /**
   * A dense partition index per tile: row-major over the tile grid, and for a symmetric Gram over
   * its upper triangle only (tile (R, C), R ≤ C, of T tile rows is R·T − R(R−1)/2 + C − R), so no
   * partition is empty. An empty partition still costs a task per product (~20 ms in local mode).
   */
  int partition(BlockKey tile) {
    if (symmetric) {
      int r = tile.row();
      return r * rowTiles() - r * (r - 1) / 2 + tile.col() - r;
    }
    return tile.row() * colTiles() + tile.col();
  }

  int partitions() {
    return Math.toIntExact(Math.max(1, tiles()));
  }

  /**
   * Tiles of whole block rows (every column block), for a cross kernel whose products need each
   * row's complete Θ_I: as many row blocks per tile as the budget allows, at least one, and no more
   * than leave two tasks per core.
   */
  static TilePlan wholeRows(int rowBlocks, int colBlocks, long blockBytes, long outputBytes, long budget, int cores) {
    int t = rowBlocks;
    while (t > 1) {
      TilePlan plan = new TilePlan(rowBlocks, colBlocks, t, colBlocks, false);
      long working = (long) (t + colBlocks) * blockBytes + (long) t * colBlocks * outputBytes;
      if (working <= budget && plan.tiles() >= 2L * cores) {
        return plan;
      }
      t--;
    }
    return new TilePlan(rowBlocks, colBlocks, 1, colBlocks, false);
  }

  /** Whether every tile holds whole block rows (all column blocks). */
  boolean wholeRows() {
    return !symmetric && colTile >= colBlocks;
  }

  /**
   * @param blockBytes    prepared bytes of one block
   * @param outputBytes   bytes of one kernel block
   * @param budget        bytes one task may hold
   * @param maxResult     bytes of kernel blocks one task may send to the driver (Long.MAX_VALUE when
   *                      the blocks stay on the executors)
   * @param cores         task slots of the cluster
   */
  static TilePlan choose(int rowBlocks, int colBlocks, boolean symmetric, long blockBytes, long outputBytes,
                         long budget, long maxResult, int cores) {
    int t = Math.max(rowBlocks, colBlocks);
    while (t > 1) {
      TilePlan plan = new TilePlan(rowBlocks, colBlocks, Math.min(t, rowBlocks), Math.min(t, colBlocks), symmetric);
      long working = 2L * t * blockBytes + (long) t * t * outputBytes;
      long result = (long) plan.rowTile() * plan.colTile() * outputBytes;
      if (working <= budget && result <= maxResult && plan.tiles() >= 2L * cores) {
        return plan;
      }
      t--;
    }
    return new TilePlan(rowBlocks, colBlocks, 1, 1, symmetric);
  }
}
