package org.sparkntk.data;

import java.io.Serializable;

/**
 * One data row: its 0-based position in reading order, its features and its labels (empty
 * when the data set has no label columns).
 */
public record Example(long index, double[] features, double[] labels) implements Serializable {}
