using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Host;

namespace FastSpinnRelay.Relay.Tunneling.Internal;

/// <summary>
/// Where the board said IP tag <paramref name="Tag"/> points once this server had set it for a live-output flow (read
/// back with IPTAG GET right after the SET): how the server tells later whether the tag is still its own to clear.
/// </summary>
/// <param name="Tag">The IP tag, 0-7.</param>
/// <param name="IPv4">The address the board recorded (arg3 form); 0 when the read-back failed, and then any address matches.</param>
/// <param name="Port">The UDP port the board sends the tag's output to: the flow's socket.</param>
/// <param name="Board">The board's SCP endpoint the tag was set on: where it is read back and cleared, even after the board's name has moved to another address.</param>
internal readonly record struct LiveTagClaim(int Tag, uint IPv4, ushort Port, IPEndPoint Board)
{
    /// <summary>
    /// Reads back tag <paramref name="tag"/> just set from <paramref name="local"/> (USE_SENDER): the board's view of
    /// this server's address, NAT and all. A board that does not answer the GET leaves a claim on the port alone.
    /// </summary>
    public static LiveTagClaim Read(ScpClient scp, int tag, IPEndPoint local, IPEndPoint board)
    {
        try
        {
            var entry = scp.GetIpTag(tag);
            if (entry.IsValid && entry.TxPort != 0)
            {
                return new LiveTagClaim(tag, entry.IPv4, entry.TxPort, board);
            }
        }
        catch (Exception e) when (e is ScpClientException or SocketException)
        {
            // the SET was answered, so the tag points at this socket: the port alone identifies it
        }

        return new LiveTagClaim(tag, 0, (ushort)local.Port, board);
    }

    /// <summary>True when <paramref name="entry"/> (the tag as the board reports it now) still sends to this claim's socket.</summary>
    public bool StillOurs(in ScpIpTagEntry entry) =>
        entry.IsValid && (entry.Flags & ScpIpTagFlags.Reverse) == 0 && entry.TxPort == Port && (IPv4 == 0 || entry.IPv4 == IPv4);

    /// <summary>"10.0.0.2:40001", or ":40001" when the address is unknown.</summary>
    public override string ToString() => $"{Describe(IPv4)}:{Port}";

    /// <summary>An arg3-style IPv4 word as dotted text ("" for 0).</summary>
    public static string Describe(uint ipv4)
    {
        if (ipv4 == 0)
        {
            return "";
        }

        Span<byte> bytes = stackalloc byte[4];
        ScpIpTag.DecodeIPv4(ipv4, bytes);
        return new IPAddress(bytes).ToString();
    }
}
