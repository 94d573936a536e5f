using System.Net;
using System.Net.Sockets;

namespace FastSpinnRelay.Relay.Internal;

/// <summary>
/// Allocation-free helpers for <see cref="SocketAddress"/>, the form the .NET 8+ span-based
/// <c>ReceiveFrom</c>/<c>SendTo</c> overloads use. (<see cref="SocketAddress.Equals(object?)"/> compares whole
/// buffers, so two equal addresses held in buffers of different sizes would differ; these compare by
/// <see cref="SocketAddress.Size"/>.)
/// </summary>
internal static class SocketAddresses
{
    /// <summary>A buffer big enough for an IPv4 or IPv6 address; reuse it across receives.</summary>
    public static SocketAddress NewBuffer() => new(AddressFamily.InterNetworkV6);

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (which must be at least as big).</summary>
    public static void Copy(SocketAddress source, SocketAddress destination)
    {
        destination.Size = destination.Buffer.Length;
        source.Buffer.Span[..source.Size].CopyTo(destination.Buffer.Span);
        destination.Size = source.Size;
    }

    /// <summary>True when both hold the same family, address and port.</summary>
    public static bool AreEqual(SocketAddress a, SocketAddress b) =>
        a.Size == b.Size && a.Buffer.Span[..a.Size].SequenceEqual(b.Buffer.Span[..b.Size]);

    /// <summary>The address as an endpoint (allocates; for the rare paths: tag set, logging).</summary>
    public static IPEndPoint ToEndPoint(SocketAddress address) =>
        (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(address);
}
