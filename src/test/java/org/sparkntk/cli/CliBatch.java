package org.sparkntk.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.sparkntk.cluster.MlApiJob;
import org.sparkntk.config.JobConfig;

/**
 * Several CLI jobs in one driver JVM and one Spark session, for the cluster tests (starting a
 * driver and its executor JVMs costs far more than a small job): {@code job.conf key=value … --
 * job.conf key=value … [-- ml <train.csv> <test.csv> <predictions.txt>]}. The session is the one
 * the CLI builds for the first job (its spark.* keys); each job then runs through
 * {@link NtkMain#run}, which leaves a session it did not start running. A group starting with
 * {@code ml} runs {@link MlApiJob} on the same session. Prints each job's status; exits with the
 * first non-zero one.
 */
public final class CliBatch {
  private CliBatch() {}

  public static void main(String[] args) throws Exception {
    List<List<String>> jobs = new ArrayList<>();
    List<String> current = new ArrayList<>();
    for (String a : args) {
      if (a.equals("--")) {
        jobs.add(current);
        current = new ArrayList<>();
      } else {
        current.add(a);
      }
    }
    jobs.add(current);
    List<String> first = jobs.get(0);
    SparkSession spark = NtkMain.session(JobConfig.load(Path.of(first.get(0)), first.subList(1, first.size())), true);
    int status = 0;
    try {
      for (int i = 0; i < jobs.size(); i++) {
        List<String> job = jobs.get(i);
        long t0 = System.nanoTime();
        int s;
        if (job.get(0).equals("ml")) {
          MlApiJob.run(spark, Path.of(job.get(1)), Path.of(job.get(2)), Path.of(job.get(3)));
          s = 0;
        } else {
          s = NtkMain.run(job.toArray(String[]::new));
        }
        System.out.println("cli-batch: job " + i + " " + Arrays.toString(job.subList(0, Math.min(2, job.size())).toArray())
            + String.format(" in %.1f s: exit status %d", (System.nanoTime() - t0) / 1e9, s));
        status = status != 0 ? status : s;
      }
    } finally {
      spark.stop();
    }
    System.exit(status);
  }
}
