using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// OPEN (reliable): opens <see cref="Channel"/> of a <see cref="TunnelChannelKind"/> towards a target on the peer's
/// side: an address family (0 none, 4 IPv4, 6 IPv6), a port and the address. 20, 24 or 36 bytes.
/// </summary>
public readonly ref struct TunnelOpenFrame
{
    /// <summary>Frame length without an address (family 0).</summary>
    public const int MinLength = TunnelLayout.OpenAddressOffset;

    /// <summary>Frame length with an IPv6 address.</summary>
    public const int MaxLength = TunnelLayout.OpenAddressOffset + 16;

    private readonly ReadOnlySpan<byte> _frame;

    private TunnelOpenFrame(ReadOnlySpan<byte> frame) => _frame = frame;

    /// <summary>The channel being opened (1–65535).</summary>
    public ushort Channel => BinaryPrimitives.ReadUInt16BigEndian(_frame[TunnelLayout.ChannelOffset..]);

    /// <summary>Reliable sequence number.</summary>
    public ulong Sequence => TunnelLayout.ReadU64(_frame, TunnelLayout.SequenceOffset);

    /// <summary>What the channel carries.</summary>
    public TunnelChannelKind Kind => (TunnelChannelKind)_frame[TunnelLayout.OpenKindOffset];

    /// <summary>0 (no address), 4 or 6.</summary>
    public byte AddressFamily => _frame[TunnelLayout.OpenFamilyOffset];

    /// <summary>The target port (0: the peer's default).</summary>
    public ushort Port => BinaryPrimitives.ReadUInt16BigEndian(_frame[TunnelLayout.OpenPortOffset..]);

    /// <summary>The target address: empty, 4 or 16 bytes in network order.</summary>
    public ReadOnlySpan<byte> Address => _frame[TunnelLayout.OpenAddressOffset..];

    /// <summary>Reads one whole OPEN frame. Never throws; <paramref name="value"/> is default unless the result is None.</summary>
    public static TunnelFrameError TryRead(ReadOnlySpan<byte> frame, out TunnelOpenFrame value)
    {
        value = default;
        TunnelFrameError error = TunnelLayout.Check(frame, TunnelFrameType.Open, MinLength, MaxLength, 0, hasChannel: true);
        if (error != TunnelFrameError.None)
        {
            return error;
        }

        int addressLength = TunnelFrameChecks.AddressLength(frame[TunnelLayout.OpenFamilyOffset]);
        if (addressLength < 0 || !TunnelFrameChecks.IsChannelKind(frame[TunnelLayout.OpenKindOffset]))
        {
            return TunnelFrameError.BadValue;
        }

        if (frame.Length != MinLength + addressLength)
        {
            return TunnelFrameError.WrongLength;
        }

        value = new TunnelOpenFrame(frame);
        return TunnelFrameError.None;
    }
}
