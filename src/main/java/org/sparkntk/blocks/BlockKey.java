package org.sparkntk.blocks;

import java.io.Serializable;

/** The (row block, column block) position of a kernel block. */
public record BlockKey(int row, int col) implements Serializable {}
