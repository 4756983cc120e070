package dev.lightrun.runner;

/** When the requested paths are copied out of the container. */
public enum ExtractPolicy {
    /** Only when the container exited with code 0 (the default). */
    ON_SUCCESS,
    /** Whatever the outcome, as long as the container ran (useful for debugging failed runs). */
    ALWAYS
}
