using System.Net;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Classic;

/// <summary>
/// The server's <c>--allow</c> networks: which peers may use the tunnel ports. Empty allows everyone (the
/// original's behaviour). An IPv4-mapped IPv6 peer (<c>::ffff:a.b.c.d</c>, as seen on a dual-mode socket) is
/// checked as the IPv4 address it stands for.
/// </summary>
/// <remarks>Immutable and thread-safe. <see cref="Allows(in UdpAddress)"/> does not allocate.</remarks>
public sealed class PeerAllowList
{
    private readonly Network[] _networks;

    public PeerAllowList(IEnumerable<IPNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        var list = new List<Network>();
        var text = new List<string>();
        foreach (var network in networks)
        {
            var bytes = network.BaseAddress.GetAddressBytes();
            list.Add(new Network(bytes, network.PrefixLength));
            text.Add(network.ToString());
        }

        _networks = [.. list];
        Description = _networks.Length == 0 ? "anyone" : string.Join(", ", text);
    }

    /// <summary>Allows everyone.</summary>
    public static PeerAllowList Anyone { get; } = new([]);

    /// <summary>True when every peer is allowed.</summary>
    public bool AllowsAnyone => _networks.Length == 0;

    /// <summary>"anyone", or the networks, for logs.</summary>
    public string Description { get; }

    public bool Allows(in UdpAddress peer)
    {
        if (_networks.Length == 0)
        {
            return true;
        }

        Span<byte> bytes = stackalloc byte[16];
        var length = peer.WriteAddressBytes(bytes);
        return Allows(bytes[..length]);
    }

    public bool Allows(IPAddress peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (_networks.Length == 0)
        {
            return true;
        }

        Span<byte> bytes = stackalloc byte[16];
        return peer.TryWriteBytes(bytes, out var length) && Allows(bytes[..length]);
    }

    public override string ToString() => Description;

    private bool Allows(ReadOnlySpan<byte> address)
    {
        // A mapped peer matches an IPv4 network or an IPv6 one written in mapped form.
        var asIPv4 = address.Length == 16 && IsIPv4Mapped(address) ? address[12..] : default;
        foreach (var network in _networks)
        {
            if (network.Contains(address) || (!asIPv4.IsEmpty && network.Contains(asIPv4)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsIPv4Mapped(ReadOnlySpan<byte> address) =>
        address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xFF && address[11] == 0xFF;

    /// <summary>One network: its base address bytes (4 or 16) and prefix length in bits.</summary>
    private readonly record struct Network(byte[] Prefix, int Bits)
    {
        public bool Contains(ReadOnlySpan<byte> address)
        {
            if (address.Length != Prefix.Length)
            {
                return false;
            }

            var whole = Bits / 8;
            if (!address[..whole].SequenceEqual(Prefix.AsSpan(0, whole)))
            {
                return false;
            }

            var rest = Bits % 8;
            if (rest == 0)
            {
                return true;
            }

            var mask = (byte)(0xFF << (8 - rest));
            return (address[whole] & mask) == (Prefix[whole] & mask);
        }
    }
}
