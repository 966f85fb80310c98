package org.sparkntk.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkntk.io.ModelStore;
import org.sparkntk.model.InputMapping;
import org.sparkntk.model.Mlp;

/**
 * Saving and loading the ML API's stages without Java serialisation, in the layout of Spark's
 * DefaultParamsWriter so that {@code Pipeline} and {@code PipelineModel} save and load them:
 * <ul>
 *   <li>{@code metadata/}: one line of JSON, {"class", "timestamp", "sparkVersion", "uid", "paramMap",
 *       "defaultParamMap"}, each param encoded by its own {@code jsonEncode}; models add
 *       {"ntk": {"settings", "inputs", "outputs", "trainRows"}};</li>
 *   <li>{@code data/} (models): Parquet, one row per training example, (row, features, coefficients):
 *       the raw feature vector x_i and the O dual coefficients α_i;</li>
 *   <li>{@code network/} (models): the network and input mapping in spark-ntk's saved model format
 *       (docs/OUTPUTS.md, "Saved model format"), written locally and copied through the Hadoop file system of
 *       the path, so any path Spark can write works.</li>
 * </ul>
 */
final class NtkPersistence {
  private static final ObjectMapper JSON = new ObjectMapper();

  private NtkPersistence() {}

  @SuppressWarnings("unchecked")
  static ObjectNode metadata(Params instance, SparkSession spark) {
    ObjectNode m = JSON.createObjectNode();
    m.put("class", instance.getClass().getName());
    m.put("timestamp", System.currentTimeMillis());
    m.put("sparkVersion", spark.version());
    m.put("uid", instance.uid());
    ObjectNode set = m.putObject("paramMap");
    ObjectNode defaults = m.putObject("defaultParamMap");
    try {
      for (Param<?> p : instance.params()) {
        Param<Object> q = (Param<Object>) p;
        if (instance.isSet(q)) {
          set.set(q.name(), JSON.readTree(q.jsonEncode(instance.getOrDefault(q))));
        }
        if (instance.hasDefault(q)) {
          defaults.set(q.name(), JSON.readTree(q.jsonEncode(instance.getDefault(q).get())));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return m;
  }

  static void writeMetadata(ObjectNode metadata, String path, SparkSession spark) {
    spark.createDataset(List.of(metadata.toString()), Encoders.STRING()).coalesce(1).write()
        .text(new Path(path, "metadata").toString());
  }

  static JsonNode readMetadata(String path, SparkSession spark, Class<?> expected) {
    String text = spark.read().text(new Path(path, "metadata").toString()).first().getString(0);
    JsonNode m;
    try {
      m = JSON.readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException(path + "/metadata is not valid JSON: " + e.getMessage(), e);
    }
    String cls = m.path("class").asText();
    if (!cls.equals(expected.getName())) {
      throw new IllegalArgumentException(path + " holds a " + cls + ", not a " + expected.getName());
    }
    return m;
  }

  /** Sets the saved params and defaults on {@code instance}, decoding each with its own param. */
  @SuppressWarnings("unchecked")
  static void applyParams(Params instance, JsonNode metadata) {
    for (String section : List.of("defaultParamMap", "paramMap")) {
      Iterator<Map.Entry<String, JsonNode>> fields = metadata.path(section).fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> e = fields.next();
        if (!instance.hasParam(e.getKey())) {
          continue; // a param of a newer version: ignored, as Spark's reader does for defaults
        }
        Param<Object> p = instance.getParam(e.getKey());
        Object value = p.jsonDecode(e.getValue().toString());
        if (section.equals("paramMap")) {
          instance.set(p, value);
        } else {
          instance.setDefault(p, value);
        }
      }
    }
  }

  static final class ParamsWriter extends MLWriter {
    private final Params instance;

    ParamsWriter(Params instance) {
      this.instance = instance;
    }

    @Override
    public void saveImpl(String path) {
      writeMetadata(metadata(instance, sparkSession()), path, sparkSession());
    }
  }

  static final class ParamsReader<E extends Params> extends MLReader<E> {
    private final Class<E> type;
    private final Function<String, E> factory;

    ParamsReader(Class<E> type, Function<String, E> factory) {
      this.type = type;
      this.factory = factory;
    }

    @Override
    public E load(String path) {
      JsonNode m = readMetadata(path, sparkSession(), type);
      E instance = factory.apply(m.path("uid").asText());
      applyParams(instance, m);
      return instance;
    }
  }

  private static final StructType DATA_SCHEMA = new StructType()
      .add("row", DataTypes.LongType, false)
      .add("features", SQLDataTypes.VectorType(), false)
      .add("coefficients", DataTypes.createArrayType(DataTypes.DoubleType, false), false);

  static final class ModelWriter extends MLWriter {
    private final NtkModel<?> model;

    ModelWriter(NtkModel<?> model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      SparkSession spark = sparkSession();
      DualModel dual = model.dual();
      ObjectNode m = metadata(model, spark);
      ObjectNode ntk = m.putObject("ntk");
      ObjectNode settings = ntk.putObject("settings");
      new TreeMap<>(dual.settings()).forEach(settings::put);
      ntk.put("inputs", dual.inputs());
      ntk.put("outputs", dual.outputs());
      ntk.put("trainRows", dual.trainRows());
      writeMetadata(m, path, spark);

      int d = dual.inputs();
      int o = dual.outputs();
      List<Row> rows = new ArrayList<>(dual.trainRows());
      for (int i = 0; i < dual.trainRows(); i++) {
        Double[] alpha = new Double[o];
        for (int a = 0; a < o; a++) {
          alpha[a] = dual.coefficients()[i * o + a];
        }
        rows.add(RowFactory.create((long) i,
            Vectors.dense(Arrays.copyOfRange(dual.trainFeatures(), i * d, (i + 1) * d)), alpha));
      }
      spark.createDataFrame(rows, DATA_SCHEMA).write().parquet(new Path(path, "data").toString());

      java.nio.file.Path local = null;
      try {
        local = Files.createTempDirectory("spark-ntk-network");
        ModelStore.save(dual.network(), dual.mapping(), local.resolve("network"));
        Path target = new Path(path, "network");
        FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
        fs.copyFromLocalFile(false, true, new Path(local.resolve("network").toUri()), target);
      } catch (IOException e) {
        throw new UncheckedIOException("saving the network to " + path + "/network failed: " + e.getMessage(), e);
      } finally {
        deleteQuietly(local);
      }
    }
  }

  static final class ModelReader<M extends NtkModel<M>> extends MLReader<M> {
    private final Class<M> type;
    private final BiFunction<String, DualModel, M> factory;

    ModelReader(Class<M> type, BiFunction<String, DualModel, M> factory) {
      this.type = type;
      this.factory = factory;
    }

    @Override
    public M load(String path) {
      SparkSession spark = sparkSession();
      JsonNode m = readMetadata(path, spark, type);
      JsonNode ntk = m.path("ntk");
      Map<String, String> settings = new LinkedHashMap<>();
      ntk.path("settings").fields().forEachRemaining(e -> settings.put(e.getKey(), e.getValue().asText()));
      int d = ntk.path("inputs").asInt();
      int o = ntk.path("outputs").asInt();
      int n = ntk.path("trainRows").asInt();
      List<Row> rows = spark.read().parquet(new Path(path, "data").toString()).orderBy("row").collectAsList();
      if (rows.size() != n) {
        throw new IllegalArgumentException(path + "/data has " + rows.size() + " rows, the metadata says " + n);
      }
      double[] x = new double[n * d];
      double[] alpha = new double[n * o];
      for (int i = 0; i < n; i++) {
        Row r = rows.get(i);
        double[] v = ((Vector) r.get(r.fieldIndex("features"))).toArray();
        List<Double> a = r.getList(r.fieldIndex("coefficients"));
        if (r.getLong(r.fieldIndex("row")) != i || v.length != d || a.size() != o) {
          throw new IllegalArgumentException(path + "/data row " + i + " does not match the metadata (" + d
              + " features, " + o + " coefficients)");
        }
        System.arraycopy(v, 0, x, i * d, d);
        for (int j = 0; j < o; j++) {
          alpha[i * o + j] = a.get(j);
        }
      }
      java.nio.file.Path local = null;
      Mlp network;
      InputMapping mapping;
      try {
        local = Files.createTempDirectory("spark-ntk-network");
        Path source = new Path(path, "network");
        FileSystem fs = source.getFileSystem(spark.sparkContext().hadoopConfiguration());
        java.nio.file.Path copy = local.resolve("network");
        fs.copyToLocalFile(false, source, new Path(copy.toUri()), true);
        network = ModelStore.load(copy);
        InputMapping saved = ModelStore.loadMapping(copy);
        mapping = saved.kind() == InputMapping.Kind.NONE ? InputMapping.none(d) : saved;
      } catch (IOException e) {
        throw new UncheckedIOException("loading the network of " + path + " failed: " + e.getMessage(), e);
      } finally {
        deleteQuietly(local);
      }
      M model = factory.apply(m.path("uid").asText(), new DualModel(settings, network, mapping, d, x, o, alpha));
      applyParams(model, m);
      return model;
    }
  }

  private static void deleteQuietly(java.nio.file.Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<java.nio.file.Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a temporary copy left behind costs disk space only
    }
  }
}
