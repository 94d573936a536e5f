using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Internal;


namespace FastSpinnRelay.Relay.Host;

/// <summary>
/// A minimal host-side SCP client, behaving like rig's (docs/protocols.md §4.5): one UDP socket, one request in
/// flight, a 16-bit sequence number per request (wrapping at 65536), a per-attempt timeout (default 0.5 s) and a
/// number of attempts (default 5) in which the identical datagram is resent. Replies from elsewhere, replies with
/// another sequence number (late duplicates) and RC_SUM / RC_P2P_BUSY replies are ignored; any other non-OK reply
/// fails the call. Used by <c>relay demo</c>, tests and the bench against a board, the emulator or a relay.
/// Not thread-safe: one caller at a time.
/// </summary>
public sealed partial class ScpClient : IDisposable
{
    /// <summary>rig's per-attempt timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(0.5);

    /// <summary>rig's number of attempts (the first send plus 4 retransmissions).</summary>
    public const int DefaultAttempts = 5;

    /// <summary>Most data bytes per READ/WRITE command.</summary>
    public const int MaxChunk = ScpMessage.MaxDataLength;

    private readonly Socket socket;
    private readonly bool ownsSocket = true;
    private readonly SocketAddress targetAddress;
    private readonly SocketAddress from = SocketAddresses.NewBuffer();
    private readonly byte[] request = new byte[SdpConstants.MaxDatagramLength];
    private readonly byte[] reply = new byte[2048];
    private TimeSpan timeout = DefaultTimeout;
    private int attempts = DefaultAttempts;
    private ushort nextSequence;

    /// <summary>Opens a client socket.</summary>
    /// <param name="target">The board's (or relay's) SCP endpoint.</param>
    /// <param name="localEndPoint">Where to bind; default port 0 on 127.0.0.1 when the target is loopback, else on any address of its family.</param>
    /// <exception cref="SocketException">The local endpoint cannot be bound.</exception>
    public ScpClient(IPEndPoint target, IPEndPoint? localEndPoint = null)
    {
        Target = target;
        targetAddress = target.Serialize();
        socket = UdpSockets.BindClient(target, localEndPoint);
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>
    /// A client that talks through <paramref name="borrowed"/>, a bound socket another part owns and keeps after this
    /// client is disposed: for example the socket an IP tag is set from (USE_SENDER) and that then receives what the tag
    /// sends, so the port is never let go in between. The socket may be non-blocking.
    /// </summary>
    internal ScpClient(IPEndPoint target, Socket borrowed)
    {
        Target = target;
        targetAddress = target.Serialize();
        socket = borrowed;
        ownsSocket = false;
        LocalEndPoint = (IPEndPoint)borrowed.LocalEndPoint!;
    }

    /// <summary>Where requests go.</summary>
    public IPEndPoint Target { get; }

    /// <summary>Where this client's socket is bound (the source of its requests and the destination of replies).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>How long each attempt waits for its reply (default 0.5 s, as rig; 1 ms to 1 min).</summary>
    public TimeSpan Timeout
    {
        get => timeout;
        set => timeout = CheckTimeout(value);
    }

    /// <summary>Sends per request before giving up (default 5, as rig; 1 to 100).</summary>
    public int Attempts
    {
        get => attempts;
        set => attempts = CheckAttempts(value);
    }

    /// <summary>Destination chip x (default 0).</summary>
    public byte ChipX { get; set; }

    /// <summary>Destination chip y (default 0).</summary>
    public byte ChipY { get; set; }

    /// <summary>Destination core (default 0, the monitor).</summary>
    public byte Cpu { get; set; }

    /// <summary>The sequence number of the next request (tests start it near the wrap).</summary>
    internal ushort NextSequence
    {
        get => nextSequence;
        init => nextSequence = value;
    }

    /// <summary>Retransmissions so far (attempts after the first, over all requests).</summary>
    public long Retransmissions { get; private set; }

    /// <summary>
    /// Sends one request (three argument words, zero-filled when fewer are given, as SC&amp;MP requires) and returns
    /// the whole matching reply datagram, whatever its return code. The span is valid until the next call.
    /// </summary>
    /// <exception cref="ScpClientException">No reply after <see cref="Attempts"/> attempts (<see cref="ScpFailure.Timeout"/>).</exception>
    public ReadOnlySpan<byte> Transact(ScpCommand command, ReadOnlySpan<uint> args, ReadOnlySpan<byte> data = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(args.Length, ScpMessage.MaxArgCount, nameof(args));
        Span<uint> allArgs = stackalloc uint[ScpMessage.MaxArgCount];
        allArgs.Clear();
        args.CopyTo(allArgs);
        var sequence = nextSequence++;
        ScpMessage.TryWriteRequest(request, SdpHeader.ScpRequest(ChipX, ChipY, Cpu), command, sequence, allArgs, data, out var length);
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            if (attempt > 0)
            {
                Retransmissions++;
            }

            socket.SendTo(request.AsSpan(0, length), SocketFlags.None, targetAddress);
            var n = AwaitReply(sequence);
            if (n > 0)
            {
                return reply.AsSpan(0, n);
            }
        }

        throw Fail(ScpFailure.Timeout, command, null, string.Create(
            CultureInfo.InvariantCulture,
            $"got no reply after {attempts} attempts of {timeout.TotalMilliseconds:0.###} ms each"));
    }

    /// <summary>A per-attempt timeout from 1 ms to 1 min, else <see cref="ArgumentOutOfRangeException"/>.</summary>
    internal static TimeSpan CheckTimeout(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TimeSpan.FromMinutes(1));
        return value;
    }

    /// <summary>A number of attempts from 1 to 100, else <see cref="ArgumentOutOfRangeException"/>.</summary>
    internal static int CheckAttempts(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 100);
        return value;
    }

    /// <summary>VER: the board's software and whether it has booted.</summary>
    public BoardVersion Version()
    {
        var datagram = Transact(ScpCommand.Ver, []);
        var error = ScpVersionInfo.TryRead(datagram, out var info);
        if (error == ScpError.NotOk)
        {
            throw ErrorReply(ScpCommand.Ver, datagram);
        }

        if (error != ScpError.None)
        {
            throw Malformed(ScpCommand.Ver, error.ToString());
        }

        return new BoardVersion(
            Encoding.ASCII.GetString(info.Name), Encoding.ASCII.GetString(info.Version), info.P2PAddress,
            info.PhysicalCpu, info.VirtualCpu, info.BufferSize, info.BuildDate);
    }

    /// <summary>Reads <paramref name="destination"/>.Length bytes from <paramref name="address"/>, in READ commands of at most 256 bytes.</summary>
    public void Read(uint address, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var chunk = Math.Min(destination.Length, MaxChunk);
            var args = ScpMemoryArgs.ForTransfer(address, (uint)chunk);
            var m = ExpectOk(ScpCommand.Read, Transact(ScpCommand.Read, [args.Address, args.Length, (uint)args.AccessType]), 0);
            if (m.Data.Length != chunk)
            {
                throw Malformed(ScpCommand.Read, string.Create(CultureInfo.InvariantCulture, $"{m.Data.Length} bytes returned for {chunk} asked"));
            }

            m.Data.CopyTo(destination);
            destination = destination[chunk..];
            address += (uint)chunk;
        }
    }

    /// <summary>Writes <paramref name="source"/> at <paramref name="address"/>, in WRITE commands of at most 256 bytes.</summary>
    public void Write(uint address, ReadOnlySpan<byte> source)
    {
        while (!source.IsEmpty)
        {
            var chunk = Math.Min(source.Length, MaxChunk);
            var args = ScpMemoryArgs.ForTransfer(address, (uint)chunk);
            ExpectOk(ScpCommand.Write, Transact(ScpCommand.Write, [args.Address, args.Length, (uint)args.AccessType], source[..chunk]), 0);
            source = source[chunk..];
            address += (uint)chunk;
        }
    }

    /// <summary>Closes the socket, unless it was borrowed.</summary>
    public void Dispose()
    {
        if (ownsSocket)
        {
            socket.Dispose();
        }
    }

    /// <summary>Waits up to <see cref="Timeout"/> for the reply to <paramref name="sequence"/>; its length, or 0.</summary>
    private int AwaitReply(ushort sequence)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        int n;
        while ((n = ReceiveReply(socket, reply, from, targetAddress, deadline, out var header)) > 0)
        {
            if (header.Sequence == sequence)
            {
                return n;
            }

            // A late duplicate of an earlier request.
        }

        return 0;
    }

    /// <summary>
    /// Waits until <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp) for an SCP reply from
    /// <paramref name="target"/> into <paramref name="buffer"/>; its length and header, or 0 at the deadline. Datagrams
    /// from elsewhere, ones that are not SCP, and RC_SUM / RC_P2P_BUSY answers (which rig and spinnman treat as lost)
    /// are skipped, as are ICMP errors the socket reports.
    /// </summary>
    internal static int ReceiveReply(Socket socket, byte[] buffer, SocketAddress from, SocketAddress target, long deadline, out ScpHeader header)
    {
        header = default;
        while (true)
        {
            var remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0 || !socket.Poll(TimeSpan.FromTicks(Math.Max(1, remaining * TimeSpan.TicksPerSecond / Stopwatch.Frequency)), SelectMode.SelectRead))
            {
                return 0;
            }

            int n;
            try
            {
                n = socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize or SocketError.WouldBlock)
            {
                continue;
            }

            if (SocketAddresses.AreEqual(from, target)
                && ScpHeader.TryRead(buffer.AsSpan(0, n), out header) == ScpError.None
                && header.Result is not (ScpResult.Sum or ScpResult.P2PBusy))
            {
                return n;
            }
        }
    }

    private ScpMessage ExpectOk(ScpCommand command, ReadOnlySpan<byte> datagram, int argCount)
    {
        if (ScpHeader.TryRead(datagram, out var header) == ScpError.None && header.Result != ScpResult.Ok)
        {
            throw ErrorReply(command, datagram);
        }

        var error = ScpMessage.TryRead(datagram, argCount, out var m);
        return error == ScpError.None ? m : throw Malformed(command, error.ToString());
    }

    private ScpClientException ErrorReply(ScpCommand command, ReadOnlySpan<byte> datagram)
    {
        ScpHeader.TryRead(datagram, out var header);
        var rc = header.Result;
        return Fail(ScpFailure.ErrorReply, command, rc, string.Create(
            CultureInfo.InvariantCulture, $"failed: the board answered {DescribeResult(rc)}"));
    }

    private ScpClientException Malformed(ScpCommand command, string why) =>
        Fail(ScpFailure.MalformedReply, command, null, $"got a malformed reply ({why})");

    private ScpClientException Fail(ScpFailure failure, ScpCommand command, ScpResult? rc, string what) =>
        new(failure, Target, command, rc, $"SCP {DescribeCommand(command)} to {Target} {what}");

    internal static string DescribeCommand(ScpCommand command) =>
        Enum.IsDefined(command) ? command.ToString().ToUpperInvariant() : string.Create(CultureInfo.InvariantCulture, $"command {(ushort)command}");

    internal static string DescribeResult(ScpResult rc) =>
        Enum.IsDefined(rc)
            ? string.Create(CultureInfo.InvariantCulture, $"RC_{rc.ToString().ToUpperInvariant()} (0x{(ushort)rc:X2})")
            : string.Create(CultureInfo.InvariantCulture, $"return code 0x{(ushort)rc:X2}");
}
