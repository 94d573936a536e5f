namespace FastSpinnRelay.Relay.Cli;

/// <summary>Process exit codes. Scripts may rely on these numbers; never renumber.</summary>
public enum ExitCode
{
    Ok = 0,
    /// <summary>A run finished but found a problem (a demo step failed, a bench target missed).</summary>
    Failed = 1,
    /// <summary>Bad flags or arguments; the message names the bad input.</summary>
    Usage = 2,
    /// <summary>A socket could not be bound or a host could not be resolved or reached.</summary>
    Network = 3,
    /// <summary>
    /// Refused in a way retrying cannot fix: <c>relay tunnel connect</c>'s server refused its key, client certificate or
    /// protocol version, or it refused the server's TLS certificate (pin, chain or name); the message says what to check.
    /// </summary>
    Refused = 4,
    /// <summary>
    /// Ctrl+C or SIGTERM cut a run short: a demo, a bench, a wait, or a relay still starting. A running relay
    /// (server, client, tunnel, spalloc serve and connect, emulate) that is stopped exits <see cref="Ok"/>.
    /// </summary>
    Cancelled = 130,
}

/// <summary>An error that ends the command with a one-line message and its own exit code.</summary>
public sealed class RelayToolException(ExitCode code, string message) : Exception(message)
{
    public ExitCode Code { get; } = code;
}
