package dev.lightrun.runner;

/** The container engine behind a runner: its version and API version, e.g. {@code 20.10.24} / {@code 1.41}. */
public record EngineInfo(String version, String apiVersion, String os, String arch) {
}
