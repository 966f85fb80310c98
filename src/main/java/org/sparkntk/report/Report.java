package org.sparkntk.report;

import org.apache.spark.sql.SparkSession;
import org.sparkntk.config.JobConfig;

/**
 * One experiment the CLI runs for {@code report.type = name()}: it claims output.dir, writes its
 * files and their manifest.json ({@code io.OutputFiles}, as the job does). A new report is one
 * class and one entry in {@link Reports}, the registry the CLI, the key check and the docs test
 * read (docs/ARCHITECTURE.md).
 */
public interface Report {
  /** The value of report.type that selects it. */
  String name();

  /** What it computes and the files it writes, in one sentence. */
  String summary();

  /** Whether it reads data.train, which the CLI then requires and checks before Spark starts. */
  boolean readsData();

  /** Checks its keys before Spark starts; throws {@code ConfigException}. */
  default void check(JobConfig config) {
  }

  /** Runs it and writes its outputs. */
  void run(SparkSession spark, JobConfig config);
}
