using System.Net;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Host;

/// <summary>IPTAG requests: set (normal and reverse), get, clear, transient timeout.</summary>
public sealed partial class ScpClient
{
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

    private static byte CheckTag(int tag)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)tag, (uint)ScpIpTag.FixedTagCount, nameof(tag));
        return (byte)tag;
    }

    private static uint EncodeHost(IPAddress? host) =>
        host is null ? 0
        : IPv4Word.TryEncode(host, out var value) ? value
        : throw new ArgumentException($"IP tags hold IPv4 addresses only, not {host}", nameof(host));
}
