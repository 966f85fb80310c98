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
   * IllegalArgumentException naming {@code what} and the names allowed ("a, b or c").
   */
  static <E extends Enum<E> & ConfigNamed> E parse(Class<E> type, String name, String what) {
    E found = find(type, name);
    if (found != null) {
      return found;
    }
    List<String> names = Arrays.stream(type.getEnumConstants()).map(ConfigNamed::configName).toList();
    throw new IllegalArgumentException("unknown " + what + " '" + name + "'; expected " + alternatives(names));
  }

  /** "a", "a or b", "a, b or c": the names allowed, as the messages list them. */
  static String alternatives(List<String> names) {
    return names.size() == 1 ? names.get(0)
        : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
  }

  /** The constant of {@code type} named {@code name} (trimmed, any case), or null. */
  static <E extends Enum<E> & ConfigNamed> E find(Class<E> type, String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (E e : type.getEnumConstants()) {
      if (e.configName().equals(n)) {
        return e;
      }
    }
    return null;
  }
}
