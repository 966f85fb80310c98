package org.sparkntk.model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * An enum whose constants are chosen in job files by a lowercase name (float64, trace, ntk, mse,
 * …): the one parser all of them share.
 */
public interface ConfigNamed {
  /** The name a job file uses for this constant. */
  String configName();

  /**
   * The constant of {@code type} named {@code name} (trimmed, any case), or an
   * IllegalArgumentException naming {@code what} and the names allowed.
   */
  static <E extends Enum<E> & ConfigNamed> E parse(Class<E> type, String name, String what) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    E[] constants = type.getEnumConstants();
    for (E e : constants) {
      if (e.configName().equals(n)) {
        return e;
      }
    }
    List<String> names = Arrays.stream(constants).map(ConfigNamed::configName).toList();
    throw new IllegalArgumentException("unknown " + what + " '" + name + "'; expected one of " + String.join(", ", names));
  }
}
