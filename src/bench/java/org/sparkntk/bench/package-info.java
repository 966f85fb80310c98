/**
 * The benchmarks of docs/BENCHMARKS.md (the Gram routes, the distributed product, the solvers,
 * the ML defaults), each printing one table against rates measured in the same run.
 */
package org.sparkntk.bench;
