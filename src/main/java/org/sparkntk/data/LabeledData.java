package org.sparkntk.data;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * A data set as examples distributed over the cluster.
 *
 * @param name      what to call it in messages ("data.train (path)")
 * @param examples  the rows, each with its index in reading order
 * @param count     number of rows
 * @param features  names of the feature columns, in order
 * @param labels    names of the label columns (empty when the data has none)
 */
public record LabeledData(String name, JavaRDD<Example> examples, long count, List<String> features,
                          List<String> labels) {
  public int featureCount() {
    return features.size();
  }

  public boolean hasLabels() {
    return !labels.isEmpty();
  }
}
