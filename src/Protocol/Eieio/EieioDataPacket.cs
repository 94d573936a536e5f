using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using FastSpinnRelay.Protocol.Eieio.Internal;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// A zero-copy view of one EIEIO data packet (live spikes and other events). Layout: see protocols.md §6.1;
/// the header diagram is on <c>Internal/EieioDataLayout</c>.
/// </summary>
/// <remarks>
/// <para>
/// Keys: <see cref="GetKey"/> applies the key prefix the way the board firmware and spinnman do: with F = 0 it is
/// ORed into the key (so into the low half), with F = 1 <c>key |= prefix &lt;&lt; 16</c>.
/// </para>
/// <para>
/// Payloads: the "payload base" (D flag) is combined with each element's payload by bitwise OR, not by arithmetic
/// addition, because that is what both the receiving firmware (reverse_iptag_multicast_source.c) and spinnman's
/// reader do. A base is meant to supply the high bits, where OR and addition agree. For the key-only types
/// (0 and 2) the base itself is every element's payload. A packet with neither element payloads nor a base has no
/// payloads: <see cref="HasPayloads"/> is false and <see cref="GetPayload"/> returns 0.
/// </para>
/// </remarks>
public readonly ref struct EieioDataPacket
{
    private readonly ReadOnlySpan<byte> _packet;
    private readonly ushort _header;
    private readonly int _elementsOffset;
    private readonly int _elementSize;
    private readonly ushort _keyPrefix;
    private readonly uint _payloadBase;
    private readonly uint _appliedPrefix;

    private EieioDataPacket(ReadOnlySpan<byte> packet, ushort header, int elementsOffset, ushort keyPrefix, uint payloadBase)
    {
        _packet = packet;
        _header = header;
        _elementsOffset = elementsOffset;
        _elementSize = EieioDataLayout.ElementSize((EieioType)((header >> EieioDataLayout.TypeShift) & 3));
        _keyPrefix = keyPrefix;
        _payloadBase = payloadBase;
        _appliedPrefix = (header & EieioDataLayout.UpperHalfFlag) != 0 ? (uint)keyPrefix << 16 : keyPrefix;
    }

    /// <summary>The whole packet, header included.</summary>
    public ReadOnlySpan<byte> Packet => _packet;

    /// <summary>The raw 16-bit header word.</summary>
    public ushort HeaderValue => _header;

    /// <summary>Number of elements (header bits 7–0).</summary>
    public int Count => _header & EieioDataLayout.CountMask;

    /// <summary>The 2-bit tag (header bits 9–8).</summary>
    public int Tag => (_header >> EieioDataLayout.TagShift) & 3;

    /// <summary>Element layout (header bits 11–10).</summary>
    public EieioType Type => (EieioType)((_header >> EieioDataLayout.TypeShift) & 3);

    /// <summary>P flag: a key prefix follows the header.</summary>
    public bool HasKeyPrefix => (_header & EieioDataLayout.PrefixFlag) != 0;

    /// <summary>F flag: the key prefix goes into the upper half of each key.</summary>
    public bool PrefixInUpperHalf => (_header & EieioDataLayout.UpperHalfFlag) != 0;

    /// <summary>D flag: a payload base follows the header (and the key prefix, if any).</summary>
    public bool HasPayloadBase => (_header & EieioDataLayout.PayloadBaseFlag) != 0;

    /// <summary>T flag: payloads are timestamps.</summary>
    public bool PayloadIsTimestamp => (_header & EieioDataLayout.TimestampFlag) != 0;

    /// <summary>The key prefix as sent, or 0 when <see cref="HasKeyPrefix"/> is false.</summary>
    public ushort KeyPrefix => _keyPrefix;

    /// <summary>The payload base as sent, or 0 when <see cref="HasPayloadBase"/> is false.</summary>
    public uint PayloadBase => _payloadBase;

    /// <summary>True when elements have a payload: types 1 and 3, or any type with a payload base.</summary>
    public bool HasPayloads => EieioDataLayout.HasElementPayload(Type) || HasPayloadBase;

    /// <summary>Bytes per element: 2, 4, 4 or 8.</summary>
    public int ElementSize => _elementSize;

    /// <summary>The elements, <see cref="Count"/> × <see cref="ElementSize"/> bytes.</summary>
    public ReadOnlySpan<byte> Elements => _packet[_elementsOffset..];

    /// <summary>The header settings, so a packet can be rebuilt with <see cref="EieioDataWriter"/>.</summary>
    public EieioDataFormat Format => new(Type)
    {
        Tag = (byte)Tag,
        KeyPrefix = HasKeyPrefix ? _keyPrefix : null,
        PrefixInUpperHalf = PrefixInUpperHalf,
        PayloadBase = HasPayloadBase ? _payloadBase : null,
        PayloadIsTimestamp = PayloadIsTimestamp,
    };

    /// <summary>Key of element <paramref name="index"/> with the key prefix applied (see remarks on the type).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, <see cref="Count"/>).</exception>
    public uint GetKey(int index) => GetRawKey(index) | _appliedPrefix;

    /// <summary>Payload of element <paramref name="index"/> with the payload base ORed in (see remarks on the type).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, <see cref="Count"/>).</exception>
    public uint GetPayload(int index) => GetRawPayload(index) | _payloadBase;

    /// <summary>Key of element <paramref name="index"/> exactly as on the wire (no prefix).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, <see cref="Count"/>).</exception>
    public uint GetRawKey(int index)
    {
        int offset = GetElementOffset(index);
        return EieioDataLayout.Is32Bit(Type)
            ? BinaryPrimitives.ReadUInt32LittleEndian(_packet[offset..])
            : BinaryPrimitives.ReadUInt16LittleEndian(_packet[offset..]);
    }

    /// <summary>Payload of element <paramref name="index"/> exactly as on the wire (no base); 0 for types 0 and 2.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, <see cref="Count"/>).</exception>
    public uint GetRawPayload(int index)
    {
        int offset = GetElementOffset(index);
        return Type switch
        {
            EieioType.Key16Payload16 => BinaryPrimitives.ReadUInt16LittleEndian(_packet[(offset + 2)..]),
            EieioType.Key32Payload32 => BinaryPrimitives.ReadUInt32LittleEndian(_packet[(offset + 4)..]),
            _ => 0,
        };
    }

    /// <summary>
    /// Reads <paramref name="source"/> as one whole EIEIO data packet. Never throws, never allocates; on success
    /// <paramref name="value"/> views <paramref name="source"/>, otherwise it is default.
    /// </summary>
    public static EieioDataError TryRead(ReadOnlySpan<byte> source, out EieioDataPacket value)
    {
        value = default;
        if (source.Length < EieioHeader.Length)
        {
            return EieioDataError.TooShort;
        }

        ushort header = BinaryPrimitives.ReadUInt16LittleEndian(source);
        if (EieioHeader.IsCommand(header))
        {
            return EieioDataError.CommandHeader;
        }

        var type = (EieioType)((header >> EieioDataLayout.TypeShift) & 3);
        int offset = EieioHeader.Length;
        ushort keyPrefix = 0;
        if ((header & EieioDataLayout.PrefixFlag) != 0)
        {
            if (source.Length < offset + EieioDataLayout.PrefixLength)
            {
                return EieioDataError.TooShort;
            }

            keyPrefix = BinaryPrimitives.ReadUInt16LittleEndian(source[offset..]);
            offset += EieioDataLayout.PrefixLength;
        }

        uint payloadBase = 0;
        if ((header & EieioDataLayout.PayloadBaseFlag) != 0)
        {
            int baseLength = EieioDataLayout.PayloadBaseLength(type);
            if (source.Length < offset + baseLength)
            {
                return EieioDataError.TooShort;
            }

            payloadBase = baseLength == 4
                ? BinaryPrimitives.ReadUInt32LittleEndian(source[offset..])
                : BinaryPrimitives.ReadUInt16LittleEndian(source[offset..]);
            offset += baseLength;
        }

        int expected = offset + ((header & EieioDataLayout.CountMask) * EieioDataLayout.ElementSize(type));
        if (source.Length != expected)
        {
            return source.Length < expected ? EieioDataError.MissingElements : EieioDataError.TrailingBytes;
        }

        value = new EieioDataPacket(source, header, offset, keyPrefix, payloadBase);
        return EieioDataError.None;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int GetElementOffset(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            CallerBug.ArgumentOutOfRange(nameof(index), "Element index must be in [0, Count).");
        }

        return _elementsOffset + (index * _elementSize);
    }
}
