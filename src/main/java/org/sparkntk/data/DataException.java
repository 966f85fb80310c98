package org.sparkntk.data;

/** Input data that cannot be used; the message names the data set, row and column. */
public final class DataException extends IllegalArgumentException {
  public DataException(String message) {
    super(message);
  }
}
