package dev.lightrun.runner;

/** Kind of an extracted entry. Links, devices and fifos are never extracted. */
public enum EntryType {
    FILE,
    DIRECTORY
}
