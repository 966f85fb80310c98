/**
 * The command line ({@link org.sparkntk.cli.NtkMain}): loads the job file, checks it before
 * Spark starts, runs the job or a report through the registry, and maps failures to exit
 * statuses.
 */
package org.sparkntk.cli;
