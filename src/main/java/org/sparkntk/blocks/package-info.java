/**
 * The thin Spark layer that moves blocks: row blocks and tile plans, the dense Gram assembled
 * on the driver ({@link org.sparkntk.blocks.SparkGram}), the Gram kept on the executors with
 * its products Θ·V ({@link org.sparkntk.blocks.DistributedKernel}) and their ordered sums,
 * block files and progress. Depends on {@code data}, {@code kernel}, {@code solver}, {@code
 * io}.
 */
package org.sparkntk.blocks;
