package org.sparkntk.config;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.sparkntk.model.ConfigNamed;

/**
 * One documented job key: its name, default ({@code null}: no default), what it means, and the
 * parser that turns a value into its typed form or explains what is allowed.
 *
 * @param name        the key, e.g. {@code model.hidden}
 * @param defaultValue the value used when the key is not set, or null
 * @param required    whether a file job (the CLI) cannot run without it; checked by the file entry
 *                    points, since a job on Datasets in hand needs neither data.train nor output.dir
 * @param allowed     what values are allowed, in words, for messages and docs
 * @param description what the key does
 * @param parser      value → typed value; throws IllegalArgumentException with a short reason
 */
public record ConfigKey<T>(String name, String defaultValue, boolean required, String allowed,
                           String description, Function<String, T> parser) {

  /** Parses {@code value}, turning any failure into a message that names key, value and what is allowed. */
  public T parse(String value, String origin) {
    try {
      return parser.apply(value.trim());
    } catch (RuntimeException e) {
      String why = e.getMessage() == null ? "" : " (" + e.getMessage() + ")";
      String near = nearestAllowed(value.trim());
      throw new ConfigException(name + " = '" + value + "'" + origin + " is not valid" + why
          + ": expected " + allowed + (near != null ? "; did you mean '" + near + "'?" : ""));
    }
  }

  /**
   * The error for a value that is none of {@code names} (a list kept outside the key, such as the
   * report registry's), worded as {@link #parse} words its own: the key, the value, its origin,
   * what is allowed and the nearest name.
   */
  public static ConfigException notOneOf(ConfigKey<?> key, String value, String origin, List<String> names) {
    String allowed = ConfigNamed.alternatives(names);
    String near = nearest(value.trim(), allowed);
    return new ConfigException(key.name() + " = '" + value + "'" + origin + " is not valid: expected " + allowed
        + (near != null ? "; did you mean '" + near + "'?" : ""));
  }

  /**
   * For keys whose {@code allowed} lists names ("a, b or c"): the one closest to {@code value}, if
   * close. Only a value that is itself a word gets one: a number such as -5 or 1q is no misspelt
   * name, and a suffix letter ("k, m, g") is no choice of its own.
   */
  String nearestAllowed(String value) {
    return nearest(value, allowed);
  }

  private static String nearest(String value, String allowed) {
    if (!value.matches("[A-Za-z][A-Za-z0-9_]*")) {
      return null;
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String word : allowed.split(",\\s*|\\s+or\\s+")) {
      String w = word.strip();
      if (!w.matches("[a-z][a-z0-9_]+") || w.equals(value)) {
        continue;
      }
      int d = ConfigKeys.editDistance(value.toLowerCase(Locale.ROOT), w);
      if (d < bestDistance) {
        bestDistance = d;
        best = w;
      }
    }
    return best != null && bestDistance <= Math.max(2, value.length() / 3) ? best : null;
  }
}
