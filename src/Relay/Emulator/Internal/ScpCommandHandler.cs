using System.Globalization;
using System.Net.Sockets;
using System.Net;
using System.Text;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Emulator.Internal;

/// <summary>
/// What the emulated board's monitor core does with one SCP request: VER, READ, WRITE and IPTAG; anything else is
/// answered <see cref="ScpResult.Cmd"/>. Socket-free: it reads a datagram and writes the reply datagram, so tests
/// and benchmarks can drive it directly. Runs on the SCP thread only (it owns the memory); VER, READ and WRITE
/// never allocate.
/// </summary>
internal sealed class ScpCommandHandler
{
    /// <summary>The build date VER reports (Unix seconds; fixed, so replies are reproducible).</summary>
    public const uint BuildDate = 1_700_000_000;

    private const string Component = "emulator iptag";

    private readonly SparseMemory memory;
    private readonly IpTagTable tags;
    private readonly BootReceiver boot;
    private readonly ReverseTagPorts? reversePorts;
    private readonly EmulatorCounters counters;
    private readonly byte[] version;
    private readonly int[] reservedPorts;
    private readonly LogLevel eventLevel;

    /// <summary>
    /// Creates the handler. <paramref name="reversePorts"/> is where reverse tags open their ports (null refuses a
    /// reverse SET with <see cref="ScpResult.Arg"/>); <paramref name="reservedPorts"/> are board ports a reverse tag
    /// may not take (the SCP and boot ports); <paramref name="eventLevel"/> is the level of tag set/clear log lines.
    /// </summary>
    public ScpCommandHandler(
        SparseMemory memory, IpTagTable tags, BootReceiver boot, ReverseTagPorts? reversePorts,
        EmulatorCounters counters, string scampVersion, int[] reservedPorts, LogLevel eventLevel)
    {
        this.memory = memory;
        this.tags = tags;
        this.boot = boot;
        this.reversePorts = reversePorts;
        this.counters = counters;
        version = Encoding.ASCII.GetBytes(scampVersion);
        this.reservedPorts = reservedPorts;
        this.eventLevel = eventLevel;
    }

    /// <summary>
    /// Executes a request of 14..282 bytes (the caller has checked) from <paramref name="sender"/> and writes the
    /// reply, tagged <paramref name="replyTag"/>, into <paramref name="reply"/> (at least 282 bytes). Returns the
    /// reply's length. Requests shorter than <see cref="ScpMessage.MinBoardRequestLength"/> get
    /// <see cref="ScpResult.Len"/>, as SC&amp;MP answers them.
    /// </summary>
    public int Execute(ReadOnlySpan<byte> request, SocketAddress sender, byte replyTag, Span<byte> reply)
    {
        var argCount = request.Length < ScpMessage.MinBoardRequestLength ? 0 : ScpMessage.MaxArgCount;
        if (ScpMessage.TryRead(request, argCount, out var m) != ScpError.None)
        {
            // Unreachable for 14..282 bytes; answered like a short request rather than trusted.
            argCount = 0;
        }

        var header = m.Header.ToReply() with { Tag = replyTag };
        if (argCount == 0)
        {
            return Error(reply, header, m.Sequence, ScpResult.Len);
        }

        return m.Command switch
        {
            ScpCommand.Ver => Version(reply, header, m.Sequence),
            ScpCommand.Read => Read(reply, header, m),
            ScpCommand.Write => Write(reply, header, m),
            ScpCommand.IpTag => IpTag(reply, header, m, sender),
            _ => Error(reply, header, m.Sequence, ScpResult.Cmd),
        };
    }

    private int Version(Span<byte> reply, in SdpHeader header, ushort sequence)
    {
        var p2p = boot.IsBooted ? (ushort)0 : ScpVersionInfo.NotBootedAddress;
        var info = new ScpVersionInfo(p2p, 0, 0, BuildDate, ScpVersionInfo.DefaultName, version);
        info.TryWriteReply(reply, header, sequence, out var n);
        counters.CountResult(ScpResult.Ok);
        return n;
    }

    private int Read(Span<byte> reply, in SdpHeader header, in ScpMessage m)
    {
        var args = ScpMemoryArgs.FromArgs(m.Arg1, m.Arg2, m.Arg3);
        var rc = Check(args);
        if (rc != ScpResult.Ok)
        {
            return Error(reply, header, m.Sequence, rc);
        }

        var length = (int)args.Length;
        ScpMessage.TryWriteResponse(reply, header, ScpResult.Ok, m.Sequence, [], [], out var n);
        memory.Read(args.Address, reply.Slice(n, length));
        counters.CountResult(ScpResult.Ok);
        return n + length;
    }

    private int Write(Span<byte> reply, in SdpHeader header, in ScpMessage m)
    {
        var args = ScpMemoryArgs.FromArgs(m.Arg1, m.Arg2, m.Arg3);
        var rc = Check(args);
        if (rc == ScpResult.Ok && m.Data.Length < args.Length)
        {
            rc = ScpResult.Len;
        }

        if (rc == ScpResult.Ok && !memory.Write(args.Address, m.Data[..(int)args.Length]))
        {
            // The emulator's memory cap (not a real-board behaviour): "no buffers" is the nearest board answer.
            rc = ScpResult.Buf;
        }

        return rc == ScpResult.Ok ? Ok(reply, header, m.Sequence) : Error(reply, header, m.Sequence, rc);
    }

    /// <summary>Length over 256 is <see cref="ScpResult.Len"/>; an access type above word is <see cref="ScpResult.Arg"/>.</summary>
    private static ScpResult Check(ScpMemoryArgs args) =>
        args.Length > ScpMessage.MaxDataLength ? ScpResult.Len
        : args.AccessType > ScpAccessType.Word ? ScpResult.Arg
        : ScpResult.Ok;

    private int IpTag(Span<byte> reply, in SdpHeader header, in ScpMessage m, SocketAddress sender)
    {
        var arg1 = ScpIpTagArg1.Decode(m.Arg1);
        return arg1.Operation switch
        {
            ScpIpTagOperation.New => SetTag(reply, header, m, arg1, tags.FindFreeFixed(), sender),
            ScpIpTagOperation.Set => SetTag(reply, header, m, arg1, arg1.Tag, sender),
            ScpIpTagOperation.Get => GetTags(reply, header, m.Sequence, arg1.Tag, m.Arg2),
            ScpIpTagOperation.Clear => ClearTag(reply, header, m.Sequence, arg1.Tag),
            ScpIpTagOperation.TransientTimeout => TransientTimeout(reply, header, m.Sequence, m.Arg2),
            _ => Error(reply, header, m.Sequence, ScpResult.Arg),
        };
    }

    private int SetTag(Span<byte> reply, in SdpHeader header, in ScpMessage m, ScpIpTagArg1 arg1, int tag, SocketAddress sender)
    {
        if (tag < 0)
        {
            // NEW with every fixed tag taken: SC&MP answers OK with tag 0xFF.
            return OkWithArg(reply, header, m.Sequence, 0xFF);
        }

        if (tag >= IpTagTable.FixedCount)
        {
            return Error(reply, header, m.Sequence, ScpResult.Arg);
        }

        var rc = arg1.Reverse ? SetReverse(tag, arg1, m.Arg2) : SetForward(tag, arg1, m.Arg2, m.Arg3, sender);
        return rc == ScpResult.Ok ? OkWithArg(reply, header, m.Sequence, (uint)tag) : Error(reply, header, m.Sequence, rc);
    }

    /// <summary>
    /// A normal SET: arg2 = host port, arg3 = host IPv4 (0 = the sender's address). With USE_SENDER and arg3 = 0
    /// the tag takes the sender's address <i>and</i> port (the socket that sent this request).
    /// </summary>
    private ScpResult SetForward(int tag, ScpIpTagArg1 arg1, uint arg2, uint arg3, SocketAddress sender)
    {
        if (arg2 > ushort.MaxValue && !(arg1.UseSender && arg3 == 0))
        {
            return ScpResult.Arg;
        }

        var from = SocketAddresses.ToEndPoint(sender);
        IPEndPoint destination;
        if (arg3 != 0)
        {
            Span<byte> ip = stackalloc byte[4];
            ScpIpTag.DecodeIPv4(arg3, ip);
            destination = new IPEndPoint(new IPAddress(ip), (int)arg2);
        }
        else
        {
            destination = arg1.UseSender ? from : new IPEndPoint(from.Address, (int)arg2);
        }

        if (destination.AddressFamily != sender.Family && sender.Family == AddressFamily.InterNetworkV6)
        {
            destination = new IPEndPoint(destination.Address.MapToIPv6(), destination.Port);
        }

        var entry = new IpTag
        {
            Number = tag,
            Destination = destination,
            Strip = arg1.Strip,
            UseSender = arg1.UseSender && arg3 == 0,
            TimeoutCode = arg1.TimeoutCode,
        };
        CloseOld(tags.SetFixed(entry));
        if (Log.IsEnabled(eventLevel))
        {
            Log.Write(eventLevel, Component, string.Create(
                CultureInfo.InvariantCulture,
                $"tag {tag} set to {destination}{(entry.Strip ? ", strip" : "")}{(entry.UseSender ? ", use-sender" : "")} (by {from})"));
        }

        return ScpResult.Ok;
    }

    /// <summary>A reverse SET: arg2 = (x &lt;&lt; 24) | (y &lt;&lt; 16) | rx_port; opens rx_port on the board's address.</summary>
    private ScpResult SetReverse(int tag, ScpIpTagArg1 arg1, uint arg2)
    {
        var target = ScpReverseTagTarget.Decode(arg2);
        if (reversePorts is null || target.RxPort == 0 || Array.IndexOf(reservedPorts, (int)target.RxPort) >= 0)
        {
            return ScpResult.Arg;
        }

        var entry = new IpTag
        {
            Number = tag,
            Reverse = true,
            Strip = arg1.Strip,
            ReceivePort = target.RxPort,
            DestX = target.DestX,
            DestY = target.DestY,
            DestPortCpu = arg1.PortCpu,
            TimeoutCode = arg1.TimeoutCode,
        };
        if (!reversePorts.TryOpen(entry, out var problem))
        {
            // The old tag's port (if any) is closed by now: a failed SET leaves the tag free.
            tags.Clear(tag);
            Log.Warn(Component, $"reverse tag {tag} refused: {problem}");
            return ScpResult.Arg;
        }

        // TryOpen has already closed the old tag's port, if it was a reverse tag.
        tags.SetFixed(entry);

        if (Log.IsEnabled(eventLevel))
        {
            Log.Write(eventLevel, Component, string.Create(
                CultureInfo.InvariantCulture,
                $"reverse tag {tag} listens on port {target.RxPort} for chip ({target.DestX},{target.DestY}) port/cpu 0x{arg1.PortCpu:X2}"));
        }

        return ScpResult.Ok;
    }

    private int GetTags(Span<byte> reply, in SdpHeader header, ushort sequence, int first, uint count)
    {
        if (count is 0 or > ScpIpTagEntry.MaxPerReply || first + count > IpTagTable.Size)
        {
            return Error(reply, header, sequence, ScpResult.Arg);
        }

        Span<byte> data = stackalloc byte[ScpMessage.MaxDataLength];
        var length = 0;
        for (var t = first; t < first + (int)count; t++)
        {
            tags.TryDescribe(t, out var entry);
            entry.TryWrite(data[length..], out var n);
            length += n;
        }

        ScpMessage.TryWriteResponse(reply, header, ScpResult.Ok, sequence, [], data[..length], out var written);
        counters.CountResult(ScpResult.Ok);
        return written;
    }

    private int ClearTag(Span<byte> reply, in SdpHeader header, ushort sequence, int tag)
    {
        if (tag >= IpTagTable.Size)
        {
            return Error(reply, header, sequence, ScpResult.Arg);
        }

        var old = tags.Clear(tag);
        CloseOld(old);
        if (old is not null && Log.IsEnabled(eventLevel))
        {
            Log.Write(eventLevel, Component, string.Create(CultureInfo.InvariantCulture, $"tag {tag} cleared"));
        }

        return Ok(reply, header, sequence);
    }

    /// <summary>TTO: arg2 below 16 sets the transient timeout code; any arg2 gets the old code back.</summary>
    private int TransientTimeout(Span<byte> reply, in SdpHeader header, ushort sequence, uint code)
    {
        tags.TrySetTimeoutCode(code > int.MaxValue ? int.MaxValue : (int)code, out var previous);
        return OkWithArg(reply, header, sequence, ScpIpTag.TimeoutReplyArg1((byte)previous));
    }

    private void CloseOld(IpTag? old)
    {
        if (old is { Reverse: true })
        {
            reversePorts?.Close(old.Number);
        }
    }

    private int Ok(Span<byte> reply, in SdpHeader header, ushort sequence)
    {
        ScpMessage.TryWriteResponse(reply, header, ScpResult.Ok, sequence, [], [], out var n);
        counters.CountResult(ScpResult.Ok);
        return n;
    }

    private int OkWithArg(Span<byte> reply, in SdpHeader header, ushort sequence, uint arg1)
    {
        ScpMessage.TryWriteResponse(reply, header, ScpResult.Ok, sequence, [arg1], [], out var n);
        counters.CountResult(ScpResult.Ok);
        return n;
    }

    private int Error(Span<byte> reply, in SdpHeader header, ushort sequence, ScpResult rc)
    {
        ScpMessage.TryWriteResponse(reply, header, rc, sequence, [], [], out var n);
        counters.CountResult(rc);
        return n;
    }
}
