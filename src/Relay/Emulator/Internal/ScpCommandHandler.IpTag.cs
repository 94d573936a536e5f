using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Emulator.Internal;

/// <summary>IPTAG (26): NEW, SET (normal and reverse), GET, CLR and TTO (docs/protocols.md §4.4).</summary>
internal sealed partial class ScpCommandHandler
{
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
}
