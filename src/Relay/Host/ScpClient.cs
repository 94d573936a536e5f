using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Net;
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
public sealed class ScpClient : IDisposable
{
    /// <summary>rig's per-attempt timeout.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(0.5);

    /// <summary>rig's number of attempts (the first send plus 4 retransmissions).</summary>
    public const int DefaultAttempts = 5;

    /// <summary>Most data bytes per READ/WRITE command.</summary>
    public const int MaxChunk = ScpMessage.MaxDataLength;

    private readonly Socket socket;
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

    /// <summary>Where requests go.</summary>
    public IPEndPoint Target { get; }

    /// <summary>Where this client's socket is bound (the source of its requests and the destination of replies).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>How long each attempt waits for its reply (default 0.5 s, as rig; 1 ms to 1 min).</summary>
    public TimeSpan Timeout
    {
        get => timeout;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.FromMilliseconds(1));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TimeSpan.FromMinutes(1));
            timeout = value;
        }
    }

    /// <summary>Sends per request before giving up (default 5, as rig; 1 to 100).</summary>
    public int Attempts
    {
        get => attempts;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 100);
            attempts = value;
        }
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

    /// <summary>
    /// IPTAG SET of fixed tag <paramref name="tag"/> (0–7): output through it goes to <paramref name="host"/>:<paramref name="port"/>.
    /// A null host lets the board use this request's source address. With <paramref name="useSender"/> (and a null
    /// host) the board takes address <i>and</i> port from this client's socket, as spinnman's live-output listener does.
    /// <paramref name="strip"/> drops the SDP header from output. Returns the tag number the board confirms.
    /// </summary>
    public int SetIpTag(int tag, IPAddress? host, int port, bool strip = false, bool useSender = false)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)port, (uint)ushort.MaxValue, nameof(port));
        var arg1 = new ScpIpTagArg1(CheckTag(tag), ScpIpTagOperation.Set, Strip: strip, UseSender: useSender).Encode();
        return (int)ExpectOk(ScpCommand.IpTag, Transact(ScpCommand.IpTag, [arg1, (uint)port, EncodeHost(host)]), 1).Arg1;
    }

    /// <summary>
    /// IPTAG SET of a reverse tag: the board listens on UDP <paramref name="receivePort"/> and delivers what arrives
    /// to chip (<paramref name="x"/>, <paramref name="y"/>) at SDP port/CPU byte <paramref name="portCpu"/>.
    /// </summary>
    public int SetReverseIpTag(int tag, int receivePort, byte x, byte y, byte portCpu, bool strip = true)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)receivePort, (uint)ushort.MaxValue, nameof(receivePort));
        var arg1 = new ScpIpTagArg1(CheckTag(tag), ScpIpTagOperation.Set, portCpu, Strip: strip, Reverse: true).Encode();
        var arg2 = new ScpReverseTagTarget(x, y, (ushort)receivePort).Encode();
        return (int)ExpectOk(ScpCommand.IpTag, Transact(ScpCommand.IpTag, [arg1, arg2, 0]), 1).Arg1;
    }

    /// <summary>IPTAG GET of one tag (0–15): its 32-byte table entry.</summary>
    public ScpIpTagEntry GetIpTag(int tag)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)tag, (uint)ScpIpTag.TableSize, nameof(tag));
        var arg1 = new ScpIpTagArg1((byte)tag, ScpIpTagOperation.Get).Encode();
        var m = ExpectOk(ScpCommand.IpTag, Transact(ScpCommand.IpTag, [arg1, 1, 0]), 0);
        var error = ScpIpTagEntry.TryRead(m.Data, out var entry);
        return error == ScpError.None ? entry : throw Malformed(ScpCommand.IpTag, error.ToString());
    }

    /// <summary>IPTAG CLR: frees tag <paramref name="tag"/> (0–15).</summary>
    public void ClearIpTag(int tag)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)tag, (uint)ScpIpTag.TableSize, nameof(tag));
        var arg1 = new ScpIpTagArg1((byte)tag, ScpIpTagOperation.Clear).Encode();
        ExpectOk(ScpCommand.IpTag, Transact(ScpCommand.IpTag, [arg1, 0, 0]), 0);
    }

    /// <summary>
    /// IPTAG TTO: sets the transient-tag timeout code (0–15; 16 or more only asks) and returns the reply's arg1,
    /// <c>(8 &lt;&lt; 24) | (8 &lt;&lt; 16) | (32 &lt;&lt; 8) | previous_code</c>.
    /// </summary>
    public uint SetTransientTagTimeout(int code)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(code);
        var arg1 = new ScpIpTagArg1(0, ScpIpTagOperation.TransientTimeout).Encode();
        return ExpectOk(ScpCommand.IpTag, Transact(ScpCommand.IpTag, [arg1, (uint)code, 0]), 1).Arg1;
    }

    public void Dispose() => socket.Dispose();

    private static byte CheckTag(int tag)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)tag, (uint)ScpIpTag.FixedTagCount, nameof(tag));
        return (byte)tag;
    }

    private static uint EncodeHost(IPAddress? host)
    {
        if (host is null)
        {
            return 0;
        }

        if (host.IsIPv4MappedToIPv6)
        {
            host = host.MapToIPv4();
        }

        if (host.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"IP tags hold IPv4 addresses only, not {host}", nameof(host));
        }

        Span<byte> bytes = stackalloc byte[4];
        host.TryWriteBytes(bytes, out _);
        return ScpIpTag.EncodeIPv4(bytes);
    }

    /// <summary>Waits up to <see cref="Timeout"/> for the reply to <paramref name="sequence"/>; its length, or 0.</summary>
    private int AwaitReply(ushort sequence)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
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
                n = socket.ReceiveFrom(reply, SocketFlags.None, from);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }

            if (!SocketAddresses.AreEqual(from, targetAddress)
                || ScpHeader.TryRead(reply.AsSpan(0, n), out var header) != ScpError.None
                || header.Sequence != sequence
                || header.Result is ScpResult.Sum or ScpResult.P2PBusy)
            {
                // Not ours, a late duplicate of an earlier request, or a reply rig treats as lost.
                continue;
            }

            return n;
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

    private static string DescribeCommand(ScpCommand command) =>
        Enum.IsDefined(command) ? command.ToString().ToUpperInvariant() : string.Create(CultureInfo.InvariantCulture, $"command {(ushort)command}");

    private static string DescribeResult(ScpResult rc) =>
        Enum.IsDefined(rc)
            ? string.Create(CultureInfo.InvariantCulture, $"RC_{rc.ToString().ToUpperInvariant()} (0x{(ushort)rc:X2})")
            : string.Create(CultureInfo.InvariantCulture, $"return code 0x{(ushort)rc:X2}");
}
