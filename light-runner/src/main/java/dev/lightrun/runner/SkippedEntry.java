package dev.lightrun.runner;

/** An entry of an extracted archive that was deliberately not written (a link, a device, an unsafe name). */
public record SkippedEntry(String path, String reason) {
}
