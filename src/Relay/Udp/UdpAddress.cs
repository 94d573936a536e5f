using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// An IPv4 or IPv6 address and port held inline (32 bytes, no heap), for flow tables and datagram sources.
/// </summary>
/// <remarks>
/// <para>Threading: an immutable value; safe everywhere.</para>
/// <para>
/// Layout: the bytes of a Linux <c>sockaddr_in</c> (16 bytes used) or <c>sockaddr_in6</c> (28 bytes used), so
/// the kernel writes datagram sources straight into a <see cref="DatagramBatch"/> and queued sends hand it
/// back without conversion. Other platforms convert at the edge. Equality and hashing look only at family,
/// port, address and (IPv6) scope id; IPv6 flow info is ignored. The hash uses <see cref="HashCode"/>,
/// which is seeded per process, so a peer cannot choose ports that collide in a flow table.
/// </para>
/// <para>
/// An IPv4 peer seen through a dual-mode IPv6 socket is an IPv4-mapped IPv6 address (<c>::ffff:a.b.c.d</c>)
/// and is not equal to the plain IPv4 form; keep one socket family per flow table.
/// </para>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = ByteLength)]
public readonly struct UdpAddress : IEquatable<UdpAddress>
{
    /// <summary>Size of the inline storage in bytes (room for a <c>sockaddr_in6</c>).</summary>
    public const int ByteLength = 32;

    internal const ushort AfInet = 2;
    internal const ushort AfInet6 = 10;
    internal const int SockAddrIn4Length = 16;
    internal const int SockAddrIn6Length = 28;

    // Offsets follow sockaddr_in / sockaddr_in6: family (host order), port (network order), then
    // sin_addr | sin6_flowinfo, then sin6_addr (16 bytes; sin_zero for IPv4), then sin6_scope_id.
    private readonly ushort _family;
    private readonly ushort _portNetworkOrder;
    private readonly uint _ipv4OrFlowInfo;
    private readonly ulong _ipv6High;
    private readonly ulong _ipv6Low;
    private readonly uint _scopeId;

    private UdpAddress(ushort family, ushort portNetworkOrder, uint ipv4OrFlowInfo, ulong ipv6High, ulong ipv6Low, uint scopeId)
    {
        _family = family;
        _portNetworkOrder = portNetworkOrder;
        _ipv4OrFlowInfo = ipv4OrFlowInfo;
        _ipv6High = ipv6High;
        _ipv6Low = ipv6Low;
        _scopeId = scopeId;
    }

    /// <summary>Creates an address from an <see cref="IPAddress"/> (IPv4 or IPv6) and a port (0-65535).</summary>
    public UdpAddress(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException("Unsupported address.", nameof(address));
        }

        _portNetworkOrder = SwapIfLittleEndian((ushort)port);
        if (address.AddressFamily == AddressFamily.InterNetwork && written == 4)
        {
            _family = AfInet;
            _ipv4OrFlowInfo = MemoryMarshal.Read<uint>(bytes);
        }
        else if (address.AddressFamily == AddressFamily.InterNetworkV6 && written == 16)
        {
            _family = AfInet6;
            _ipv6High = MemoryMarshal.Read<ulong>(bytes);
            _ipv6Low = MemoryMarshal.Read<ulong>(bytes[8..]);
            _scopeId = (uint)address.ScopeId;
        }
        else
        {
            throw new ArgumentException("Only IPv4 and IPv6 addresses are supported.", nameof(address));
        }
    }

    /// <summary><see cref="AddressFamily.InterNetwork"/>, <see cref="AddressFamily.InterNetworkV6"/>, or
    /// <see cref="AddressFamily.Unspecified"/> for <c>default</c>.</summary>
    public AddressFamily Family => _family switch
    {
        AfInet => AddressFamily.InterNetwork,
        AfInet6 => AddressFamily.InterNetworkV6,
        _ => AddressFamily.Unspecified,
    };

    /// <summary>The port, 0-65535.</summary>
    public int Port => SwapIfLittleEndian(_portNetworkOrder);

    /// <summary>True for <c>default(UdpAddress)</c>, which names no endpoint.</summary>
    public bool IsEmpty => _family is not (AfInet or AfInet6);

    /// <summary>Length of the <c>sockaddr</c> this value holds: 16, 28, or 0 when empty.</summary>
    internal int SockAddrLength => _family switch
    {
        AfInet => SockAddrIn4Length,
        AfInet6 => SockAddrIn6Length,
        _ => 0,
    };

    public static UdpAddress FromIPEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return new UdpAddress(endPoint.Address, endPoint.Port);
    }

    /// <summary>Parses "1.2.3.4:5" or "[::1]:5". Setup-time helper (allocates).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out UdpAddress address)
    {
        if (text is not null && IPEndPoint.TryParse(text, out var endPoint)
            && endPoint.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
        {
            address = FromIPEndPoint(endPoint);
            return true;
        }

        address = default;
        return false;
    }

    /// <summary>Allocates an <see cref="IPAddress"/>; for setup and logs, not the hot path.</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        switch (_family)
        {
            case AfInet:
                MemoryMarshal.Write(bytes, in _ipv4OrFlowInfo);
                return new IPAddress(bytes[..4]);
            case AfInet6:
                MemoryMarshal.Write(bytes, in _ipv6High);
                MemoryMarshal.Write(bytes[8..], in _ipv6Low);
                return new IPAddress(bytes, _scopeId);
            default:
                throw new InvalidOperationException("The address is empty.");
        }
    }

    /// <summary>
    /// Copies the address bytes in network order (4 for IPv4, 16 for IPv6) without allocating, e.g. for an
    /// access check per datagram. Returns how many were written: 0 when empty or <paramref name="destination"/> is
    /// too short.
    /// </summary>
    public int WriteAddressBytes(Span<byte> destination)
    {
        switch (_family)
        {
            case AfInet when destination.Length >= 4:
                MemoryMarshal.Write(destination, in _ipv4OrFlowInfo);
                return 4;
            case AfInet6 when destination.Length >= 16:
                MemoryMarshal.Write(destination, in _ipv6High);
                MemoryMarshal.Write(destination[8..], in _ipv6Low);
                return 16;
            default:
                return 0;
        }
    }

    /// <summary>Allocates an <see cref="IPEndPoint"/>; for setup and logs, not the hot path.</summary>
    public IPEndPoint ToIPEndPoint() => new(ToIPAddress(), Port);

    /// <summary>"1.2.3.4:5", "[::1]:5", or "(none)". Allocates; for logs.</summary>
    public override string ToString() => IsEmpty ? "(none)" : ToIPEndPoint().ToString();

    /// <summary>This address with another port (0-65535); e.g. <c>WithPort(0)</c> keys a table by host only.</summary>
    public UdpAddress WithPort(int port)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        return new UdpAddress(_family, SwapIfLittleEndian((ushort)port), _ipv4OrFlowInfo, _ipv6High, _ipv6Low, _scopeId);
    }

    public bool Equals(UdpAddress other)
    {
        if (_family != other._family || _portNetworkOrder != other._portNetworkOrder)
        {
            return false;
        }

        return _family == AfInet6
            ? _ipv6High == other._ipv6High && _ipv6Low == other._ipv6Low && _scopeId == other._scopeId
            : _ipv4OrFlowInfo == other._ipv4OrFlowInfo;
    }

    public override bool Equals([NotNullWhen(true)] object? obj) => obj is UdpAddress other && Equals(other);

    public override int GetHashCode() => _family == AfInet6
        ? HashCode.Combine(_portNetworkOrder, _ipv6High, _ipv6Low, _scopeId)
        : HashCode.Combine(_portNetworkOrder, _ipv4OrFlowInfo, _family);

    public static bool operator ==(UdpAddress left, UdpAddress right) => left.Equals(right);

    public static bool operator !=(UdpAddress left, UdpAddress right) => !left.Equals(right);

    /// <summary>
    /// Reads a platform <see cref="SocketAddress"/> (as filled by <c>Socket.ReceiveFrom</c>) without
    /// allocating. Port and address sit at the same offsets on Linux, Windows and the BSDs; only the family
    /// field differs, and <see cref="SocketAddress.Family"/> decodes it.
    /// </summary>
    internal static UdpAddress FromSocketAddress(SocketAddress socketAddress)
    {
        var buffer = socketAddress.Buffer.Span;
        var port = MemoryMarshal.Read<ushort>(buffer[2..]);
        switch (socketAddress.Family)
        {
            case AddressFamily.InterNetwork when socketAddress.Size >= SockAddrIn4Length:
                return new UdpAddress(AfInet, port, MemoryMarshal.Read<uint>(buffer[4..]), 0, 0, 0);
            case AddressFamily.InterNetworkV6 when socketAddress.Size >= SockAddrIn6Length:
                return new UdpAddress(
                    AfInet6,
                    port,
                    0,
                    MemoryMarshal.Read<ulong>(buffer[8..]),
                    MemoryMarshal.Read<ulong>(buffer[16..]),
                    MemoryMarshal.Read<uint>(buffer[24..]));
            default:
                return default;
        }
    }

    /// <summary>
    /// Writes this value into a platform <see cref="SocketAddress"/> of the same family (created with
    /// <c>new SocketAddress(family)</c>, whose family field is already in platform form).
    /// </summary>
    internal void WriteTo(SocketAddress socketAddress)
    {
        var length = SockAddrLength;
        var source = MemoryMarshal.AsBytes(new ReadOnlySpan<UdpAddress>(in this));
        source[2..length].CopyTo(socketAddress.Buffer.Span[2..]);
        socketAddress.Size = length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort SwapIfLittleEndian(ushort value) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;
}
