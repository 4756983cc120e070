package dev.lightrun.runner.docker;

/**
 * How a run's files (and stdin) reach its container.
 * <ul>
 *   <li>{@link #ARCHIVE}: a tar uploaded with the Engine's archive API. Works with any daemon (remote, rootless, the
 *       runner itself in a container), but the daemon unpacks it in a re-executed helper process: ~35-55 ms a run.</li>
 *   <li>{@link #BIND}: written to a host folder that is bind-mounted at the workdir: nearly free, but only correct
 *       when the daemon sees this process's filesystem at the same paths.</li>
 *   <li>{@link #AUTO} (default): {@code BIND} when that is known to hold and to be safe (a unix-socket daemon, this
 *       process not in a container, running as root so it can always delete what a workload leaves in the folder),
 *       else {@code ARCHIVE}.</li>
 * </ul>
 * Either way a run sees the same files with the same owners and modes; a run whose image already has content at the
 * workdir, or that runs as a named (non-numeric) user, always gets {@code ARCHIVE}, which merges instead of hiding.
 */
public enum FilesMode {
    AUTO, ARCHIVE, BIND
}
