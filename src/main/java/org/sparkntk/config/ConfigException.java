package org.sparkntk.config;

/** A job configuration that cannot run; the message names the key, the value and what is allowed. */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
