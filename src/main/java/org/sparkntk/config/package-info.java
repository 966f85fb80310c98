/**
 * The job's keys ({@link org.sparkntk.config.ConfigKeys}: default, allowed values, meaning),
 * job files and overrides, and their validation ({@link org.sparkntk.config.JobConfig}).
 * Depends on the numerics packages for the types its keys parse into.
 */
package org.sparkntk.config;
