package dev.lightrun.runner;

/** How a run's container came to be: created for it ({@link #COLD}) or taken from a warm pool ({@link #WARM}). */
public enum StartKind {
    /** Created and started for this run. */
    COLD,
    /** Taken, already started, from a warm pool whose profile the run matched. */
    WARM
}
