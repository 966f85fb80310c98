/**
 * The job: {@link org.sparkntk.pipeline.NtkJob} runs its phases (read, model, kernels, solver,
 * outputs) on an existing SparkSession, choosing the driver or the distributed backend, with
 * the size and driver-memory guards. Depends on every package above it in the data flow.
 */
package org.sparkntk.pipeline;
