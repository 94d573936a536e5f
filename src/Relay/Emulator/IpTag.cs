using System.Net;

namespace FastSpinnRelay.Relay.Emulator;

/// <summary>
/// One fixed IP tag (0–7): where the board sends output for this tag or, for a reverse tag, the board port it
/// listens on. Flags are set once by IPTAG SET; <see cref="Destination"/> may change later (a reverse tag follows
/// its last sender) and is safe to read from any thread.
/// </summary>
public sealed class IpTag
{
    private Target? target;

    /// <summary>The tag number, 0–7.</summary>
    public required int Number { get; init; }

    /// <summary>Destination of output through this tag; for a reverse tag, the last sender to its port (null until one).</summary>
    public IPEndPoint? Destination
    {
        get => Volatile.Read(ref target)?.EndPoint;
        set => Volatile.Write(ref target, value is null ? null : new Target(value, value.Serialize()));
    }

    /// <summary>Output carries only the bytes from the SCP command field on (no pad, no SDP header).</summary>
    public bool Strip { get; init; }

    /// <summary>The destination was taken from the socket that sent the IPTAG SET (USE_SENDER).</summary>
    public bool UseSender { get; init; }

    /// <summary>A reverse tag: input arriving on <see cref="ReceivePort"/> goes to a core.</summary>
    public bool Reverse { get; init; }

    /// <summary>Reverse tags: the board UDP port that receives input.</summary>
    public int ReceivePort { get; init; }

    /// <summary>Reverse tags: destination chip x.</summary>
    public byte DestX { get; init; }

    /// <summary>Reverse tags: destination chip y.</summary>
    public byte DestY { get; init; }

    /// <summary>Reverse tags: the SDP port/CPU byte input is delivered to.</summary>
    public byte DestPortCpu { get; init; }

    /// <summary>Timeout code from the SET request (0 = none, else 10 ms × 2^(code−1)).</summary>
    public int TimeoutCode { get; init; }

    /// <summary>Packets sent through (or, reverse, received by) this tag. Updated with <see cref="Interlocked"/>.</summary>
    public long Count => Interlocked.Read(ref count);

    /// <summary>The destination in the form the allocation-free <c>SendTo</c> takes; never mutated once published.</summary>
    internal SocketAddress? DestinationAddress => Volatile.Read(ref target)?.Address;

    private long count;

    internal void CountOne() => Interlocked.Increment(ref count);

    /// <summary>An endpoint and its serialized form, swapped as one reference.</summary>
    private sealed record Target(IPEndPoint EndPoint, SocketAddress Address);
}
