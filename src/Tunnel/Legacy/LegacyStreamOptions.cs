using FastSpinnRelay.Protocol.Framing;

namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>
/// How a spinnaker_proxy TCP stream is read, written and (for a client) re-established. Immutable;
/// <see cref="GetProblems"/> reports every problem at once.
/// </summary>
public sealed record LegacyStreamOptions
{
    public static LegacyStreamOptions Default { get; } = new();

    /// <summary>
    /// Largest datagram a peer may announce, in bytes (default 64 KiB, 1 to 16 MiB). A larger length prefix closes
    /// the connection (<see cref="StreamCloseReason.FrameTooLarge"/>) before any of its payload is buffered.
    /// </summary>
    public int MaxFrameLength { get; init; } = LengthPrefixedFrameReader.DefaultMaxFrameLength;

    /// <summary>Initial receive buffer in bytes (default 8 KiB); it grows only as far as an announced frame needs.</summary>
    public int ReceiveBufferBytes { get; init; } = 8 * 1024;

    /// <summary>
    /// Smallest gap between frames handed on from the stream (default 0 = none), counted from when the handler's flush
    /// that sent the previous frame returned, so it holds between the sends themselves. Frames that arrive together
    /// leave at least this far apart; frames that arrive further apart keep their spacing. For boot packets, which an
    /// unbooted board can be flooded by. While it waits, the connection does not read (TCP back-pressure).
    /// </summary>
    public TimeSpan MinFrameGap { get; init; }

    /// <summary>
    /// A write that makes no progress for this long closes the connection when the owner calls
    /// <see cref="LegacyStreamConnection.CloseIfStalled"/> (default 30 s).
    /// </summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for a TCP connect (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Client: first wait before reconnecting (default 100 ms); doubles per failure, with jitter.</summary>
    public TimeSpan ReconnectDelayMin { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Client: longest wait between reconnection attempts (default 5 s).</summary>
    public TimeSpan ReconnectDelayMax { get; init; } = TimeSpan.FromSeconds(5);

    public IReadOnlyList<string> GetProblems()
    {
        var problems = new List<string>();
        Check(problems, MaxFrameLength is >= 1 and <= 16 * 1024 * 1024, $"{nameof(MaxFrameLength)} {MaxFrameLength} is outside 1..16777216");
        Check(problems, ReceiveBufferBytes is >= 64 and <= 16 * 1024 * 1024, $"{nameof(ReceiveBufferBytes)} {ReceiveBufferBytes} is outside 64..16777216");
        Check(problems, MinFrameGap >= TimeSpan.Zero && MinFrameGap <= TimeSpan.FromMinutes(1), $"{nameof(MinFrameGap)} {MinFrameGap} is outside 0..1 min");
        Check(problems, WriteTimeout > TimeSpan.Zero && WriteTimeout <= TimeSpan.FromHours(1), $"{nameof(WriteTimeout)} {WriteTimeout} is outside (0, 1 h]");
        Check(problems, ConnectTimeout > TimeSpan.Zero && ConnectTimeout <= TimeSpan.FromMinutes(10), $"{nameof(ConnectTimeout)} {ConnectTimeout} is outside (0, 10 min]");
        Check(problems, ReconnectDelayMin > TimeSpan.Zero && ReconnectDelayMin <= ReconnectDelayMax,
            $"{nameof(ReconnectDelayMin)} {ReconnectDelayMin} must be positive and at most {nameof(ReconnectDelayMax)}");
        Check(problems, ReconnectDelayMax <= TimeSpan.FromHours(1), $"{nameof(ReconnectDelayMax)} {ReconnectDelayMax} is over 1 h");
        return problems;
    }

    public void Validate()
    {
        var problems = GetProblems();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid legacy stream options: " + string.Join("; ", problems));
        }
    }

    private static void Check(List<string> problems, bool ok, string problem)
    {
        if (!ok)
        {
            problems.Add(problem);
        }
    }
}
