package org.sparkntk.ml;

import java.util.Arrays;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Schema checks of the ML API, with messages that name the param, the column and what was found. */
final class Schemas {
  private Schemas() {}

  static StructField require(StructType schema, String column, String param) {
    if (!Arrays.asList(schema.fieldNames()).contains(column)) {
      throw new IllegalArgumentException(param + " = '" + column + "': no such column; the columns are "
          + Arrays.toString(schema.fieldNames()));
    }
    return schema.apply(column);
  }

  static void requireVector(StructType schema, String column, String param) {
    DataType t = require(schema, column, param).dataType();
    if (!t.equals(SQLDataTypes.VectorType())) {
      throw new IllegalArgumentException(param + " = '" + column + "' must be an ml Vector column (as "
          + "VectorAssembler produces), but it has type " + t.simpleString());
    }
  }

  static void requireNumeric(StructType schema, String column, String param) {
    DataType t = require(schema, column, param).dataType();
    if (!(t instanceof NumericType)) {
      throw new IllegalArgumentException(param + " = '" + column + "' must be a numeric column, but it has type "
          + t.simpleString());
    }
  }

  /** {@code schema} with a new column, refused if the name is taken. */
  static StructType append(StructType schema, String column, String param, DataType type) {
    if (Arrays.asList(schema.fieldNames()).contains(column)) {
      throw new IllegalArgumentException(param + " = '" + column + "': the column already exists; choose another "
          + "name with set" + Character.toUpperCase(param.charAt(0)) + param.substring(1));
    }
    return schema.add(new StructField(column, type, false, Metadata.empty()));
  }
}
