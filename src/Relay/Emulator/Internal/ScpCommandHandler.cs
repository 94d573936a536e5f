using System.Net;
using System.Text;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Emulator.Internal;

/// <summary>
/// What the emulated board's monitor core does with one SCP request: VER, READ, WRITE, IPTAG and RTR's clear (there
/// is no router table to clear: it is counted); anything else is answered <see cref="ScpResult.Cmd"/>. Socket-free: it reads a datagram and writes the reply datagram, so tests
/// and benchmarks can drive it directly. Runs on the SCP thread only (it owns the memory); VER, READ and WRITE
/// never allocate.
/// </summary>
internal sealed partial class ScpCommandHandler
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
            ScpCommand.Rtr when (m.Arg1 & 0xFF) == 0 => ClearRouterTable(reply, header, m.Sequence),
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

    private int ClearRouterTable(Span<byte> reply, in SdpHeader header, ushort sequence)
    {
        counters.CountRouterTableCleared();
        return Ok(reply, header, sequence);
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
