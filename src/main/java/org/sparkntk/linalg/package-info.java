/**
 * BLAS and LAPACK facades over dev.ludovic.netlib (native OpenBLAS when installed, else pure
 * Java), and small dense-matrix helpers. Depends on no other spark-ntk package.
 */
package org.sparkntk.linalg;
