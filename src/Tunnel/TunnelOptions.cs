using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// Settings both ends use (docs/tunnel-protocol.md §10). Everything a peer can grow has a cap here; defaults suit a
/// board over the internet. Validate with <see cref="Validate"/>, which reports every problem at once.
/// </summary>
public class TunnelOptions
{
    /// <summary>Largest frame body accepted, in bytes. Default 65,536 (a full UDP datagram fits); 1,024 – 1 MiB.</summary>
    public int MaxBodyLength { get; init; } = TunnelFrameReader.DefaultMaxBodyLength;

    /// <summary>How long a handshake may take before the connection is closed. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Bytes of unacknowledged reliable frames kept for retransmission. Default 1 MiB (a boot image is ~30 KB).
    /// When full, reliable sends wait (back-pressure); nothing is dropped. At least 2 × (MaxBodyLength + 8).
    /// </summary>
    public int ReplayBufferBytes { get; init; } = 1024 * 1024;

    /// <summary>Bytes of EIEIO datagrams (plus 4 bytes each) waiting to be batched; the oldest are dropped beyond. Default 256 KiB; at least 4 KiB.</summary>
    public int LatestQueueBytes { get; init; } = 256 * 1024;

    /// <summary>Largest batch of records (before compression), in bytes. Default 16 KiB; 1 KiB – MaxBodyLength.</summary>
    public int MaxBatchBytes { get; init; } = 16 * 1024;

    /// <summary>Batches at least this long are offered to LZ4 (sent compressed only if smaller). Default 512 bytes.</summary>
    public int CompressMinBytes { get; init; } = 512;

    /// <summary>Offer and use LZ4 when liblz4 is available. Default true.</summary>
    public bool EnableCompression { get; init; } = true;

    /// <summary>Send PING after this long without writing anything. Default 15 s (under the 60 s of nginx and NATs).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Close the connection after this long without receiving anything. Default 45 s; at least 2 × PingInterval.</summary>
    public TimeSpan DeadPeerTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Open channels per session, both directions together. Default 1,024; 1 – 32,767.</summary>
    public int MaxChannels { get; init; } = 1024;

    /// <summary>Clock for keepalive and timeouts (tests may pass their own).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where log lines go. Default: nowhere.</summary>
    public ITunnelLog Log { get; init; } = TunnelLog.None;

    /// <summary>Every problem with these settings (empty when valid).</summary>
    public virtual IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        Check(problems, MaxBodyLength is >= 1024 and <= TunnelFrameReader.LargestMaxBodyLength, "MaxBodyLength must be 1,024 .. 1,048,576 bytes.");
        Check(problems, HandshakeTimeout > TimeSpan.Zero, "HandshakeTimeout must be positive.");
        Check(problems, ReplayBufferBytes >= 2 * (MaxBodyLength + TunnelFrameHeader.Length), "ReplayBufferBytes must be at least 2 × (MaxBodyLength + 8).");
        Check(problems, LatestQueueBytes >= 4096 && LatestQueueBytes >= MaxBatchBytes, "LatestQueueBytes must be at least 4,096 and at least MaxBatchBytes.");
        Check(problems, MaxBatchBytes >= 1024 && MaxBatchBytes <= MaxBodyLength, "MaxBatchBytes must be 1,024 .. MaxBodyLength.");
        Check(problems, CompressMinBytes >= 0, "CompressMinBytes cannot be negative.");
        Check(problems, PingInterval > TimeSpan.Zero, "PingInterval must be positive.");
        Check(problems, DeadPeerTimeout >= 2 * PingInterval, "DeadPeerTimeout must be at least 2 × PingInterval.");
        Check(problems, MaxChannels is >= 1 and <= 32_767, "MaxChannels must be 1 .. 32,767.");
        return problems;
    }

    /// <summary>Throws when <see cref="Validate"/> finds anything, listing it all.</summary>
    /// <exception cref="ArgumentException">The settings are invalid.</exception>
    public void ThrowIfInvalid()
    {
        IReadOnlyList<string> problems = Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid tunnel options: " + string.Join(" ", problems));
        }
    }

    /// <summary>Adds <paramref name="problem"/> unless <paramref name="ok"/>.</summary>
    protected static void Check(List<string> problems, bool ok, string problem)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (!ok)
        {
            problems.Add(problem);
        }
    }
}

/// <summary>Settings of the server end (next to the boards).</summary>
public sealed class TunnelServerOptions : TunnelOptions
{
    /// <summary>The pre-shared key clients must prove; null disables key authentication (then client certificates must be allowed).</summary>
    public TunnelKey? Key { get; init; }

    /// <summary>Accept clients whose TLS certificate the transport verified (auth method 2). Default false.</summary>
    public bool AllowClientCertificates { get; init; }

    /// <summary>How long a session without a connection is kept for a resume. Default 120 s.</summary>
    public TimeSpan SessionLinger { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Sessions held at once (attached or lingering). Default 64.</summary>
    public int MaxSessions { get; init; } = 64;

    /// <inheritdoc/>
    public override IReadOnlyList<string> Validate()
    {
        var problems = new List<string>(base.Validate());
        Check(problems, Key is not null || AllowClientCertificates, "The server needs a Key, or AllowClientCertificates with a TLS transport.");
        Check(problems, SessionLinger >= TimeSpan.Zero, "SessionLinger cannot be negative.");
        Check(problems, MaxSessions >= 1, "MaxSessions must be at least 1.");
        return problems;
    }
}

/// <summary>Settings of the client end (next to the user).</summary>
public sealed class TunnelClientOptions : TunnelOptions
{
    /// <summary>The pre-shared key to prove; null means authenticate with the TLS client certificate (auth method 2).</summary>
    public TunnelKey? Key { get; init; }

    /// <summary>First wait before reconnecting after a lost connection. Default 100 ms; doubles up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between reconnect attempts. Default 10 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a client stopped while disconnected spends trying to end its session on the server (connect, resume,
    /// ERROR Shutdown), so the server frees the session at once instead of keeping it for its linger. Default 2 s; zero
    /// does not try. The stop waits this long at most (docs/tunnel-protocol.md §4).
    /// </summary>
    public TimeSpan StopGoodbyeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Stop reconnecting at the first refusal that retrying cannot fix (<see cref="TunnelCloseReasons.IsFinalRefusal"/>:
    /// wrong key, client certificate not let in, no common version, the server's TLS certificate refused), on the first
    /// attempt or any later one; <see cref="TunnelClient.Stopped"/> then completes with it, for the owner to report.
    /// Default false: every failure is retried with backoff until the client is disposed.
    /// </summary>
    public bool StopWhenRefused { get; init; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Validate()
    {
        var problems = new List<string>(base.Validate());
        Check(problems, ReconnectMinDelay > TimeSpan.Zero && ReconnectMaxDelay >= ReconnectMinDelay, "Reconnect delays must be positive, the maximum at least the minimum.");
        Check(problems, StopGoodbyeTimeout >= TimeSpan.Zero && StopGoodbyeTimeout <= TimeSpan.FromMinutes(1), "StopGoodbyeTimeout must be 0 .. 1 minute.");
        return problems;
    }
}
