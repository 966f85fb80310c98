package org.sparkntk.data;

import java.io.Serializable;

/**
 * Consecutive rows [start, start + rows) of a data set, the unit executors work on.
 *
 * @param block    block number in the {@link org.sparkntk.kernel.BlockPlan}
 * @param start    index of the first row
 * @param rows     number of rows
 * @param features row-major [rows × inputs]
 * @param labels   row-major [rows × labels] (empty without labels)
 */
public record RowBlock(int block, long start, int rows, double[] features, double[] labels)
    implements Serializable {}
