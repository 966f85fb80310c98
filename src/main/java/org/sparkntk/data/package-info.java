/**
 * Reading the training and test data with Spark's readers (CSV, Parquet, libsvm, IDX),
 * standardisation, row blocks, and images as pixel-regression data. Depends on Spark only.
 */
package org.sparkntk.data;
