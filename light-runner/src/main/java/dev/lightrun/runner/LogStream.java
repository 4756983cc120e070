package dev.lightrun.runner;

/** Which output stream of the container a chunk of log came from. */
public enum LogStream {
    STDOUT,
    STDERR
}
