/**
 * Full-batch gradient descent of the finite network on Spark, for the comparison with kernel
 * gradient descent: per-block gradients and their tree aggregation. Depends on {@code data},
 * {@code model}, {@code solver}, {@code linalg}.
 */
package org.sparkntk.train;
