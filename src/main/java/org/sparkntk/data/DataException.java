package org.sparkntk.data;

/** Input data that cannot be used; the message names the data set, row and column. */
public final class DataException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public DataException(String message) {
    super(message);
  }
}
