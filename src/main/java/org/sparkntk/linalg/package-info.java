/**
 * BLAS and LAPACK facades over dev.ludovic.netlib (native OpenBLAS when installed, else pure
 * Java), small dense-matrix helpers, and the one-pass product of a stored kernel block on the
 * JDK's Vector API ({@link org.sparkntk.linalg.BlockProducts}). Depends on no other spark-ntk
 * package.
 */
package org.sparkntk.linalg;
