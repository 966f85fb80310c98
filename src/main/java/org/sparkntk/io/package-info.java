/**
 * Everything the job writes and reads back: atomic writes, manifest.json, the output lock and
 * journal, .npy, CSV and JSON outputs, PNG plots, the Gram and PCG checkpoints, the saved
 * model, on a local path or a Hadoop file system. Depends on {@code config}, {@code kernel},
 * {@code model}, {@code solver}.
 */
package org.sparkntk.io;
