using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Sdp;

namespace FastSpinnRelay.Relay.Internal;

/// <summary>An <see cref="IPAddress"/> as the u32 IP tags carry (first octet in the low byte, <see cref="ScpIpTag.EncodeIPv4(ReadOnlySpan{byte})"/>).</summary>
internal static class IPv4Word
{
    /// <summary>Encodes an IPv4 (or IPv4-mapped IPv6) address; false for any other address.</summary>
    public static bool TryEncode(IPAddress address, out uint value)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        value = 0;
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        value = ScpIpTag.EncodeIPv4(bytes);
        return true;
    }
}
