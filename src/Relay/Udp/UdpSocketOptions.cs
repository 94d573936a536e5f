using System.Net;
using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

/// <summary>How a <see cref="UdpSocket"/> is opened. Immutable once built; <see cref="Validate"/> reports every problem at once.</summary>
public sealed record UdpSocketOptions
{
    /// <summary>Defaults: 4 MiB buffers requested, 64 send slots of 2048 bytes, native I/O where available.</summary>
    public static UdpSocketOptions Default { get; } = new();

    /// <summary>Upper bound for the kernel buffer requests: 256 MiB.</summary>
    public const int MaxBufferBytes = 256 * 1024 * 1024;

    /// <summary>
    /// SO_RCVBUF to request, in bytes. Default 4 MiB, enough to absorb a boot burst or an EIEIO spike while the
    /// loop is busy. 0 keeps the system default. Linux caps it at <c>net.core.rmem_max</c> unless
    /// <see cref="ForceBufferSizes"/> is set and the process has CAP_NET_ADMIN; the granted value is reported
    /// by <see cref="UdpSocket.ReceiveBufferSize"/>. Memory per socket: this much kernel memory can be held by
    /// queued datagrams, so many sockets with large buffers add up.
    /// </summary>
    public int ReceiveBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>SO_SNDBUF to request, in bytes. Default 4 MiB; 0 keeps the system default. Same caps as <see cref="ReceiveBufferBytes"/>.</summary>
    public int SendBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// When the kernel grants less than requested, retry with SO_RCVBUFFORCE/SO_SNDBUFFORCE (Linux; needs
    /// CAP_NET_ADMIN, otherwise silently keeps what was granted). Default true.
    /// </summary>
    public bool ForceBufferSizes { get; init; } = true;

    /// <summary>
    /// Datagrams <see cref="UdpSocket.QueueSendTo"/> can hold before it flushes (one sendmmsg per flush).
    /// Default 64, range 1-1024. Allocated on the first queued send, <c>SendSlots * SendSlotBytes</c> bytes.
    /// </summary>
    public int SendSlots { get; init; } = DatagramBatch.DefaultCapacity;

    /// <summary>
    /// Bytes per send slot. Default 2048, range 1-65507. A larger datagram is not refused: the queue is flushed
    /// and the datagram goes out with an immediate send.
    /// </summary>
    public int SendSlotBytes { get; init; } = DatagramBatch.DefaultSlotSize;

    /// <summary>
    /// Send queued runs of same-sized datagrams (up to 1452 bytes, to one destination) as UDP GSO groups on Linux:
    /// the wire carries the same datagrams, the kernel's send path runs once per group instead of per datagram.
    /// Default true (false when <see cref="OffloadVariable"/> is 0); turns itself off if the kernel refuses it.
    /// Immediate sends (<see cref="UdpSocket.SendTo"/>) are never grouped.
    /// </summary>
    public bool SendSegmentation { get; init; } = OffloadByDefault;

    /// <summary>
    /// Let the kernel coalesce trains of same-sized datagrams from one sender into one message (Linux UDP_GRO), read
    /// them with one copy and hand them to receivers as the single datagrams they were. The counterpart of
    /// <see cref="SendSegmentation"/>: a GSO group from another relay crosses the receiving stack once instead of
    /// once per datagram. Default true (false when <see cref="OffloadVariable"/> is 0); ignored where the kernel or
    /// the I/O path lacks it. Costs a 1 MiB receive area per batch, mapped only as large messages arrive.
    /// </summary>
    public bool ReceiveCoalescing { get; init; } = OffloadByDefault;

    /// <summary>
    /// Environment variable that turns UDP GSO and GRO off for every socket of the process when set to 0: a switch
    /// for an administrator who suspects a kernel or NIC, and for measuring what the offloads are worth.
    /// </summary>
    public const string OffloadVariable = "RELAY_UDP_OFFLOAD";

    // Read when options are made (not cached in a static: Default is built before later static initialisers run).
    private static bool OffloadByDefault => Environment.GetEnvironmentVariable(OffloadVariable) != "0";

    /// <summary>For an IPv6 socket: also accept and send IPv4 (as IPv4-mapped addresses). Default false.</summary>
    public bool DualMode { get; init; }

    /// <summary>Peer to connect() to after binding (then only its datagrams are received, and ICMP errors are reported). Default none.</summary>
    public IPEndPoint? RemoteEndPoint { get; init; }

    /// <summary>Use <see cref="System.Net.Sockets.Socket"/> calls instead of recvmmsg/sendmmsg even on Linux (slower; for tests and odd platforms). Default false.</summary>
    public bool UsePortableIo { get; init; }

    /// <summary>Where unexpected errors are reported. Default none (they are still counted).</summary>
    public IUdpErrorSink? ErrorSink { get; init; }

    /// <summary>Name used in logs and <see cref="UdpSocket.ToString"/>. Default: the bound address.</summary>
    public string? Name { get; init; }

    /// <summary>Every problem with these options, or an empty list.</summary>
    public IReadOnlyList<string> GetProblems()
    {
        var problems = new List<string>();
        CheckRange(problems, nameof(ReceiveBufferBytes), ReceiveBufferBytes, 0, MaxBufferBytes);
        CheckRange(problems, nameof(SendBufferBytes), SendBufferBytes, 0, MaxBufferBytes);
        CheckRange(problems, nameof(SendSlots), SendSlots, 1, MessageBuffer.MaxCapacity);
        CheckRange(problems, nameof(SendSlotBytes), SendSlotBytes, 1, MessageBuffer.MaxSlotSize);
        return problems;
    }

    /// <summary>Throws one <see cref="ArgumentException"/> naming every problem, if there are any.</summary>
    public void Validate()
    {
        var problems = GetProblems();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid UDP socket options: " + string.Join("; ", problems));
        }
    }

    internal static void CheckRange(List<string> problems, string name, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            problems.Add($"{name} is {value}, must be {min} to {max}");
        }
    }
}
